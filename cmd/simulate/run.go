package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"

	"github.com/spf13/cobra"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/reports/analysis"
	"github.com/lesim/lesim/scenarios"
)

// runOpts are the flags of `simulate run` (and of `simulate` alone).
type runOpts struct {
	scenarioSource
	seedFlag
	electorFlags
	json   bool
	report string
	trace  string
}

func addRunFlags(cmd *cobra.Command, ro *runOpts) {
	fs := cmd.Flags()
	ro.scenarioSource.addFlags(fs)
	ro.seedFlag.addFlags(fs, "run with this seed instead of the scenario's spec.seed")
	fs.BoolVar(&ro.json, "json", false, "print the summary as one JSON object on stdout")
	fs.StringVar(&ro.report, "report", "", "write report.html, summary.json and the figures (PNG, SVG) to `DIR`")
	fs.StringVar(&ro.trace, "trace", "", "write every event of the run to `FILE` as JSON lines")
	ro.electorFlags.addFlags(fs)
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
	// The trace streams to its file and the report folds what it needs
	// as the run goes: neither keeps the whole trace in memory.
	var col *analysis.Collector
	opts := scenarios.RunOptions{Seed: ro.seedFlag.get()}
	if ro.report != "" {
		col = analysis.NewCollector(sc)
		opts.OnEvent = col.Add
	}
	res, events, err := runStreaming(sc, opts, ro.trace)
	if err != nil {
		return nil, err
	}
	if ro.report != "" {
		err := reports.WriteReport(ro.report, res, reports.ReportOptions{ScenarioYAML: yamlData, Command: cmdLine(cmd, args),
			ExpectationsSet: expectationsSet(sc), Analysis: col.Analysis()})
		if err != nil {
			return nil, badInput("--report %s: %v", ro.report, err)
		}
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
	return !reflect.ValueOf(sc.Spec.Expect).IsZero()
}

// runStreaming runs sc and, with a trace path, streams every event to it
// as JSON lines while the run goes (the file appears, atomically, only if
// the run and every write succeeded; its directory is created). It
// returns the number of events written.
func runStreaming(sc *scenarios.Scenario, opts scenarios.RunOptions, path string) (*scenarios.Result, int, error) {
	if path == "" {
		res, err := scenarios.RunWith(sc, opts)
		return res, 0, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, 0, badInput("--trace %s: %v", path, err)
	}
	var res *scenarios.Result
	var runErr error
	n := 0
	err := reports.WriteFileFunc(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		var werr error
		also := opts.OnEvent
		opts.OnEvent = func(ev scenarios.TraceEvent) {
			if also != nil {
				also(ev)
			}
			if werr == nil {
				werr = writeJSONLine(bw, &ev)
				n++
			}
		}
		if res, runErr = scenarios.RunWith(sc, opts); runErr != nil {
			return runErr
		}
		if werr != nil {
			return werr
		}
		return bw.Flush()
	})
	if runErr != nil {
		return nil, 0, runErr
	}
	if err != nil {
		return nil, 0, badInput("--trace %s: %v", path, err)
	}
	return res, n, nil
}
