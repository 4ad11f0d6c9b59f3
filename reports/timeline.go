package reports

import (
	"fmt"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lesim/lesim/scenarios/check"
)

// maxLanes is the most nodes a timeline draws one lane each for. Beyond
// it (herds of candidates) only the nodes that led or had faults get a
// lane: the others would be empty rows.
const maxLanes = 24

// instantGlyphs are the markers of faults that happen at an instant.
var instantGlyphs = map[string]draw.GlyphStyle{
	"crash":     {Color: colUnsafe, Radius: vg.Points(5), Shape: draw.CrossGlyph{}},
	"stop":      {Color: colBlack, Radius: vg.Points(4), Shape: draw.BoxGlyph{}},
	"clockRate": {Color: colBlack, Radius: vg.Points(4.5), Shape: draw.TriangleGlyph{}},
	"clockJump": {Color: colBlack, Radius: vg.Points(4.5), Shape: draw.PyramidGlyph{}},
}

// Timeline draws who led when: one lane per node, leading intervals as
// bars (lighter where the leader was draining after its context was
// cancelled), pauses inside them hatched dark, overlap episodes shaded red
// across all lanes, windowed faults as strips under the lanes and
// instantaneous ones as markers.
func Timeline(r *check.Result) *Figure {
	lanes, hidden := timelineLanes(r)
	n := len(lanes)
	title := fmt.Sprintf("Leadership timeline: %s, seed %d", r.Scenario, r.Seed)
	if hidden > 0 {
		title += fmt.Sprintf(" (%d idle nodes not shown)", hidden)
	}
	p, laneY, end := newLanePlot(title, lanes, r.Duration)
	legend := newLegend()

	var overlap, bars, drain, paused rects
	for _, w := range r.Overlap.Episodes {
		overlap = append(overlap, rect{x0: w.Start.Seconds(), x1: w.End.Seconds(), y0: -0.6, y1: float64(n) - 0.4, fill: colOverlap, minWidth: vg.Points(2.5)})
	}
	for _, iv := range r.Leadership {
		y, ok := laneY[iv.Node]
		if !ok {
			continue
		}
		bars = append(bars, rect{x0: iv.Start.Seconds(), x1: iv.Cancelled.Seconds(), y0: y - 0.22, y1: y + 0.22, fill: colLeading, minWidth: vg.Points(1)})
		if iv.End > iv.Cancelled {
			drain = append(drain, rect{x0: iv.Cancelled.Seconds(), x1: iv.End.Seconds(), y0: y - 0.22, y1: y + 0.22, fill: colDraining, minWidth: vg.Points(1)})
		}
		for _, w := range iv.Paused {
			paused = append(paused, rect{x0: w.Start.Seconds(), x1: w.End.Seconds(), y0: y - 0.22, y1: y + 0.22, fill: colPaused, minWidth: vg.Points(1)})
		}
	}

	tf := newTimelineFaults(r, lanes, laneY)
	strips, stripTypes, marks, markTypes := tf.strips, tf.stripTypes, tf.marks, tf.markTypes

	// Overlap goes over the bars, translucent, so that it shows where it
	// matters: on top of the two terms that overlap.
	p.Add(bars, drain, paused, overlap)
	legend.Add("leading", swatch{fill: colLeading})
	if len(drain) > 0 {
		legend.Add("draining after cancel", swatch{fill: colDraining})
	}
	if len(paused) > 0 {
		legend.Add("paused while leading", swatch{fill: colPaused})
	}
	if len(overlap) > 0 {
		legend.Add("overlap (2+ leaders)", swatch{fill: colOverlap})
	}
	for _, t := range stripTypes {
		p.Add(strips[t])
		legend.Add("fault: "+t, swatch{fill: faultColour(t), thin: true})
	}
	for _, t := range markTypes {
		p.Add(*marks[t])
		legend.Add("fault: "+t, glyphThumb(marks[t].style))
	}

	frameLanes(p, r, lanes, end)
	p.Y.Label.Text = "node"
	h := vg.Inch*1.5 + vg.Length(n)*vg.Inch*0.42
	h = max(h, 3*vg.Inch)
	return &Figure{Name: "timeline", Title: title, Width: 10 * vg.Inch, Height: h, draw: withLegend(p, legend)}
}

