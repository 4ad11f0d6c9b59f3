package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lesim/lesim/scenarios"
)

// ObservedKind is the trace event a run records when a node's elector
// observes a new lease record (client-go moves observedTime): Local is the
// node's reading, which is the new observedTime, and Detail reads
// "holder=<identity> leaseDurationSeconds=<n>".
const ObservedKind = "observed"

// Belief is one observation of the lease by a node: from Observed on, the
// node believes Holder holds the lease until its own clock has advanced
// LeaseDurationSeconds, which happens at true time Expires.
type Belief struct {
	Node     string
	Holder   string
	Observed time.Duration
	Expires  time.Duration
}

// BeliefsFromTrace extracts the nodes' beliefs from a kept trace. It
// returns nil when the trace holds no observation events (a run without
// KeepTrace).
func BeliefsFromTrace(r *scenarios.Result) []Belief {
	rates := newRateBook(r)
	var out []Belief
	for _, ev := range r.Trace {
		if ev.Kind == "clock-rate" {
			if v, ok := detailField(ev.Detail, "rate"); ok {
				if rate, err := strconv.ParseFloat(v, 64); err == nil {
					rates.set(ev.Node, ev.At, rate)
				}
			}
			continue
		}
		if ev.Kind != ObservedKind {
			continue
		}
		holder, _ := detailField(ev.Detail, "holder")
		lds, ok := detailField(ev.Detail, "leaseDurationSeconds")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(lds)
		if err != nil {
			continue
		}
		out = append(out, Belief{Node: ev.Node, Holder: holder, Observed: ev.At, Expires: rates.trueAfter(ev.Node, ev.At, time.Duration(n)*time.Second)})
	}
	return out
}

// detailField reads key=value out of a space-separated detail string; a
// value may be Go-quoted.
func detailField(detail, key string) (string, bool) {
	for _, f := range strings.Fields(detail) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k != key {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		return v, true
	}
	return "", false
}

// rateBook follows each node's clock rate over true time: the initial
// rate, scheduled changes (trace) and clockRate faults.
type rateBook map[string][]rateStep

type rateStep struct {
	at   time.Duration
	rate float64
}

func newRateBook(r *scenarios.Result) rateBook {
	b := rateBook{}
	for _, n := range r.Nodes {
		rate := n.Rate
		if rate <= 0 {
			rate = 1
		}
		b[n.Name] = []rateStep{{0, rate}}
	}
	for _, f := range r.Faults {
		if f.Type != "clockRate" {
			continue
		}
		v, ok := detailField(f.Note, "rate")
		if !ok {
			continue
		}
		rate, err := strconv.ParseFloat(v, 64)
		if err != nil || rate <= 0 {
			continue
		}
		for _, n := range f.Nodes {
			b.set(n, f.Start, rate)
		}
	}
	return b
}

func (b rateBook) set(node string, at time.Duration, rate float64) {
	steps := append(b[node], rateStep{at, rate})
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at < steps[j].at })
	b[node] = steps
}

// trueAfter is the true time at which node's clock, read at true time
// from, has advanced by local.
func (b rateBook) trueAfter(node string, from, local time.Duration) time.Duration {
	steps := b[node]
	if len(steps) == 0 {
		steps = []rateStep{{0, 1}}
	}
	t, left := from, float64(local)
	for i, st := range steps {
		if i+1 < len(steps) && steps[i+1].at <= t {
			continue
		}
		if st.at > t {
			continue
		}
		if i+1 < len(steps) {
			span := float64(steps[i+1].at - t)
			if span*st.rate >= left {
				return t + time.Duration(left/st.rate)
			}
			left -= span * st.rate
			t = steps[i+1].at
			continue
		}
		return t + time.Duration(left/st.rate)
	}
	return t + time.Duration(left)
}

// beliefSpan is a run of consecutive observations of one holder by one
// node: from the first observation to the last believed expiry.
type beliefSpan struct {
	node, holder  string
	from, expires time.Duration
	holderStops   time.Duration // when the holder actually stopped leading, -1 if it never led
}

