package reports

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lesim/lesim/reports/analysis"
	"github.com/lesim/lesim/scenarios/check"
)

// ReportOptions adds context to a run report.
type ReportOptions struct {
	// ScenarioYAML is the scenario as run, shown so that the report alone
	// is enough to reproduce the run.
	ScenarioYAML []byte
	// Command is the command line that produced the run.
	Command string
	// ExpectationsSet says the scenario sets spec.expect; without it the
	// badge says so instead of "passed".
	ExpectationsSet bool
	// Analysis is the run's folded trace (analysis.Collector); nil takes
	// it from the result's kept trace, if any.
	Analysis *analysis.Analysis
}

// MinCDFSamples is the fewest failovers a failover-time CDF is drawn
// for: below it a step line is noise, and the values are listed instead.
const MinCDFSamples = 10

// MaxEpisodePanels caps the episode views of one report.
const MaxEpisodePanels = 20

// ReportFiles are the files WriteReport writes, relative to its directory.
var ReportFiles = []string{"report.html", "summary.json"}

// Figures returns the static figures of a run report: the timeline always,
// the belief view when the analysis holds observations, the API load when
// it saw requests, the failover CDF
// when there were at least MinCDFSamples failovers.
func Figures(r *check.Result, a *analysis.Analysis) []*Figure {
	figs := []*Figure{Timeline(r)}
	if a != nil && len(a.Beliefs) > 0 {
		figs = append(figs, BeliefVsTruth(r, a.Beliefs))
	}
	if a != nil && len(a.Load.Counts) > 0 {
		figs = append(figs, APILoad(r, a.Load))
	}
	if len(r.Failovers) >= MinCDFSamples {
		var fo []float64
		for _, f := range r.Failovers {
			fo = append(fo, f.Recovery.Seconds())
		}
		figs = append(figs, FailoverCDF(fmt.Sprintf("Failover time CDF: %s, seed %d", r.Scenario, r.Seed), Series{Name: r.Scenario, Values: fo}))
	}
	return figs
}

// WriteReport writes DIR/report.html (self-contained: figures are embedded
// as data URIs, the interactive timeline and episode views as inline SVG
// with a small script), DIR/summary.json, each figure as DIR/NAME.png and
// DIR/NAME.svg, and each episode view as DIR/episode-N.svg. Every file is
// written to a temporary name and renamed.
func WriteReport(dir string, r *check.Result, opts ReportOptions) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	summary, err := SummaryJSON(r)
	if err != nil {
		return err
	}
	a := opts.Analysis
	if a == nil && len(r.Trace) > 0 {
		a = analysis.FromTrace(r)
	}
	page, err := newPageViews(r, a)
	if err != nil {
		return err
	}
	for _, ep := range page.Episodes {
		if err := WriteFile(filepath.Join(dir, ep.File), []byte(ep.SVG)); err != nil {
			return err
		}
	}
	figs := Figures(r, a)
	var views []figureView
	for _, f := range figs {
		png, err := f.save(dir)
		if err != nil {
			return err
		}
		views = append(views, figureView{Title: f.Title, File: f.Name, DataURI: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))})
	}
	if err := WriteFile(filepath.Join(dir, "summary.json"), summary); err != nil {
		return err
	}
	return WriteFileFunc(filepath.Join(dir, "report.html"), func(w io.Writer) error {
		return writeHTML(w, r, views, page, opts)
	})
}

type figureView struct {
	Title   string
	File    string
	DataURI template.URL
}

type metricRow struct {
	Name, Value string
	Bad         bool
}

