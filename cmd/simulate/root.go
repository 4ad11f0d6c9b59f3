package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	componentbaseconfig "k8s.io/component-base/config"
	"k8s.io/component-base/config/options"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
)

// Exit codes: 0 ok, 1 an expectation failed, 2 bad input or usage.
const (
	exitOK       = 0
	exitFailed   = 1
	exitBadUsage = 2
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func badInput(err error) error { return &exitError{code: exitBadUsage, msg: err.Error()} }

func execute(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "error:", ee.msg)
		}
		return ee.code
	}
	// Anything else cobra returns is a usage problem (unknown flag or
	// command, wrong arguments).
	fmt.Fprintln(stderr, "error:", err)
	return exitBadUsage
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	ro := &runOptions{report: defaultReportDir()}
	root := &cobra.Command{
		Use:           "simulate",
		Short:         "Deterministic simulation of Kubernetes leader election",
		Long:          "simulate runs client-go's leader election on virtual clocks against a chaos API server and measures overlap, failover and API load.\nWith no arguments it runs the embedded default scenario.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ro.scenario = "default"
			return ro.run(cmd, stdout)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newRunCmd(stdout), newListCmd(stdout), newSchemaCmd(stdout))
	return root
}

func defaultReportDir() string { return filepath.Join(os.TempDir(), "lesim-report") }

type runOptions struct {
	scenario string
	seed     uint64
	json     bool
	report   string
	trace    string
	le       componentbaseconfig.LeaderElectionConfiguration
	flags    *pflag.FlagSet
}

func newRunCmd(stdout io.Writer) *cobra.Command {
	ro := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run [FILE]",
		Short: "Run a scenario file or a named library scenario",
		Example: `  simulate run scenarios/library/leader-crash.yaml --json
  simulate run --scenario skew-beyond-bound --report ./report
  simulate run --scenario healthy --leader-elect-lease-duration=20s`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && ro.scenario != "" {
				return badInput(errors.New("give either a FILE or --scenario, not both"))
			}
			if len(args) == 0 && ro.scenario == "" {
				return badInput(errors.New("give a scenario FILE or --scenario NAME (see `simulate list`)"))
			}
			ro.flags = cmd.Flags()
			return ro.runFile(cmd, stdout, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&ro.scenario, "scenario", "", "name of a library scenario (see `simulate list`)")
	f.Uint64Var(&ro.seed, "seed", 0, "run with this seed instead of spec.seed")
	f.BoolVar(&ro.json, "json", false, "print one JSON object with the run's metrics")
	f.StringVar(&ro.report, "report", "", "write report.html and summary.json into this directory")
	f.StringVar(&ro.trace, "trace", "", "write the event trace as JSON lines to this file")
	options.BindLeaderElectionFlags(&ro.le, f)
	return cmd
}

func (ro *runOptions) runFile(cmd *cobra.Command, stdout io.Writer, args []string) error {
	if len(args) == 1 {
		sc, err := scenarios.Load(args[0])
		if err != nil {
			return badInput(err)
		}
		return ro.execute(cmd, stdout, sc)
	}
	return ro.run(cmd, stdout)
}

func (ro *runOptions) run(cmd *cobra.Command, stdout io.Writer) error {
	sc, err := scenarios.Named(ro.scenario)
	if err != nil {
		return badInput(err)
	}
	return ro.execute(cmd, stdout, sc)
}

// applyFlags lets explicitly set leader-election flags override the
// scenario, as kube-scheduler's flags override its --config.
func (ro *runOptions) applyFlags(sc *scenarios.Scenario) {
	if ro.flags == nil {
		return
	}
	e := &sc.Spec.Elector
	if ro.flags.Changed("leader-elect-lease-duration") {
		e.LeaseDuration = ro.le.LeaseDuration.DeepCopy()
	}
	if ro.flags.Changed("leader-elect-renew-deadline") {
		e.RenewDeadline = ro.le.RenewDeadline.DeepCopy()
	}
	if ro.flags.Changed("leader-elect-retry-period") {
		e.RetryPeriod = ro.le.RetryPeriod.DeepCopy()
	}
}

func (ro *runOptions) execute(cmd *cobra.Command, stdout io.Writer, sc *scenarios.Scenario) error {
	ro.applyFlags(sc)
	opts := scenarios.RunOptions{KeepTrace: ro.trace != "" || ro.report != ""}
	if cmd.Flags().Changed("seed") {
		opts.Seed = &ro.seed
	}
	res, err := scenarios.RunWith(sc, opts)
	if err != nil {
		return badInput(err)
	}
	if ro.trace != "" {
		if err := writeTrace(ro.trace, res); err != nil {
			return badInput(err)
		}
	}
	if ro.report != "" {
		yaml, _ := sc.Marshal()
		if err := reports.WriteReport(ro.report, res, reports.ReportOptions{ScenarioYAML: yaml, Command: "simulate " + strings.Join(os.Args[1:], " ")}); err != nil {
			return &exitError{code: exitBadUsage, msg: "writing report: " + err.Error()}
		}
	}
	if ro.json {
		if err := reports.WriteJSON(stdout, res); err != nil {
			return err
		}
	} else {
		if err := reports.WriteText(stdout, res); err != nil {
			return err
		}
		if ro.report != "" {
			fmt.Fprintf(stdout, "report: %s\n", filepath.Join(ro.report, "report.html"))
		}
	}
	if !res.Expect.Passed {
		return &exitError{code: exitFailed, msg: "expectations violated: " + strings.Join(res.Expect.Violations, "; ")}
	}
	return nil
}

func writeTrace(path string, res *scenarios.Result) error {
	return reports.WriteFileFunc(path, func(w io.Writer) error {
		for _, ev := range res.Trace {
			if err := writeJSONLine(w, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

func newListCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the named library scenarios",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			for _, e := range scenarios.Library() {
				fmt.Fprintf(stdout, "%-32s %s\n", e.Name, e.Description)
			}
			return nil
		},
	}
}

func newSchemaCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the scenario schema with every field documented",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(stdout, scenarios.SchemaDoc())
			return err
		},
	}
}
