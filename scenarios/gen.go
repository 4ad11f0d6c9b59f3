package scenarios

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"pgregory.net/rapid"
)

// Generators for property tests (pgregory.net/rapid). They are exported so
// that users can draw scenarios in their own tests:
//
//	rapid.Check(t, func(t *rapid.T) {
//		sc := scenarios.ScenarioGen(scenarios.GenOptions{}).Draw(t, "scenario")
//		res, err := scenarios.Run(sc)
//		...
//	})
//
// Every generator draws from integer ranges whose small end is the simple
// case (few nodes, rate 1, no latency, short faults early in the run), so
// that rapid shrinks a failure toward a readable counterexample. Every drawn
// scenario is valid.

// Timings is an elector's three durations.
type Timings struct {
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// Elector returns the timings as a spec-level elector block.
func (tm Timings) Elector() Elector {
	return Elector{LeaseDuration: dur(tm.LeaseDuration), RenewDeadline: dur(tm.RenewDeadline), RetryPeriod: dur(tm.RetryPeriod)}
}

// LDs is the lease duration as written into the record: whole seconds.
func (tm Timings) LDs() time.Duration { return tm.LeaseDuration.Truncate(time.Second) }

func (tm Timings) String() string {
	return fmt.Sprintf("%v/%v/%v", tm.LeaseDuration, tm.RenewDeadline, tm.RetryPeriod)
}

// WholeSecondTimingsGen draws valid timings in whole seconds:
// RP in [1s, 5s], RD > 1.2·RP, LD > RD, LD at most 60 s.
func WholeSecondTimingsGen() *rapid.Generator[Timings] {
	return rapid.Custom(func(t *rapid.T) Timings {
		rp := rapid.IntRange(1, 5).Draw(t, "retryPeriodSeconds")
		rdMin := rp*6/5 + 1 // smallest whole second above 1.2·RP
		rd := rdMin + rapid.IntRange(0, 30).Draw(t, "renewDeadlineExtraSeconds")
		ld := rd + 1 + rapid.IntRange(0, 30).Draw(t, "leaseDurationExtraSeconds")
		return Timings{time.Duration(ld) * time.Second, time.Duration(rd) * time.Second, time.Duration(rp) * time.Second}
	})
}

// SubSecondTimingsGen draws valid timings in milliseconds with a sub-second
// retry period: RP in [100ms, 900ms], RD > 1.2·RP, LD > RD and LD ≥ 1s (so
// that the record's whole-second leaseDurationSeconds is not 0).
func SubSecondTimingsGen() *rapid.Generator[Timings] {
	return rapid.Custom(func(t *rapid.T) Timings {
		rp := rapid.IntRange(100, 900).Draw(t, "retryPeriodMillis")
		rd := rp*6/5 + 1 + rapid.IntRange(0, 3000).Draw(t, "renewDeadlineExtraMillis")
		ld := max(rd+1, 1000) + rapid.IntRange(0, 5000).Draw(t, "leaseDurationExtraMillis")
		ms := time.Millisecond
		return Timings{time.Duration(ld) * ms, time.Duration(rd) * ms, time.Duration(rp) * ms}
	})
}

// TimingsGen draws whole-second or sub-second valid timings.
func TimingsGen() *rapid.Generator[Timings] {
	return rapid.OneOf(WholeSecondTimingsGen(), SubSecondTimingsGen())
}

// ClockRateGen draws a clock rate in [lo, hi] in steps of 0.001, shrinking
// toward lo (pass lo = 1 for "perfect clocks are the simple case").
func ClockRateGen(lo, hi float64) *rapid.Generator[float64] {
	return rapid.Custom(func(t *rapid.T) float64 {
		steps := int((hi - lo) * 1000)
		k := rapid.IntRange(0, max(steps, 0)).Draw(t, "rateMillis")
		return lo + float64(k)/1000
	})
}

// millisGen draws a duration in whole milliseconds in [lo, hi].
func millisGen(lo, hi time.Duration, label string) *rapid.Generator[time.Duration] {
	return rapid.Custom(func(t *rapid.T) time.Duration {
		return time.Duration(rapid.Int64Range(int64(lo/time.Millisecond), int64(hi/time.Millisecond)).Draw(t, label)) * time.Millisecond
	})
}

// FixedLatencyGen draws a fixed latency in [0, hi] (whole milliseconds).
func FixedLatencyGen(hi time.Duration) *rapid.Generator[*Distribution] {
	return rapid.Custom(func(t *rapid.T) *Distribution {
		return &Distribution{Type: DistFixed, Value: dur(millisGen(0, hi, "latencyMillis").Draw(t, "latency"))}
	})
}

// LatencyGen draws a latency distribution of any family whose draws never
// exceed hi (every family gets max: hi, so hi is the worst case δ).
func LatencyGen(hi time.Duration) *rapid.Generator[*Distribution] {
	return rapid.Custom(func(t *rapid.T) *Distribution {
		typ := rapid.SampledFrom(DistributionTypes()).Draw(t, "family")
		if hi < time.Millisecond {
			return &Distribution{Type: DistFixed, Value: dur(0)}
		}
		lo := time.Millisecond // every family but fixed needs a positive parameter
		if typ == DistFixed {
			lo = 0
		}
		scale := millisGen(lo, hi, "scale").Draw(t, "scaleValue")
		d := &Distribution{Type: typ}
		switch typ {
		case DistFixed:
			d.Value = dur(scale)
			return d // max is not needed: the value is the worst case
		case DistUniform:
			d.Min = dur(0)
		case DistExponential:
			d.Mean = dur(scale)
		case DistNormal:
			d.Mean, d.Stddev = dur(scale), dur(scale/2)
		case DistLogNormal:
			sigma := float64(rapid.IntRange(0, 20).Draw(t, "sigmaTenths")) / 10
			d.Median, d.Sigma = dur(scale), &sigma
		case DistPareto:
			shape := 0.5 + float64(rapid.IntRange(0, 30).Draw(t, "shapeTenths"))/10
			d.Scale, d.Shape = dur(scale), &shape
		}
		d.Max = dur(hi)
		return d
	})
}

// FaultOptions bounds the faults FaultGen draws.
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
}