func beliefSpans(r *scenarios.Result, beliefs []Belief) []beliefSpan {
	own := map[string]string{} // identity -> node
	for _, n := range r.Nodes {
		for _, p := range n.Processes {
			own[p] = n.Name
		}
	}
	var spans []beliefSpan
	open := map[string]int{} // node -> index of its open span
	for _, b := range beliefs {
		if b.Holder == "" || own[b.Holder] == b.Node {
			delete(open, b.Node) // released, or the node itself: no foreign lease to wait out
			continue
		}
		if i, ok := open[b.Node]; ok && spans[i].holder == b.Holder && b.Observed <= spans[i].expires {
			spans[i].expires = max(spans[i].expires, b.Expires)
			continue
		}
		spans = append(spans, beliefSpan{node: b.Node, holder: b.Holder, from: b.Observed, expires: b.Expires, holderStops: -1})
		open[b.Node] = len(spans) - 1
	}
	// The holder's actual stop: the end of its interval that covers the
	// observation.
	for i := range spans {
		sp := &spans[i]
		for _, iv := range r.Leadership {
			if iv.Identity == sp.holder && iv.Start <= sp.expires && iv.End >= sp.from {
				sp.holderStops = iv.End
			}
		}
	}
	return spans
}

// BeliefVsTruth draws, per node, when it led (truth) and, below, how long
// it believed another node's lease valid on its own clock (belief). Where
// a node's belief expired while the holder was in fact still leading, the
// gap is red: that is the window in which it could take over during the
// holder's term. Dotted lines mark each holder's actual stop.
func BeliefVsTruth(r *scenarios.Result, beliefs []Belief) *Figure {
	lanes, _ := timelineLanes(r)
	n := len(lanes)
	title := fmt.Sprintf("Belief vs truth: %s, seed %d", r.Scenario, r.Seed)
	p, laneY, end := newLanePlot(title, lanes, r.Duration)
	legend := newLegend()

	var truth, belief, late rects
	var expiries markers
	expiries.style = draw.GlyphStyle{Color: colBlack, Radius: vg.Points(3), Shape: draw.TriangleGlyph{}}
	var stops []float64
	for _, iv := range r.Leadership {
		y, ok := laneY[iv.Node]
		if !ok {
			continue
		}
		truth = append(truth, rect{x0: iv.Start.Seconds(), x1: iv.End.Seconds(), y0: y + 0.04, y1: y + 0.3, fill: colLeading, minWidth: vg.Points(1)})
		if iv.EndReason != "run-end" {
			stops = append(stops, iv.End.Seconds())
		}
	}
	for _, sp := range beliefSpans(r, beliefs) {
		y, ok := laneY[sp.node]
		if !ok {
			continue
		}
		belief = append(belief, rect{x0: sp.from.Seconds(), x1: sp.expires.Seconds(), y0: y - 0.3, y1: y - 0.04, fill: colDraining, minWidth: vg.Points(1)})
		expiries.pts = append(expiries.pts, vg.Point{X: vg.Length(sp.expires.Seconds()), Y: vg.Length(y - 0.17)})
		if sp.holderStops > sp.expires && sp.expires < r.Duration {
			late = append(late, rect{x0: sp.expires.Seconds(), x1: sp.holderStops.Seconds(), y0: y - 0.3, y1: y - 0.04, fill: colUnsafe, minWidth: vg.Points(2.5)})
		}
	}
	p.Add(truth, belief, late)
	legend.Add("leading (truth)", swatch{fill: colLeading})
	if len(belief) > 0 {
		legend.Add("believes another's lease valid", swatch{fill: colDraining})
		p.Add(expiries)
		legend.Add("believed expiry (own clock)", glyphThumb(expiries.style))
	} else {
		legend.Add("no observations in the trace", swatch{fill: colNoneT})
	}
	if len(late) > 0 {
		legend.Add("believed expired, holder still led", swatch{fill: colUnsafe})
	}
	if len(stops) > 0 {
		sort.Float64s(stops)
		var lines rects
		for _, x := range stops {
			lines = append(lines, rect{x0: x, x1: x, y0: -0.6, y1: float64(n) - 0.4, fill: colBlack, minWidth: vg.Points(0.7)})
		}
		p.Add(lines)
		legend.Add("holder actually stopped", swatch{fill: colBlack, thin: true})
	}
	// Marks that run past the end (a belief reaching beyond the run)
	// must not stretch the axis: the run is the frame.
	p.X.Min, p.X.Max = 0, end
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	names := make([]string, n)
	for i, name := range lanes {
		names[n-1-i] = laneLabel(r, name)
	}
	p.NominalY(names...)
	p.Y.Label.Text = "node (top: leads, bottom: believes)"
	h := max(vg.Inch*1.5+vg.Length(n)*vg.Inch*0.5, 3*vg.Inch)
	return &Figure{Name: "belief-vs-truth", Title: title, Width: 10 * vg.Inch, Height: h, draw: withLegend(p, legend)}
}
