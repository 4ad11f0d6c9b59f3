package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/reports/analysis"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/runner"
)

// runOpts are the flags of `simulate run` (and of `simulate` alone).
type runOpts struct {
	scenarioSource
	seedFlag
	electorFlags
	maxEventsFlag
	json   bool
	report string
	trace  string
	// autoReport: write the report to a new directory in the system's
	// temporary directory (what simulate alone does), made only once the
	// report is complete.
	autoReport bool
}

func addRunFlags(cmd *cobra.Command, ro *runOpts) {
	fs := cmd.Flags()
	ro.scenarioSource.addFlags(fs)
	ro.seedFlag.addFlags(fs, "run with this seed instead of the scenario's spec.seed")
	fs.BoolVar(&ro.json, "json", false, "print the summary as one JSON object on stdout")
	fs.StringVar(&ro.report, "report", "", "write report.html, summary.json and the figures (PNG, SVG) to `DIR`")
	fs.StringVar(&ro.trace, "trace", "", "write every event of the run to `FILE` as JSON lines")
	ro.electorFlags.addFlags(fs)
	ro.maxEventsFlag.addFlags(fs)
}

func newRunCmd(e env) *cobra.Command {
	ro := &runOpts{}
	cmd := &cobra.Command{
		Use:   "run [FILE | --scenario NAME]",
		Short: "Run one scenario and print what it measured",
		Long: `Run one scenario (a file, or a library scenario with --scenario; with
neither, the default scenario) and print a summary: who led when, overlap,
liveness (time to first leader, "never led"), leaderless time from the
first node's start, every failover with its recovery (from the fault's
onset to a node leading alone) and handover gap, API load and whether
spec.expect held. A run in which nobody leads, or whose leadership is not
restored after a fault, violates spec.expect unless requireLeader is false.

The --leader-elect-* flags are kube-controller-manager's; those given
override the scenario's spec.elector (node-level overrides still apply).

Exit status: 0 when spec.expect held, 1 when it was violated, 2 on bad
input.`,
		Example: `  simulate run --scenario leader-crash
  simulate run my-scenario.yaml --seed 7 --json
  simulate run --scenario skew-beyond-bound --leader-elect-lease-duration=20s --report out/`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScenario(cmd, e, ro, args)
		},
	}
	addRunFlags(cmd, ro)
	return cmd
}

// runScenario is `simulate run` and the no-argument default.
func runScenario(cmd *cobra.Command, e env, ro *runOpts, args []string) error {
	sc, yamlData, err := ro.load(args)
	if err != nil {
		return err
	}
	res, err := runAndReport(cmd, e, ro, sc, yamlData, scenarioName(args, &ro.scenarioSource), args)
	if err != nil {
		return err
	}
	if !res.Expect.Passed {
		return errFailed
	}
	return nil
}

// runAndReport applies the elector flags, runs sc and writes what the flags
// ask for: the summary (text or JSON), the report, the trace.
func runAndReport(cmd *cobra.Command, e env, ro *runOpts, sc *scenarios.Scenario, yamlData []byte, name string, args []string) (*check.Result, error) {
	if err := ro.electorFlags.apply(sc, name); err != nil {
		return nil, err
	}
	if ro.electorFlags.changedTimings() {
		// The report shows the scenario as run, flags included.
		if b, err := sc.Marshal(); err == nil {
			yamlData = b
		}
	}
	if err := ro.maxEventsFlag.validate(); err != nil {
		return nil, err
	}
	res, events, err := ro.runWithOutputs(cmd, sc, name, yamlData, args)
	if err != nil {
		return nil, err
	}
	if ro.json {
		if err := reports.WriteJSON(e.stdout, res); err != nil {
			return nil, err
		}
	} else {
		if err := reports.WriteText(e.stdout, res); err != nil {
			return nil, err
		}
	}
	// In JSON mode stdout holds the one object; notes go to stderr.
	notes := ro.notes(e)
	if ro.report != "" {
		fmt.Fprintf(notes, "report: %s\n", reportPath(ro.report))
	}
	if ro.trace != "" {
		fmt.Fprintf(notes, "trace: %s (%d events)\n", ro.trace, events)
	}
	return res, nil
}

// notes is where remarks besides the summary go.
func (ro *runOpts) notes(e env) io.Writer {
	if ro.json {
		return e.stderr
	}
	return e.stdout
}

func reportPath(dir string) string { return filepath.Join(dir, "report.html") }

// expectationsSet says whether the scenario sets any of spec.expect.
func expectationsSet(sc *scenarios.Scenario) bool {
	return sc.Spec.Expect.IsSet()
}

