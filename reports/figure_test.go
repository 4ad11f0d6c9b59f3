package reports

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lesim/lesim/reports/analysis"
	"github.com/lesim/lesim/scenarios/check"
)

// saveForViewing keeps a rendered figure when LESIM_PLOT_DIR is set, so
// that a person can look at it; figure_content_test.go checks what the
// figures show from their SVG.
func saveForViewing(t *testing.T, f *Figure) {
	t.Helper()
	dir := os.Getenv("LESIM_PLOT_DIR")
	if dir == "" {
		return
	}
	g := *f
	g.Name = f.Name + "-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(f.Title))
	if err := g.Save(dir); err != nil {
		t.Fatal(err)
	}
}

// checkStable renders f twice per format and requires identical bytes and
// a plausible header.
func checkStable(t *testing.T, mk func() *Figure) {
	t.Helper()
	f := mk()
	png1, err := f.PNG()
	if err != nil {
		t.Fatal(err)
	}
	png2, _ := mk().PNG()
	if !bytes.Equal(png1, png2) {
		t.Errorf("%s.png: two renderings of equal input differ", f.Name)
	}
	if !bytes.HasPrefix(png1, []byte("\x89PNG")) {
		t.Errorf("%s.png: not a PNG", f.Name)
	}
	svg1, err := f.SVG()
	if err != nil {
		t.Fatal(err)
	}
	svg2, _ := mk().SVG()
	if !bytes.Equal(svg1, svg2) {
		t.Errorf("%s.svg: two renderings of equal input differ", f.Name)
	}
	if !bytes.Contains(svg1, []byte("<svg")) {
		t.Errorf("%s.svg: not an SVG", f.Name)
	}
	saveForViewing(t, f)
}

func TestTimelineStable(t *testing.T) {
	checkStable(t, func() *Figure { return Timeline(sampleResult()) })
}

func TestSaveWritesBothFormats(t *testing.T) {
	dir := t.TempDir()
	if err := Timeline(sampleResult()).Save(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"timeline.png", "timeline.svg"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestFailoverCDFStable(t *testing.T) {
	checkStable(t, func() *Figure {
		return FailoverCDF("", Series{Name: "lease=15s", Values: []float64{16.2, 17.9, 15.4, 21.0, 24.8, 18.3, 16.9}},
			Series{Name: "lease=10s", Values: []float64{11.5, 12.2, 10.3, 14.9, 13.1}},
			Series{Name: "empty"})
	})
}

func samplePoints() []SweepPoint {
	var pts []SweepPoint
	i := 0
	for _, ld := range []float64{10, 15, 20} {
		for _, skew := range []float64{1, 1.1, 1.2, 1.3, 1.5} {
			rd := 10.0
			if ld == 10 {
				rd = 8
			}
			ov := 0.0
			if ld/skew < rd+2 {
				ov = (rd + 2 - ld/skew) * 0.4
			}
			pr := SweepParams{LeaseDuration: Dur(s(ld)), RenewDeadline: Dur(s(rd)), RetryPeriod: Dur(s(2)), ClockRatio: skew}
			pts = append(pts, SweepPoint{Index: i, Key: pr.Key(), Params: pr, Stats: SweepStats{Runs: 4, OverlapMeanSeconds: ov, FailoverMeanSeconds: ld + 1}})
			i++
		}
	}
	return pts
}

func TestOverlapHeatmapStable(t *testing.T) {
	checkStable(t, func() *Figure { return OverlapHeatmap("", samplePoints()) })
	checkStable(t, func() *Figure { return OverlapHeatmap("single", samplePoints()[:1]) })
	checkStable(t, func() *Figure { return OverlapHeatmap("none", nil) })
}

func sampleCandidates() []TuneCandidate {
	var cs []TuneCandidate
	for _, ld := range []float64{8, 10, 15, 20} {
		for _, rd := range []float64{5, 6, 10} {
			if rd >= ld {
				continue
			}
			margin := ld/1.2 - (rd + 2) - 0.2
			c := TuneCandidate{LeaseDuration: Dur(s(ld)), RenewDeadline: Dur(s(rd)), RetryPeriod: Dur(s(2)),
				FailoverMaxSeconds: ld + 2.4, MarginSeconds: margin, Runs: 8}
			if margin < 0 {
				c.OverlapSeconds = -margin
			}
			c.Safe = margin >= 0.5
			switch {
			case c.Safe:
				c.Verdict = "safe"
			case c.OverlapSeconds > 0:
				c.Verdict = "overlap"
			default:
				c.Verdict = "margin"
			}
			cs = append(cs, c)
		}
	}
	cs[len(cs)-1].Verdict, cs[len(cs)-1].Safe = "too-slow", false
	for i := range cs {
		if cs[i].Safe {
			cs[i].Chosen = true
			break
		}
	}
	return cs
}

func TestFrontierStable(t *testing.T) {
	checkStable(t, func() *Figure { return Frontier("", sampleCandidates()) })
	checkStable(t, func() *Figure { return Frontier("empty", nil) })
}

// withObservations adds the observation events a kept trace would hold:
// every follower sees the holder's record change every 2 s while the
// holder renews (until it stops renewing or is paused).
func withObservations(r *check.Result) *check.Result {
	local := map[string]float64{"a": 1, "b": 1, "c": 1.3}
	for _, iv := range r.Leadership {
		lastRenew := iv.Cancelled
		if iv.EndReason == "renew-failed" {
			lastRenew = iv.Cancelled - s(10)
		}
		for _, node := range []string{"a", "b", "c"} {
			if node == iv.Node {
				continue
			}
			for t := iv.Start + s(1); t <= lastRenew; t += s(2) {
				r.Trace = append(r.Trace, check.TraceEvent{At: t, Node: node, Local: time.Duration(float64(t) * local[node]), Kind: analysis.ObservedKind,
					Detail: fmt.Sprintf("holder=%q leaseDurationSeconds=15", iv.Identity)})
			}
		}
	}
	sort.SliceStable(r.Trace, func(i, j int) bool { return r.Trace[i].At < r.Trace[j].At })
	return r
}

func TestBeliefVsTruthStable(t *testing.T) {
	r := withObservations(sampleResult())
	bs := analysis.FromTrace(r).Beliefs
	if len(bs) == 0 {
		t.Fatal("no beliefs read from the trace")
	}
	// c runs 30% fast, and 50% fast from 250 s on (a clockRate fault):
	// 15 s of its clock take 15/1.3 s, then 15/1.5 s of true time.
	for _, b := range bs {
		want := s(15)
		if b.Node == "c" {
			obs := b.LastSeen.Seconds()
			switch {
			case obs >= 250:
				want = s(15 / 1.5)
			case obs+15/1.3 <= 250:
				want = s(15 / 1.3)
			default:
				want = s(250 - obs + (15-(250-obs)*1.3)/1.5)
			}
		}
		if got := b.Expires - b.LastSeen; got < want-time.Millisecond || got > want+time.Millisecond {
			t.Fatalf("belief %+v: expiry after %v, want %v", b, got, want)
		}
	}
	checkStable(t, func() *Figure { return BeliefVsTruth(r, analysis.FromTrace(r).Beliefs) })
	checkStable(t, func() *Figure {
		r := sampleResult()
		r.Scenario = "no-trace"
		return BeliefVsTruth(r, nil)
	})
}
