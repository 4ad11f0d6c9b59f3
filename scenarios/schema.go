package scenarios

import (
	"fmt"
	"reflect"
	"strings"
)

// fieldDoc documents one json field of one Go type.
type fieldDoc struct {
	// Default is shown as "default X"; "required" marks a required field.
	Default string
	// Values lists the allowed values of an enumeration.
	Values string
	// Text says what the field means.
	Text string
}

// docs documents every field of every scenario type, keyed by Go type and
// json name. A test fails when a field has no entry here, so the schema
// text cannot fall behind the types.
var docs = map[reflect.Type]map[string]fieldDoc{
	reflect.TypeFor[Scenario](): {
		"apiVersion": {Default: "required", Values: APIVersion, Text: "The version of the file format."},
		"kind":       {Default: "required", Values: Kind, Text: "What the file holds."},
		"metadata":   {Text: "Name and annotations of the scenario."},
		"spec":       {Text: "The scenario itself. Every field is optional: an empty spec is three nodes on client-go's defaults for ten minutes."},
	},
	reflect.TypeFor[ObjectMeta](): {
		"name":        {Text: "The scenario's name, used in reports. A Kubernetes object name: lower-case letters, digits, '-' and '.'. Library scenarios are named after their files."},
		"annotations": {Text: "Free-form string annotations. lesim.dev/description holds a one-sentence description of what the scenario demonstrates, shown by the scenario library listing."},
	},
	reflect.TypeFor[Spec](): {
		"seed":     {Default: "1", Text: "The run's random seed. Every consumer of randomness (a node's jitter, API latency, injected errors) draws from its own stream derived from the seed and the consumer's name, so a run is a pure function of the scenario and the seed, and adding a node or a fault does not shift the draws of the others. Sweeps replace it."},
		"duration": {Default: "10m", Text: "How long the run lasts, in true (simulated) time. Fault windows, node starts and clock rate changes must lie inside [0, duration]."},
		"elector":  {Text: "The elector configuration of every node, which nodes may override field by field (spec.nodes[].elector). The three timings are validated with client-go's NewLeaderElector rules and messages, in its order: leaseDuration must be greater than renewDeadline; renewDeadline must be greater than retryPeriod*JitterFactor (1.2); each must be greater than zero. Note that client-go accepts configurations that overlap even with perfect clocks (15s/10s/8s): what is safe is what the simulation measures."},
		"client":   {Text: "The API client of every node; nodes may override it (spec.nodes[].client)."},
		"api":      {Text: "The behaviour of the API server and of the network to it, for all nodes; per-node latency is in spec.nodes[].latency, time-limited changes in spec.faults."},
		"restart":  {Text: "What a node does when its process ends: when Run returns after losing leadership, after a stop fault, or when it crashes. Nodes may override it (spec.nodes[].restart)."},
		"nodes":    {Default: "a, b, c", Text: "The nodes. Each runs one elector process at a time; a restarted process has fresh state. Absent or empty: three nodes a, b and c starting at 0s."},
		"faults":   {Default: "none", Text: "Scheduled faults, each at a true time. A fault that finds no process on a node (before its start, after a crash) does nothing to that node's process; clock faults still change its clock. Windows of one API fault type on one target (a node's partition or latency, the outage, stale reads) do not stack: the window that began last holds the setting and only its own end clears it, so a short window inside a longer one does not cut the longer one short."},
		"workload": {Default: "none", Text: "The work a leader does. Absent: no workload (and no unsafe-write counts)."},
		"expect":   {Text: "Bounds the run is checked against; a run that exceeds one fails (exit status 1 in the CLI). Absent bounds are not checked."},
		"choices":  {Text: "Pinned choices: the schedule a worst-case search (simulate search) found, which this run replays exactly. Each fixes one nondeterministic choice instead of its seeded draw; choices not listed keep their draws. Written by simulate search, rarely by hand."},
	},
	reflect.TypeFor[Elector](): {
		"variant":         {Default: "v0.37", Values: "seed, v0.37", Text: "Which client-go elector is simulated: seed behaves as client-go v0.30.0 (one-shot release with the cached resourceVersion, no coordinated mode); v0.37 as client-go v0.37.2 (release re-reads the lease and retries on conflict; coordinated mode)."},
		"leaseDuration":   {Default: "15s", Text: "LeaseDuration: how long a follower waits, on its own clock, after it last saw the lease record change before it may take the lease. Written into the lease in whole seconds (the fraction is dropped), and followers judge the lease by the holder's value."},
		"renewDeadline":   {Default: "10s", Text: "RenewDeadline: how long the leader keeps retrying a renewal round before it gives up leading."},
		"retryPeriod":     {Default: "2s", Text: "RetryPeriod: the wait between renewal rounds and between tries within one; candidates wait retryPeriod·(1 + 1.2·u), u uniform in [0, 1), between acquisition attempts."},
		"releaseOnCancel": {Default: "false", Text: "ReleaseOnCancel: on the way out, the leader empties the lease's holder so that a follower can take it at once instead of waiting for it to expire."},
		"coordinated":     {Default: "false", Text: "client-go's coordinated leader election (alpha, v0.37 only): the elector never takes a lease by itself and never creates one; it leads only once a coordination controller names it holder, and steps down at the end of its term."},
		"callbackDelay":   {Default: "0s", Text: "How long after the event OnStartedLeading and OnNewLeader are delivered. client-go runs them in goroutines; this stands for their scheduling delay."},
	},
	reflect.TypeFor[Client](): {
		"requestTimeout": {Default: "max(1s, renewDeadline/2)", Text: "The timeout of every single API request, on the node's clock: the client gives up on a call after it, while the server may still apply the request later. The default is client-go's resourcelock.NewFromKubeconfig rule, on each node's own renewDeadline. 0s means none: a request whose answer is lost then hangs until a context ends, and acquisition attempts have no other deadline."},
	},
	reflect.TypeFor[API](): {
		"latency":     {Default: "none", Text: "One-way network delays for all nodes, per direction. A request is applied at send time + request latency and answered at that + service wait + response latency."},
		"errors":      {Default: "none", Text: "Injected API errors. Each request is checked against the rules in order; the first rule whose op matches and whose independent draw succeeds decides the error. An injected error is returned instead of applying the request."},
		"serviceTime": {Default: "none", Text: "Makes the server serialising: it applies one request at a time, each taking a draw from this distribution, so that under load requests queue. Absent: requests are applied instantly and never wait for one another."},
	},
	reflect.TypeFor[Latency](): {
		"request":  {Default: "0s", Text: "The delay from the client to the server (a Distribution)."},
		"response": {Default: "0s", Text: "The delay from the server back to the client (a Distribution)."},
	},
	reflect.TypeFor[Distribution](): {
		"distribution": {Default: "required", Values: "fixed, uniform, exponential, normal, lognormal, pareto", Text: "The family, which decides the parameters that apply; giving any other parameter is an error. See Distributions above."},
		"value":        {Text: "fixed: the duration, 0s or more."},
		"min":          {Text: "uniform: the lower bound, 0s or more."},
		"max":          {Text: "uniform: the upper bound (at least min). Every other family: an optional cap, draws above it become max."},
		"mean":         {Text: "exponential: the mean, greater than 0s. normal: the mean, 0s or more."},
		"stddev":       {Text: "normal: the standard deviation, 0s or more."},
		"median":       {Text: "lognormal: the median, greater than 0s."},
		"sigma":        {Text: "lognormal: the standard deviation of the logarithm, 0 or more (a number)."},
		"scale":        {Text: "pareto: the scale, which is also the smallest value, greater than 0s."},
		"shape":        {Text: "pareto: the shape or tail index, greater than 0 (a number); the smaller, the heavier the tail; at 1 or less the mean is infinite, so set max."},
	},
	reflect.TypeFor[ErrorRule](): {
		"op":          {Default: "required", Values: "get, create, update, any", Text: "The operation the rule applies to."},
		"kind":        {Default: "required", Values: "conflict, internal, unavailable, tooManyRequests, timeout", Text: "The error returned, as the API server would: conflict is 409 Conflict (as for a stale resourceVersion), internal 500, unavailable 503, tooManyRequests 429 with a Retry-After, timeout 504 (a server-side timeout)."},
		"probability": {Default: "required", Text: "The probability that a matching request gets the error, from 0 to 1."},
		"retryAfter":  {Default: "1s for tooManyRequests", Text: "The Retry-After of a tooManyRequests error, in whole seconds as the header carries them (kube-apiserver sends 1s). Only for that kind. As client-go's rest client does, the client then waits that long and sends the request again by itself, up to 10 times, all within its request timeout: the elector only sees the error when the retries run out or the timeout ends them."},
	},
	reflect.TypeFor[Restart](): {
		"policy": {Default: "Always", Values: "Always, Never", Text: "Always: when a process ends (it lost leadership and Run returned, it was stopped, it crashed) a fresh process starts after delay, with fresh state and, unless the node's identity is stable, a fresh identity, as Kubernetes restarts a component that exits when it loses its lease. Never: the node stays down."},
		"delay":  {Default: "10s", Text: "The time from a process's end to its successor's start, 0s or more. A crash fault's restartAfter replaces it for that crash."},
	},
	reflect.TypeFor[Node](): {
		"name":     {Default: "required", Text: "The node's name: a DNS label (lower-case letters, digits, '-'), unique among the nodes. Faults refer to nodes by it."},
		"start":    {Default: "0s", Text: "The true time the node's first process starts, from 0s to spec.duration."},
		"jitter":   {Text: "The range {min, max} of the node's acquire waits, part of the environment's envelope: inside client-go's jitter [retryPeriod, 2.2·retryPeriod), which no wait can leave. A run maps client-go's draw into it; simulate search picks each wait. The renew loop has no jitter in client-go (a fixed retryPeriod), so there is nothing to range."},
		"identity": {Default: "perProcess", Values: "perProcess, stable", Text: "The holder identity a process writes into the lease. perProcess: the node name plus a per-process suffix, as Kubernetes components use hostname plus a UUID, so a restarted process is a stranger to its predecessor's lease. stable: the node name, so a restarted process takes its predecessor's lease over at once, and two processes of one node never lead side by side."},
		"clock":    {Default: "rate 1, offset 0s", Text: "The node's clock: local time = offset + the integral of its rate over true time. Only the rate changes what an elector does (it decides on monotonic intervals); offsets and jumps change only the times it writes into the lease."},
		"latency":  {Default: "spec.api.latency", Text: "The node's own network delays, per direction; a direction set here replaces spec.api.latency's for this node, an absent one inherits it."},
		"elector":  {Default: "spec.elector", Text: "Overrides of spec.elector for this node, field by field: a heterogeneous cluster or a rolling upgrade. The merged configuration is validated with client-go's rules; a problem is reported at the field that causes it."},
		"client":   {Default: "spec.client", Text: "Overrides of spec.client for this node."},
		"restart":  {Default: "spec.restart", Text: "Overrides of spec.restart for this node, field by field."},
	},
	reflect.TypeFor[Clock](): {
		"rate":     {Default: "1", Text: "Local seconds per true second from true time 0: 1.2 runs 20% fast. From 0.001 to 1000; with the offset, the jumps and spec.duration, readings must stay within ±2^62 ns."},
		"offset":   {Default: "0s", Text: "Added to every reading of the clock; may be negative."},
		"schedule": {Default: "none", Text: "Rate changes at given true times, in increasing time order: drift that sets in or changes during the run."},
		"rateBand": {Text: "Instead of rate: the range {min, max} of the rate, part of the environment's envelope. A run draws the rate uniformly from it (its own stream); simulate search picks the worst. Excludes rate."},
	},
	reflect.TypeFor[RateChange](): {
		"at":   {Default: "0s", Text: "The true time the rate changes, from 0s to spec.duration."},
		"rate": {Default: "required", Text: "The rate from then on, from 0.001 to 1000."},
	},
	reflect.TypeFor[Fault](): {
		"type":         {Default: "required", Values: "partition, crash, pause, stop, clockRate, clockJump, apiOutage, latency, staleReads", Text: "What happens; see Faults above for the fields each type takes. Fields a type does not take are errors."},
		"at":           {Default: "0s", Text: "The true time the fault starts, from 0s to spec.duration."},
		"duration":     {Text: "The length of a window fault (partition, pause, apiOutage, latency, staleReads), greater than 0s; the window must end by spec.duration."},
		"nodes":        {Text: "The names of the nodes hit. Required for partition, crash, pause, stop, clockRate and clockJump; for latency and staleReads absent means all nodes; not taken by apiOutage."},
		"mode":         {Values: "partition: drop-requests, drop-responses, refuse; apiOutage: refuse, hang", Text: "partition: drop-requests loses the nodes' requests before the server sees them; drop-responses lets the server apply them and loses the answers (the write lands, the acknowledgement does not); refuse fails them at once with a connection error. apiOutage: refuse fails every request at once; hang accepts requests and never answers them. Unanswered requests end at the client's request timeout or context deadline."},
		"restartAfter": {Text: "crash: the time from the crash to the node's next process, 0s or more, whatever its restart policy. Absent: the node's restart policy decides (Always: after restart.delay; Never: it stays down)."},
		"rate":         {Text: "clockRate: the nodes' clock rate from at on, from 0.001 to 1000."},
		"jump":         {Text: "clockJump: a step of the nodes' wall clock, such as -10m or 30s. It changes the times written into the lease, not the monotonic intervals the elector decides on."},
		"request":      {Text: "latency: the request delay of the nodes during the window (a Distribution), replacing their usual one."},
		"response":     {Text: "latency: the response delay of the nodes during the window (a Distribution), replacing their usual one. A latency fault needs request, response or both."},
		"atMax":        {Text: "With at, the range [at, atMax] the fault starts in, part of the environment's envelope: a run draws the start uniformly, simulate search picks the worst."},
		"durationMax":  {Text: "With duration, the range [duration, durationMax] of a window fault's length, part of the envelope (drawn, or picked by simulate search). The latest start with the longest window must end by spec.duration."},
		"maxLag":       {Text: "staleReads: how far behind the store, at most, a Get may be served from a lagging cache during the window; greater than 0s. Writes are still checked against the current resourceVersion."},
	},
	reflect.TypeFor[Workload](): {
		"period":  {Default: "1s", Text: "The leader writes to a protected object every period while it leads; greater than 0s."},
		"fencing": {Default: "false", Text: "Writes carry the lease's leaderTransitions as a fencing token and the protected object rejects tokens older than the newest it has seen: unsafe writes are then fenced rather than accepted."},
		"drain":   {Default: "0s", Text: "How long the workload keeps writing after its leading context is cancelled: the leading interval extends by it, a real source of overlap."},
	},
	reflect.TypeFor[RateBand](): {
		"min": {Default: "required", Text: "The slowest rate, from 0.001 to 1000."},
		"max": {Default: "required", Text: "The fastest rate, at least min."},
	},
	reflect.TypeFor[JitterRange](): {
		"min": {Default: "required", Text: "The shortest wait, at least retryPeriod."},
		"max": {Default: "required", Text: "The longest wait, at least min and below 2.2·retryPeriod."},
	},
	reflect.TypeFor[PinnedChoice](): {
		"kind":  {Default: "required", Values: "jitter, request, response, service, error, stale, tie, clockRate, faultStart, faultLength", Text: "What the choice decides: an acquire loop's wait (jitter), a request's or response's delay, a serial server's service time, an injected-error pick, a stale read's lag, the race of a renew tick with the poll's deadline (tie), a clock rate in its rateBand (pick, in parts per million), a fault's start in [at, atMax] or its length in [duration, durationMax]."},
		"node":  {Text: "The node the choice is about: required for jitter, request, response, tie and clockRate; faults[i] for faultStart and faultLength; absent for the server's own choices."},
		"index": {Default: "0", Text: "How many choices of the same kind about the same node the run made before this one."},
		"value": {Text: "The duration chosen (every kind but error). Clamped into what the scenario allows at that point: client-go's jitter range [retryPeriod, 2.2·retryPeriod), a distribution's support (up to its cap, or its 0.999 quantile when uncapped)."},
		"pick":  {Text: "For error: 0 for no error, i for the i-th rule (with a positive probability) matching the request's op. For tie: 0 when the renew tick wins (one more request goes out), 1 when the deadline does."},
	},
	reflect.TypeFor[Expect](): {
		"requireLeader":          {Default: "true", Text: "Liveness: the run fails when no node ever leads, when nobody leads inside the scenario's liveness window (from the moment the last fault is over and every process it hit is back, T0, to T0 plus the election bound LDs/r + 2·2.2·RP/r + request timeout + 2 round trips + 1s at the slowest clock rate r), or when a loss of leadership after T0 is not restored within that bound. Leadership lost by a fault too close to the end of the run to recover is not a failure. Set false for a scenario meant to have no leader."},
		"maxTimeToFirstLeader":   {Text: "The longest time from the first node's start to the first node leading. A run in which no node ever leads fails this bound."},
		"maxRecovery":            {Text: "The longest recovery of any failover: from the onset of what removed the leader (the fault hitting it, its crash or stop, or its failed renewal) to the first moment a node leads alone again. A failover never restored counts to the end of the run."},
		"maxOverlap":             {Text: "The longest episode with two or more nodes leading at once."},
		"maxLeaderless":          {Text: "The longest stretch with no node leading, counted from the first node's start to the end of the run: a run in which no node ever leads fails this bound."},
		"maxFailover":            {Text: "The longest handover gap of any failover: the leaderless time from the moment a leader stops leading to the next node leading (0 when another node already leads; a gap never closed counts to the end of the run)."},
		"maxSpuriousTransitions": {Text: "The most leadership losses with no crash or stop of the leader behind them."},
		"maxUnsafeWrites":        {Text: "The most workload writes accepted from a node that did not hold the lease. Needs spec.workload."},
	},
}

