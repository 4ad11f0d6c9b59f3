package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lesim/lesim/scenarios/check"
)

// checkTimeline reads a timeline's SVG and checks it shows r: the title,
// one labelled lane per node (a at the top), one leading bar per interval
// in its node's lane with a width proportional to the interval, the
// draining and paused parts, and each overlap episode shaded red across
// every lane at its time.
func checkTimeline(t *testing.T, svg []byte, r *check.Result) error {
	d := parseSVG(t, svg)
	lanes := []string{"a", "b", "c (clock ×1.3)"}
	if m := d.missingTexts(append(lanes, fmt.Sprintf("Leadership timeline: %s, seed %d", r.Scenario, r.Seed),
		"leading", "overlap (2+ leaders)", "paused while leading", "fault: partition", "fault: crash")...); len(m) > 0 {
		return fmt.Errorf("texts missing: %q (have %q)", m, d.texts)
	}
	plotRight := d.width * 0.8 // the legend sits right of the plot area
	bars := d.filled(hexOf(colLeading), plotRight)
	if len(bars) != len(r.Leadership) {
		return fmt.Errorf("%d leading bars for %d intervals", len(bars), len(r.Leadership))
	}
	// Page x of true time from the first and the last bar's ends.
	first, last := r.Leadership[0], r.Leadership[len(r.Leadership)-1]
	fx0, _, _, _ := bars[0].box()
	_, _, lx1, _ := bars[len(bars)-1].box()
	scale := (lx1 - fx0) / (last.Cancelled - first.Start).Seconds()
	x := func(sec float64) float64 { return fx0 + (sec-first.Start.Seconds())*scale }
	laneY := map[string]float64{}
	for i, iv := range r.Leadership {
		x0, y0, x1, y1 := bars[i].box()
		if math.Abs(x0-x(iv.Start.Seconds())) > 1 || math.Abs(x1-x(iv.Cancelled.Seconds())) > 1 {
			return fmt.Errorf("bar %d spans x %.1f–%.1f, want %.1f–%.1f", i, x0, x1, x(iv.Start.Seconds()), x(iv.Cancelled.Seconds()))
		}
		laneY[iv.Node] = (y0 + y1) / 2
	}
	// SVG y grows upward here (the figure flips it): a's lane on top.
	if !(laneY["a"] > laneY["b"] && laneY["b"] > laneY["c"]) {
		return fmt.Errorf("lanes out of order: %v", laneY)
	}
	if n := len(d.filled(hexOf(colDraining), plotRight)); n != 1 {
		return fmt.Errorf("%d draining parts, want 1 (b's 0.4 s after cancel)", n)
	}
	// The pause fault's strip under b's lane has the same colour; the
	// pause inside the bar is the part across the lane's centre.
	var paused []svgPath
	for _, p := range d.filled(hexOf(colPaused), plotRight) {
		if _, y0, _, y1 := p.box(); y0 < laneY["b"] && laneY["b"] < y1 {
			paused = append(paused, p)
		}
	}
	if len(paused) != 1 {
		return fmt.Errorf("%d paused parts in b's bar, want 1", len(paused))
	}
	if x0, y0, x1, y1 := paused[0].box(); math.Abs(x0-x(200)) > 1 || math.Abs(x1-x(212)) > 1 || !(y0 < laneY["b"] && laneY["b"] < y1) {
		return fmt.Errorf("pause drawn at x %.1f–%.1f y %.1f–%.1f, want b's lane at 200–212 s", x0, x1, y0, y1)
	}
	shades := d.filled(hexOf(colOverlap), plotRight)
	if len(shades) != len(r.Overlap.Episodes) {
		return fmt.Errorf("%d overlap shades for %d episodes", len(shades), len(r.Overlap.Episodes))
	}
	for i, w := range r.Overlap.Episodes {
		x0, y0, x1, y1 := shades[i].box()
		mid := x((w.Start.Seconds() + w.End.Seconds()) / 2)
		if math.Abs((x0+x1)/2-mid) > 1 || !(y0 < laneY["c"] && laneY["a"] < y1) || shades[i].opacity >= 1 {
			return fmt.Errorf("overlap %d shaded at x %.1f–%.1f y %.1f–%.1f opacity %v, want across all lanes around x %.1f, translucent", i, x0, x1, y0, y1, shades[i].opacity, mid)
		}
	}
	return nil
}

func TestTimelineShowsTheRun(t *testing.T) {
	r := sampleResult()
	svg, err := Timeline(r).SVG()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkTimeline(t, svg, r); err != nil {
		t.Fatal(err)
	}
}

