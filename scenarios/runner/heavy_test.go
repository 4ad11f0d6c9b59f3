package runner

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/scenarios"
)

// heavyFaultScenario is five nodes under every fault the harness models,
// repeated every ten simulated minutes: partitions of each mode, both outage
// modes, a crash, a pause, a graceful stop, stale reads, a latency spike,
// clock rate changes and jumps, on top of heavy-tailed latency, injected
// errors of every kind and a fenced workload. It exercises the slow paths
// (timeouts, aborts, release, restarts) that a healthy run never takes.
func heavyFaultScenario(d time.Duration) *scenarios.Scenario {
	ms := func(n int) *metav1.Duration { return scenarios.Dur(time.Duration(n) * time.Millisecond) }
	sec := func(n int) metav1.Duration { return metav1.Duration{Duration: time.Duration(n) * time.Second} }
	p := func(f float64) *float64 { return &f }
	sc := scenarios.New()
	sc.Metadata.Name = "heavy-faults"
	sc.Spec.Duration = scenarios.Dur(d)
	yes := true
	sc.Spec.Elector.ReleaseOnCancel = &yes
	sc.Spec.Restart = scenarios.Restart{Policy: scenarios.RestartAlways, Delay: ms(5000)}
	sc.Spec.API.Latency = scenarios.Latency{
		Request:  &scenarios.Distribution{Type: scenarios.DistPareto, Scale: ms(1), Shape: p(1.5), Max: ms(2000)},
		Response: &scenarios.Distribution{Type: scenarios.DistLogNormal, Median: ms(3), Sigma: p(1), Max: ms(1000)},
	}
	sc.Spec.API.Errors = []scenarios.ErrorRule{
		{Op: scenarios.OpUpdate, Kind: scenarios.ErrorConflict, Probability: p(0.05)},
		{Op: scenarios.OpAny, Kind: scenarios.ErrorUnavailable, Probability: p(0.02)},
		{Op: scenarios.OpGet, Kind: scenarios.ErrorTooManyRequests, Probability: p(0.01), RetryAfter: ms(1000)},
		{Op: scenarios.OpCreate, Kind: scenarios.ErrorInternal, Probability: p(0.01)},
		{Op: scenarios.OpAny, Kind: scenarios.ErrorTimeout, Probability: p(0.01)},
	}
	sc.Spec.Workload = &scenarios.Workload{Period: ms(1000), Fencing: true, Drain: metav1.Duration{Duration: 500 * time.Millisecond}}
	sc.Spec.Nodes = []scenarios.Node{
		{Name: "a"},
		{Name: "b", Start: sec(1), Clock: &scenarios.Clock{Rate: p(1.05)}},
		{Name: "c", Start: sec(2), Latency: &scenarios.Latency{Response: &scenarios.Distribution{Type: scenarios.DistExponential, Mean: ms(20)}}},
		{Name: "d", Start: sec(3), Clock: &scenarios.Clock{Rate: p(0.95), Offset: sec(30)}},
		{Name: "e", Start: sec(4), Identity: scenarios.IdentityStable, Elector: &scenarios.Elector{Variant: scenarios.VariantSeed}},
	}
	fault := func(typ scenarios.FaultType, at time.Duration, length int, nodes ...string) scenarios.Fault {
		f := scenarios.Fault{Type: typ, At: metav1.Duration{Duration: at}, Nodes: nodes}
		if length > 0 {
			f.Duration = ms(length * 1000)
		}
		return f
	}
	const cycle = 10 * time.Minute
	for base := time.Duration(0); base+cycle <= d; base += cycle {
		at := func(s int) time.Duration { return base + time.Duration(s)*time.Second }
		drop := fault(scenarios.FaultPartition, at(60), 30, "a")
		drop.Mode = scenarios.ModeDropRequests
		lost := fault(scenarios.FaultPartition, at(120), 20, "b")
		lost.Mode = scenarios.ModeDropResponses
		refuse := fault(scenarios.FaultPartition, at(180), 40, "c")
		refuse.Mode = scenarios.ModeRefuse
		down := fault(scenarios.FaultAPIOutage, at(240), 15)
		down.Mode = scenarios.ModeRefuse
		hang := fault(scenarios.FaultAPIOutage, at(300), 20)
		hang.Mode = scenarios.ModeHang
		crash := fault(scenarios.FaultCrash, at(360), 0, "d")
		crash.RestartAfter = ms(10000)
		pause := fault(scenarios.FaultPause, at(420), 12, "e")
		stale := fault(scenarios.FaultStaleReads, at(450), 60)
		stale.MaxLag = ms(2000)
		slow := fault(scenarios.FaultLatency, at(520), 30, "a")
		slow.Response = &scenarios.Distribution{Type: scenarios.DistUniform, Min: ms(100), Max: ms(3000)}
		stop := fault(scenarios.FaultStop, at(550), 0, "b")
		rate := fault(scenarios.FaultClockRate, at(560), 0, "c")
		rate.Rate = p([]float64{1.1, 0.9}[int(base/cycle)%2])
		jump := fault(scenarios.FaultClockJump, at(570), 0, "d")
		jump.Jump = ms(-60000)
		sc.Spec.Faults = append(sc.Spec.Faults, drop, lost, refuse, down, hang, crash, pause, stale, slow, stop, rate, jump)
	}
	scenarios.Default(sc)
	if errs := sc.Validate(); len(errs) > 0 {
		panic(fmt.Sprintf("heavyFaultScenario: %v", errs))
	}
	return sc
}