func writeHTML(w io.Writer, r *check.Result, figs []figureView, page pageViews, opts ReportOptions) error {
	s := NewSummary(r)
	rows := []metricRow{
		{"overlap (two or more leaders)", fmt.Sprintf("%s total, longest %s, %d episode(s)", FormatDuration(r.Overlap.Total), FormatDuration(r.Overlap.Max), len(r.Overlap.Episodes)), r.Overlap.Total > 0},
		{"leaderless from the first start", fmt.Sprintf("%s total, longest %s", FormatDuration(r.Leaderless.Total), FormatDuration(r.Leaderless.Max)), r.Liveness.NeverLed},
		{"failovers", fmt.Sprintf("%d, longest recovery %.3fs", len(r.Failovers), s.MaxRecoverySeconds()), s.Liveness.Unrestored > 0},
		{"transitions", fmt.Sprintf("%d (%d spurious)", r.Transitions, r.SpuriousTransitions), r.SpuriousTransitions > 0},
		{"stale-leader time", FormatDuration(r.StaleLeader), r.StaleLeader > 0},
		{"paused while leading", FormatDuration(r.PausedWhileLeading), false},
		{"API load", fmt.Sprintf("%d requests, %.2f/s%s", r.API.Requests, r.API.PerSecond, byOp(r.API.ByOp.ByVerb())), false},
		{"workload writes", fmt.Sprintf("%d, %d unsafe accepted, %d fenced", r.Workload.Writes, r.Workload.UnsafeWrites, r.Workload.FencedWrites), r.Workload.UnsafeWrites > 0},
	}
	data := struct {
		S        Summary
		Badge    badge
		Findings []string
		Rows     []metricRow
		Text     string
		Page     pageViews
		Figures  []figureView
		YAML     string
		Command  string
		Style    template.CSS
		Script   template.JS
	}{s, newBadge(r, opts.ExpectationsSet), Findings(r), rows, TextSummary(r), page, figs, string(opts.ScenarioYAML), opts.Command,
		template.CSS(laneStyle), template.JS(zoomScript)}
	return reportTemplate.Execute(w, data)
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{"trim": strings.TrimSpace}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lesim: {{.S.Scenario}} (seed {{.S.Seed}})</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1250px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
.meta { color: #666; font-size: 0.9em; }
.status { display: inline-block; padding: 0.2em 0.7em; border-radius: 4px; font-weight: 600; color: #fff; }
.pass { background: #1a8a3a; } .fail { background: #d01010; } .neutral { background: #777; }
ul.findings li { color: #d01010; font-weight: 600; }
p.sentence { font-size: 0.95em; background: #fff8e6; border-left: 4px solid #e67e00; padding: 0.5em 0.8em; }
section.episode { margin: 1.5em 0; }
{{.Style}}
table { border-collapse: collapse; margin: 1em 0; }
td, th { border-bottom: 1px solid #ddd; padding: 0.35em 0.8em; text-align: left; vertical-align: top; }
td.bad { color: #d01010; font-weight: 600; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
</style>
</head>
<body>
<h1>{{.S.Scenario}} <span class="meta">{{if .S.Real}}real processes, {{.S.DurationSeconds}} s on the wall clock{{else}}seed {{.S.Seed}}, {{.S.DurationSeconds}} s simulated{{end}}</span></h1>
<p class="meta">trace hash <code>{{.S.TraceHash}}</code>{{if .Command}} · <code>{{.Command}}</code>{{end}}</p>
<p><span class="status {{.Badge.Class}}">{{.Badge.Text}}</span></p>
{{if not .S.Expect.Passed}}<ul>{{range .S.Expect.Violations}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Findings}}<ul class="findings">{{range .Findings}}<li>{{.}}</li>{{end}}</ul>{{end}}
<table>
{{range .Rows}}<tr><th>{{.Name}}</th><td{{if .Bad}} class="bad"{{end}}>{{.Value}}</td></tr>
{{end}}</table>
<figure>{{.Page.Timeline}}
<figcaption>Interactive timeline: hover a bar or mark for its times; wheel to zoom, drag to pan, double click to reset (static: timeline.png, timeline.svg)</figcaption>
</figure>
{{if .Page.Episodes}}<h2>Episodes</h2>
<p class="meta">Each view runs from the old leader's last successful renewal to the new leader's first, on true time. Per node: dark bar leading (light: draining, grey: paused); light band the lease of the holder it last saw, ending ▲ at its believed expiry on its own clock; API calls | sent, ● applied by the server, ○ answered, <span style="color:#e67e00">○</span> failed, <span style="color:#d01010">✕</span> timed out or abandoned; coloured strips at the bottom are faults; red shading overlap, grey no leader. Hover any mark for its numbers; wheel to zoom, drag to pan.</p>
{{range .Page.Episodes}}<section class="episode">
{{.Inline}}
<p class="sentence">{{.Sentence}}</p>
</section>
{{end}}{{if .Page.Hidden}}<p class="meta">{{.Page.Hidden}} more episode(s) not shown.</p>{{end}}{{end}}
{{if .Page.FailoverNote}}<p>{{.Page.FailoverNote}}</p>{{end}}
{{range .Figures}}<figure>
<img alt="{{.Title}}" src="{{.DataURI}}">
<figcaption>{{.Title}} ({{.File}}.png, {{.File}}.svg)</figcaption>
</figure>
{{end}}<h2>Summary</h2>
<pre>{{trim .Text}}</pre>
{{if .YAML}}<h2>Scenario</h2>
<pre>{{trim .YAML}}</pre>
{{end}}<script>{{.Script}}</script>
</body>
</html>
`))