// runWithOutputs runs sc and writes the trace and the report, or neither.
// The trace streams to its file and the report folds what it needs as the
// run goes, so neither keeps the whole trace in memory; both are staged
// (the trace inside its directory, created if missing; the report beside
// its directory) and moved into place only once the run and both outputs
// are complete. It returns the number of trace events written.
func (ro *runOpts) runWithOutputs(cmd *cobra.Command, sc *scenarios.Scenario, name string, yamlData []byte, args []string) (*check.Result, int, error) {
	var staged []*reports.Staged
	var trace *streamedTrace
	committed := false
	defer func() {
		for _, s := range staged {
			s.Abort()
		}
		if !committed && trace != nil {
			trace.discard()
		}
	}()
	opts := runner.RunOptions{Seed: ro.seedFlag.get(), MaxEvents: ro.maxEventsFlag.n, Context: cmd.Context()}
	var col *analysis.Collector
	if ro.report != "" || ro.autoReport {
		col = analysis.NewCollector(sc)
		opts.OnEvent = col.Add
	}
	trace, err := ro.openTrace(&opts, &staged)
	if err != nil {
		return nil, 0, err
	}
	res, err := runner.RunWith(sc, opts)
	var le *scenarios.LoadError
	if errors.As(err, &le) {
		le.File = name // the pre-flight estimate names the field; this, the file
	}
	if err != nil {
		return nil, 0, err
	}
	if err := trace.close(); err != nil {
		return nil, 0, badInput("--trace %s: %v", ro.trace, err)
	}
	if err := ro.writeReport(cmd, sc, res, col, yamlData, args, &staged); err != nil {
		return nil, 0, err
	}
	// The report first: a trace inside the report's directory joins it.
	for i := len(staged) - 1; i >= 0; i-- {
		if err := staged[i].Commit(); err != nil {
			return nil, 0, err
		}
	}
	committed = true
	return res, trace.n, nil
}

// streamedTrace is a trace being streamed into its staging directory.
type streamedTrace struct {
	// made are the directories created for the file, deepest first:
	// removed again (when still empty) if nothing is committed.
	made []string
	f    *os.File
	bw   *bufio.Writer
	err  error
	n    int
}

// openTrace stages the --trace file, if any, and chains a writer of its
// JSON lines onto opts.OnEvent.
func (ro *runOpts) openTrace(opts *runner.RunOptions, staged *[]*reports.Staged) (*streamedTrace, error) {
	t := &streamedTrace{}
	if ro.trace == "" {
		return t, nil
	}
	dir := filepath.Dir(ro.trace)
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		t.made = append(t.made, d)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.discard()
		return nil, badInput("--trace %s: %v", ro.trace, err)
	}
	s, err := reports.StageIn(dir)
	if err != nil {
		t.discard()
		return nil, badInput("--trace %s: %v", ro.trace, err)
	}
	*staged = append(*staged, s)
	if t.f, err = os.Create(filepath.Join(s.Dir, filepath.Base(ro.trace))); err != nil {
		return nil, badInput("--trace %s: %v", ro.trace, err)
	}
	t.bw = bufio.NewWriter(t.f)
	also := opts.OnEvent
	opts.OnEvent = func(ev check.TraceEvent) {
		if also != nil {
			also(ev)
		}
		if t.err == nil {
			t.err = writeJSONLine(t.bw, &ev)
			t.n++
		}
	}
	return t, nil
}

// discard closes the file and removes the directories made for it, when
// they are empty: a failed run leaves nothing behind.
func (t *streamedTrace) discard() {
	if t.f != nil {
		t.f.Close()
	}
	for _, d := range t.made {
		os.Remove(d)
	}
}

// close flushes and syncs the trace; a write error during the run is
// reported here.
func (t *streamedTrace) close() error {
	if t.f == nil {
		return nil
	}
	defer t.f.Close()
	if t.err != nil {
		return t.err
	}
	if err := t.bw.Flush(); err != nil {
		return err
	}
	return t.f.Sync()
}

// writeReport stages the report (--report, or a new directory in the
// system's temporary directory for simulate alone).
func (ro *runOpts) writeReport(cmd *cobra.Command, sc *scenarios.Scenario, res *check.Result, col *analysis.Collector, yamlData []byte, args []string, staged *[]*reports.Staged) error {
	if ro.autoReport {
		dir, err := os.MkdirTemp("", "lesim-report-")
		if err != nil {
			return err
		}
		os.Remove(dir) // the name is reserved; Commit creates it whole
		ro.report = dir
	}
	if ro.report == "" {
		return nil
	}
	s, err := reports.StageDir(ro.report)
	if err != nil {
		return badInput("--report %s: %v", ro.report, err)
	}
	*staged = append(*staged, s)
	err = reports.WriteReport(s.Dir, res, reports.ReportOptions{ScenarioYAML: yamlData, Command: cmdLine(cmd, args),
		ExpectationsSet: expectationsSet(sc), Analysis: col.Analysis()})
	if err != nil {
		return badInput("--report %s: %v", ro.report, err)
	}
	return nil
}
