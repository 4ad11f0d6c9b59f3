package reports

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"
	"time"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TuneCandidate is one elector timing a tuning search judged.
type TuneCandidate struct {
	LeaseDuration Dur `json:"leaseDuration"`
	RenewDeadline Dur `json:"renewDeadline"`
	RetryPeriod   Dur `json:"retryPeriod"`
	// FailoverMaxSeconds is the worst failover over the fault space.
	FailoverMaxSeconds float64 `json:"failoverMaxSeconds"`
	// LeaderlessMaxSeconds is the longest leaderless span over it.
	LeaderlessMaxSeconds float64 `json:"leaderlessMaxSeconds"`
	// OverlapSeconds is the worst total overlap of one run.
	OverlapSeconds float64 `json:"overlapSeconds"`
	// MarginSeconds is the safety margin: how much longer a follower
	// waits than the leader can go on believing it leads, in true time,
	// at the fault space's worst clock ratio and latency.
	MarginSeconds float64 `json:"marginSeconds"`
	Runs          int     `json:"runs"`
	// Safe: no overlap in any run, at least the required margin and a
	// failover within the limit.
	Safe bool `json:"safe"`
	// Verdict says why: "safe", "overlap", "margin" (too small) or
	// "too-slow" (failover over the limit).
	Verdict string `json:"verdict"`
	Chosen  bool   `json:"chosen"`
}

// Label is "LD/RD/RP" in Go durations.
func (c TuneCandidate) Label() string {
	return fmt.Sprintf("%s/%s/%s", time.Duration(c.LeaseDuration), time.Duration(c.RenewDeadline), time.Duration(c.RetryPeriod))
}

// Frontier draws the tuning trade-off: each candidate's recovery time
// (x, FailoverMaxSeconds: tune's recovery p99) against its margin (y,
// MarginSeconds: tune's round-trip headroom, min(RD, request timeout)
// minus the renew round trip at p99.9). Safe candidates are green dots,
// unsafe ones red crosses, the chosen one ringed; the line joins the safe
// candidates no other safe candidate beats on both axes.
func Frontier(title string, cands []TuneCandidate) *Figure {
	if title == "" {
		title = "Tuning frontier: recovery time vs round-trip headroom"
	}
	p := newPlot(title, "recovery p99 (s)", "round-trip headroom (s)")
	legend := newLegend()
	grid := plotter.NewGrid()
	grid.Horizontal.Color, grid.Vertical.Color = colGrid, colGrid
	p.Add(grid)

	var safe, unsafe, thin, slow, chosen markers
	safe.style = draw.GlyphStyle{Color: colSafe, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
	unsafe.style = draw.GlyphStyle{Color: colUnsafe, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
	thin.style = draw.GlyphStyle{Color: colOrange, Radius: vg.Points(3.5), Shape: draw.TriangleGlyph{}}
	slow.style = draw.GlyphStyle{Color: color.NRGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}, Radius: vg.Points(3.5), Shape: draw.RingGlyph{}}
	chosen.style = draw.GlyphStyle{Color: colBlack, Radius: vg.Points(8), Shape: draw.RingGlyph{}}
	var xys plotter.XYs
	var labels []string
	for _, c := range cands {
		pt := vg.Point{X: vg.Length(c.FailoverMaxSeconds), Y: vg.Length(c.MarginSeconds)}
		switch {
		case c.Safe:
			safe.pts = append(safe.pts, pt)
		case c.Verdict == "margin":
			thin.pts = append(thin.pts, pt)
		case c.Verdict == "too-slow":
			slow.pts = append(slow.pts, pt)
		default:
			unsafe.pts = append(unsafe.pts, pt)
		}
		if c.Chosen {
			chosen.pts = append(chosen.pts, pt)
		}
		xys = append(xys, plotter.XY{X: c.FailoverMaxSeconds, Y: c.MarginSeconds})
		labels = append(labels, c.Label())
	}

	// The frontier: safe candidates sorted by failover, keeping each
	// one whose margin beats every faster one's.
	var front []TuneCandidate
	for _, c := range cands {
		if c.Safe {
			front = append(front, c)
		}
	}
	slices.SortStableFunc(front, func(a, b TuneCandidate) int {
		return cmp.Or(cmp.Compare(a.FailoverMaxSeconds, b.FailoverMaxSeconds), cmp.Compare(b.MarginSeconds, a.MarginSeconds))
	})
	var line plotter.XYs
	best := 0.0
	for i, c := range front {
		if i == 0 || c.MarginSeconds > best {
			line = append(line, plotter.XY{X: c.FailoverMaxSeconds, Y: c.MarginSeconds})
			best = c.MarginSeconds
		}
	}
	if len(line) > 1 {
		if l, err := plotter.NewLine(line); err == nil {
			l.StepStyle = plotter.PreStep
			l.LineStyle = draw.LineStyle{Color: colSafe, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
			p.Add(l)
			legend.Add("frontier of safe timings", l)
		}
	}
	// Zero margin: below it a follower can take over while the leader
	// still leads.
	if len(cands) > 0 {
		zero := plotter.NewFunction(func(float64) float64 { return 0 })
		zero.LineStyle = draw.LineStyle{Color: colUnsafe, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
		p.Add(zero)
		legend.Add("zero headroom", zero)
	}
	if len(safe.pts) > 0 {
		p.Add(safe)
		legend.Add("clean in the search", glyphThumb(safe.style))
	}
	if len(thin.pts) > 0 {
		p.Add(thin)
		legend.Add("no overlap seen, margin too small", glyphThumb(thin.style))
	}
	if len(slow.pts) > 0 {
		p.Add(slow)
		legend.Add("clean but over a constraint", glyphThumb(slow.style))
	}
	if len(unsafe.pts) > 0 {
		p.Add(unsafe)
		legend.Add("overlap or no leader measured", glyphThumb(unsafe.style))
	}
	if len(chosen.pts) > 0 {
		p.Add(chosen)
		legend.Add("chosen and verified", glyphThumb(chosen.style))
	}
	if len(cands) > 0 && len(cands) <= 40 {
		if l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels}); err == nil {
			for i := range l.TextStyle {
				l.TextStyle[i].Font = sans(8)
				l.TextStyle[i].XAlign = text.XLeft
			}
			l.Offset = vg.Point{X: vg.Points(6), Y: vg.Points(2)}
			p.Add(l)
			legend.Add("labels: LD/RD/RP", swatch{fill: colNoneT})
		}
	}
	padAxes(p, xys)
	return &Figure{Name: "tune-frontier", Title: title, Width: 10 * vg.Inch, Height: 6 * vg.Inch, draw: withLegend(p, legend)}
}