const schemaIntro = `# Scenario file schema (lesim.dev/v1alpha1)

A scenario is one YAML document of kind Scenario: the nodes and their
clocks, the elector configuration, the API's behaviour, a schedule of
faults, a workload and the bounds the run is checked against. A run is a
pure function of the scenario and its seed. ` + "`simulate schema`" + ` prints this
text; docs/scenario-schema.md is a copy.

    apiVersion: lesim.dev/v1alpha1
    kind: Scenario
    metadata: {name: leader-partition}
    spec:
      duration: 10m
      nodes: [{name: a}, {name: b, start: 2s}, {name: c, start: 4s, clock: {rate: 1.1}}]
      faults:
      - {type: partition, at: 2m, duration: 60s, nodes: [a], mode: drop-requests}
      expect: {maxOverlap: 0s}

## Conventions

- Durations are Go duration strings: 250ms, 90s, 1m30s, -10m. A bare number
  such as 10 is not a duration.
- Times (at, start) are true simulated time since the run began. A node's
  clock rate and offset change what that node reads, not when things happen.
- Unknown fields (including case variants of known ones), duplicate keys
  and values of the wrong type are errors. YAML reads unquoted y, n, yes,
  no, on and off as booleans: quote them where a string is meant.
- Absent optional fields take the default shown; absent node-level fields
  inherit the spec-level value.
- A path such as spec.nodes[].clock.rate stands for the field in every
  entry of the list; error messages name the entry: spec.nodes[1].clock.rate.
- Errors read "FILE: PATH: what is wrong; expected ...", one line, and
  simulate exits with status 2 on them. Where the problem is a place in
  the text (a duplicate key, an unknown field, a value of the wrong type)
  the line and column follow the file name:
  "bad.yaml:9:7: spec.nodes[1].clock.rat: unknown field; expected one of:
  rate, offset, schedule, rateBand".
- Anchors, aliases and merge keys (<<) are read as YAML specifies; a file
  whose aliases expand to more than two values per byte of the file (plus
  1000) is refused.

## Distributions

A Distribution is a random duration: a family and its parameters. Every
family takes an optional cap, max (uniform's max is its upper bound).

| distribution | parameters | draw |
| --- | --- | --- |
| fixed | value | value |
| uniform | min, max | uniform on [min, max] |
| exponential | mean | exponential with that mean |
| normal | mean, stddev | mean + stddev·Z, Z standard normal, truncated at 0s (negative draws are redrawn) |
| lognormal | median, sigma | median·exp(sigma·Z): the median and the spread of the logarithm |
| pareto | scale, shape | scale·U^(-1/shape), U uniform on (0, 1]: at least scale, P(X > x) = (scale/x)^shape |

## The environment envelope

For ` + "`simulate search`" + `, a scenario states what its environment allows and
the search picks the worst of it. A run draws every range uniformly (from
its own stream); the search chooses. Latency needs nothing new: a uniform
distribution is the range [min, max], per direction, spec-wide or per node
(other families range from 0 to their max, else their 0.999 quantile).
Acquire waits are always the search's, inside client-go's jitter
[retryPeriod, 2.2·retryPeriod); nodes[].jitter narrows them. The renew loop
has no jitter in client-go. A file with spec.choices pins what a search
chose.

    apiVersion: lesim.dev/v1alpha1
    kind: Scenario
    metadata: {name: envelope}
    spec:
      duration: 3m
      elector: {leaseDuration: 15s, renewDeadline: 10s, retryPeriod: 2s}
      api:
        latency:
          request: {distribution: uniform, min: 1ms, max: 20ms}
          response: {distribution: uniform, min: 1ms, max: 20ms}
      nodes:
      - {name: a}
      - {name: b, start: 2s, clock: {rateBand: {min: 0.99, max: 1.1}}, jitter: {min: 2s, max: 3s}}
      faults:
      - {type: partition, at: 30s, atMax: 40s, duration: 40s, durationMax: 60s, nodes: [a], mode: drop-requests}

## Faults

| type | fields | what happens |
| --- | --- | --- |
| partition | at, duration, nodes, mode | the nodes lose the API for the window: drop-requests, drop-responses or refuse |
| crash | at, nodes, restartAfter? | the process dies at once, state lost, no release; a fresh one follows per restartAfter or the restart policy |
| pause | at, duration, nodes | the process freezes (GC pause, SIGSTOP, VM migration): nothing of it runs; what fell due runs late on resume. Its clock keeps going |
| stop | at, nodes | Run's context is cancelled: graceful, releases the lease if releaseOnCancel; then the restart policy applies |
| clockRate | at, nodes, rate | the clocks run at the new rate from then on |
| clockJump | at, nodes, jump | the wall clocks step; monotonic readings do not |
| apiOutage | at, duration, mode | the server is unreachable for the window: refuse or hang; the store survives |
| latency | at, duration, nodes?, request?, response? | the nodes' (absent: all) latency in the window, at least one direction |
| staleReads | at, duration, nodes?, maxLag | Gets of the nodes (absent: all) may be served from a cache up to maxLag behind |

(? marks an optional field.)

## Fields

`

