package scenarios

import (
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// DefaultMaxEvents is the event budget of a run unless RunOptions says
// otherwise: four times what 10,000 simulated hours of the default
// scenario take (about 12,000 events an hour), a few minutes of work.
const DefaultMaxEvents uint64 = 500_000_000

// eventsPerRequest is a lower bound of the kernel events one try of an
// elector or one workload write costs (the library's scenarios take 2.2 to
// 2.5), so that the estimate errs on the low side: a run it rejects would
// exceed the budget.
const eventsPerRequest = 2

// load is one setting's share of a run's API requests: the election of
// the nodes sharing one retry period, or the workload.
type load struct {
	rp       time.Duration // the retry period; 0 for the workload
	nodes    int
	workload bool
	perSec   float64 // requests per simulated second
}

// describe names the load's setting: its field path, what it is ("retryPeriod
// 1ns with 3 nodes") and what it sends. Only a refused run needs them, so
// they are not built for every run.
func (l load) describe(sc *Scenario) (*field.Path, string, string) {
	p := field.NewPath("spec")
	if l.workload {
		return p.Child("workload", "period"), "period " + fmtDur(sc.Spec.Workload.Period.Duration), "writes"
	}
	path := p.Child("elector", "retryPeriod")
	if i := nodeWithRetryPeriod(sc, l.rp); i >= 0 {
		path = p.Child("nodes").Index(i).Child("elector", "retryPeriod")
	}
	return path, fmt.Sprintf("retryPeriod %s with %d node%s", fmtDur(l.rp), l.nodes, plural(l.nodes)), "requests"
}

// EstimateEvents is a pre-flight estimate of the events a run of the
// defaulted, valid scenario takes, for refusing before the run one that
// would exceed maxEvents. The error names the setting responsible, at its
// field path.
func EstimateEvents(sc *Scenario, maxEvents uint64) (float64, *field.Error) {
	// Nodes grouped by retry period, in the order the periods first occur.
	loads := make([]load, 0, len(sc.Spec.Nodes)+1)
	for i := range sc.Spec.Nodes {
		rp := sc.NodeElector(i).RetryPeriod
		k := slices.IndexFunc(loads, func(l load) bool { return l.rp == rp })
		if k < 0 {
			loads = append(loads, load{rp: rp})
			k = len(loads) - 1
		}
		loads[k].nodes++
	}
	for i := range loads {
		loads[i].perSec = float64(loads[i].nodes) * float64(time.Second) / float64(max(loads[i].rp, 1))
	}
	if w := sc.Spec.Workload; w != nil && w.Period != nil {
		loads = append(loads, load{workload: true, perSec: float64(time.Second) / float64(max(w.Period.Duration, 1))})
	}
	secs := sc.Duration().Seconds()
	total, worst := 0.0, -1
	for i, l := range loads {
		total += l.perSec * secs * eventsPerRequest
		if worst < 0 || l.perSec > loads[worst].perSec {
			worst = i
		}
	}
	if maxEvents == 0 || total <= float64(maxEvents) || worst < 0 {
		return total, nil
	}
	l := loads[worst]
	path, what, word := l.describe(sc)
	return total, field.Invalid(path, "", fmt.Sprintf("%s: about %.2g %s per simulated second, so a run of %s would take more than %.2g events, beyond the event budget of %d (--max-events); expected a longer period or a shorter spec.duration",
		what, l.perSec, word, fmtDur(sc.Duration()), total, maxEvents))
}

// nodeWithRetryPeriod is the first node whose own elector sets retryPeriod
// to rp, or -1 when the spec level sets it.
func nodeWithRetryPeriod(sc *Scenario, rp time.Duration) int {
	for i, n := range sc.Spec.Nodes {
		if n.Elector != nil && n.Elector.RetryPeriod != nil && n.Elector.RetryPeriod.Duration == rp {
			return i
		}
	}
	return -1
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
