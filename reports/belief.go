package reports

import (
	"fmt"
	"sort"
	"time"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lesim/lesim/reports/analysis"
	"github.com/lesim/lesim/scenarios/check"
)

// holderStops is when the holder of a belief span actually stopped
// leading: the end of its interval that covers the span, -1 if it never
// led.
func holderStops(r *check.Result, sp analysis.BeliefSpan) time.Duration {
	stop := time.Duration(-1)
	for _, iv := range r.Leadership {
		if iv.Identity == sp.Holder && iv.Start <= sp.Expires && iv.End >= sp.From {
			stop = iv.End
		}
	}
	return stop
}

// BeliefVsTruth draws, per node, when it led (truth) and, below, how long
// it believed another node's lease valid on its own clock (belief). Where
// a node's belief expired while the holder was in fact still leading, the
// gap is red: that is the window in which it could take over during the
// holder's term. Dotted lines mark each holder's actual stop.
func BeliefVsTruth(r *check.Result, beliefs []analysis.BeliefSpan) *Figure {
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
	for _, sp := range beliefs {
		y, ok := laneY[sp.Node]
		if !ok {
			continue
		}
		belief = append(belief, rect{x0: sp.From.Seconds(), x1: sp.Expires.Seconds(), y0: y - 0.3, y1: y - 0.04, fill: colDraining, minWidth: vg.Points(1)})
		expiries.pts = append(expiries.pts, vg.Point{X: vg.Length(sp.Expires.Seconds()), Y: vg.Length(y - 0.17)})
		if stop := holderStops(r, sp); stop > sp.Expires && sp.Expires < r.Duration {
			late = append(late, rect{x0: sp.Expires.Seconds(), x1: stop.Seconds(), y0: y - 0.3, y1: y - 0.04, fill: colUnsafe, minWidth: vg.Points(2.5)})
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
	frameLanes(p, r, lanes, end)
	p.Y.Label.Text = "node (top: leads, bottom: believes)"
	h := max(vg.Inch*1.5+vg.Length(n)*vg.Inch*0.5, 3*vg.Inch)
	return &Figure{Name: "belief-vs-truth", Title: title, Width: 10 * vg.Inch, Height: h, draw: withLegend(p, legend)}
}
