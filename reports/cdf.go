package reports

import (
	"fmt"
	"slices"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is a named sample of values (seconds), one line of a CDF.
type Series struct {
	Name   string
	Values []float64
}

// FailoverCDF draws the empirical distribution of failover times, one step
// line per series: the fraction of failovers that took at most x seconds.
// Several series (two configurations of a compare, the points of a sweep)
// share the axes.
func FailoverCDF(title string, series ...Series) *Figure {
	if title == "" {
		title = "Failover time CDF"
	}
	p := newPlot(title, "failover time: true time to a new leader (s)", "fraction of failovers ≤ x")
	legend := newLegend()
	p.Y.Min, p.Y.Max = 0, 1.02
	p.X.Min = 0
	grid := plotter.NewGrid()
	grid.Horizontal.Color, grid.Vertical.Color = colGrid, colGrid
	p.Add(grid)
	xmax := 0.0
	for i, s := range series {
		vals := slices.Clone(s.Values)
		slices.Sort(vals)
		name := fmt.Sprintf("%s (n=%d)", s.Name, len(vals))
		if len(vals) == 0 {
			legend.Add(name+": no failovers", swatch{fill: seriesColours[i%len(seriesColours)], thin: true})
			continue
		}
		// Start at (0, 0) and step up at every value: the CDF is
		// right-continuous, which PostStep draws exactly.
		pts := plotter.XYs{{X: 0, Y: 0}}
		for j, v := range vals {
			pts = append(pts, plotter.XY{X: v, Y: float64(j+1) / float64(len(vals))})
		}
		xmax = max(xmax, vals[len(vals)-1])
		l, err := plotter.NewLine(pts)
		if err != nil {
			continue // NaN or Inf in the input: nothing sensible to draw
		}
		l.StepStyle = plotter.PostStep
		l.LineStyle = draw.LineStyle{Color: seriesColours[i%len(seriesColours)], Width: vg.Points(2)}
		p.Add(l)
		legend.Add(name, l)
	}
	if xmax == 0 {
		xmax = 1
	}
	p.X.Max = xmax * 1.05
	return &Figure{Name: "failover-cdf", Title: title, Width: 8 * vg.Inch, Height: 4.5 * vg.Inch, draw: withLegend(p, legend)}
}
