package scenarios

import (
	"fmt"
	"math"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/lesim/lesim/sim"
)

// maxDuration is the longest spec.duration: true times of a run stay below
// sim.MaxReading, so every conversion between true and local time is exact.
const maxDuration = sim.MaxReading

// readings checks that no node's clock can read outside ±sim.MaxReading
// during the run: |offset| + the fastest rate × the run + every wall-clock
// step is a bound on what it reads. The field reported is the setting that
// contributes most, so the one line says what to change.
func (v *validator) readings(p *field.Path) {
	if v.runFor > maxDuration {
		return // reported on spec.duration
	}
	for i := range v.s.Spec.Nodes {
		if b, ok := v.readingBound(i, p); ok {
			v.add(b)
		}
	}
}

// contribution is one setting's share of a node's reading bound.
type contribution struct {
	path  *field.Path
	ns    float64
	shown string
}

func (v *validator) readingBound(i int, p *field.Path) (*field.Error, bool) {
	n := &v.s.Spec.Nodes[i]
	// Paths are built only for what is reported: validation runs before
	// every run, and nearly every scenario passes.
	np := func() *field.Path { return p.Child("nodes").Index(i) }
	var offset time.Duration
	rate := contribution{ns: float64(v.runFor), shown: "rate 1"} // path: spec.duration, set below
	maxRate := 1.0
	setRate := func(r float64, at *field.Path) {
		if r > maxRate && r <= sim.MaxRate {
			maxRate = r
			rate = contribution{path: at, shown: fmt.Sprintf("rate %v", r)}
		}
	}
	if c := n.Clock; c != nil {
		offset = c.Offset.Duration
		if c.Rate != nil {
			setRate(*c.Rate, np().Child("clock", "rate"))
		}
		for j, r := range c.Schedule {
			if r.Rate != nil {
				setRate(*r.Rate, np().Child("clock", "schedule").Index(j).Child("rate"))
			}
		}
	}
	jumps := contribution{}
	for j := range v.s.Spec.Faults {
		f := &v.s.Spec.Faults[j]
		if len(f.Nodes) > 0 && !containsString(f.Nodes, n.Name) {
			continue
		}
		switch {
		case f.Type == FaultClockRate && f.Rate != nil:
			setRate(*f.Rate, p.Child("faults").Index(j).Child("rate"))
		case f.Type == FaultClockJump && f.Jump != nil:
			d := math.Abs(float64(f.Jump.Duration))
			if d > jumps.ns || jumps.path == nil {
				jumps.path = p.Child("faults").Index(j).Child("jump")
			}
			jumps.ns += d
		}
	}
	rate.ns = maxRate * float64(v.runFor)
	off := contribution{ns: math.Abs(float64(offset))}
	total := off.ns + rate.ns + jumps.ns
	if total <= float64(sim.MaxReading) {
		return nil, false
	}
	off.path = np().Child("clock", "offset")
	if rate.path == nil {
		rate.path = p.Child("duration")
	}
	worst := off
	for _, c := range []contribution{rate, jumps} {
		if c.path != nil && c.ns > worst.ns {
			worst = c
		}
	}
	msg := fmt.Sprintf("node %s's clock could read %s (|offset| %s + %s × duration %s + wall-clock jumps %s); expected readings within ±%s: a smaller offset, rate, jump or spec.duration",
		n.Name, fmtNs(total), fmtDur(time.Duration(off.ns)), rate.shown, fmtDur(v.runFor), fmtNs(jumps.ns), fmtDur(sim.MaxReading))
	return field.Invalid(worst.path, "", msg), true
}

// fmtNs writes a float nanosecond count as a duration, saturating.
func fmtNs(ns float64) string {
	if ns >= math.MaxInt64 {
		return "more than " + fmtDur(math.MaxInt64)
	}
	return fmtDur(time.Duration(ns))
}
