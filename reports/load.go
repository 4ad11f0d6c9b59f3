package reports

import (
	"fmt"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lesim/lesim/reports/analysis"
	"github.com/lesim/lesim/scenarios/check"
)

// APILoad draws the election's API requests per second over true time,
// with the fault windows shaded: storms of retries show where leadership
// was contested.
func APILoad(r *check.Result, load analysis.Load) *Figure {
	title := fmt.Sprintf("API requests per second: %s, seed %d", r.Scenario, r.Seed)
	if load.Width > 0 {
		title += fmt.Sprintf(" (%s buckets)", FormatDuration(load.Width))
	}
	p := newPlot(title, "true time (s)", "requests / s")
	legend := newLegend()
	grid := plotter.NewGrid()
	grid.Horizontal.Color, grid.Vertical.Color = colGrid, colGrid
	p.Add(grid)
	ymax := 1.0
	var xys plotter.XYs
	for i := range load.Counts {
		v := load.PerSecond(i)
		ymax = max(ymax, v)
		xys = append(xys, plotter.XY{X: load.Width.Seconds() * float64(i), Y: v})
	}
	var shade rects
	for _, f := range r.Faults {
		if f.End > f.Start {
			shade = append(shade, rect{x0: f.Start.Seconds(), x1: f.End.Seconds(), y0: 0, y1: ymax * 1.05, fill: colOverlap, minWidth: vg.Points(2)})
		}
	}
	if len(shade) > 0 {
		p.Add(shade)
		legend.Add("fault windows", swatch{fill: colOverlap})
	}
	if l, err := plotter.NewLine(xys); err == nil && len(xys) > 0 {
		l.StepStyle = plotter.PostStep
		l.LineStyle = draw.LineStyle{Color: colLeading, Width: vg.Points(1.2)}
		p.Add(l)
		legend.Add("requests sent", l)
	}
	p.X.Min, p.X.Max = 0, max(r.Duration.Seconds(), 1)
	p.Y.Min, p.Y.Max = 0, ymax*1.05
	return &Figure{Name: "api-load", Title: title, Width: 10 * vg.Inch, Height: 3 * vg.Inch, draw: withLegend(p, legend)}
}
