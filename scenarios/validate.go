package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/lesim/lesim/sim"
)

// Validate checks the scenario and returns every problem found, each at the
// path of the value that causes it, in the order of the file's structure.
// Default does not change whether a scenario is valid; before Default,
// messages can also say which compared values are defaults.
func (s *Scenario) Validate() field.ErrorList {
	if len(s.Spec.Nodes) == 0 {
		// Faults name the default nodes: judge them against those.
		withNodes := *s
		withNodes.Spec.Nodes = defaultNodes()
		s = &withNodes
	}
	v := &validator{s: s, runFor: s.Duration()}
	v.typeMeta()
	v.metadata()
	v.spec()
	return v.errs
}

type validator struct {
	s      *Scenario
	runFor time.Duration
	errs   field.ErrorList
}

func (v *validator) add(errs ...*field.Error) { v.errs = append(v.errs, errs...) }

func (v *validator) typeMeta() {
	check := func(name, got, want string) {
		p := field.NewPath(name)
		switch {
		case got == "":
			v.add(field.Required(p, strconv.Quote(want)))
		case got != want:
			v.add(field.NotSupported(p, got, []string{want}))
		}
	}
	check("apiVersion", v.s.APIVersion, APIVersion)
	check("kind", v.s.Kind, Kind)
}

func (v *validator) metadata() {
	p := field.NewPath("metadata")
	// Names end up in report file names and CLI arguments: the rules of
	// Kubernetes object names keep them safe there.
	if n := v.s.Metadata.Name; n != "" && len(validation.IsDNS1123Subdomain(n)) > 0 {
		v.add(field.Invalid(p.Child("name"), n, fmt.Sprintf("invalid name %s; expected lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (a Kubernetes object name)", clip(n))))
	}
	keys := make([]string, 0, len(v.s.Metadata.Annotations))
	for k := range v.s.Metadata.Annotations { //lesim:allow maprange: the keys are sorted below
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		kp := p.Child("annotations").Key(k)
		if len(validation.IsQualifiedName(k)) > 0 {
			v.add(field.Invalid(kp, k, fmt.Sprintf("invalid annotation key %q; expected a qualified name such as lesim.dev/description", k)))
		} else if r, bad := badText(v.s.Metadata.Annotations[k]); bad {
			v.add(field.Invalid(kp, v.s.Metadata.Annotations[k], fmt.Sprintf("the value holds %U; expected text without control characters other than newline and tab", r)))
		}
	}
}