// timelineFaults are a timeline's fault drawings: windowed faults as
// strips under their lanes, instantaneous ones as markers, by type in
// order of first appearance.
type timelineFaults struct {
	strips     map[string]rects
	stripTypes []string
	marks      map[string]*markers
	markTypes  []string
}

func newTimelineFaults(r *check.Result, lanes []string, laneY map[string]float64) timelineFaults {
	tf := timelineFaults{strips: map[string]rects{}, marks: map[string]*markers{}}
	for _, f := range r.Faults {
		nodes := f.Nodes
		if len(nodes) == 0 {
			nodes = lanes // an API-wide fault touches every node
		}
		for _, node := range nodes {
			y, ok := laneY[node]
			if !ok {
				continue
			}
			if f.End > f.Start {
				if _, seen := tf.strips[f.Type]; !seen {
					tf.stripTypes = append(tf.stripTypes, f.Type)
				}
				tf.strips[f.Type] = append(tf.strips[f.Type], rect{x0: f.Start.Seconds(), x1: f.End.Seconds(), y0: y - 0.40, y1: y - 0.30, fill: faultColour(f.Type), minWidth: vg.Points(2)})
				continue
			}
			m, seen := tf.marks[f.Type]
			if !seen {
				style, known := instantGlyphs[f.Type]
				if !known {
					style = draw.GlyphStyle{Color: colBlack, Radius: vg.Points(4), Shape: draw.RingGlyph{}}
				}
				m = &markers{style: style}
				tf.marks[f.Type] = m
				tf.markTypes = append(tf.markTypes, f.Type)
			}
			m.pts = append(m.pts, vg.Point{X: vg.Length(f.Start.Seconds()), Y: vg.Length(y + 0.34)})
		}
	}
	return tf
}

// timelineLanes picks the nodes that get a lane, in the result's node
// order, and says how many were left out.
func timelineLanes(r *check.Result) (lanes []string, hidden int) {
	all := make([]string, 0, len(r.Nodes))
	for _, nd := range r.Nodes {
		all = append(all, nd.Name)
	}
	// Nodes that appear only in intervals (a result built by hand) still
	// get a lane.
	for _, iv := range r.Leadership {
		if !slices.Contains(all, iv.Node) {
			all = append(all, iv.Node)
		}
	}
	if len(all) <= maxLanes {
		return all, 0
	}
	busy := map[string]bool{}
	for _, iv := range r.Leadership {
		busy[iv.Node] = true
	}
	for _, f := range r.Faults {
		for _, nd := range f.Nodes {
			busy[nd] = true
		}
	}
	for _, name := range all {
		if busy[name] {
			lanes = append(lanes, name)
		}
	}
	return lanes, len(all) - len(lanes)
}

var _ plot.Plotter = rects(nil)

// laneLabel names a lane, with the node's clock rate when it is not 1:
// skew is what most figures are about.
func laneLabel(r *check.Result, node string) string {
	for _, n := range r.Nodes {
		if n.Name == node && n.Rate != 0 && n.Rate != 1 {
			return fmt.Sprintf("%s (clock ×%g)", node, n.Rate)
		}
	}
	return node
}

// newLanePlot is the frame the timeline and belief plots share: one lane
// per node, top to bottom in the order given, over the run's true time,
// with vertical grid lines. It returns the plot, each lane's y and the
// x extent in seconds.
// frameLanes sets the axes of a lane plot once its marks are in: marks that
// run past the end (a belief reaching beyond the run) must not stretch the
// X axis, since the run is the frame, and each lane is named on Y, top
// lane first.
func frameLanes(p *plot.Plot, r *check.Result, lanes []string, end float64) {
	n := len(lanes)
	p.X.Min, p.X.Max = 0, end
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	names := make([]string, n)
	for i, name := range lanes {
		names[n-1-i] = laneLabel(r, name)
	}
	p.NominalY(names...)
}

func newLanePlot(title string, lanes []string, dur time.Duration) (*plot.Plot, map[string]float64, float64) {
	n := len(lanes)
	laneY := make(map[string]float64, n)
	for i, name := range lanes {
		laneY[name] = float64(n - 1 - i)
	}
	p := newPlot(title, "true time (s)", "node")
	end := dur.Seconds()
	if end <= 0 {
		end = 1
	}
	p.X.Min, p.X.Max = 0, end
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil
	grid.Vertical.Color = colGrid
	p.Add(grid)
	return p, laneY, end
}
