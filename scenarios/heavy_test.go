package scenarios

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// heavyFaultScenario is five nodes under every fault the harness models,
// repeated every ten simulated minutes: partitions of each mode, both outage
// modes, a crash, a pause, a graceful stop, stale reads, a latency spike,
// clock rate changes and jumps, on top of heavy-tailed latency, injected
// errors of every kind and a fenced workload. It exercises the slow paths
// (timeouts, aborts, release, restarts) that a healthy run never takes.
func heavyFaultScenario(d time.Duration) *Scenario {
	ms := func(n int) *metav1.Duration { return dur(time.Duration(n) * time.Millisecond) }
	sec := func(n int) metav1.Duration { return metav1.Duration{Duration: time.Duration(n) * time.Second} }
	p := func(f float64) *float64 { return &f }
	sc := New()
	sc.Metadata.Name = "heavy-faults"
	sc.Spec.Duration = dur(d)
	yes := true
	sc.Spec.Elector.ReleaseOnCancel = &yes
	sc.Spec.Restart = Restart{Policy: RestartAlways, Delay: ms(5000)}
	sc.Spec.API.Latency = Latency{
		Request:  &Distribution{Type: DistPareto, Scale: ms(1), Shape: p(1.5), Max: ms(2000)},
		Response: &Distribution{Type: DistLogNormal, Median: ms(3), Sigma: p(1), Max: ms(1000)},
	}
	sc.Spec.API.Errors = []ErrorRule{
		{Op: OpUpdate, Kind: ErrorConflict, Probability: p(0.05)},
		{Op: OpAny, Kind: ErrorUnavailable, Probability: p(0.02)},
		{Op: OpGet, Kind: ErrorTooManyRequests, Probability: p(0.01), RetryAfter: ms(1000)},
		{Op: OpCreate, Kind: ErrorInternal, Probability: p(0.01)},
		{Op: OpAny, Kind: ErrorTimeout, Probability: p(0.01)},
	}
	sc.Spec.Workload = &Workload{Period: ms(1000), Fencing: true, Drain: metav1.Duration{Duration: 500 * time.Millisecond}}
	sc.Spec.Nodes = []Node{
		{Name: "a"},
		{Name: "b", Start: sec(1), Clock: &Clock{Rate: p(1.05)}},
		{Name: "c", Start: sec(2), Latency: &Latency{Response: &Distribution{Type: DistExponential, Mean: ms(20)}}},
		{Name: "d", Start: sec(3), Clock: &Clock{Rate: p(0.95), Offset: sec(30)}},
		{Name: "e", Start: sec(4), Identity: IdentityStable, Elector: &Elector{Variant: VariantSeed}},
	}
	fault := func(typ FaultType, at time.Duration, length int, nodes ...string) Fault {
		f := Fault{Type: typ, At: metav1.Duration{Duration: at}, Nodes: nodes}
		if length > 0 {
			f.Duration = ms(length * 1000)
		}
		return f
	}
	const cycle = 10 * time.Minute
	for base := time.Duration(0); base+cycle <= d; base += cycle {
		at := func(s int) time.Duration { return base + time.Duration(s)*time.Second }
		drop := fault(FaultPartition, at(60), 30, "a")
		drop.Mode = ModeDropRequests
		lost := fault(FaultPartition, at(120), 20, "b")
		lost.Mode = ModeDropResponses
		refuse := fault(FaultPartition, at(180), 40, "c")
		refuse.Mode = ModeRefuse
		down := fault(FaultAPIOutage, at(240), 15)
		down.Mode = ModeRefuse
		hang := fault(FaultAPIOutage, at(300), 20)
		hang.Mode = ModeHang
		crash := fault(FaultCrash, at(360), 0, "d")
		crash.RestartAfter = ms(10000)
		pause := fault(FaultPause, at(420), 12, "e")
		stale := fault(FaultStaleReads, at(450), 60)
		stale.MaxLag = ms(2000)
		slow := fault(FaultLatency, at(520), 30, "a")
		slow.Response = &Distribution{Type: DistUniform, Min: ms(100), Max: ms(3000)}
		stop := fault(FaultStop, at(550), 0, "b")
		rate := fault(FaultClockRate, at(560), 0, "c")
		rate.Rate = p([]float64{1.1, 0.9}[int(base/cycle)%2])
		jump := fault(FaultClockJump, at(570), 0, "d")
		jump.Jump = ms(-60000)
		sc.Spec.Faults = append(sc.Spec.Faults, drop, lost, refuse, down, hang, crash, pause, stale, slow, stop, rate, jump)
	}
	Default(sc)
	if errs := sc.Validate(); len(errs) > 0 {
		panic(fmt.Sprintf("heavyFaultScenario: %v", errs))
	}
	return sc
}
