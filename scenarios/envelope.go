package scenarios

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/lesim/lesim/sim"
)

// The environment envelope: ranges a scenario may give instead of single
// values, for the worst-case search (scenarios/worstcase) to choose from.
// A run without a chooser draws each uniformly from its own stream; a
// search's adversary picks the worst inside it. Latency needs no field of
// its own: a uniform distribution is the range [min, max], per direction,
// spec-wide or per node (every other family ranges from 0, or its scale,
// to its max or 0.999 quantile).
//
//   - spec.nodes[].clock.rateBand {min, max}: the node's clock rate;
//   - spec.nodes[].jitter {min, max}: the node's acquire waits, inside
//     client-go's [retryPeriod, 2.2·retryPeriod);
//   - spec.faults[].atMax, durationMax: the fault starts in [at, atMax]
//     and lasts [duration, durationMax].

// RateBand is a range of clock rates.
type RateBand struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// JitterRange is a range of acquire waits.
type JitterRange struct {
	Min metav1.Duration `json:"min"`
	Max metav1.Duration `json:"max"`
}

// ratePPM is the unit of a clock-rate choice: parts per million.
const ratePPM = 1e6

// ResolveEnvelope returns sc (defaulted and valid) with every range of
// the envelope replaced by a value: chosen by ch (nil: the draw) from the
// draw of stream(name), at true time 0 of s. Jitter ranges stay: they are
// choices of every acquire wait (runner). A scenario without ranges is
// returned as it is.
func ResolveEnvelope(sc *Scenario, ch sim.Chooser, s *sim.Sim) *Scenario {
	if !sc.hasEnvelope() {
		return sc
	}
	out := sc.Clone()
	for i := range out.Spec.Nodes {
		n := &out.Spec.Nodes[i]
		if n.Clock == nil || n.Clock.RateBand == nil {
			continue
		}
		b := n.Clock.RateBand
		lo, hi := int64(math.Round(b.Min*ratePPM)), int64(math.Round(b.Max*ratePPM))
		c := sim.Choice{Kind: sim.ChoiceClockRate, Subject: n.Name, Lo: lo, Hi: hi, Drawn: drawIn(s.Stream("node/"+n.Name+"/rate"), lo, hi)}
		r := float64(sim.Choose(ch, &c)) / ratePPM
		n.Clock.Rate, n.Clock.RateBand = &r, nil
	}
	for i := range out.Spec.Faults {
		f := &out.Spec.Faults[i]
		subject := FaultSubject(i)
		if f.AtMax != nil {
			at := sim.ChooseDuration(ch, s, nil, sim.ChoiceFaultStart, subject,
				time.Duration(drawIn(s.Stream("faults/"+subject+"/start"), int64(f.At.Duration), int64(f.AtMax.Duration))), f.At.Duration, f.AtMax.Duration)
			f.At, f.AtMax = metav1.Duration{Duration: at}, nil
		}
		if f.DurationMax != nil && f.Duration != nil {
			d := sim.ChooseDuration(ch, s, nil, sim.ChoiceFaultLength, subject,
				time.Duration(drawIn(s.Stream("faults/"+subject+"/length"), int64(f.Duration.Duration), int64(f.DurationMax.Duration))), f.Duration.Duration, f.DurationMax.Duration)
			f.Duration, f.DurationMax = &metav1.Duration{Duration: d}, nil
		}
	}
	return out
}

// FaultSubject names spec.faults[i] as the subject of its choices.
func FaultSubject(i int) string { return "faults[" + strconv.Itoa(i) + "]" }

func drawIn(r *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + r.Int64N(hi-lo+1)
}

func (s *Scenario) hasEnvelope() bool {
	for _, n := range s.Spec.Nodes {
		if n.Clock != nil && n.Clock.RateBand != nil {
			return true
		}
	}
	for _, f := range s.Spec.Faults {
		if f.AtMax != nil || f.DurationMax != nil {
			return true
		}
	}
	return false
}

