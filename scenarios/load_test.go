package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const scenarioHead = "apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n"

// TestParseBadInput pins the exact one-line message for each kind of bad
// input: these lines are what CLI users read.
func TestParseBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"unknown top-level field", scenarioHead + "spek: {}\n",
			"bad.yaml:4:1: spek: unknown field; expected one of: apiVersion, kind, metadata, spec"},
		{"unknown field in a list entry", scenarioHead + "spec:\n  nodes:\n  - {name: a}\n  - {name: b, clok: {rate: 2}}\n",
			"bad.yaml:7:15: spec.nodes[1].clok: unknown field; expected one of: name, start, identity, clock, latency, elector, client, restart, jitter"},
		{"unknown field deep in a fault", scenarioHead + "spec:\n  faults:\n  - {type: latency, at: 1s, duration: 1s, response: {distribution: fixed, valeu: 1s}}\n",
			"bad.yaml:6:75: spec.faults[0].response.valeu: unknown field; expected one of: distribution, value, min, max, mean, stddev, median, sigma, scale, shape"},
		{"case variant of a known field", scenarioHead + "spec:\n  elector: {LeaseDuration: 20s}\n",
			"bad.yaml:5:13: spec.elector.LeaseDuration: unknown field; expected one of: variant, leaseDuration, renewDeadline, retryPeriod, releaseOnCancel, coordinated, callbackDelay"},
		{"duplicate key", scenarioHead + "spec:\n  seed: 1\n  seed: 2\n",
			"bad.yaml:6:3: spec.seed: duplicate key; expected each key at most once in a mapping"},
		{"duplicate key in a list entry", scenarioHead + "spec:\n  nodes:\n  - name: a\n    start: 1s\n    start: 2s\n",
			"bad.yaml:8:5: spec.nodes[0].start: duplicate key; expected each key at most once in a mapping"},
		{"malformed duration", scenarioHead + "spec:\n  duration: 10 minutes\n",
			`bad.yaml:5:13: spec.duration: invalid duration "10 minutes"; expected a Go duration such as 90s or 10m`},
		{"bare number for a duration", scenarioHead + "spec:\n  faults:\n  - {type: stop, at: 30, nodes: [a]}\n",
			"bad.yaml:6:22: spec.faults[0].at: invalid duration 30; expected a Go duration such as 90s or 10m"},
		{"mapping for a duration", scenarioHead + "spec:\n  duration: {minutes: 10}\n",
			"bad.yaml:5:13: spec.duration: got a mapping; expected a Go duration such as 90s or 10m"},
		{"string for a number", scenarioHead + "spec:\n  nodes: [{name: a, clock: {rate: fast}}]\n",
			`bad.yaml:5:35: spec.nodes[0].clock.rate: got "fast"; expected a number`},
		{"negative seed", scenarioHead + "spec:\n  seed: -1\n",
			"bad.yaml:5:9: spec.seed: got -1; expected an integer from 0 to 18446744073709551615"},
		{"infinite rate", scenarioHead + "spec:\n  nodes: [{name: a, clock: {rate: .inf}}]\n",
			"bad.yaml:5:35: spec.nodes[0].clock.rate: got +Inf; expected a finite number"},
		{"YAML boolean for a string", scenarioHead + "spec:\n  nodes: [{name: no}]\n",
			"bad.yaml:5:18: spec.nodes[0].name: got boolean false; expected a string (YAML reads unquoted y, n, yes, no, on and off as booleans: quote the value)"},
		{"scalar for an object", scenarioHead + "spec:\n  nodes: [a, b]\n",
			`bad.yaml:5:11: spec.nodes[0]: got "a"; expected a mapping with fields: name, start, identity, clock, latency, elector, client, restart, jitter (and 1 more)`},
		{"negative rate", scenarioHead + "spec:\n  nodes: [{name: a, clock: {rate: -1}}]\n",
			"bad.yaml: spec.nodes[0].clock.rate: rate -1 is out of range; expected local seconds per true second from 0.001 to 1000, such as 1 or 1.2"},
		{"zero clockRate fault", scenarioHead + "spec:\n  faults: [{type: clockRate, at: 1m, nodes: [b], rate: 0}]\n",
			"bad.yaml: spec.faults[0].rate: rate 0 is out of range; expected local seconds per true second from 0.001 to 1000, such as 1 or 1.2"},
		{"LD <= RD", scenarioHead + "spec:\n  elector: {leaseDuration: 10s}\n",
			"bad.yaml: spec.elector.leaseDuration: leaseDuration must be greater than renewDeadline; expected more than renewDeadline (10s, the default), got 10s"},
		{"LD <= RD, both written", scenarioHead + "spec:\n  elector: {leaseDuration: 10s, renewDeadline: 12s, retryPeriod: 2s}\n",
			"bad.yaml: spec.elector.leaseDuration: leaseDuration must be greater than renewDeadline; expected more than renewDeadline (12s), got 10s"},
		{"LD <= RD through a node override", scenarioHead + "spec:\n  nodes: [{name: a}, {name: b, elector: {renewDeadline: 20s}}]\n",
			"bad.yaml: spec.nodes[1].elector.renewDeadline: leaseDuration must be greater than renewDeadline; expected less than leaseDuration (15s, the default), got 20s"},
		{"LD <= RD against an inherited value", scenarioHead + "spec:\n  elector: {leaseDuration: 30s, renewDeadline: 20s}\n  nodes: [{name: a, elector: {leaseDuration: 20s}}]\n",
			"bad.yaml: spec.nodes[0].elector.leaseDuration: leaseDuration must be greater than renewDeadline; expected more than renewDeadline (20s, from spec.elector), got 20s"},
		{"RD <= 1.2*RP", scenarioHead + "spec:\n  elector: {retryPeriod: 9s}\n",
			"bad.yaml: spec.elector.retryPeriod: renewDeadline must be greater than retryPeriod*JitterFactor; expected retryPeriod*1.2 less than renewDeadline (10s, the default), got 9s (*1.2 = 10.8s)"},
		{"RD == 1.2*RP", scenarioHead + "spec:\n  elector: {leaseDuration: 15s, renewDeadline: 2.4s, retryPeriod: 2s}\n",
			"bad.yaml: spec.elector.renewDeadline: renewDeadline must be greater than retryPeriod*JitterFactor; expected more than retryPeriod*1.2 = 2.4s (retryPeriod 2s), got 2.4s"},
		{"negative retryPeriod", scenarioHead + "spec:\n  elector: {retryPeriod: -1s}\n",
			"bad.yaml: spec.elector.retryPeriod: retryPeriod must be greater than zero; expected more than 0s, got -1s"},
		{"coordinated with the seed variant", scenarioHead + "spec:\n  elector: {variant: seed, coordinated: true}\n",
			"bad.yaml: spec.elector.coordinated: coordinated leader election does not exist in variant seed; expected coordinated false or variant v0.37"},
		{"unsupported variant", scenarioHead + "spec:\n  nodes: [{name: a, elector: {variant: v0.38}}]\n",
			`bad.yaml: spec.nodes[0].elector.variant: unsupported value "v0.38"; expected one of: "seed", "v0.37"`},
		{"unknown node in a fault", scenarioHead + "spec:\n  faults: [{type: crash, at: 1m, nodes: [a, d]}]\n",
			`bad.yaml: spec.faults[0].nodes[1]: "d" not found; expected one of the nodes: "a", "b", "c"`},
		{"window past the end", scenarioHead + "spec:\n  duration: 10m\n  faults: [{type: pause, at: 9m, duration: 2m, nodes: [a]}]\n",
			"bad.yaml: spec.faults[0].duration: the window 9m + 2m ends after the end of the run; expected at + duration at most spec.duration (10m)"},
		{"fault after the end", scenarioHead + "spec:\n  faults: [{type: stop, at: 11m, nodes: [a]}]\n",
			"bad.yaml: spec.faults[0].at: at 11m is after the end of the run; expected at most spec.duration (10m)"},
		{"negative fault time", scenarioHead + "spec:\n  faults: [{type: stop, at: -1s, nodes: [a]}]\n",
			"bad.yaml: spec.faults[0].at: -1s is negative; expected a time from 0s to spec.duration (10m)"},
		{"window of zero", scenarioHead + "spec:\n  faults: [{type: apiOutage, at: 1m, duration: 0s, mode: hang}]\n",
			"bad.yaml: spec.faults[0].duration: 0s is not positive; expected a duration greater than 0s"},
		{"partition without mode", scenarioHead + "spec:\n  faults: [{type: partition, at: 1m, duration: 10s, nodes: [a]}]\n",
			`bad.yaml: spec.faults[0].mode: required field missing; expected one of: "drop-requests", "drop-responses", "refuse"`},
		{"outage with a partition mode", scenarioHead + "spec:\n  faults: [{type: apiOutage, at: 1m, duration: 10s, mode: drop-requests}]\n",
			`bad.yaml: spec.faults[0].mode: unsupported value "drop-requests"; expected one of: "refuse", "hang"`},
		{"field a fault type does not take", scenarioHead + "spec:\n  faults: [{type: crash, at: 1m, duration: 20s, nodes: [a]}]\n",
			"bad.yaml: spec.faults[0].duration: duration is not used by crash faults; expected only: type, at, nodes, restartAfter"},
		{"negative restartAfter", scenarioHead + "spec:\n  faults: [{type: crash, at: 1m, nodes: [a], restartAfter: -5s}]\n",
			"bad.yaml: spec.faults[0].restartAfter: -5s is negative; expected 0s or more"},
		{"clockJump without jump", scenarioHead + "spec:\n  faults: [{type: clockJump, at: 1m, nodes: [a]}]\n",
			"bad.yaml: spec.faults[0].jump: required field missing; expected the wall-clock step, such as 30s or -10m"},
		{"unknown fault type", scenarioHead + "spec:\n  faults: [{type: meteor, at: 1m}]\n",
			`bad.yaml: spec.faults[0].type: unsupported value "meteor"; expected one of: "partition", "crash", "pause", "stop", "clockRate", "clockJump", "apiOutage", "latency", "staleReads"`},
		{"latency fault with no direction", scenarioHead + "spec:\n  faults: [{type: latency, at: 1m, duration: 1s}]\n",
			"bad.yaml: spec.faults[0].response: required field missing; expected a distribution for request and/or response latency"},
		{"bad distribution bounds", scenarioHead + "spec:\n  api: {latency: {request: {distribution: uniform, min: 20ms, max: 1ms}}}\n",
			"bad.yaml: spec.api.latency.request.max: max 1ms is less than min 20ms; expected max >= min"},
		{"unknown distribution", scenarioHead + "spec:\n  api: {serviceTime: {distribution: gamma, mean: 1ms}}\n",
			`bad.yaml: spec.api.serviceTime.distribution: unsupported value "gamma"; expected one of: "fixed", "uniform", "exponential", "normal", "lognormal", "pareto"`},
		{"parameter of another family", scenarioHead + "spec:\n  api: {latency: {response: {distribution: fixed, value: 1ms, mean: 2ms}}}\n",
			"bad.yaml: spec.api.latency.response.mean: mean is not a parameter of the fixed distribution; expected only: value, max"},
		{"missing parameter", scenarioHead + "spec:\n  nodes: [{name: a, latency: {response: {distribution: pareto, scale: 1ms}}}]\n",
			"bad.yaml: spec.nodes[0].latency.response.shape: required field missing; expected a number greater than 0 (the tail index)"},
		{"negative stddev", scenarioHead + "spec:\n  api: {latency: {response: {distribution: normal, mean: 5ms, stddev: -1ms}}}\n",
			"bad.yaml: spec.api.latency.response.stddev: -1ms is negative; expected 0s or more"},
		{"probability above 1", scenarioHead + "spec:\n  api: {errors: [{op: update, kind: conflict, probability: 1.5}]}\n",
			"bad.yaml: spec.api.errors[0].probability: probability 1.5 is outside [0, 1]; expected a probability from 0 to 1"},
		{"retryAfter on another kind", scenarioHead + "spec:\n  api: {errors: [{op: any, kind: internal, probability: 0.1, retryAfter: 1s}]}\n",
			"bad.yaml: spec.api.errors[0].retryAfter: retryAfter comes only with tooManyRequests errors; expected no retryAfter for kind internal"},
		{"sub-second retryAfter", scenarioHead + "spec:\n  api: {errors: [{op: any, kind: tooManyRequests, probability: 0.1, retryAfter: 500ms}]}\n",
			"bad.yaml: spec.api.errors[0].retryAfter: 500ms is not a whole number of seconds; expected whole seconds, which is what a Retry-After header carries"},
		{"duplicate node", scenarioHead + "spec:\n  nodes: [{name: a}, {name: a}]\n",
			`bad.yaml: spec.nodes[1].name: duplicate value "a"; expected each node name once`},
		{"node name not a DNS label", scenarioHead + "spec:\n  nodes: [{name: Node_1}]\n",
			`bad.yaml: spec.nodes[0].name: invalid node name "Node_1"; expected a DNS label: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`},
		{"node starting after the end", scenarioHead + "spec:\n  duration: 1m\n  nodes: [{name: a, start: 2m}]\n",
			"bad.yaml: spec.nodes[0].start: start 2m is after the end of the run; expected at most spec.duration (1m)"},
		{"rate schedule out of order", scenarioHead + "spec:\n  nodes: [{name: a, clock: {schedule: [{at: 2m, rate: 1.1}, {at: 1m, rate: 1.2}]}}]\n",
			"bad.yaml: spec.nodes[0].clock.schedule[1].at: at 1m is not after the previous change (2m); expected rate changes in increasing time order"},
		{"restart policy", scenarioHead + "spec:\n  restart: {policy: OnFailure}\n",
			`bad.yaml: spec.restart.policy: unsupported value "OnFailure"; expected one of: "Always", "Never"`},
		{"unsafe writes with no workload", scenarioHead + "spec:\n  expect: {maxUnsafeWrites: 0}\n",
			"bad.yaml: spec.expect.maxUnsafeWrites: unsafe writes exist only with a workload; expected spec.workload to be set"},
		{"zero duration", scenarioHead + "spec:\n  duration: 0s\n",
			"bad.yaml: spec.duration: 0s is not positive; expected a duration greater than 0s"},
		{"wrong kind", "apiVersion: lesim.dev/v1alpha1\nkind: Pod\n",
			`bad.yaml: kind: unsupported value "Pod"; expected one of: "Scenario"`},
		{"wrong apiVersion", "apiVersion: lesim.dev/v1\nkind: Scenario\n",
			`bad.yaml: apiVersion: unsupported value "lesim.dev/v1"; expected one of: "lesim.dev/v1alpha1"`},
		{"missing apiVersion and kind", "spec: {}\n",
			`bad.yaml: apiVersion: required field missing; expected "lesim.dev/v1alpha1" (and 1 more)`},
		{"several problems", scenarioHead + "spec:\n  duration: -1m\n  nodes: [{name: a, start: -1s}]\n  faults: [{type: stop, at: 1m, nodes: [z]}]\n",
			"bad.yaml: spec.duration: -1m is not positive; expected a duration greater than 0s (and 3 more)"},
		{"not a mapping", "- a\n- b\n",
			"bad.yaml:1:1: got a list; expected a mapping with fields: apiVersion, kind, metadata, spec"},
		{"YAML syntax", scenarioHead + "spec: {nodes: [\n",
			"bad.yaml: line 4: did not find expected node content; expected a YAML Scenario"},
		{"two documents", scenarioHead + "---\n---\n" + scenarioHead,
			"bad.yaml: more than one YAML document; expected exactly one Scenario per file"},
		{"annotation value with a line separator", "apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nmetadata: {annotations: {lesim.dev/description: \"a\\u2028b\"}}\n",
			"bad.yaml: metadata.annotations[lesim.dev/description]: the value holds U+2028; expected text without control characters other than newline and tab"},
		{"annotation key", "apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nmetadata: {annotations: {lesim dev: x}}\n",
			`bad.yaml: metadata.annotations[lesim dev]: invalid annotation key "lesim dev"; expected a qualified name such as lesim.dev/description`},
		{"scenario name", "apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: My_Scenario}\n",
			`bad.yaml: metadata.name: invalid name "My_Scenario"; expected lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (a Kubernetes object name)`},
		{"control characters in a key", scenarioHead + "spec: {\"a\\nb\": 1}\n",
			`bad.yaml:4:8: spec."a\nb": unknown field; expected one of: seed, duration, elector, client, api, restart, nodes, faults, workload, expect, choices`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("bad.yaml", []byte(tc.in))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tc.in)
			}
			if s != nil {
				t.Errorf("Parse returned a scenario with an error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("message:\n got: %s\nwant: %s", got, tc.want)
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error is %T, want *LoadError", err)
			}
			if le.File != "bad.yaml" {
				t.Errorf("File = %q", le.File)
			}
			if le.Err == nil && len(le.Errors) == 0 {
				t.Errorf("LoadError has neither Err nor Errors")
			}
		})
	}
}

