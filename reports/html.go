package reports

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lesim/lesim/scenarios"
)

// ReportOptions adds context to a run report.
type ReportOptions struct {
	// ScenarioYAML is the scenario as run, shown so that the report alone
	// is enough to reproduce the run.
	ScenarioYAML []byte
	// Command is the command line that produced the run.
	Command string
}

// ReportFiles are the files WriteReport writes, relative to its directory.
var ReportFiles = []string{"report.html", "summary.json"}

// Figures returns the figures of a run report: the timeline always, the
// belief view when the trace holds observations, the failover CDF when
// there were failovers.
func Figures(r *scenarios.Result) []*Figure {
	figs := []*Figure{Timeline(r)}
	if bs := BeliefsFromTrace(r); len(bs) > 0 {
		figs = append(figs, BeliefVsTruth(r, bs))
	}
	if len(r.Failovers) > 0 {
		var fo []float64
		for _, f := range r.Failovers {
			fo = append(fo, f.Recovery.Seconds())
		}
		figs = append(figs, FailoverCDF(fmt.Sprintf("Failover time CDF: %s, seed %d", r.Scenario, r.Seed), Series{Name: r.Scenario, Values: fo}))
	}
	return figs
}

// WriteReport writes DIR/report.html (self-contained: figures are embedded
// as data URIs), DIR/summary.json and each figure as DIR/NAME.png and
// DIR/NAME.svg. Every file is written to a temporary name and renamed.
func WriteReport(dir string, r *scenarios.Result, opts ReportOptions) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	summary, err := SummaryJSON(r)
	if err != nil {
		return err
	}
	figs := Figures(r)
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
		return writeHTML(w, r, views, opts)
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

func writeHTML(w io.Writer, r *scenarios.Result, figs []figureView, opts ReportOptions) error {
	s := NewSummary(r)
	rows := []metricRow{
		{"overlap (two or more leaders)", fmt.Sprintf("%s total, longest %s, %d episode(s)", FormatDuration(r.Overlap.Total), FormatDuration(r.Overlap.Max), len(r.Overlap.Episodes)), r.Overlap.Total > 0},
		{"leaderless from the first start", fmt.Sprintf("%s total, longest %s", FormatDuration(r.Leaderless.Total), FormatDuration(r.Leaderless.Max)), r.Liveness.NeverLed},
		{"failovers", fmt.Sprintf("%d, longest recovery %.3fs", len(r.Failovers), s.MaxRecoverySeconds()), s.Liveness.Unrestored > 0},
		{"transitions", fmt.Sprintf("%d (%d spurious)", r.Transitions, r.SpuriousTransitions), r.SpuriousTransitions > 0},
		{"stale-leader time", FormatDuration(r.StaleLeader), r.StaleLeader > 0},
		{"paused while leading", FormatDuration(r.PausedWhileLeading), false},
		{"API load", fmt.Sprintf("%d requests, %.2f/s%s", r.API.Requests, r.API.PerSecond, byOp(r.API.ByOp)), false},
		{"workload writes", fmt.Sprintf("%d, %d unsafe accepted, %d fenced", r.Workload.Writes, r.Workload.UnsafeWrites, r.Workload.FencedWrites), r.Workload.UnsafeWrites > 0},
	}
	data := struct {
		S       Summary
		Rows    []metricRow
		Text    string
		Figures []figureView
		YAML    string
		Command string
	}{s, rows, TextSummary(r), figs, string(opts.ScenarioYAML), opts.Command}
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
.pass { background: #1a8a3a; } .fail { background: #d01010; }
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
<h1>{{.S.Scenario}} <span class="meta">seed {{.S.Seed}}, {{.S.DurationSeconds}} s simulated</span></h1>
<p class="meta">trace hash <code>{{.S.TraceHash}}</code>{{if .Command}} · <code>{{.Command}}</code>{{end}}</p>
<p>{{if .S.Expect.Passed}}<span class="status pass">expectations met</span>{{else}}<span class="status fail">expectations violated</span>{{end}}</p>
{{if not .S.Expect.Passed}}<ul>{{range .S.Expect.Violations}}<li>{{.}}</li>{{end}}</ul>{{end}}
<table>
{{range .Rows}}<tr><th>{{.Name}}</th><td{{if .Bad}} class="bad"{{end}}>{{.Value}}</td></tr>
{{end}}</table>
{{range .Figures}}<figure>
<img alt="{{.Title}}" src="{{.DataURI}}">
<figcaption>{{.Title}} ({{.File}}.png, {{.File}}.svg)</figcaption>
</figure>
{{end}}<h2>Summary</h2>
<pre>{{trim .Text}}</pre>
{{if .YAML}}<h2>Scenario</h2>
<pre>{{trim .YAML}}</pre>
{{end}}</body>
</html>
`))
