package reports

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lesim/lesim/reports/analysis"
	"github.com/lesim/lesim/scenarios/check"
)

func TestBadgeTellsTheTruth(t *testing.T) {
	passed := sampleResult()
	passed.Expect = check.ExpectResult{Passed: true}
	cases := []struct {
		name string
		r    *check.Result
		set  bool
		want badge
	}{
		{"violated", sampleResult(), true, badge{"fail", "expectations violated"}},
		{"violated, also when the flag is off", sampleResult(), false, badge{"fail", "expectations violated"}},
		{"passed with expectations", passed, true, badge{"pass", "expectations met"}},
		{"no expectations", passed, false, badge{"neutral", "no expectations set"}},
	}
	for _, c := range cases {
		if got := newBadge(c.r, c.set); got != c.want {
			t.Errorf("%s: badge %+v, want %+v", c.name, got, c.want)
		}
	}
}

// Overlap and a run without a leader are flagged whatever spec.expect
// says; a clean run has no findings.
func TestFindings(t *testing.T) {
	r := sampleResult()
	r.Expect = check.ExpectResult{Passed: true}
	if f := Findings(r); len(f) != 1 || !strings.HasPrefix(f[0], "overlap:") {
		t.Errorf("findings of an overlapping run: %q", f)
	}
	none := &check.Result{Duration: s(60), Expect: check.ExpectResult{Passed: true}}
	if f := Findings(none); len(f) != 1 || !strings.HasPrefix(f[0], "no leader: no node ever led") {
		t.Errorf("findings of a leaderless run: %q", f)
	}
	lost := &check.Result{Duration: s(60),
		Leadership: []check.Interval{{Node: "a", Identity: "a", Start: s(1), End: s(20), Cancelled: s(20), EndReason: "crashed"}},
		Failovers:  []check.Failover{{Cause: "crashed", Onset: s(20), Lost: s(20), Recovery: s(40), HandoverGap: s(40), From: "a"}}}
	if f := Findings(lost); len(f) != 1 || !strings.Contains(f[0], "not restored after a left at 20.000s") {
		t.Errorf("findings of a run that lost its leader: %q", f)
	}
	clean := &check.Result{Duration: s(60), Leadership: []check.Interval{{Node: "a", Identity: "a", Start: s(1), End: s(60), Cancelled: s(60), EndReason: "run-end"}}}
	if f := Findings(clean); len(f) != 0 {
		t.Errorf("findings of a clean run: %q", f)
	}
}

