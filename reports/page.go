package reports

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/lesim/lesim/reports/analysis"
	"github.com/lesim/lesim/scenarios/check"
)

// pageViews are the report's interactive parts.
type pageViews struct {
	Timeline     template.HTML
	Episodes     []episodeView
	Hidden       int
	FailoverNote string
}

type episodeView struct {
	File     string // DIR/episode-N.svg
	SVG      string
	Inline   template.HTML
	Sentence string
}

func newPageViews(r *check.Result, a *analysis.Analysis) (pageViews, error) {
	pv := pageViews{Timeline: template.HTML(timelineChart(r).SVG())}
	if n := len(r.Failovers); n > 0 && n < MinCDFSamples {
		var ds []string
		for _, f := range r.Failovers {
			ds = append(ds, FormatDuration(f.Recovery))
		}
		pv.FailoverNote = fmt.Sprintf("%d failover(s): %s (fewer than %d: no distribution drawn).", n, strings.Join(ds, ", "), MinCDFSamples)
	}
	if !a.HasTrace() {
		return pv, nil
	}
	eps := analysis.Episodes(r, a)
	for i, ep := range eps {
		if i == MaxEpisodePanels {
			pv.Hidden = len(eps) - i
			break
		}
		svg := episodeChart(r, a, ep, i+1).SVG()
		pv.Episodes = append(pv.Episodes, episodeView{File: fmt.Sprintf("episode-%d.svg", i+1), SVG: svg, Inline: template.HTML(svg), Sentence: ep.Sentence})
	}
	return pv, nil
}

// badge is the report's verdict: passed, failed, or no expectations.
type badge struct{ Class, Text string }

func newBadge(r *check.Result, set bool) badge {
	switch {
	case !r.Expect.Passed:
		return badge{"fail", "expectations violated"}
	case !set:
		return badge{"neutral", "no expectations set"}
	}
	return badge{"pass", "expectations met"}
}

// Findings are what is unsafe or dead in a run whatever spec.expect says:
// overlap, no leader ever, leadership not restored by the end.
func Findings(r *check.Result) []string {
	var out []string
	if r.Overlap.Total > 0 {
		out = append(out, fmt.Sprintf("overlap: two leaders at once for %s in %d episode(s), longest %s", FormatDuration(r.Overlap.Total), len(r.Overlap.Episodes), FormatDuration(r.Overlap.Max)))
	}
	if len(r.Leadership) == 0 {
		out = append(out, "no leader: no node ever led")
	} else if n := len(r.Failovers); n > 0 && r.Failovers[n-1].To == "" {
		f := r.Failovers[n-1]
		out = append(out, fmt.Sprintf("no leader: leadership was not restored after %s left at %s", orDash(f.From), FormatAt(f.Lost)))
	}
	return out
}
