package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/reports/analysis"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/runner"
	"github.com/lesim/lesim/scenarios/worstcase"
	"github.com/lesim/lesim/sim"
)

type searchOpts struct {
	scenarioSource
	objective string
	budget    int
	seed      uint64
	out       string
	first     bool
	window    time.Duration
}

// maxSearchBudget bounds --budget: a million runs of a long scenario is
// already hours.
const maxSearchBudget = 1_000_000

func newSearchCmd(e env) *cobra.Command {
	o := &searchOpts{}
	cmd := &cobra.Command{
		Use:   "search [FILE | --scenario NAME]",
		Short: "Find the worst schedule the scenario's environment allows: the adversary's choices, not random seeds",
		Long: `Search the choices a run leaves open — every request and response latency
within its distribution's support (a uniform distribution is a range
[min, max]; unbounded families up to their max, else their 0.999
quantile), every acquire wait within client-go's jitter [RP, 2.2·RP),
injected-error picks, stale-read lags, service times, tie races — for the
schedule that maximises the objective: total or longest overlap of two
leaders, leaderless time, or the longest recovery.

The search first constructs the known worst schedules (the leader's last
successful renewal answered as late as allowed, a follower's Get served
right after it committed, that follower's next try right at expiry on its
clock), then changes one to three choices at a time and keeps what does
not lower the objective, then shrinks the schedule to the choices that
matter. It prints the worst value, the formula's prediction beside it, the
pinned choices and the causal account of the worst episode; --out writes
the counterexample: the scenario with spec.seed fixed and the schedule in
spec.choices, which 'simulate run' reproduces exactly.

Runs that never elect a leader, or never restore one, are failures of the
run, not worst cases: they are counted and reported, never chosen.

Exit status: 1 when the search found an overlap (for total and longest),
so that CI can gate on "no overlap within the envelope".`,
		Example: `  simulate search --scenario skew-beyond-bound --out counterexample.yaml
  simulate search env.yaml --objective recovery --budget 5000
  simulate run counterexample.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runSearch(cmd, e, o, args) },
	}
	fs := cmd.Flags()
	o.scenarioSource.addFlags(fs)
	fs.StringVar(&o.objective, "objective", string(worstcase.TotalOverlap), "what to maximise: total, longest (overlap), leaderless, recovery")
	fs.IntVar(&o.budget, "budget", 2000, "most simulation runs, construction and shrinking included")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the search's mutations (the scenario's spec.seed gives the unpinned draws)")
	fs.StringVarP(&o.out, "out", "o", "", "write the counterexample scenario (choices pinned) to this file")
	fs.BoolVar(&o.first, "first", false, "stop at the first overlap (total, longest) instead of maximising it")
	fs.DurationVar(&o.window, "window", 3*time.Second, "true time of events shown around the worst episode")
	return cmd
}

func runSearch(cmd *cobra.Command, e env, o *searchOpts, args []string) error {
	obj, err := worstcase.ParseObjective(o.objective)
	if err != nil {
		return badInput("--objective: %v", err)
	}
	if err := checkCount("--budget", o.budget, 1, maxSearchBudget); err != nil {
		return err
	}
	if o.window < 0 {
		return badInput("--window %s: expected a duration of 0s or more", o.window)
	}
	if o.out != "" {
		if st, err := os.Stat(filepath.Dir(o.out)); err != nil || !st.IsDir() {
			return badInput("--out %s: expected a file in an existing directory", o.out)
		}
	}
	sc, _, err := o.load(args)
	if err != nil {
		return err
	}
	name := scenarioName(args, &o.scenarioSource)
	f, err := worstcase.Search(worstcase.Spec{Scenario: sc, Objective: obj, Budget: o.budget, Seed: o.seed,
		StopAtOverlap: o.first, Context: cmd.Context()})
	if err != nil {
		if le, ok := err.(*scenarios.LoadError); ok {
			le.File = name
		}
		return err
	}
	if err := cmd.Context().Err(); err != nil {
		return err
	}
	// The readable account comes from a re-run of the counterexample
	// itself, so what is printed is what the file reproduces.
	res, err := runner.RunWith(f.Counterexample, runner.RunOptions{KeepTrace: true, Context: cmd.Context()})
	if err != nil {
		return err
	}
	if res.TraceHash != f.Result.TraceHash {
		return fmt.Errorf("search: the counterexample does not reproduce its run (trace %s, want %s)", res.TraceHash, f.Result.TraceHash)
	}
	if o.out != "" {
		data, err := f.Counterexample.Marshal()
		if err != nil {
			return err
		}
		if err := reports.WriteFileFunc(o.out, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return fmt.Errorf("--out %s: %w", o.out, err)
		}
	}
	printSearch(e.stdout, o, name, f)
	if err := reports.WriteExplain(e.stdout, res, analysis.FromTrace(res), reports.ExplainOptions{Window: o.window, MaxEvents: 60}); err != nil {
		return err
	}
	if obj.Overlaps() && f.Value > 0 {
		return errFailed
	}
	if f.Degenerate == f.Runs {
		return failed("search: every run was degenerate (no leader, or leadership never restored): there is no worst case to report")
	}
	return nil
}

func printSearch(w io.Writer, o *searchOpts, name string, f *worstcase.Found) {
	fmt.Fprintf(w, "search %s: objective %s, budget %d runs, seed %d\n", name, f.Objective, o.budget, o.seed)
	switch {
	case f.Objective.Overlaps() && f.Value == 0:
		fmt.Fprintf(w, "no overlap found; closest handover %v (gap between one leader's end and the next one's start)\n", f.Closest)
	default:
		fmt.Fprintf(w, "worst %s: %v (%s schedule)\n", f.Objective, f.Value, f.How)
	}
	if f.Bound != nil {
		fmt.Fprintf(w, "formula (elector-spec §9): %s\n", f.Bound)
	}
	fmt.Fprintf(w, "covered: %d runs (%d degenerate: no leader, or never restored; not counted), %d choices open in the worst run, %d mutations raised the objective\n",
		f.Runs, f.Degenerate, f.Choices, f.Improvements)
	fmt.Fprintf(w, "schedule: %d pinned choices (the rest keep spec.seed's draws)\n", f.Pinned)
	shown := shownChoices(f)
	if len(shown) < len(f.Schedule) {
		fmt.Fprintf(w, "  (the last %d before the worst episode ends; the file has all)\n", len(shown))
	}
	for _, m := range shown {
		fmt.Fprintf(w, "  %12s  %s\n", m.Choice.At.Round(time.Microsecond), describeChoice(m))
	}
	if o.out != "" {
		fmt.Fprintf(w, "counterexample: %s (simulate run %s reproduces trace %s)\n", o.out, o.out, f.Result.TraceHash)
	}
	fmt.Fprintln(w)
}

// describeChoice is one pinned choice as a sentence fragment.
func describeChoice(m sim.Made) string {
	who := m.Key.Subject
	if who == "" {
		who = "server"
	}
	if !m.Key.Kind.IsDuration() {
		return fmt.Sprintf("%s %s #%d: %d (drawn %d, allowed %d..%d)", who, m.Key.Kind, m.Key.N, m.Value, m.Choice.Drawn, m.Choice.Lo, m.Choice.Hi)
	}
	d := func(v int64) time.Duration { return time.Duration(v).Round(time.Microsecond) }
	return fmt.Sprintf("%s %s #%d: %v (drawn %v, allowed %v..%v)", who, m.Key.Kind, m.Key.N, d(m.Value), d(m.Choice.Drawn), d(m.Choice.Lo), d(m.Choice.Hi))
}

// maxShownChoices bounds the pinned choices printed.
const maxShownChoices = 24

// shownChoices are the pinned choices printed: the last few made before
// the worst overlap episode ended (before the run ended for the other
// objectives).
func shownChoices(f *worstcase.Found) []sim.Made {
	end := f.Result.Duration
	var longest time.Duration
	for _, ep := range f.Result.Overlap.Episodes {
		if d := ep.End - ep.Start; f.Objective.Overlaps() && d > longest {
			longest, end = d, ep.End
		}
	}
	n := 0
	for n < len(f.Schedule) && f.Schedule[n].Choice.At <= end {
		n++
	}
	return f.Schedule[max(0, n-maxShownChoices):n]
}