// NodeJitter is node i's acquire-wait range, nil when it has none (the
// wait is then client-go's jitter draw).
func (s *Scenario) NodeJitter(i int) (lo, hi time.Duration, ok bool) {
	j := s.Spec.Nodes[i].Jitter
	if j == nil {
		return 0, 0, false
	}
	return j.Min.Duration, j.Max.Duration, true
}

// rateBand validates a clock's rate band.
func (v *validator) rateBand(c *Clock, p *field.Path) {
	b := c.RateBand
	if b == nil {
		return
	}
	bp := p.Child("rateBand")
	if c.Rate != nil {
		v.add(field.Forbidden(bp, "rateBand and rate exclude each other; expected one of them"))
	}
	v.rate(bp.Child("min"), b.Min)
	v.rate(bp.Child("max"), b.Max)
	if b.Max < b.Min {
		v.add(field.Invalid(bp.Child("max"), b.Max, fmt.Sprintf("max %v is below min %v; expected min ≤ max", b.Max, b.Min)))
	}
}

// jitter validates node i's acquire-wait range against client-go's.
func (v *validator) jitter(i int, p *field.Path) {
	j := v.s.Spec.Nodes[i].Jitter
	if j == nil {
		return
	}
	jp := p.Child("jitter")
	rp := v.s.NodeElector(i).RetryPeriod
	if rp <= 0 {
		return // the elector's own check reports it
	}
	top := rp + time.Duration(1.2*float64(rp))
	in := func(name string, d time.Duration) bool {
		if d < rp || d >= top {
			v.add(field.Invalid(jp.Child(name), fmtDur(d), fmt.Sprintf("%s %s is outside client-go's jitter; expected from retryPeriod (%s) up to, not including, 2.2·retryPeriod (%s)", name, fmtDur(d), fmtDur(rp), fmtDur(top))))
			return false
		}
		return true
	}
	if in("min", j.Min.Duration) && in("max", j.Max.Duration) && j.Max.Duration < j.Min.Duration {
		v.add(field.Invalid(jp.Child("max"), fmtDur(j.Max.Duration), fmt.Sprintf("max %s is below min %s; expected min ≤ max", fmtDur(j.Max.Duration), fmtDur(j.Min.Duration))))
	}
}

// faultRanges validates a fault's atMax and durationMax: the latest start
// with the longest window must still end by spec.duration.
func (v *validator) faultRanges(f *Fault, p *field.Path, windowed bool) {
	if f.AtMax != nil {
		if f.AtMax.Duration < f.At.Duration {
			v.add(field.Invalid(p.Child("atMax"), fmtDur(f.AtMax.Duration), fmt.Sprintf("atMax %s is before at %s; expected at ≤ atMax", fmtDur(f.AtMax.Duration), fmtDur(f.At.Duration))))
		} else {
			v.within(p.Child("atMax"), f.AtMax.Duration, "atMax")
		}
	}
	if f.DurationMax == nil {
		return
	}
	switch {
	case !windowed:
		v.add(field.Forbidden(p.Child("durationMax"), fmt.Sprintf("durationMax is not used by %s faults, which have no window", f.Type)))
	case f.Duration == nil:
		v.add(field.Required(p.Child("duration"), "the shortest window, with durationMax the longest"))
	case f.DurationMax.Duration < f.Duration.Duration:
		v.add(field.Invalid(p.Child("durationMax"), fmtDur(f.DurationMax.Duration), fmt.Sprintf("durationMax %s is below duration %s; expected duration ≤ durationMax", fmtDur(f.DurationMax.Duration), fmtDur(f.Duration.Duration))))
	default:
		at := f.At.Duration
		if f.AtMax != nil {
			at = max(at, f.AtMax.Duration)
		}
		if at >= 0 && f.DurationMax.Duration > v.runFor-at {
			v.add(field.Invalid(p.Child("durationMax"), fmtDur(f.DurationMax.Duration), fmt.Sprintf("the latest window %s + %s ends after the end of the run; expected atMax + durationMax at most spec.duration (%s)", fmtDur(at), fmtDur(f.DurationMax.Duration), fmtDur(v.runFor))))
		}
	}
}
