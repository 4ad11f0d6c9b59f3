// Package gen draws valid lesim scenarios for property tests
// (pgregory.net/rapid). It is its own package so that rapid stays a
// test-time dependency: the scenario library and the CLI do not import it.
//
//	rapid.Check(t, func(t *rapid.T) {
//		sc := gen.Scenario(gen.Options{}).Draw(t, "scenario")
//		res, err := runner.Run(sc)
//		...
//	})
//
// Every generator draws from integer ranges whose small end is the simple
// case (few nodes, rate 1, no latency, short faults early in the run, no
// optional feature), so that rapid shrinks a failure toward a readable
// counterexample. Every drawn scenario is valid.
package gen

import (
	"cmp"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"pgregory.net/rapid"

	"github.com/lesim/lesim/scenarios"
)

func dur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// WholeSecondTimings draws valid timings in whole seconds:
// RP in [1s, 5s], RD > 1.2·RP, LD > RD, LD at most 60 s.
func WholeSecondTimings() *rapid.Generator[scenarios.Timings] {
	return rapid.Custom(func(t *rapid.T) scenarios.Timings {
		rp := rapid.IntRange(1, 5).Draw(t, "retryPeriodSeconds")
		rdMin := rp*6/5 + 1 // smallest whole second above 1.2·RP
		rd := rdMin + rapid.IntRange(0, 30).Draw(t, "renewDeadlineExtraSeconds")
		ld := rd + 1 + rapid.IntRange(0, 30).Draw(t, "leaseDurationExtraSeconds")
		return scenarios.Timings{LeaseDuration: time.Duration(ld) * time.Second, RenewDeadline: time.Duration(rd) * time.Second, RetryPeriod: time.Duration(rp) * time.Second}
	})
}

// SubSecondTimings draws valid timings in milliseconds with a sub-second
// retry period: RP in [100ms, 900ms], RD > 1.2·RP, LD > RD and LD ≥ 1s (so
// that the record's whole-second leaseDurationSeconds is not 0).
func SubSecondTimings() *rapid.Generator[scenarios.Timings] {
	return rapid.Custom(func(t *rapid.T) scenarios.Timings {
		rp := rapid.IntRange(100, 900).Draw(t, "retryPeriodMillis")
		rd := rp*6/5 + 1 + rapid.IntRange(0, 3000).Draw(t, "renewDeadlineExtraMillis")
		ld := max(rd+1, 1000) + rapid.IntRange(0, 5000).Draw(t, "leaseDurationExtraMillis")
		ms := time.Millisecond
		return scenarios.Timings{LeaseDuration: time.Duration(ld) * ms, RenewDeadline: time.Duration(rd) * ms, RetryPeriod: time.Duration(rp) * ms}
	})
}

// Timings draws whole-second or sub-second valid timings.
func Timings() *rapid.Generator[scenarios.Timings] {
	return rapid.OneOf(WholeSecondTimings(), SubSecondTimings())
}

// ClockRate draws a clock rate in [lo, hi] in steps of 0.001, shrinking
// toward lo (pass lo = 1 for "perfect clocks are the simple case").
func ClockRate(lo, hi float64) *rapid.Generator[float64] {
	return rapid.Custom(func(t *rapid.T) float64 {
		steps := int((hi - lo) * 1000)
		k := rapid.IntRange(0, max(steps, 0)).Draw(t, "rateMillis")
		return lo + float64(k)/1000
	})
}

// millis draws a duration in whole milliseconds in [lo, hi].
func millis(lo, hi time.Duration, label string) *rapid.Generator[time.Duration] {
	return rapid.Custom(func(t *rapid.T) time.Duration {
		return time.Duration(rapid.Int64Range(int64(lo/time.Millisecond), int64(hi/time.Millisecond)).Draw(t, label)) * time.Millisecond
	})
}

// FixedLatency draws a fixed latency in [0, hi] (whole milliseconds).
func FixedLatency(hi time.Duration) *rapid.Generator[*scenarios.Distribution] {
	return rapid.Custom(func(t *rapid.T) *scenarios.Distribution {
		return &scenarios.Distribution{Type: scenarios.DistFixed, Value: dur(millis(0, hi, "latencyMillis").Draw(t, "latency"))}
	})
}

// Latency draws a latency distribution of any family whose draws never
// exceed hi (every family gets max: hi, so hi is the worst case δ).
func Latency(hi time.Duration) *rapid.Generator[*scenarios.Distribution] {
	return rapid.Custom(func(t *rapid.T) *scenarios.Distribution {
		typ := rapid.SampledFrom(scenarios.DistributionTypes()).Draw(t, "family")
		if hi < time.Millisecond {
			return &scenarios.Distribution{Type: scenarios.DistFixed, Value: dur(0)}
		}
		lo := time.Millisecond // every family but fixed needs a positive parameter
		if typ == scenarios.DistFixed {
			lo = 0
		}
		scale := millis(lo, hi, "scale").Draw(t, "scaleValue")
		d := &scenarios.Distribution{Type: typ}
		switch typ {
		case scenarios.DistFixed:
			d.Value = dur(scale)
			return d // max is not needed: the value is the worst case
		case scenarios.DistUniform:
			d.Min = dur(0)
		case scenarios.DistExponential:
			d.Mean = dur(scale)
		case scenarios.DistNormal:
			d.Mean, d.Stddev = dur(scale), dur(scale/2)
		case scenarios.DistLogNormal:
			sigma := float64(rapid.IntRange(0, 20).Draw(t, "sigmaTenths")) / 10
			d.Median, d.Sigma = dur(scale), &sigma
		case scenarios.DistPareto:
			shape := 0.5 + float64(rapid.IntRange(0, 30).Draw(t, "shapeTenths"))/10
			d.Scale, d.Shape = dur(scale), &shape
		}
		d.Max = dur(hi)
		return d
	})
}

