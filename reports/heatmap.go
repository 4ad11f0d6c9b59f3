package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

var (
	colNoOverlap = color.NRGBA{R: 0xc7, G: 0xe9, B: 0xc0, A: 0xff}
	colMissing   = color.NRGBA{R: 0xee, G: 0xee, B: 0xee, A: 0xff}
)

// grid is a GridXYZ over the distinct x and y values of the points.
type grid struct {
	xs, ys []float64
	z      [][]float64 // z[c][r], NaN where no point falls
}

func (g *grid) Dims() (c, r int)   { return len(g.xs), len(g.ys) }
func (g *grid) Z(c, r int) float64 { return g.z[c][r] }

// X and Y place cells by index, not value: swept values are often
// irregular (1, 1.1, 1.2, 1.5), and cells of equal size read better; the
// axes label the values.
func (g *grid) X(c int) float64 { return float64(c) }
func (g *grid) Y(r int) float64 { return float64(r) }

func roundKey(v float64) float64          { return math.Round(v*1e6) / 1e6 }
func indexOf(vs []float64, v float64) int { i, _ := slices.BinarySearch(vs, v); return i }

// OverlapHeatmap draws the mean overlap per run over clock-rate ratio
// (x) × LeaseDuration/RenewDeadline (y). Where several points fall in one
// cell (they differ in retry period, latency, pauses ...), the cell shows
// the worst of them. Cells without overlap are green; missing cells grey.
func OverlapHeatmap(title string, points []SweepPoint) *Figure {
	if title == "" {
		title = "Overlap by clock-rate ratio and LeaseDuration/RenewDeadline"
	}
	g, zmax := overlapGrid(points)
	p := newPlot(title, "clock-rate ratio: follower rate / leader rate", "LeaseDuration / RenewDeadline")
	legend := newLegend()
	legend.Add("no overlap", swatch{fill: colNoOverlap})
	if len(points) == 0 {
		legend.Add("no points", swatch{fill: colMissing})
		return &Figure{Name: "overlap-heatmap", Title: title, Width: 9 * vg.Inch, Height: 6 * vg.Inch, draw: withLegend(p, legend)}
	}
	pal := brewerPalette(7)
	hm := plotter.NewHeatMap(g, pal)
	// Zero overlap must not look like "a little": it is the safe
	// region. Everything from 1 ns up takes the palette, zero underflows
	// to green.
	hm.Min, hm.Max = 1e-9, max(zmax, 2e-9)
	hm.Underflow = colNoOverlap
	hm.NaN = colMissing
	p.Add(hm)

	cols := pal.Colors()
	if zmax > 0 {
		step := (hm.Max - hm.Min) / float64(len(cols)-1)
		for i := 0; i < len(cols); i += 2 {
			label := fmt.Sprintf("%.3g s", hm.Min+float64(i)*step)
			if i == 0 {
				label = "> 0 s"
			}
			legend.Add(label, swatch{fill: cols[i]})
		}
	}
	if slices.ContainsFunc(g.z, func(col []float64) bool { return slices.ContainsFunc(col, math.IsNaN) }) {
		legend.Add("not swept", swatch{fill: colMissing})
	}
	addCellValues(p, g)
	p.X.Tick.Marker = valueTicks(g.xs)
	p.Y.Tick.Marker = valueTicks(g.ys)
	legend.Add("cell: mean overlap per run (s),", swatch{fill: colNoneT})
	legend.Add("worst over the other parameters", swatch{fill: colNoneT})
	return &Figure{Name: "overlap-heatmap", Title: title, Width: 9 * vg.Inch, Height: 6 * vg.Inch, draw: withLegend(p, legend)}
}

// overlapGrid lays the points out by clock-rate ratio (x) and
// LeaseDuration/RenewDeadline (y), each cell the worst mean overlap of
// the points on it (NaN where none), and returns the largest value.
func overlapGrid(points []SweepPoint) (*grid, float64) {
	g := &grid{}
	for _, p := range points {
		x, y := roundKey(p.Params.ClockRatio), roundKey(p.Params.LDOverRD())
		if !slices.Contains(g.xs, x) {
			g.xs = append(g.xs, x)
		}
		if !slices.Contains(g.ys, y) {
			g.ys = append(g.ys, y)
		}
	}
	slices.Sort(g.xs)
	slices.Sort(g.ys)
	g.z = make([][]float64, len(g.xs))
	for c := range g.z {
		g.z[c] = make([]float64, len(g.ys))
		for r := range g.z[c] {
			g.z[c][r] = math.NaN()
		}
	}
	zmax := 0.0
	for _, p := range points {
		c, r := indexOf(g.xs, roundKey(p.Params.ClockRatio)), indexOf(g.ys, roundKey(p.Params.LDOverRD()))
		v := p.Stats.OverlapMeanSeconds
		if math.IsNaN(g.z[c][r]) || v > g.z[c][r] {
			g.z[c][r] = v
		}
		zmax = max(zmax, v)
	}
	return g, zmax
}

// addCellValues writes each cell's value in it, as long as they fit.
func addCellValues(p *plot.Plot, g *grid) {
	if len(g.xs)*len(g.ys) > 144 {
		return
	}
	var xys plotter.XYs
	var labels []string
	for c := range g.xs {
		for r := range g.ys {
			v := g.z[c][r]
			if math.IsNaN(v) {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(c), Y: float64(r)})
			labels = append(labels, fmt.Sprintf("%.3g", v))
		}
	}
	if l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels}); err == nil {
		for i := range l.TextStyle {
			l.TextStyle[i].Font = sans(10)
			l.TextStyle[i].XAlign = text.XCenter
			l.TextStyle[i].YAlign = text.YCenter
		}
		p.Add(l)
	}
}

func brewerPalette(n int) palette.Palette {
	p, err := brewer.GetPalette(brewer.TypeSequential, "YlOrRd", n)
	if err != nil {
		panic(err) // a fixed, known palette
	}
	return p
}

// valueTicks labels exactly the swept values (thinned when there are
// many), since the cells sit on them.
func valueTicks(vs []float64) plot.ConstantTicks {
	every := 1 + len(vs)/16
	var ts plot.ConstantTicks
	for i, v := range vs {
		t := plot.Tick{Value: float64(i)}
		if i%every == 0 {
			t.Label = strconv.FormatFloat(v, 'g', 4, 64)
		}
		ts = append(ts, t)
	}
	return ts
}