func TestLoadErrorExposesEveryProblem(t *testing.T) {
	_, err := Parse("x.yaml", []byte(scenarioHead+"spec:\n  duration: -1m\n  nodes: [{name: a, start: -1s}]\n  faults: [{type: stop, at: 1m, nodes: [z]}]\n"))
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("got %v", err)
	}
	var got []string
	for _, e := range le.Errors {
		got = append(got, e.Type.String()+" "+e.Field)
	}
	want := []string{
		"Invalid value spec.duration",
		"Invalid value spec.nodes[0].start",
		"Invalid value spec.faults[0].at",
		"Not found spec.faults[0].nodes[0]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	// field.Error keeps the Kubernetes rendering for code that aggregates.
	if s := le.Errors.ToAggregate().Error(); !strings.Contains(s, "spec.faults[0].nodes[0]: Not found: \"z\"") {
		t.Errorf("aggregate: %s", s)
	}
}

func TestParseTolerates(t *testing.T) {
	for name, in := range map[string]string{
		"a document start":            "---\n" + scenarioHead,
		"a document end":              scenarioHead + "...\n",
		"a trailing empty document":   scenarioHead + "---\n# nothing more\n",
		"comments and flow style":     "# c\n{apiVersion: lesim.dev/v1alpha1, kind: Scenario} # c\n",
		"anchors and aliases":         scenarioHead + "spec:\n  api:\n    latency:\n      request: &l {distribution: fixed, value: 1ms}\n      response: *l\n",
		"null for an optional object": scenarioHead + "spec:\n  workload:\n  nodes: [{name: a, elector: ~}]\n",
	} {
		if _, err := Parse("ok.yaml", []byte(in)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(file, []byte(scenarioHead+"spec:\n  seed: 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if s.Seed() != 7 || s.Metadata.Name != "t" {
		t.Errorf("loaded %+v", s)
	}

	missing := filepath.Join(dir, "missing.yaml")
	_, err = Load(missing)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
	if want := missing + ": cannot read the file: no such file or directory; expected a readable scenario file"; err.Error() != want {
		t.Errorf("message:\n got: %s\nwant: %s", err, want)
	}
}

// TestParseExample reads every field of the schema's worked example.
func TestParseExample(t *testing.T) {
	s, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Seed() != 42 || len(s.Spec.Nodes) != 3 || len(s.Spec.Faults) != 9 {
		t.Fatalf("parsed %+v", s.Spec)
	}
	if got := s.NodeClock(1); got.Rate != 1.2 || got.Offset.String() != "30s" {
		t.Errorf("node b clock %+v", got)
	}
	if got := s.NodeLatency(2).Response.Value.Duration.String(); got != "9s" {
		t.Errorf("node c response latency %s", got)
	}
	if got := s.NodeIdentity(2); got != IdentityStable {
		t.Errorf("node c identity %s", got)
	}
	if got := s.Spec.Faults[5].Jump.Duration.String(); got != "-10m0s" {
		t.Errorf("jump %s", got)
	}
	if *s.Spec.Expect.MaxOverlap != (*Dur(0)) || s.Spec.Expect.MaxLeaderless.Duration.String() != "1m0s" {
		t.Errorf("expect %+v", s.Spec.Expect)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	s, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("out.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if diff := cmp.Diff(s, back); diff != "" {
		t.Errorf("round trip (-before +after):\n%s", diff)
	}
}

func TestClone(t *testing.T) {
	s, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := s.Clone()
	if diff := cmp.Diff(s, c); diff != "" {
		t.Fatalf("clone differs:\n%s", diff)
	}
	// Change everything reachable through a pointer, slice or map in the
	// copy: the original must not move.
	*c.Spec.Seed = 9
	c.Spec.Elector.LeaseDuration.Duration = 1
	*c.Spec.API.Errors[0].Probability = 0.5
	c.Spec.API.Latency.Request.Min.Duration = 7
	c.Spec.Nodes[1].Elector.LeaseDuration.Duration = 2
	*c.Spec.Nodes[1].Clock.Rate = 3
	c.Spec.Faults[0].Nodes[0] = "z"
	c.Spec.Faults[7].Response.Value.Duration = 4
	c.Metadata.Annotations = map[string]string{"k": "v"}
	fresh, _ := Load("testdata/example.yaml")
	if diff := cmp.Diff(fresh, s); diff != "" {
		t.Errorf("modifying the clone changed the original:\n%s", diff)
	}
	if (*Scenario)(nil).Clone() != nil {
		t.Errorf("nil clone")
	}
}

func TestMessageForEveryErrorType(t *testing.T) {
	p := field.NewPath("spec", "x")
	for _, tc := range []struct {
		err  *field.Error
		want string
	}{
		{field.Required(p, "a duration"), "spec.x: required field missing; expected a duration"},
		{field.NotSupported(p, "q", []string{"a", "b"}), `spec.x: unsupported value "q"; expected one of: "a", "b"`},
		{withDetail(field.Duplicate(p, 3), "each once"), "spec.x: duplicate value 3; expected each once"},
		{withDetail(field.NotFound(p, "n"), "one of: m"), `spec.x: "n" not found; expected one of: m`},
		{field.Invalid(p, 1, "bad; expected good"), "spec.x: bad; expected good"},
		{field.TooMany(p, 3, 2), "spec.x: Too many: 3: must have at most 2 items"},
	} {
		if got := Message(tc.err); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

// TestParsePositions: each structural check names the line and column of
// the node at fault, also deep in lists and through aliases.
func TestParsePositions(t *testing.T) {
	// Each node merges nine copies of the one before: node k stands for
	// 9^k mappings.
	bomb := scenarioHead + "spec:\n  nodes:\n  - &x0 {name: a}\n"
	for i := 1; i <= 9; i++ {
		bomb += fmt.Sprintf("  - &x%d {<<: [%s*x%d]}\n", i, strings.Repeat(fmt.Sprintf("*x%d, ", i-1), 8), i-1)
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"duplicate key deep in a list", scenarioHead + "spec:\n  nodes:\n  - name: a\n  - name: b\n    clock:\n      schedule:\n      - at: 1m\n        rate: 1.1\n        at: 2m\n",
			"bad.yaml:12:9: spec.nodes[1].clock.schedule[0].at: duplicate key; expected each key at most once in a mapping"},
		{"duplicate annotation", scenarioHead[:len(scenarioHead)-len("metadata: {name: t}\n")] + "metadata:\n  annotations:\n    k: a\n    k: b\n",
			"bad.yaml:6:5: metadata.annotations.k: duplicate key; expected each key at most once in a mapping"},
		{"unknown field", scenarioHead + "spec:\n  nodes:\n  - name: a\n  - name: b\n    clock:\n      rat: 2\n",
			"bad.yaml:9:7: spec.nodes[1].clock.rat: unknown field; expected one of: rate, offset, schedule, rateBand"},
		{"wrong type", scenarioHead + "spec:\n  nodes:\n  - name: a\n    restart: {policy: [Always]}\n",
			"bad.yaml:7:23: spec.nodes[0].restart.policy: got a list; expected a string"},
		{"wrong type through an alias", scenarioHead + "spec:\n  nodes:\n  - {name: &s x, start: *s}\n",
			`bad.yaml:6:12: spec.nodes[0].start: invalid duration "x"; expected a Go duration such as 90s or 10m`},
		{"key that is not a string", scenarioHead[:len(scenarioHead)-len("metadata: {name: t}\n")] + "metadata: {annotations: {1: x}}\n",
			"bad.yaml:3:26: metadata.annotations[1]: got key 1; expected a string key (quote it)"},
		{"merge of a scalar", scenarioHead + "spec:\n  elector: {<<: 3}\n",
			`bad.yaml:5:17: spec.elector."<<": got 3 to merge; expected a mapping or a list of mappings`},
		{"unknown field brought by a merge", scenarioHead + "spec:\n  api: &a {errors: []}\n  elector: {<<: *a}\n",
			"bad.yaml:5:12: spec.elector.errors: unknown field; expected one of: variant, leaseDuration, renewDeadline, retryPeriod, releaseOnCancel, coordinated, callbackDelay"},
		{"value its tag does not allow", scenarioHead + "spec: {seed: !!int abc}\n",
			"bad.yaml:4:14: spec.seed: cannot decode !!str `abc` as a !!int; expected a YAML Scenario"},
		{"alias bomb", bomb,
			fmt.Sprintf("bad.yaml:10:20: spec.nodes[4]: aliases expand the document to more than %d values; expected at most %d (two per byte of the file, plus 1000)", aliasBudget(len(bomb)), aliasBudget(len(bomb)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.in))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tc.in)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("message:\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// TestParseYAMLSemantics pins how values read: YAML 1.1 booleans as
// sigs.k8s.io/yaml (and so kubectl) reads them, timestamps as strings,
// merge keys overridden by the keys written beside them.
func TestParseYAMLSemantics(t *testing.T) {
	s, err := Parse("ok.yaml", []byte(scenarioHead[:len(scenarioHead)-len("metadata: {name: t}\n")]+
		"metadata: {name: t, annotations: {lesim.dev/day: 2001-12-14, lesim.dev/q: 'no'}}\n"+
		"spec:\n  elector: &e {leaseDuration: 20s, renewDeadline: 12s, releaseOnCancel: yes}\n"+
		"  nodes:\n  - name: a\n    elector: {<<: *e, leaseDuration: 30s, releaseOnCancel: off}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Metadata.Annotations; got["lesim.dev/day"] != "2001-12-14" || got["lesim.dev/q"] != "no" {
		t.Errorf("annotations %q", got)
	}
	if e := s.Spec.Elector; e.ReleaseOnCancel == nil || !*e.ReleaseOnCancel {
		t.Errorf("releaseOnCancel: yes read as %v", e.ReleaseOnCancel)
	}
	n := s.Spec.Nodes[0].Elector
	if n.LeaseDuration.Duration != 30*time.Second || n.RenewDeadline.Duration != 12*time.Second || n.ReleaseOnCancel == nil || *n.ReleaseOnCancel {
		t.Errorf("merged elector %+v", n)
	}
}
