package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/reports/analysis"
	"github.com/lesim/lesim/scenarios/runner"
)

type explainOpts struct {
	scenarioSource
	seedFlag
	electorFlags
	window    time.Duration
	maxEvents int
}

func newExplainCmd(e env) *cobra.Command {
	o := &explainOpts{}
	cmd := &cobra.Command{
		Use:   "explain [FILE | --scenario NAME]",
		Short: "State why each overlap and failover happened, and print the events around the worst",
		Long: `Run a scenario with its full trace. For every overlap, failover and
spurious transition print one sentence stating its causal chain in numbers
(when the new leader last saw the old lease change, when that lease expired
on its clock and at what rate, when and why the old leader stepped down).
Then print the events around the worst episode (the longest overlap, else
the longest failover): true time, each involved node's local clock reading
at that instant (columns in node order), the event — faults, clock changes,
pauses, crashes and restarts included — and marks where the episode begins
and ends.

Exit status: 1 when the run violates spec.expect, as for run.`,
		Example: `  simulate explain --scenario skew-beyond-bound
  simulate explain counterexample.yaml --window 2s`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.window < 0 {
				return badInput("--window %s: expected a duration of 0s or more", o.window)
			}
			if err := checkCount("--max-events", o.maxEvents, 1, maxShownEvents); err != nil {
				return err
			}
			sc, _, err := o.load(args)
			if err != nil {
				return err
			}
			if err := o.electorFlags.apply(sc, scenarioName(args, &o.scenarioSource)); err != nil {
				return err
			}
			res, err := runner.RunWith(sc, runner.RunOptions{KeepTrace: true, Seed: o.seedFlag.get(), Context: cmd.Context()})
			if err != nil {
				return err
			}
			if err := reports.WriteExplain(e.stdout, res, analysis.FromTrace(res), reports.ExplainOptions{Window: o.window, MaxEvents: o.maxEvents}); err != nil {
				return err
			}
			if !res.Expect.Passed {
				return errFailed
			}
			return nil
		},
	}
	fs := cmd.Flags()
	o.scenarioSource.addFlags(fs)
	o.seedFlag.addFlags(fs, "run with this seed instead of the scenario's spec.seed")
	fs.DurationVar(&o.window, "window", 3*time.Second, "true time shown before and after the episode")
	fs.IntVar(&o.maxEvents, "max-events", 400, "most events shown")
	o.electorFlags.addFlags(fs)
	return cmd
}