// SchemaDoc documents the scenario file format: conventions, the
// distributions and faults, then every field by path with its type,
// default, allowed values and meaning.
func SchemaDoc() string {
	var b strings.Builder
	b.WriteString(schemaIntro)
	r := schemaRenderer{b: &b, first: map[reflect.Type]string{}}
	r.object(reflect.TypeFor[Scenario](), "")
	return b.String()
}

type schemaRenderer struct {
	b *strings.Builder
	// first is the path where a type's fields were documented in full;
	// later uses of the type point there.
	first map[reflect.Type]string
}

func (r *schemaRenderer) object(t reflect.Type, prefix string) {
	seenAt, seen := r.first[t]
	if !seen {
		r.first[t] = prefix
	}
	for _, f := range jsonFields(t) {
		p := f.name
		if prefix != "" {
			p = prefix + "." + f.name
		}
		elem, list := structOf(f.typ)
		if prefix == "" && f.name == "spec" || prefix == "spec" && elem != nil {
			fmt.Fprintf(r.b, "\n### %s\n\n", p)
		}
		d, ok := docs[t][f.name]
		if !ok {
			d.Text = "UNDOCUMENTED"
		}
		if seen {
			fmt.Fprintf(r.b, "- `%s` (%s): as `%s.%s`.\n", p, typeName(f.typ), seenAt, f.name)
		} else {
			r.entry(p, f.typ, d)
		}
		if elem != nil {
			if list {
				p += "[]"
			}
			r.object(elem, p)
		}
	}
}

func (r *schemaRenderer) entry(p string, t reflect.Type, d fieldDoc) {
	head := "`" + p + "` (" + typeName(t)
	switch d.Default {
	case "":
	case "required":
		head += ", required"
	default:
		head += ", default " + d.Default
	}
	head += ")"
	if d.Values != "" {
		head += ", one of: " + d.Values
	}
	fmt.Fprintf(r.b, "- %s\n", head)
	for _, line := range wrap(d.Text, 76) {
		fmt.Fprintf(r.b, "  %s\n", line)
	}
}

// structOf returns the struct type a field holds, directly, through a
// pointer or as list elements, other than durations.
func structOf(t reflect.Type) (elem reflect.Type, list bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Slice {
		list = true
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct && t != durationType {
		return t, list
	}
	return nil, false
}

// typeName names a field's type as a file author sees it.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return "duration"
	case t == reflect.TypeFor[Distribution]():
		return "Distribution"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint64:
		return "integer"
	case reflect.Float64:
		return "number"
	case reflect.Map:
		return "map of string to string"
	case reflect.Slice:
		return "list of " + typeName(t.Elem()) + "s"
	case reflect.Struct:
		return "object"
	}
	return t.String()
}

func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