// svgNode is a generic XML element, to check the charts' structure the
// way a browser would read them.
type svgNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []svgNode  `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n *svgNode) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n *svgNode) walk(f func(*svgNode)) {
	f(n)
	for i := range n.Nodes {
		n.Nodes[i].walk(f)
	}
}

// checkLaneSVG parses a lane chart and checks that every zoomable bar and
// mark carries a hover title and its true times, and counts the bars of
// a class.
func checkLaneSVG(t *testing.T, svg string) map[string]int {
	t.Helper()
	var root svgNode
	if err := xml.Unmarshal([]byte(svg), &root); err != nil {
		t.Fatalf("not well-formed SVG: %v", err)
	}
	if root.XMLName.Local != "svg" {
		t.Fatalf("root is %s", root.XMLName.Local)
	}
	for _, a := range []string{"data-from", "data-to", "data-left", "data-right", "viewBox"} {
		if _, ok := root.attr(a); !ok {
			t.Errorf("svg lacks %s", a)
		}
	}
	classes := map[string]int{}
	root.walk(func(n *svgNode) {
		_, bar := n.attr("data-t0")
		_, mark := n.attr("data-t")
		if !bar && !mark {
			return
		}
		title := ""
		for _, c := range n.Nodes {
			if c.XMLName.Local == "title" {
				title = c.Text
			}
		}
		cls, _ := n.attr("class")
		if title == "" {
			t.Errorf("%s %q without a <title>", n.XMLName.Local, cls)
		}
		classes[cls]++
	})
	return classes
}

func TestTimelineChartStructure(t *testing.T) {
	r := sampleResult()
	classes := checkLaneSVG(t, timelineChart(r).SVG())
	// Three terms, one drain (b), one pause (b), one overlap, one failover.
	want := map[string]int{"leading": 3, "draining": 1, "paused": 1, "overlap": 1, "leaderless": 1, "crash": 1, "instant": 1, "fault-partition": 1, "fault-apiOutage": 3, "fault-pause": 1}
	for k, v := range want {
		if classes[k] != v {
			t.Errorf("%d elements of class %s, want %d (all: %v)", classes[k], k, v, classes)
		}
	}
}

func TestEpisodePanelsInReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	r := withObservations(sampleResult())
	if err := WriteReport(dir, r, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	// The overlap (309.2 s) and the crash failover (120 s) each get a view,
	// as a file and inline, with the sentence under it.
	for i, want := range []string{"1. failover, 120.000s to 136.500s", "2. overlap, 309.200s to 310.400s"} {
		svg, err := os.ReadFile(filepath.Join(dir, "episode-"+string(rune('1'+i))+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(svg, []byte(want)) || !bytes.Contains(page, []byte(want)) {
			t.Errorf("episode %d: %q missing", i+1, want)
		}
		checkLaneSVG(t, string(svg))
	}
	for _, want := range []string{"a crashed at 120.00 s", "of overlap.</p>", "<script>"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{"fetch(", "XMLHttpRequest", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(string(page), "http://www.w3.org/2000/svg", ""), bad) {
			t.Errorf("report may reach the network: %q", bad)
		}
	}
}

// A report without the CDF threshold would draw a one-failover CDF; the
// threshold is what keeps it out.
func TestFailoverCDFNeedsSamples(t *testing.T) {
	r := sampleResult()
	for _, f := range Figures(r, nil) {
		if f.Name == "failover-cdf" {
			t.Fatal("a CDF of one failover was drawn")
		}
	}
	for i := 0; i < MinCDFSamples; i++ {
		r.Failovers = append(r.Failovers, check.Failover{Onset: s(float64(i)), Lost: s(float64(i)), Recovery: s(1), HandoverGap: s(1), Restored: true})
	}
	found := false
	for _, f := range Figures(r, nil) {
		found = found || strings.Contains(f.Title, "CDF")
	}
	if !found {
		t.Fatalf("no CDF for %d failovers", len(r.Failovers))
	}
}

// Beyond 40 candidates only the frontier and the chosen timing are
// labelled; a dominated candidate is not on the frontier.
func TestFrontierPointsAndLabels(t *testing.T) {
	cands := []TuneCandidate{
		{LeaseDuration: Dur(15 * time.Second), FailoverMaxSeconds: 20, MarginSeconds: 5, Safe: true, Chosen: true},
		{LeaseDuration: Dur(20 * time.Second), FailoverMaxSeconds: 25, MarginSeconds: 4, Safe: true}, // dominated
		{LeaseDuration: Dur(30 * time.Second), FailoverMaxSeconds: 35, MarginSeconds: 12, Safe: true},
		{LeaseDuration: Dur(5 * time.Second), FailoverMaxSeconds: 8, MarginSeconds: -2, Verdict: "overlap"},
	}
	front := FrontierPoints(cands)
	if len(front) != 2 || front[0].FailoverMaxSeconds != 20 || front[1].FailoverMaxSeconds != 35 {
		t.Fatalf("frontier %+v", front)
	}
	if got := frontierLabelled(cands); len(got) != len(cands) {
		t.Errorf("%d of %d candidates labelled", len(got), len(cands))
	}
	many := slices.Clone(cands)
	for i := 0; len(many) <= maxAllLabels; i++ {
		many = append(many, TuneCandidate{FailoverMaxSeconds: float64(40 + i), MarginSeconds: -1, Verdict: "overlap"})
	}
	if got := frontierLabelled(many); len(got) != 2 {
		t.Errorf("%d labelled of %d, want the 2 frontier points (one chosen)", len(got), len(many))
	}
}

// The report shows the API load the fold counted.
func TestAPILoadFigure(t *testing.T) {
	r := withObservations(sampleResult())
	for i := 0; i < 50; i++ {
		r.Trace = append(r.Trace, check.TraceEvent{At: s(float64(i) / 10), Node: "a", Kind: "call-sent", Detail: "update"})
	}
	found := false
	for _, f := range Figures(r, analysis.FromTrace(r)) {
		if f.Name == "api-load" {
			found = true
			checkStable(t, func() *Figure { return f })
		}
	}
	if !found {
		t.Fatal("no api-load figure for a trace with requests")
	}
	for _, f := range Figures(sampleResult(), nil) {
		if f.Name == "api-load" {
			t.Fatal("an api-load figure without a trace")
		}
	}
}
