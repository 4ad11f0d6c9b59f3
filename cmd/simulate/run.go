package main

import (
	"bufio"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lesim/lesim/reports"
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
	keep := ro.trace != "" || ro.report != ""
	res, err := scenarios.RunWith(sc, scenarios.RunOptions{KeepTrace: keep, Seed: ro.seedFlag.get()})
	if err != nil {
		return nil, err
	}
	if ro.trace != "" {
		if err := writeTrace(ro.trace, res.Trace); err != nil {
			return nil, badInput("--trace %s: %v", ro.trace, err)
		}
	}
	if ro.report != "" {
		err := reports.WriteReport(ro.report, res, reports.ReportOptions{ScenarioYAML: yamlData, Command: cmdLine(cmd, args)})
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

// writeTrace writes events as JSON lines, atomically.
func writeTrace(path string, events []scenarios.TraceEvent) error {
	return reports.WriteFileFunc(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for i := range events {
			if err := writeJSONLine(bw, &events[i]); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
}