func (o FaultOptions) withDefaults() FaultOptions {
	if o.Duration <= 0 {
		o.Duration = DefaultDuration
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

// FaultGen draws one fault of the given type inside the run.
func FaultGen(typ FaultType, o FaultOptions) *rapid.Generator[Fault] {
	o = o.withDefaults()
	return rapid.Custom(func(t *rapid.T) Fault {
		f := Fault{Type: typ}
		at := millisGen(0, o.Duration, "at").Draw(t, "at")
		f.At = metav1.Duration{Duration: at}
		window := func() {
			hi := max(min(o.MaxWindow, o.Duration-at), time.Millisecond)
			f.Duration = dur(millisGen(time.Millisecond, hi, "window").Draw(t, "window"))
			if at+f.Duration.Duration > o.Duration { // only when at = duration
				f.At.Duration = o.Duration - f.Duration.Duration
			}
		}
		oneNode := func() { f.Nodes = []string{rapid.SampledFrom(o.Nodes).Draw(t, "node")} }
		switch typ {
		case FaultPartition:
			window()
			oneNode()
			f.Mode = rapid.SampledFrom(PartitionModes()).Draw(t, "mode")
		case FaultCrash:
			oneNode()
			if rapid.Bool().Draw(t, "restartAfterSet") {
				f.RestartAfter = dur(millisGen(0, 30*time.Second, "restartAfter").Draw(t, "restartAfter"))
			}
		case FaultPause:
			window()
			oneNode()
		case FaultStop:
			oneNode()
		case FaultClockRate:
			oneNode()
			r := ClockRateGen(0.5, o.MaxRate).Draw(t, "rate")
			f.Rate = &r
		case FaultClockJump:
			oneNode()
			j := millisGen(-o.MaxJump, o.MaxJump, "jump").Draw(t, "jump")
			f.Jump = dur(j)
		case FaultAPIOutage:
			window()
			f.Mode = rapid.SampledFrom(OutageModes()).Draw(t, "mode")
		case FaultLatency:
			window()
			oneNode()
			f.Response = LatencyGen(o.MaxLatency).Draw(t, "response")
			if rapid.Bool().Draw(t, "requestSet") {
				f.Request = LatencyGen(o.MaxLatency).Draw(t, "request")
			}
		case FaultStaleReads:
			window()
			f.MaxLag = dur(millisGen(time.Millisecond, o.MaxLag, "maxLag").Draw(t, "maxLag"))
		default:
			panic("scenarios: FaultGen: unknown fault type " + string(typ))
		}
		return f
	})
}

// FaultKindsGen draws a random non-empty subset of kinds (swarm testing:
// each case exercises only some fault kinds, so that rare interactions
// between a few kinds are not drowned by all the others).
func FaultKindsGen(kinds []FaultType) *rapid.Generator[[]FaultType] {
	return rapid.Custom(func(t *rapid.T) []FaultType {
		var out []FaultType
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

// FaultScheduleGen draws up to maxFaults faults whose types come from
// kinds, sorted by start time.
func FaultScheduleGen(kinds []FaultType, maxFaults int, o FaultOptions) *rapid.Generator[[]Fault] {
	return rapid.Custom(func(t *rapid.T) []Fault {
		if len(kinds) == 0 {
			return nil
		}
		n := rapid.IntRange(0, maxFaults).Draw(t, "faults")
		fs := make([]Fault, 0, n)
		for i := 0; i < n; i++ {
			typ := rapid.SampledFrom(kinds).Draw(t, "type")
			fs = append(fs, FaultGen(typ, o).Draw(t, "fault"))
		}
		sortFaults(fs)
		return fs
	})
}

// sortFaults orders faults by start, stably: faults drawn for one instant
// keep their drawn order.
func sortFaults(fs []Fault) {
	slices.SortStableFunc(fs, func(a, b Fault) int { return cmp.Compare(a.At.Duration, b.At.Duration) })
}

// GenOptions bounds what ScenarioGen draws. The zero value draws 2–3 nodes,
// any valid timings, rates in [1, 1.5], latency up to 200 ms, up to 3
// faults of a swarm-drawn subset of every fault kind, 5 simulated minutes.
type GenOptions struct {
	MinNodes, MaxNodes int
	Duration           time.Duration
	// Timings draws the elector configuration (default TimingsGen).
	Timings *rapid.Generator[Timings]
	MinRate float64 // default 1
	MaxRate float64 // default 1.5
	// MaxLatency bounds the API's per-direction latency (default 200ms).
	MaxLatency time.Duration
	// FixedLatency restricts latencies to the fixed family.
	FixedLatency bool
	// FaultKinds are the kinds faults are drawn from (default all);
	// Swarm draws a subset of them per case. NoSwarm turns that off.
	FaultKinds []FaultType
	NoSwarm    bool
	MaxFaults  int // default 3; -1 for none
	Fault      FaultOptions
}

func (o GenOptions) withDefaults() GenOptions {
	if o.MinNodes <= 0 {
		o.MinNodes = 2
	}
	if o.MaxNodes < o.MinNodes {
		o.MaxNodes = max(3, o.MinNodes)
	}
	if o.Duration <= 0 {
		o.Duration = 5 * time.Minute
	}
	if o.Timings == nil {
		o.Timings = TimingsGen()
	}
	if o.MinRate <= 0 {
		o.MinRate = 1
	}
	if o.MaxRate < o.MinRate {
		o.MaxRate = max(1.5, o.MinRate)
	}
	if o.MaxLatency <= 0 {
		o.MaxLatency = 200 * time.Millisecond
	}
	if o.FaultKinds == nil {
		o.FaultKinds = FaultTypes()
	}
	if o.MaxFaults == 0 {
		o.MaxFaults = 3
	}
	o.Fault.Duration = o.Duration
	return o
}

// ScenarioGen draws a complete valid scenario: nodes "a", "b", "c", …
// starting in that order, each with a clock rate, the spec-level timings and
// latency, a seed and a fault schedule.
func ScenarioGen(o GenOptions) *rapid.Generator[*Scenario] {
	o = o.withDefaults()
	return rapid.Custom(func(t *rapid.T) *Scenario {
		sc := &Scenario{TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind}}
		sc.Metadata.Name = "generated"
		sp := &sc.Spec
		seed := rapid.Uint64Range(1, 1<<20).Draw(t, "seed")
		sp.Seed = &seed
		sp.Duration = dur(o.Duration)
		sp.Elector = o.Timings.Draw(t, "timings").Elector()
		lat := LatencyGen(o.MaxLatency)
		if o.FixedLatency {
			lat = FixedLatencyGen(o.MaxLatency)
		}
		sp.API.Latency.Request = lat.Draw(t, "requestLatency")
		sp.API.Latency.Response = lat.Draw(t, "responseLatency")
		n := rapid.IntRange(o.MinNodes, o.MaxNodes).Draw(t, "nodes")
		names := make([]string, n)
		for i := range n {
			names[i] = string(rune('a' + i))
			node := Node{Name: names[i]}
			if i > 0 {
				node.Start = metav1.Duration{Duration: millisGen(0, 10*time.Second, "start").Draw(t, "start")}
			}
			if r := ClockRateGen(o.MinRate, o.MaxRate).Draw(t, "rate"); r != 1 {
				node.Clock = &Clock{Rate: &r}
			}
			sp.Nodes = append(sp.Nodes, node)
		}
		if o.MaxFaults > 0 && len(o.FaultKinds) > 0 {
			kinds := o.FaultKinds
			if !o.NoSwarm {
				kinds = FaultKindsGen(kinds).Draw(t, "faultKinds")
			}
			fo := o.Fault
			fo.Nodes = names
			sp.Faults = FaultScheduleGen(kinds, o.MaxFaults, fo).Draw(t, "faults")
		}
		return sc
	})
}
