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
	"github.com/lesim/lesim/scenarios"
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
leaderless time, failovers, API load and whether spec.expect held.

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
func runAndReport(cmd *cobra.Command, e env, ro *runOpts, sc *scenarios.Scenario, yamlData []byte, name string, args []string) (*scenarios.Result, error) {
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
	keep := ro.trace != "" || ro.report != "" || ro.autoReport
	res, err := scenarios.RunWith(sc, scenarios.RunOptions{KeepTrace: keep, Seed: ro.seedFlag.get(), MaxEvents: ro.maxEventsFlag.n, Context: cmd.Context()})
	var le *scenarios.LoadError
	if errors.As(err, &le) {
		le.File = name // the pre-flight estimate names the field; this, the file
	}
	if err != nil {
		return nil, err
	}
	if err := ro.writeOutputs(cmd, res, yamlData, args); err != nil {
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
		fmt.Fprintf(notes, "trace: %s (%d events)\n", ro.trace, len(res.Trace))
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

func reportPath(dir string) string { return dir + "/report.html" }

// writeOutputs writes the trace and the report, or neither: the report is
// staged beside its directory and the trace beside its file, and both are
// moved into place only once both are complete.
func (ro *runOpts) writeOutputs(cmd *cobra.Command, res *scenarios.Result, yamlData []byte, args []string) error {
	var staged []*reports.Staged
	defer func() {
		for _, s := range staged {
			s.Abort()
		}
	}()
	stage := func(target, flag string) (*reports.Staged, error) {
		newStage := reports.StageDir
		if flag == "--trace" {
			newStage = reports.StageIn
		}
		s, err := newStage(target)
		if err != nil {
			return nil, badInput("%s %s: %v", flag, target, err)
		}
		staged = append(staged, s)
		return s, nil
	}
	var traceStage *reports.Staged
	if ro.trace != "" {
		s, err := stage(filepath.Dir(ro.trace), "--trace")
		if err != nil {
			return err
		}
		if err := writeTrace(filepath.Join(s.Dir, filepath.Base(ro.trace)), res.Trace); err != nil {
			return badInput("--trace %s: %v", ro.trace, err)
		}
		traceStage = s
	}
	if ro.autoReport {
		dir, err := os.MkdirTemp("", "lesim-report-")
		if err != nil {
			return err
		}
		os.Remove(dir) // the name is reserved; Commit creates it whole
		ro.report = dir
	}
	var reportStage *reports.Staged
	if ro.report != "" {
		s, err := stage(ro.report, "--report")
		if err != nil {
			return err
		}
		if err := reports.WriteReport(s.Dir, res, reports.ReportOptions{ScenarioYAML: yamlData, Command: cmdLine(cmd, args)}); err != nil {
			return badInput("--report %s: %v", ro.report, err)
		}
		reportStage = s
	}
	if reportStage != nil {
		if err := reportStage.Commit(); err != nil {
			return badInput("--report %s: %v", ro.report, err)
		}
	}
	if traceStage != nil {
		if err := traceStage.Commit(); err != nil {
			return badInput("--trace %s: %v", ro.trace, err)
		}
	}
	return nil
}

// writeTrace writes events as JSON lines.
func writeTrace(path string, events []scenarios.TraceEvent) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	for i := range events {
		if err := writeJSONLine(bw, &events[i]); err != nil {
			f.Close()
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