// clip quotes a value for a message, cut to its first 63 characters when
// longer (a 100,000-character name is not echoed whole).
func clip(s string) string {
	const keep = 63
	if utf8.RuneCountInString(s) <= keep {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return fmt.Sprintf("%q (%d characters)", string(r[:keep])+"…", len(r))
}

// badText finds a character that would not survive a YAML round trip:
// invalid UTF-8, control characters (YAML folds NEL and a carriage return
// into line breaks) and the Unicode line and paragraph separators.
func badText(s string) (rune, bool) {
	if !utf8.ValidString(s) {
		return utf8.RuneError, true
	}
	for _, r := range s {
		if (unicode.IsControl(r) && r != '\n' && r != '\t') || r == '\u2028' || r == '\u2029' {
			return r, true
		}
	}
	return 0, false
}

func (v *validator) spec() {
	sp := &v.s.Spec
	p := field.NewPath("spec")
	if d := sp.Duration; d != nil && d.Duration <= 0 {
		v.add(notPositive(p.Child("duration"), d.Duration))
	} else if d != nil && d.Duration > maxDuration {
		v.add(field.Invalid(p.Child("duration"), fmtDur(d.Duration), fmt.Sprintf("%s is longer than any run can be; expected at most %s", fmtDur(d.Duration), fmtDur(maxDuration))))
	}
	v.elector(&sp.Elector, p.Child("elector"), v.s.SpecElector(), nil)
	v.client(&sp.Client, p.Child("client"))
	v.api(p.Child("api"))
	v.restart(&sp.Restart, p.Child("restart"))
	v.nodes(p.Child("nodes"))
	v.faults(p.Child("faults"))
	v.readings(p)
	v.workload(p.Child("workload"))
	v.expect(p.Child("expect"))
	v.choices(p.Child("choices"))
}

// elector checks the configuration e produces (merged) and reports each
// problem at the field of e that causes it. At node level (spec != nil) a
// problem that comes only from inherited values is left to the spec level,
// so that one mistake is reported once, where it was written.
func (v *validator) elector(e *Elector, p *field.Path, merged ElectorConfig, spec *Elector) {
	if e == nil {
		return
	}
	c := electorCheck{v: v, p: p, spec: spec, written: map[string]bool{
		"variant":       e.Variant != "",
		"leaseDuration": e.LeaseDuration != nil,
		"renewDeadline": e.RenewDeadline != nil,
		"retryPeriod":   e.RetryPeriod != nil,
		"coordinated":   e.Coordinated != nil,
	}}
	if c.written["variant"] && !contains(Variants(), e.Variant) {
		v.add(field.NotSupported(p.Child("variant"), string(e.Variant), Variants()))
	}
	c.timings(merged)
	c.coordinated(merged)
	if e.CallbackDelay != nil && e.CallbackDelay.Duration < 0 {
		v.add(negative(p.Child("callbackDelay"), e.CallbackDelay.Duration, "0s or more"))
	}
}

// electorCheck reports the problems of one elector block (at p; spec is
// the spec-level block when p is a node's) at the fields that cause them.
type electorCheck struct {
	v       *validator
	p       *field.Path
	spec    *Elector
	written map[string]bool // the fields written at this level
}

// blame picks the field to report a check on: the first involved one
// written at this level.
func (c electorCheck) blame(fields ...string) (string, bool) {
	for _, f := range fields {
		if c.written[f] {
			return f, true
		}
	}
	if c.spec == nil {
		return fields[0], true
	}
	return "", false
}

// other shows a value the message compares against, with where it
// comes from when that is not this level.
func (c electorCheck) other(name string, d time.Duration) string {
	switch {
	case c.written[name]:
		return fmtDur(d)
	case c.spec != nil && specWritten(c.spec, name):
		return fmtDur(d) + ", from spec.elector"
	default:
		return fmtDur(d) + ", the default"
	}
}

// timings are client-go's NewLeaderElector checks.
func (c electorCheck) timings(merged ElectorConfig) {
	ld, rd, rp := merged.LeaseDuration, merged.RenewDeadline, merged.RetryPeriod
	// client-go's NewLeaderElector checks, in its order, with its messages;
	// like it, only the first failure is reported.
	jittered := time.Duration(JitterFactor * float64(rp))
	switch {
	case ld <= rd:
		if f, ok := c.blame("leaseDuration", "renewDeadline"); ok {
			const msg = "leaseDuration must be greater than renewDeadline"
			if f == "leaseDuration" {
				c.v.add(field.Invalid(c.p.Child(f), fmtDur(ld), fmt.Sprintf("%s; expected more than renewDeadline (%s), got %s", msg, c.other("renewDeadline", rd), fmtDur(ld))))
			} else {
				c.v.add(field.Invalid(c.p.Child(f), fmtDur(rd), fmt.Sprintf("%s; expected less than leaseDuration (%s), got %s", msg, c.other("leaseDuration", ld), fmtDur(rd))))
			}
		}
	case rd <= jittered:
		if f, ok := c.blame("renewDeadline", "retryPeriod"); ok {
			const msg = "renewDeadline must be greater than retryPeriod*JitterFactor"
			if f == "renewDeadline" {
				c.v.add(field.Invalid(c.p.Child(f), fmtDur(rd), fmt.Sprintf("%s; expected more than retryPeriod*1.2 = %s (retryPeriod %s), got %s", msg, fmtDur(jittered), c.other("retryPeriod", rp), fmtDur(rd))))
			} else {
				c.v.add(field.Invalid(c.p.Child(f), fmtDur(rp), fmt.Sprintf("%s; expected retryPeriod*1.2 less than renewDeadline (%s), got %s (*1.2 = %s)", msg, c.other("renewDeadline", rd), fmtDur(rp), fmtDur(jittered))))
			}
		}
	case ld < 1:
		if f, ok := c.blame("leaseDuration"); ok {
			c.v.add(field.Invalid(c.p.Child(f), fmtDur(ld), fmt.Sprintf("leaseDuration must be greater than zero; expected more than 0s, got %s", fmtDur(ld))))
		}
	case rd < 1:
		if f, ok := c.blame("renewDeadline"); ok {
			c.v.add(field.Invalid(c.p.Child(f), fmtDur(rd), fmt.Sprintf("renewDeadline must be greater than zero; expected more than 0s, got %s", fmtDur(rd))))
		}
	case rp < 1:
		if f, ok := c.blame("retryPeriod"); ok {
			c.v.add(field.Invalid(c.p.Child(f), fmtDur(rp), fmt.Sprintf("retryPeriod must be greater than zero; expected more than 0s, got %s", fmtDur(rp))))
		}
	}
}

// coordinated: variant seed has no coordinated election.
func (c electorCheck) coordinated(merged ElectorConfig) {
	if merged.Coordinated && merged.Variant == VariantSeed {
		if f, ok := c.blame("coordinated", "variant"); ok {
			if f == "coordinated" {
				c.v.add(field.Invalid(c.p.Child(f), true, "coordinated leader election does not exist in variant seed; expected coordinated false or variant v0.37"))
			} else {
				c.v.add(field.Invalid(c.p.Child(f), string(merged.Variant), "variant seed has no coordinated leader election, which spec.elector.coordinated asks for; expected variant v0.37"))
			}
		}
	}
}

func specWritten(e *Elector, name string) bool {
	switch name {
	case "leaseDuration":
		return e.LeaseDuration != nil
	case "renewDeadline":
		return e.RenewDeadline != nil
	case "retryPeriod":
		return e.RetryPeriod != nil
	}
	return false
}

func (v *validator) client(c *Client, p *field.Path) {
	if c != nil && c.RequestTimeout != nil && c.RequestTimeout.Duration < 0 {
		v.add(negative(p.Child("requestTimeout"), c.RequestTimeout.Duration, "0s (no timeout) or more"))
	}
}

func (v *validator) api(p *field.Path) {
	a := &v.s.Spec.API
	v.latency(&a.Latency, p.Child("latency"))
	for i := range a.Errors {
		v.errorRule(&a.Errors[i], p.Child("errors").Index(i))
	}
	v.distribution(a.ServiceTime, p.Child("serviceTime"))
}

func (v *validator) latency(l *Latency, p *field.Path) {
	if l == nil {
		return
	}
	v.distribution(l.Request, p.Child("request"))
	v.distribution(l.Response, p.Child("response"))
}

func (v *validator) errorRule(r *ErrorRule, p *field.Path) {
	switch {
	case r.Op == "":
		v.add(field.Required(p.Child("op"), "one of: "+quoteAll(Ops())))
	case !contains(Ops(), r.Op):
		v.add(field.NotSupported(p.Child("op"), string(r.Op), Ops()))
	}
	switch {
	case r.Kind == "":
		v.add(field.Required(p.Child("kind"), "one of: "+quoteAll(ErrorKinds())))
	case !contains(ErrorKinds(), r.Kind):
		v.add(field.NotSupported(p.Child("kind"), string(r.Kind), ErrorKinds()))
	}
	switch {
	case r.Probability == nil:
		v.add(field.Required(p.Child("probability"), "a probability from 0 to 1"))
	case !(*r.Probability >= 0 && *r.Probability <= 1):
		v.add(field.Invalid(p.Child("probability"), *r.Probability, fmt.Sprintf("probability %v is outside [0, 1]; expected a probability from 0 to 1", *r.Probability)))
	}
	if r.RetryAfter != nil {
		switch {
		case r.Kind != ErrorTooManyRequests && r.Kind != "":
			v.add(field.Forbidden(p.Child("retryAfter"), fmt.Sprintf("retryAfter comes only with tooManyRequests errors; expected no retryAfter for kind %s", r.Kind)))
		case r.RetryAfter.Duration < 0:
			v.add(negative(p.Child("retryAfter"), r.RetryAfter.Duration, "0s or more"))
		case r.RetryAfter.Duration%time.Second != 0:
			// The Retry-After header carries whole seconds.
			v.add(field.Invalid(p.Child("retryAfter"), fmtDur(r.RetryAfter.Duration), fmt.Sprintf("%s is not a whole number of seconds; expected whole seconds, which is what a Retry-After header carries", fmtDur(r.RetryAfter.Duration))))
		}
	}
}

func (v *validator) restart(r *Restart, p *field.Path) {
	if r == nil {
		return
	}
	if r.Policy != "" && !contains(RestartPolicies(), r.Policy) {
		v.add(field.NotSupported(p.Child("policy"), string(r.Policy), RestartPolicies()))
	}
	if r.Delay != nil && r.Delay.Duration < 0 {
		v.add(negative(p.Child("delay"), r.Delay.Duration, "0s or more"))
	}
}

func (v *validator) nodes(p *field.Path) {
	seen := map[string]bool{}
	for i := range v.s.Spec.Nodes {
		n := &v.s.Spec.Nodes[i]
		np := p.Index(i)
		switch {
		case n.Name == "":
			v.add(field.Required(np.Child("name"), "a node name such as a or node-1"))
		case len(validation.IsDNS1123Label(n.Name)) > 0:
			// Names become lease holder identities and stream names:
			// a DNS label keeps them readable and free of separators.
			v.add(field.Invalid(np.Child("name"), n.Name, fmt.Sprintf("invalid node name %s; expected a DNS label: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit", clip(n.Name))))
		case seen[n.Name]:
			v.add(withDetail(field.Duplicate(np.Child("name"), n.Name), "each node name once"))
		}
		seen[n.Name] = true
		v.within(np.Child("start"), n.Start.Duration, "start")
		if n.Identity != "" && !contains(Identities(), n.Identity) {
			v.add(field.NotSupported(np.Child("identity"), string(n.Identity), Identities()))
		}
		v.clock(n.Clock, np.Child("clock"))
		v.latency(n.Latency, np.Child("latency"))
		if n.Elector != nil {
			v.elector(n.Elector, np.Child("elector"), v.s.NodeElector(i), &v.s.Spec.Elector)
		}
		v.client(n.Client, np.Child("client"))
		v.restart(n.Restart, np.Child("restart"))
		v.jitter(i, np)
	}
}

func (v *validator) clock(c *Clock, p *field.Path) {
	if c == nil {
		return
	}
	if c.Rate != nil {
		v.rate(p.Child("rate"), *c.Rate)
	}
	v.rateBand(c, p)
	for j, r := range c.Schedule {
		rp := p.Child("schedule").Index(j)
		if v.within(rp.Child("at"), r.At.Duration, "at") && j > 0 && r.At.Duration <= c.Schedule[j-1].At.Duration {
			v.add(field.Invalid(rp.Child("at"), fmtDur(r.At.Duration), fmt.Sprintf("at %s is not after the previous change (%s); expected rate changes in increasing time order", fmtDur(r.At.Duration), fmtDur(c.Schedule[j-1].At.Duration))))
		}
		if r.Rate == nil {
			v.add(field.Required(rp.Child("rate"), "a clock rate greater than 0"))
		} else {
			v.rate(rp.Child("rate"), *r.Rate)
		}
	}
}

func (v *validator) rate(p *field.Path, r float64) {
	if sim.CheckRate(r) != nil {
		v.add(field.Invalid(p, r, fmt.Sprintf("rate %v is out of range; expected local seconds per true second from %v to %v, such as 1 or 1.2", r, sim.MinRate, sim.MaxRate)))
	}
}

// within checks that a true time lies inside the run, [0, spec.duration].
func (v *validator) within(p *field.Path, t time.Duration, name string) bool {
	switch {
	case t < 0:
		v.add(negative(p, t, "a time from 0s to spec.duration ("+fmtDur(v.runFor)+")"))
	case t > v.runFor:
		v.add(field.Invalid(p, fmtDur(t), fmt.Sprintf("%s %s is after the end of the run; expected at most spec.duration (%s)", name, fmtDur(t), fmtDur(v.runFor))))
	default:
		return true
	}
	return false
}

// faultFields says which optional fields each fault type uses; required
// ones are checked in fault.
var faultFields = map[FaultType][]string{
	FaultPartition:  {"duration", "nodes", "mode"},
	FaultCrash:      {"nodes", "restartAfter"},
	FaultPause:      {"duration", "nodes"},
	FaultStop:       {"nodes"},
	FaultClockRate:  {"nodes", "rate"},
	FaultClockJump:  {"nodes", "jump"},
	FaultAPIOutage:  {"duration", "mode"},
	FaultLatency:    {"duration", "nodes", "request", "response"},
	FaultStaleReads: {"duration", "nodes", "maxLag"},
}

func (v *validator) faults(p *field.Path) {
	for i := range v.s.Spec.Faults {
		v.fault(&v.s.Spec.Faults[i], p.Index(i))
	}
}

func (v *validator) fault(f *Fault, p *field.Path) {
	switch {
	case f.Type == "":
		v.add(field.Required(p.Child("type"), "one of: "+quoteAll(FaultTypes())))
		return
	case !contains(FaultTypes(), f.Type):
		v.add(field.NotSupported(p.Child("type"), string(f.Type), FaultTypes()))
		return
	}
	uses := faultFields[f.Type]
	v.faultUnused(f, p, uses)
	v.faultWindow(f, p, uses)
	v.faultRanges(f, p, containsString(uses, "duration"))
	// Faults that act on processes or clocks need to know whose; the
	// network-wide ones take nodes as an optional filter.
	switch f.Type {
	case FaultLatency, FaultStaleReads, FaultAPIOutage:
	default:
		if len(f.Nodes) == 0 {
			v.add(field.Required(p.Child("nodes"), "a list of the names of the nodes it hits"))
		}
	}
	if containsString(uses, "nodes") {
		v.faultNodes(f.Nodes, p.Child("nodes"))
	}
	v.faultSettings(f, p)
}

// faultUnused reports the fields written that faults of f's type do not use.
func (v *validator) faultUnused(f *Fault, p *field.Path, uses []string) {
	present := map[string]bool{
		"duration":     f.Duration != nil,
		"nodes":        len(f.Nodes) > 0,
		"mode":         f.Mode != "",
		"restartAfter": f.RestartAfter != nil,
		"rate":         f.Rate != nil,
		"jump":         f.Jump != nil,
		"request":      f.Request != nil,
		"response":     f.Response != nil,
		"maxLag":       f.MaxLag != nil,
	}
	for _, name := range faultJSONFields {
		if name.name == "type" || name.name == "at" {
			continue
		}
		if present[name.name] && !containsString(uses, name.name) {
			v.add(field.Forbidden(p.Child(name.name), fmt.Sprintf("%s is not used by %s faults; expected only: type, at, %s", name.name, f.Type, strings.Join(uses, ", "))))
		}
	}
}

// faultWindow checks when the fault happens and, for faults with a window,
// that it ends within the run.
func (v *validator) faultWindow(f *Fault, p *field.Path, uses []string) {
	atOK := v.within(p.Child("at"), f.At.Duration, "at")
	if containsString(uses, "duration") {
		switch d := f.Duration; {
		case d == nil:
			v.add(field.Required(p.Child("duration"), "a duration greater than 0s: the fault's window"))
		case d.Duration <= 0:
			v.add(notPositive(p.Child("duration"), d.Duration))
		case atOK && d.Duration > v.runFor-f.At.Duration:
			// Compared as a difference: at + duration may overflow.
			v.add(field.Invalid(p.Child("duration"), fmtDur(d.Duration), fmt.Sprintf("the window %s + %s ends after the end of the run; expected at + duration at most spec.duration (%s)", fmtDur(f.At.Duration), fmtDur(d.Duration), fmtDur(v.runFor))))
		}
	}
}

// faultSettings checks the settings of f's type.
func (v *validator) faultSettings(f *Fault, p *field.Path) {
	switch f.Type {
	case FaultPartition:
		v.mode(f.Mode, p.Child("mode"), PartitionModes())
	case FaultAPIOutage:
		v.mode(f.Mode, p.Child("mode"), OutageModes())
	case FaultCrash:
		if f.RestartAfter != nil && f.RestartAfter.Duration < 0 {
			v.add(negative(p.Child("restartAfter"), f.RestartAfter.Duration, "0s or more"))
		}
	case FaultClockRate:
		if f.Rate == nil {
			v.add(field.Required(p.Child("rate"), "the new clock rate, a number greater than 0"))
		} else {
			v.rate(p.Child("rate"), *f.Rate)
		}
	case FaultClockJump:
		if f.Jump == nil {
			v.add(field.Required(p.Child("jump"), "the wall-clock step, such as 30s or -10m"))
		}
	case FaultLatency:
		if f.Request == nil && f.Response == nil {
			v.add(field.Required(p.Child("response"), "a distribution for request and/or response latency"))
		}
		v.distribution(f.Request, p.Child("request"))
		v.distribution(f.Response, p.Child("response"))
	case FaultStaleReads:
		switch {
		case f.MaxLag == nil:
			v.add(field.Required(p.Child("maxLag"), "a duration greater than 0s: how far behind the store reads may be"))
		case f.MaxLag.Duration <= 0:
			v.add(notPositive(p.Child("maxLag"), f.MaxLag.Duration))
		}
	}
}

var faultType = reflect.TypeFor[Fault]()

// faultJSONFields are Fault's fields, read once: a scenario may have
// thousands of faults.
var faultJSONFields = jsonFields(faultType)

func (v *validator) faultNodes(names []string, p *field.Path) {
	seen := map[string]bool{}
	for j, name := range names {
		switch {
		case v.s.NodeIndex(name) < 0:
			v.add(withDetail(field.NotFound(p.Index(j), name), "one of the nodes: "+v.nodeList()))
		case seen[name]:
			v.add(withDetail(field.Duplicate(p.Index(j), name), "each node at most once per fault"))
		}
		seen[name] = true
	}
}

// nodeList names the nodes for a message, abridged for large herds.
func (v *validator) nodeList() string {
	const show = 8
	var names []string
	for i, n := range v.s.Spec.Nodes {
		if i == show {
			names = append(names, fmt.Sprintf("... (%d in all)", len(v.s.Spec.Nodes)))
			break
		}
		names = append(names, strconv.Quote(n.Name))
	}
	return strings.Join(names, ", ")
}

func (v *validator) mode(m FaultMode, p *field.Path, allowed []FaultMode) {
	switch {
	case m == "":
		v.add(field.Required(p, "one of: "+quoteAll(allowed)))
	case !contains(allowed, m):
		v.add(field.NotSupported(p, string(m), allowed))
	}
}

func (v *validator) workload(p *field.Path) {
	w := v.s.Spec.Workload
	if w == nil {
		return
	}
	if w.Period != nil && w.Period.Duration <= 0 {
		v.add(notPositive(p.Child("period"), w.Period.Duration))
	}
	if w.Drain.Duration < 0 {
		v.add(negative(p.Child("drain"), w.Drain.Duration, "0s or more"))
	}
}

func (v *validator) expect(p *field.Path) {
	e := &v.s.Spec.Expect
	for _, d := range []struct {
		name string
		val  *metav1.Duration
	}{{"maxTimeToFirstLeader", e.MaxTimeToFirstLeader}, {"maxRecovery", e.MaxRecovery}, {"maxOverlap", e.MaxOverlap}, {"maxLeaderless", e.MaxLeaderless}, {"maxFailover", e.MaxFailover}} {
		if d.val != nil && d.val.Duration < 0 {
			v.add(negative(p.Child(d.name), d.val.Duration, "0s or more"))
		}
	}
	for _, c := range []struct {
		name string
		val  *int
	}{{"maxSpuriousTransitions", e.MaxSpuriousTransitions}, {"maxUnsafeWrites", e.MaxUnsafeWrites}} {
		if c.val != nil && *c.val < 0 {
			v.add(field.Invalid(p.Child(c.name), *c.val, fmt.Sprintf("%s %d is negative; expected a count of 0 or more", c.name, *c.val)))
		}
	}
	if e.MaxUnsafeWrites != nil && v.s.Spec.Workload == nil {
		v.add(field.Forbidden(p.Child("maxUnsafeWrites"), "unsafe writes exist only with a workload; expected spec.workload to be set"))
	}
}

// distribution checks a distribution's family and that exactly the
// parameters of that family are given, with valid values.
func (v *validator) distribution(d *Distribution, p *field.Path) {
	if d == nil {
		return
	}
	switch {
	case d.Type == "":
		v.add(field.Required(p.Child("distribution"), "one of: "+quoteAll(DistributionTypes())))
		return
	case !contains(DistributionTypes(), d.Type):
		v.add(field.NotSupported(p.Child("distribution"), string(d.Type), DistributionTypes()))
		return
	}
	durs := map[string]*metav1.Duration{"value": d.Value, "min": d.Min, "max": d.Max, "mean": d.Mean, "stddev": d.Stddev, "median": d.Median, "scale": d.Scale}
	nums := map[string]*float64{"sigma": d.Sigma, "shape": d.Shape}
	params := distributionParams[d.Type]
	for _, f := range jsonFields(distributionType) {
		if f.name == "distribution" || f.name == "max" || containsString(params, f.name) {
			continue
		}
		if durs[f.name] != nil || nums[f.name] != nil {
			v.add(field.Forbidden(p.Child(f.name), fmt.Sprintf("%s is not a parameter of the %s distribution; expected only: %s", f.name, d.Type, strings.Join(withMax(params), ", "))))
		}
	}
	for _, name := range params {
		if durs[name] == nil && nums[name] == nil {
			v.add(field.Required(p.Child(name), distributionParamDoc[name]))
		}
	}
	nonNegative := func(name string) {
		if x := durs[name]; x != nil && x.Duration < 0 {
			v.add(negative(p.Child(name), x.Duration, "0s or more"))
		}
	}
	positive := func(name string) {
		if x := durs[name]; x != nil && x.Duration <= 0 {
			v.add(notPositive(p.Child(name), x.Duration))
		}
	}
	switch d.Type {
	case DistFixed:
		nonNegative("value")
	case DistUniform:
		nonNegative("min")
		if d.Min != nil && d.Max != nil && d.Max.Duration < d.Min.Duration {
			v.add(field.Invalid(p.Child("max"), fmtDur(d.Max.Duration), fmt.Sprintf("max %s is less than min %s; expected max >= min", fmtDur(d.Max.Duration), fmtDur(d.Min.Duration))))
		}
	case DistExponential:
		positive("mean")
	case DistNormal:
		nonNegative("mean")
		nonNegative("stddev")
	case DistLogNormal:
		positive("median")
		if d.Sigma != nil && !(*d.Sigma >= 0 && !math.IsInf(*d.Sigma, 0)) {
			v.add(field.Invalid(p.Child("sigma"), *d.Sigma, fmt.Sprintf("sigma %v is not a finite number >= 0; expected the standard deviation of the logarithm, such as 0.5", *d.Sigma)))
		}
	case DistPareto:
		positive("scale")
		if d.Shape != nil && !(*d.Shape > 0 && !math.IsInf(*d.Shape, 0)) {
			v.add(field.Invalid(p.Child("shape"), *d.Shape, fmt.Sprintf("shape %v is not a positive finite number; expected the tail index, such as 1.5 (smaller is heavier)", *d.Shape)))
		}
		if d.Scale != nil && d.Max != nil && d.Scale.Duration > 0 && d.Max.Duration < d.Scale.Duration {
			v.add(field.Invalid(p.Child("max"), fmtDur(d.Max.Duration), fmt.Sprintf("max %s is less than scale %s, the smallest value; expected max >= scale", fmtDur(d.Max.Duration), fmtDur(d.Scale.Duration))))
		}
	}
	if d.Type != DistUniform {
		nonNegative("max")
	}
}

var distributionType = reflect.TypeFor[Distribution]()

// distributionParams are each family's required parameters (max, the cap,
// is optional for all; for uniform it is the upper bound and required).
var distributionParams = map[DistributionType][]string{
	DistFixed:       {"value"},
	DistUniform:     {"min", "max"},
	DistExponential: {"mean"},
	DistNormal:      {"mean", "stddev"},
	DistLogNormal:   {"median", "sigma"},
	DistPareto:      {"scale", "shape"},
}

var distributionParamDoc = map[string]string{
	"value":  "a duration of 0s or more",
	"min":    "a duration of 0s or more",
	"max":    "a duration of at least min",
	"mean":   "a duration (the mean)",
	"stddev": "a duration of 0s or more (the standard deviation)",
	"median": "a duration greater than 0s (the median)",
	"sigma":  "a number of 0 or more (the standard deviation of the logarithm)",
	"scale":  "a duration greater than 0s (the smallest value)",
	"shape":  "a number greater than 0 (the tail index)",
}

// withMax lists a family's parameters with the optional cap.
func withMax(params []string) []string {
	if containsString(params, "max") {
		return params
	}
	return append(params[:len(params):len(params)], "max")
}

func notPositive(p *field.Path, d time.Duration) *field.Error {
	return field.Invalid(p, fmtDur(d), fmt.Sprintf("%s is not positive; expected a duration greater than 0s", fmtDur(d)))
}

func negative(p *field.Path, d time.Duration, expected string) *field.Error {
	return field.Invalid(p, fmtDur(d), fmt.Sprintf("%s is negative; expected %s", fmtDur(d), expected))
}

func withDetail(e *field.Error, detail string) *field.Error {
	e.Detail = detail
	return e
}

// fmtDur writes a duration as people write them: 10m rather than 10m0s.
func fmtDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool { return contains(list, s) }

func quoteAll[T ~string](list []T) string {
	q := make([]string, len(list))
	for i, v := range list {
		q[i] = strconv.Quote(string(v))
	}
	return strings.Join(q, ", ")
}
