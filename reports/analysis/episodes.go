package analysis

import (
	"cmp"
	"slices"
	"time"

	"github.com/lesim/lesim/scenarios/check"
)

// Episode kinds.
const (
	KindOverlap  = "overlap"
	KindFailover = "failover"
	KindSpurious = "spurious transition"
)

// Episode is a stretch of a run worth a closer look.
type Episode struct {
	Kind       string
	Start, End time.Duration
	// Old is the leader the episode takes leadership from; New the one
	// that has it afterwards (HasNew false when nobody took over).
	Old, New check.Interval
	HasNew   bool
	// From and To frame the view: the old leader's last successful
	// renewal before the episode to the new leader's first renewal, with
	// margins, within the run.
	From, To time.Duration
	// Faults are the run's faults in force during the episode.
	Faults []check.FaultWindow
	// Sentence states the causal chain in numbers.
	Sentence string
}

// Episodes lists the run's overlaps, failovers and spurious transitions
// in time order, each with its view and sentence. A spurious transition
// that is also a failover or an overlap is told once, as that.
func Episodes(res *check.Result, a *Analysis) []Episode {
	var eps []Episode
	for _, w := range res.Overlap.Episodes {
		ep := Episode{Kind: KindOverlap, Start: w.Start, End: w.End}
		ep.New, ep.HasNew = startingAt(res.Leadership, w.Start)
		ep.Old, _ = ledAcross(res.Leadership, w.Start, ep.New.Identity)
		eps = append(eps, ep)
	}
	for _, f := range res.Failovers {
		if f.HandoverGap == 0 && f.Overlap > 0 {
			continue // an overlapping handover is told as its overlap
		}
		ep := Episode{Kind: KindFailover, Start: f.Lost, End: f.Lost + f.HandoverGap}
		ep.Old, _ = endingAt(res.Leadership, f.Lost)
		if f.To != "" {
			ep.New, ep.HasNew = startingAt(res.Leadership, ep.End)
		}
		eps = append(eps, ep)
	}
	for _, iv := range res.Leadership {
		if iv.EndReason != "renew-failed" || slices.ContainsFunc(eps, func(e Episode) bool { return e.Old.Identity == iv.Identity && e.Old.Start == iv.Start }) {
			continue
		}
		ep := Episode{Kind: KindSpurious, Start: iv.Cancelled, End: iv.End, Old: iv}
		ep.New, ep.HasNew = nextLeader(res.Leadership, iv)
		eps = append(eps, ep)
	}
	slices.SortStableFunc(eps, func(x, y Episode) int { return cmp.Compare(x.Start, y.Start) })
	for i := range eps {
		for _, f := range res.Faults {
			if f.Start <= eps[i].End && f.End >= eps[i].Start {
				eps[i].Faults = append(eps[i].Faults, f)
			}
		}
		frame(&eps[i], res, a)
		eps[i].Sentence = Sentence(&eps[i], a)
	}
	return eps
}

func startingAt(ivs []check.Interval, t time.Duration) (check.Interval, bool) {
	for _, iv := range ivs {
		if iv.Start == t {
			return iv, true
		}
	}
	return check.Interval{}, false
}

func endingAt(ivs []check.Interval, t time.Duration) (check.Interval, bool) {
	for _, iv := range ivs {
		if iv.End == t {
			return iv, true
		}
	}
	return check.Interval{}, false
}

// ledAcross is the earliest-started interval other than identity that
// leads at t.
func ledAcross(ivs []check.Interval, t time.Duration, not string) (check.Interval, bool) {
	for _, iv := range ivs {
		if iv.Identity != not && iv.Start <= t && iv.End >= t {
			return iv, true
		}
	}
	return check.Interval{}, false
}

// nextLeader is the first interval of another process that starts after
// iv started.
func nextLeader(ivs []check.Interval, iv check.Interval) (check.Interval, bool) {
	for _, o := range ivs {
		if o.Identity != iv.Identity && o.Start > iv.Start {
			return o, true
		}
	}
	return check.Interval{}, false
}

// frame sets the episode's view.
func frame(ep *Episode, res *check.Result, a *Analysis) {
	from := ep.Old.Start
	if t, ok := a.lastOf(ep.Old.Identity, "renewed", ep.Start); ok {
		from = t
	}
	to := ep.End
	if ep.HasNew {
		to = max(to, ep.New.Start)
		if t, ok := a.firstOf(ep.New.Identity, "renewed", ep.New.Start); ok {
			to = max(to, t)
		}
	}
	margin := max(time.Second, (to-from)/10)
	ep.From, ep.To = max(0, from-margin), to+margin
	if res.Duration > 0 {
		ep.To = min(ep.To, res.Duration)
	}
}

// lastOf is the time of identity's last event of kind at or before t.
func (a *Analysis) lastOf(identity, kind string, t time.Duration) (time.Duration, bool) {
	at, ok := time.Duration(0), false
	for _, ev := range a.Events {
		if ev.At > t {
			break
		}
		if ev.Identity == identity && ev.Kind == kind {
			at, ok = ev.At, true
		}
	}
	return at, ok
}

// firstOf is the time of identity's first event of kind after t.
func (a *Analysis) firstOf(identity, kind string, t time.Duration) (time.Duration, bool) {
	for _, ev := range a.Events {
		if ev.At > t && ev.Identity == identity && ev.Kind == kind {
			return ev.At, true
		}
	}
	return 0, false
}

// firstFrom is the time of node's first event of kind at or after t with
// the detail field key=value (any value when value is "*").
func (a *Analysis) firstFrom(node, kind string, t time.Duration, key, value string) (time.Duration, bool) {
	for _, ev := range a.Events {
		if ev.At < t || ev.Node != node || ev.Kind != kind {
			continue
		}
		if v, ok := DetailField(ev.Detail, key); ok && (value == "*" || v == value) {
			return ev.At, true
		}
	}
	return 0, false
}