// Planted wrong values: a timeline drawn from a run that differs from the
// one checked, in the overlap, a lane, a pause or an interval's end.
func TestTimelineCheckFailsOnWrongFigures(t *testing.T) {
	mutants := map[string]func(r *check.Result){
		"no overlap":     func(r *check.Result) { r.Overlap.Episodes = nil },
		"overlap moved":  func(r *check.Result) { r.Overlap.Episodes[0].Start, r.Overlap.Episodes[0].End = s(100), s(101.2) },
		"lanes swapped":  func(r *check.Result) { r.Leadership[1].Node = "c"; r.Leadership[2].Node = "b" },
		"pause lost":     func(r *check.Result) { r.Leadership[1].Paused = nil },
		"bar shortened":  func(r *check.Result) { r.Leadership[0].Cancelled = s(100) },
		"title mislabel": func(r *check.Result) { r.Seed = 43 },
	}
	for name, mutate := range mutants {
		wrong := sampleResult()
		mutate(wrong)
		svg, err := Timeline(wrong).SVG()
		if err != nil {
			t.Fatal(err)
		}
		if err := checkTimeline(t, svg, sampleResult()); err == nil {
			t.Errorf("%s: the check accepts a wrong timeline", name)
		}
	}
}

// The heatmap shows, per cell, the worst mean overlap over the parameters
// not on its axes, and colours overlap-free cells green.
func TestOverlapHeatmapShowsTheCells(t *testing.T) {
	pts := samplePoints()
	check := func(pts []SweepPoint, svg []byte) error {
		d := parseSVG(t, svg)
		worst := map[[2]float64]float64{}
		for _, p := range pts {
			k := [2]float64{p.Params.ClockRatio, time.Duration(p.Params.LeaseDuration).Seconds() / time.Duration(p.Params.RenewDeadline).Seconds()}
			worst[k] = max(worst[k], p.Stats.OverlapMeanSeconds)
		}
		var want, zero []string
		for _, v := range worst {
			want = append(want, fmt.Sprintf("%.3g", v))
			if v == 0 {
				zero = append(zero, "0")
			}
		}
		var got []string
		for _, txt := range d.texts {
			if _, err := fmt.Sscanf(txt, "%g", new(float64)); err == nil && !strings.Contains(txt, " ") {
				got = append(got, txt)
			}
		}
		// Axis ticks are numbers too: every cell value must be among the
		// numeric texts, as often as the cells hold it.
		for _, w := range want {
			i := slices.Index(got, w)
			if i < 0 {
				return fmt.Errorf("cell value %s not shown; numbers shown %q", w, got)
			}
			got = slices.Delete(got, i, i+1)
		}
		if n := len(d.filled("#C7E9C0", d.width*0.7)); n != len(zero) { // the legend swatch is further right
			return fmt.Errorf("%d green cells for %d overlap-free cells", n, len(zero))
		}
		return nil
	}
	svg, err := OverlapHeatmap("", pts).SVG()
	if err != nil {
		t.Fatal(err)
	}
	if err := check(pts, svg); err != nil {
		t.Fatal(err)
	}
	// A planted wrong value: one point's overlap doubled in the figure.
	wrong := samplePoints()
	wrong[3].Stats.OverlapMeanSeconds *= 2
	svg, _ = OverlapHeatmap("", wrong).SVG()
	if check(pts, svg) == nil {
		t.Fatal("the check accepts a heatmap with a wrong cell")
	}
}

// The frontier labels every candidate with its timings and names the
// verdict classes in its legend.
func TestFrontierShowsTheCandidates(t *testing.T) {
	cs := sampleCandidates()
	svg, err := Frontier("", cs).SVG()
	if err != nil {
		t.Fatal(err)
	}
	d := parseSVG(t, svg)
	var want []string
	for _, c := range cs {
		want = append(want, fmt.Sprintf("%v/%v/%v", c.LeaseDuration, c.RenewDeadline, c.RetryPeriod))
	}
	want = append(want, "safe", "overlap measured", "chosen: fastest safe", "safe but failover too slow")
	if m := d.missingTexts(want...); len(m) > 0 {
		t.Fatalf("frontier lacks %q; texts %q", m, d.texts)
	}
}

// The failover CDF draws each series as a step curve with one step per
// value: n+1 levels from 0 to 1.
func TestFailoverCDFSteps(t *testing.T) {
	vals := []float64{16.2, 17.9, 15.4, 21.0}
	svg, err := FailoverCDF("", Series{Name: "lease=15s", Values: vals}).SVG()
	if err != nil {
		t.Fatal(err)
	}
	d := parseSVG(t, svg)
	if m := d.missingTexts("Failover time CDF", "lease=15s (n=4)"); len(m) > 0 {
		t.Fatalf("CDF lacks %q; texts %q", m, d.texts)
	}
	var levels []float64
	for _, p := range d.stroked(hexOf(seriesColours[0])) {
		if len(p.pts) < 2*len(vals) {
			continue // the legend's sample line
		}
		for _, q := range p.pts {
			if !slices.Contains(levels, q[1]) {
				levels = append(levels, q[1])
			}
		}
	}
	if len(levels) != len(vals)+1 {
		t.Fatalf("the curve has %d levels, want %d (one step per value)", len(levels), len(vals)+1)
	}
}
