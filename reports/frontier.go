package reports

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"
	"time"

	"gonum.org/v1/plot"
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

// FrontierPoints are the safe candidates that no other safe candidate
// beats on both axes (a faster worst failover and a larger margin),
// ordered by failover: the line a user picks a timing from.
func FrontierPoints(cands []TuneCandidate) []TuneCandidate {
	var front []TuneCandidate
	for _, c := range cands {
		if c.Safe {
			front = append(front, c)
		}
	}
	slices.SortStableFunc(front, func(a, b TuneCandidate) int {
		return cmp.Or(cmp.Compare(a.FailoverMaxSeconds, b.FailoverMaxSeconds), cmp.Compare(b.MarginSeconds, a.MarginSeconds))
	})
	var out []TuneCandidate
	best := 0.0
	for i, c := range front {
		if i == 0 || c.MarginSeconds > best {
			out = append(out, c)
			best = c.MarginSeconds
		}
	}
	return out
}

// maxAllLabels is the most candidates labelled all; beyond it only the
// frontier and the chosen timing are, or the labels would be a smear.
const maxAllLabels = 40

// frontierLabelled picks the candidates whose dots carry their timing.
func frontierLabelled(cands []TuneCandidate) []TuneCandidate {
	if len(cands) <= maxAllLabels {
		return cands
	}
	out := FrontierPoints(cands)
	for _, c := range cands {
		if c.Chosen && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// frontierMarkers sorts the candidates into the plot's glyph classes.
type frontierMarkers struct{ safe, unsafe, thin, slow, chosen markers }

func newFrontierMarkers(cands []TuneCandidate) frontierMarkers {
	var m frontierMarkers
	m.safe.style = draw.GlyphStyle{Color: colSafe, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
	m.unsafe.style = draw.GlyphStyle{Color: colUnsafe, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
	m.thin.style = draw.GlyphStyle{Color: colOrange, Radius: vg.Points(3.5), Shape: draw.TriangleGlyph{}}
	m.slow.style = draw.GlyphStyle{Color: color.NRGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}, Radius: vg.Points(3.5), Shape: draw.RingGlyph{}}
	m.chosen.style = draw.GlyphStyle{Color: colBlack, Radius: vg.Points(8), Shape: draw.RingGlyph{}}
	for _, c := range cands {
		pt := vg.Point{X: vg.Length(c.FailoverMaxSeconds), Y: vg.Length(c.MarginSeconds)}
		switch {
		case c.Safe:
			m.safe.pts = append(m.safe.pts, pt)
		case c.Verdict == "margin":
			m.thin.pts = append(m.thin.pts, pt)
		case c.Verdict == "too-slow":
			m.slow.pts = append(m.slow.pts, pt)
		default:
			m.unsafe.pts = append(m.unsafe.pts, pt)
		}
		if c.Chosen {
			m.chosen.pts = append(m.chosen.pts, pt)
		}
	}
	return m
}

// Frontier draws the tuning trade-off: each candidate's worst failover
// (x) against its safety margin (y). Safe candidates are green dots, unsafe
// ones red crosses, the chosen one ringed; the line joins the safe
// candidates no other safe candidate beats on both axes. Dots carry their
// timing (all of them up to 40 candidates, else the frontier's and the
// chosen one's).
func Frontier(title string, cands []TuneCandidate) *Figure {
	if title == "" {
		title = "Tuning frontier: failover time vs safety margin"
	}
	p := newPlot(title, "worst failover over the fault space (s)", "safety margin (s)")
	legend := newLegend()
	grid := plotter.NewGrid()
	grid.Horizontal.Color, grid.Vertical.Color = colGrid, colGrid
	p.Add(grid)
	var xys plotter.XYs
	for _, c := range cands {
		xys = append(xys, plotter.XY{X: c.FailoverMaxSeconds, Y: c.MarginSeconds})
	}
	var line plotter.XYs
	for _, c := range FrontierPoints(cands) {
		line = append(line, plotter.XY{X: c.FailoverMaxSeconds, Y: c.MarginSeconds})
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
	m := newFrontierMarkers(cands)
	for _, g := range []struct {
		m    markers
		name string
	}{{m.safe, "safe"}, {m.thin, "no overlap seen, margin too small"}, {m.slow, "safe but failover too slow"}, {m.unsafe, "overlap measured"}, {m.chosen, "chosen: fastest safe"}} {
		if len(g.m.pts) > 0 {
			p.Add(g.m)
			legend.Add(g.name, glyphThumb(g.m.style))
		}
	}
	addFrontierLabels(p, &legend, frontierLabelled(cands))
	padAxes(p, xys)
	return &Figure{Name: "tune-frontier", Title: title, Width: 10 * vg.Inch, Height: 6 * vg.Inch, draw: withLegend(p, legend)}
}

func addFrontierLabels(p *plot.Plot, legend *plot.Legend, cands []TuneCandidate) {
	if len(cands) == 0 {
		return
	}
	var xys plotter.XYs
	var labels []string
	for _, c := range cands {
		xys = append(xys, plotter.XY{X: c.FailoverMaxSeconds, Y: c.MarginSeconds})
		labels = append(labels, c.Label())
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font = sans(8)
		l.TextStyle[i].XAlign = text.XLeft
	}
	l.Offset = vg.Point{X: vg.Points(6), Y: vg.Points(2)}
	p.Add(l)
	legend.Add("labels: LD/RD/RP", swatch{fill: colNoneT})
}
