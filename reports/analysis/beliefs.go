package analysis

import (
	"strconv"
	"time"

	"github.com/lesim/lesim/scenarios/check"
)

// ObservedKind is the trace event a node's elector records when it
// observes a new lease record (client-go moves observedTime): Local is the
// node's reading, which is the new observedTime, and Detail reads
// "holder=<identity> leaseDurationSeconds=<n>".
const ObservedKind = "observed"

// BeliefSpan is a run of consecutive observations of one foreign holder by
// one node: from its first observation, the node believes Holder holds
// the lease until its own clock has advanced LeaseSeconds past the last
// observation (LastSeen), which happens at true time Expires.
type BeliefSpan struct {
	Node, Holder string
	From         time.Duration // first observation of this holder
	LastSeen     time.Duration // last observation of a change
	Expires      time.Duration // LastSeen + LeaseSeconds on the node's clock
	LeaseSeconds int
	// Rate is the node's clock rate at LastSeen.
	Rate float64
}

// beliefs folds observations into spans as they stream.
type beliefs struct {
	rates      Rates
	identities map[string]string // process identity -> node
	spans      []BeliefSpan
	open       map[string]int // node -> index of its open span
}

func newBeliefs(rates Rates) *beliefs {
	return &beliefs{rates: rates, identities: map[string]string{}, open: map[string]int{}}
}

func (b *beliefs) see(ev check.TraceEvent) {
	switch ev.Kind {
	case "process-started":
		b.identities[ev.Identity] = ev.Node
		return
	case ObservedKind:
	default:
		return
	}
	holder, _ := DetailField(ev.Detail, "holder")
	lds, ok := DetailField(ev.Detail, "leaseDurationSeconds")
	if !ok {
		return
	}
	secs, err := strconv.Atoi(lds)
	if err != nil {
		return
	}
	if holder == "" || b.identities[holder] == ev.Node {
		delete(b.open, ev.Node) // released, or the node itself: no foreign lease to wait out
		return
	}
	expires := b.rates.TrueAfter(ev.Node, ev.At, time.Duration(secs)*time.Second)
	rate := b.rates.At(ev.Node, ev.At)
	if i, ok := b.open[ev.Node]; ok && b.spans[i].Holder == holder && ev.At <= b.spans[i].Expires {
		sp := &b.spans[i]
		sp.LastSeen, sp.Expires, sp.LeaseSeconds, sp.Rate = ev.At, max(sp.Expires, expires), secs, rate
		return
	}
	b.spans = append(b.spans, BeliefSpan{Node: ev.Node, Holder: holder, From: ev.At, LastSeen: ev.At, Expires: expires, LeaseSeconds: secs, Rate: rate})
	b.open[ev.Node] = len(b.spans) - 1
}

// lastBelief is node's belief about holder last refreshed at or before t.
func lastBelief(spans []BeliefSpan, node, holder string, t time.Duration) (BeliefSpan, bool) {
	var best BeliefSpan
	found := false
	for _, sp := range spans {
		if sp.Node == node && sp.Holder == holder && sp.From <= t && (!found || sp.LastSeen > best.LastSeen) {
			best, found = sp, true
		}
	}
	return best, found
}