// FaultOptions bounds the faults Fault draws.
type FaultOptions struct {
	Nodes    []string      // node names faults may hit (at least one)
	Duration time.Duration // the run's length; faults lie inside it
	// MaxWindow bounds windowed faults (default: a quarter of Duration).
	MaxWindow time.Duration
	// MaxRate bounds clockRate faults (default 2); MaxJump bounds clock
	// jumps either way (default 1h); MaxLatency bounds latency faults
	// and MaxLag stale reads (default 5s each).
	MaxRate    float64
	MaxJump    time.Duration
	MaxLatency time.Duration
	MaxLag     time.Duration

	// targets lets latency and staleReads faults hit every node (no
	// list) or one; without it latency hits one node and staleReads all.
	targets bool
}

func (o FaultOptions) withDefaults() FaultOptions {
	if o.Duration <= 0 {
		o.Duration = scenarios.DefaultDuration
	}
	if o.MaxWindow <= 0 {
		o.MaxWindow = o.Duration / 4
	}
	if o.MaxRate <= 0 {
		o.MaxRate = 2
	}
	if o.MaxJump <= 0 {
		o.MaxJump = time.Hour
	}
	if o.MaxLatency <= 0 {
		o.MaxLatency = 5 * time.Second
	}
	if o.MaxLag <= 0 {
		o.MaxLag = 5 * time.Second
	}
	return o
}

// Fault draws one fault of the given type inside the run.
func Fault(typ scenarios.FaultType, o FaultOptions) *rapid.Generator[scenarios.Fault] {
	o = o.withDefaults()
	return rapid.Custom(func(t *rapid.T) scenarios.Fault {
		f := scenarios.Fault{Type: typ}
		at := millis(0, o.Duration, "at").Draw(t, "at")
		f.At = metav1.Duration{Duration: at}
		window := func() {
			hi := max(min(o.MaxWindow, o.Duration-at), time.Millisecond)
			f.Duration = dur(millis(time.Millisecond, hi, "window").Draw(t, "window"))
			if at+f.Duration.Duration > o.Duration { // only when at = duration
				f.At.Duration = o.Duration - f.Duration.Duration
			}
		}
		oneNode := func() { f.Nodes = []string{rapid.SampledFrom(o.Nodes).Draw(t, "node")} }
		switch typ {
		case scenarios.FaultPartition:
			window()
			oneNode()
			f.Mode = rapid.SampledFrom(scenarios.PartitionModes()).Draw(t, "mode")
		case scenarios.FaultCrash:
			oneNode()
			if rapid.Bool().Draw(t, "restartAfterSet") {
				f.RestartAfter = dur(millis(0, 30*time.Second, "restartAfter").Draw(t, "restartAfter"))
			}
		case scenarios.FaultPause:
			window()
			oneNode()
		case scenarios.FaultStop:
			oneNode()
		case scenarios.FaultClockRate:
			oneNode()
			r := ClockRate(0.5, o.MaxRate).Draw(t, "rate")
			f.Rate = &r
		case scenarios.FaultClockJump:
			oneNode()
			j := millis(-o.MaxJump, o.MaxJump, "jump").Draw(t, "jump")
			f.Jump = dur(j)
		case scenarios.FaultAPIOutage:
			window()
			f.Mode = rapid.SampledFrom(scenarios.OutageModes()).Draw(t, "mode")
		case scenarios.FaultLatency:
			window()
			if !o.targets || !rapid.Bool().Draw(t, "allNodes") {
				oneNode()
			}
			f.Response = Latency(o.MaxLatency).Draw(t, "response")
			if rapid.Bool().Draw(t, "requestSet") {
				f.Request = Latency(o.MaxLatency).Draw(t, "request")
			}
		case scenarios.FaultStaleReads:
			window()
			f.MaxLag = dur(millis(time.Millisecond, o.MaxLag, "maxLag").Draw(t, "maxLag"))
			if o.targets && rapid.Bool().Draw(t, "someNodes") {
				oneNode()
			}
		default:
			panic("gen: Fault: unknown fault type " + string(typ))
		}
		return f
	})
}

// FaultKinds draws a random non-empty subset of kinds (swarm testing:
// each case exercises only some fault kinds, so that rare interactions
// between a few kinds are not drowned by all the others).
func FaultKinds(kinds []scenarios.FaultType) *rapid.Generator[[]scenarios.FaultType] {
	return rapid.Custom(func(t *rapid.T) []scenarios.FaultType {
		var out []scenarios.FaultType
		for _, k := range kinds {
			if rapid.Bool().Draw(t, "use/"+string(k)) {
				out = append(out, k)
			}
		}
		if len(out) == 0 && len(kinds) > 0 {
			out = append(out, rapid.SampledFrom(kinds).Draw(t, "only"))
		}
		return out
	})
}

// FaultSchedule draws up to maxFaults faults whose types come from kinds,
// sorted by start time.
func FaultSchedule(kinds []scenarios.FaultType, maxFaults int, o FaultOptions) *rapid.Generator[[]scenarios.Fault] {
	return rapid.Custom(func(t *rapid.T) []scenarios.Fault {
		if len(kinds) == 0 {
			return nil
		}
		n := rapid.IntRange(0, maxFaults).Draw(t, "faults")
		fs := make([]scenarios.Fault, 0, n)
		for i := 0; i < n; i++ {
			typ := rapid.SampledFrom(kinds).Draw(t, "type")
			fs = append(fs, Fault(typ, o).Draw(t, "fault"))
		}
		slices.SortStableFunc(fs, func(a, b scenarios.Fault) int { return cmp.Compare(a.At.Duration, b.At.Duration) })
		return fs
	})
}
