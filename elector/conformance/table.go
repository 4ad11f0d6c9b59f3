package conformance

import (
	"fmt"
	"strings"
	"time"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
)

// Speed is simulated seconds per wall second of each side on one scenario:
// the real elector in a synctest bubble, and lesim (one seed).
type Speed struct {
	Real, Lesim float64
}

// Ratio is how many times faster lesim simulated.
func (s Speed) Ratio() float64 {
	if s.Real == 0 {
		return 0
	}
	return s.Lesim / s.Real
}

// Row is one scenario's line of the agreement table.
type Row struct {
	Scenario    string
	Description string
	Leaders     string // real sequence
	LesimSeqs   string // lesim's sequences over the seeds
	MaxOff      time.Duration
	Tol         time.Duration
	Overlap     string
	Calls       string
	Speed       Speed
	Agree       bool
	Explained   string
}

// NewRow summarises a comparison.
func NewRow(sc *scenarios.Scenario, c *Comparison, sp Speed) Row {
	r := Row{Scenario: c.Scenario, Description: sc.Description(), Tol: c.Tol, Speed: sp, Agree: c.Agree()}
	for _, ch := range c.Checks {
		switch {
		case ch.Name == "leaders":
			r.Leaders, r.LesimSeqs = ch.Real, ch.Lesim
		case ch.Name == "overlap total":
			r.Overlap = ch.Real + " / " + ch.Lesim
		}
		r.MaxOff = max(r.MaxOff, ch.Off)
	}
	var realCalls, lo, hi int
	for _, n := range c.Real.Calls {
		realCalls += int(n.Total())
	}
	for i, l := range c.Lesim {
		sum := 0
		for _, n := range l.Calls {
			sum += int(n.Total())
		}
		if i == 0 || sum < lo {
			lo = sum
		}
		hi = max(hi, sum)
	}
	r.Calls = fmt.Sprintf("%d / %s", realCalls, rangeStr(lo, hi))
	return r
}

// WriteTable writes the agreement table as Markdown.
func WriteTable(path string, rows []Row) error {
	var b strings.Builder
	b.WriteString(tableHeader)
	b.WriteString("| scenario | leaders (real) | leaders (lesim, all seeds) | worst time off lesim's range | tolerance | overlap real / lesim | API calls real / lesim | real sim-s/wall-s | lesim sim-s/wall-s | ratio | verdict |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	var realSum, lesimSum float64
	for _, r := range rows {
		verdict := "agree"
		if !r.Agree {
			verdict = "explained: " + r.Explained
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %.0f | %.0f | %.0f× | %s |\n",
			r.Scenario, r.Leaders, r.LesimSeqs, fmtDur(r.MaxOff), fmtDur(r.Tol), r.Overlap, r.Calls,
			r.Speed.Real, r.Speed.Lesim, r.Speed.Ratio(), verdict)
		realSum += r.Speed.Real
		lesimSum += r.Speed.Lesim
	}
	if n := float64(len(rows)); n > 0 {
		fmt.Fprintf(&b, "\nMean over the corpus: real elector %.0f sim-s/wall-s, lesim %.0f sim-s/wall-s (%.0f×).\n",
			realSum/n, lesimSum/n, lesimSum/realSum)
	}
	b.WriteString("\n## The scenarios\n\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "- **%s**: %s\n", r.Scenario, r.Description)
	}
	return reports.WriteFile(path, []byte(b.String()))
}

const tableHeader = `# Conformance with client-go's leader elector

This table is written by ` + "`go test ./elector/conformance -run TestCorpus -update`" + `. Each
scenario of ` + "`elector/conformance/testdata/corpus`" + ` runs twice over:

- on **client-go v0.37.2's own elector** (` + "`k8s.io/client-go/tools/leaderelection`" + ` with
  ` + "`resourcelock.LeaseLock`" + ` over a typed clientset), one goroutine per process, inside a
  ` + "`testing/synctest`" + ` bubble, talking to lesim's REST surface (` + "`fakeapi/rest`" + `) through an
  in-process transport, with the scenario's latency and API faults realised on fake time;
- on **lesim's elector** (variant v0.37) in the simulation, under several seeds.

The real run is one draw of its jitter (the global math/rand) and of the REST surface's
latencies and injected errors; lesim's seeds sample the same space. A quantity agrees when
the real value lies in lesim's range widened by what one draw can move it: times by
1.2·RetryPeriod plus a round trip at the 99.9th latency percentile ("tolerance"), request
counts by 2 + 5 %, and the sequence of leading nodes must be one lesim produced. The
"worst time off" column is the largest distance of a real acquisition, step-down or overlap
time outside lesim's range (0 when all fall inside it).

To compare your own scenarios (perfect clocks, no pauses, workload or stale
reads, variant v0.37), point the test at them:
` + "`LESIM_CONFORMANCE_FILES='my/*.yaml' go test ./elector/conformance -run TestCorpus -v`" + `
prints every check with lesim's range and the tolerance.

Speeds are wall-clock measurements of that test run on the machine that ran it (see
docs/performance.md for the machine); the real elector's figure is for the whole bubble,
including the REST surface and its JSON encoding.

`
