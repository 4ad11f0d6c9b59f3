package scenarios

import (
	"fmt"
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

// load is one setting's share of a run's API requests.
type load struct {
	path     *field.Path
	what     string  // "retryPeriod 1ns with 3 nodes"
	perSec   float64 // requests per simulated second
	whatWord string  // "requests" or "writes"
}

// EstimateEvents is a pre-flight estimate of the events a run of the
// defaulted, valid scenario takes, for refusing before the run one that
// would exceed maxEvents. The error names the setting responsible, at its
// field path.
func EstimateEvents(sc *Scenario, maxEvents uint64) (float64, *field.Error) {
	var loads []load
	byPeriod := map[time.Duration]int{}
	var order []time.Duration
	for i := range sc.Spec.Nodes {
		rp := sc.NodeElector(i).RetryPeriod
		if byPeriod[rp] == 0 {
			order = append(order, rp)
		}
		byPeriod[rp]++
	}
	p := field.NewPath("spec")
	for _, rp := range order {
		n := byPeriod[rp]
		path := p.Child("elector", "retryPeriod")
		if i := nodeWithRetryPeriod(sc, rp); i >= 0 {
			path = p.Child("nodes").Index(i).Child("elector", "retryPeriod")
		}
		loads = append(loads, load{path: path, what: fmt.Sprintf("retryPeriod %s with %d node%s", fmtDur(rp), n, plural(n)),
			perSec: float64(n) * float64(time.Second) / float64(max(rp, 1)), whatWord: "requests"})
	}
	if w := sc.Spec.Workload; w != nil && w.Period != nil {
		loads = append(loads, load{path: p.Child("workload", "period"), what: "period " + fmtDur(w.Period.Duration),
			perSec: float64(time.Second) / float64(max(w.Period.Duration, 1)), whatWord: "writes"})
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
	return total, field.Invalid(l.path, "", fmt.Sprintf("%s: about %.2g %s per simulated second, so a run of %s would take more than %.2g events, beyond the event budget of %d (--max-events); expected a longer period or a shorter spec.duration",
		l.what, l.perSec, l.whatWord, fmtDur(sc.Duration()), total, maxEvents))
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
