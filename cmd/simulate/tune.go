package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/batch"
	"github.com/lesim/lesim/scenarios/tune"
)

type tuneOpts struct {
	scenarioSource
	seedFlag
	env          tune.Environment
	objective    string
	maxAPIRate   float64
	maxRecovery  time.Duration
	seeds        int
	searchSeeds  int
	lease, renew []time.Duration
	retry        []time.Duration
	out          string
	jobs         int
	progress     string
	adversary    int
}

func newTuneCmd(e env) *cobra.Command {
	o := &tuneOpts{}
	cmd := &cobra.Command{
		Use:   "tune [FILE | --scenario NAME]",
		Short: "Find elector timings with the fastest recovery that never overlap in your environment",
		Long: `Search (LeaseDuration, RenewDeadline, RetryPeriod) for the scenario as
given — its nodes, clocks, latency distributions with their tails, faults
and load — minimising the objective (recovery time p99 by default, or API
requests/s), under hard constraints:

  - the renew round trip at the latencies' 99.9th percentile fits in
    min(RenewDeadline, request timeout) (else nobody can renew);
  - no overlap in any of --seeds verification runs, reported with the 95%
    upper bound on the overlap probability (0 of 300 runs: < 1%);
  - a leader elected, and restored after every fault, in every run;
  - optionally --max-api-rate and --max-recovery.

Every grid candidate that passes the round-trip check runs on
--search-seeds seeds; the clean ones are ranked and verified in order on
--seeds fresh seeds until one passes. The pick is printed with its
verification figures and as flags to paste.

Without a scenario, the environment is built from --max-clock-ratio,
--latency, --latency-max (lognormal, 99.9th percentile at the max, capped
there) and --pause-bound, and written to DIR/environment.yaml.

Exit status: 0 when a timing passed, 1 when none did, 2 on bad input.`,
		Example: `  simulate tune my-cluster.yaml
  simulate tune --scenario leader-partition-drop-responses --objective api --max-recovery 30s
  simulate tune --max-clock-ratio 1.2 --latency 5ms --latency-max 500ms --pause-bound 5s`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTune(cmd, e, o, args)
		},
	}
	fs := cmd.Flags()
	o.scenarioSource.addFlags(fs)
	o.seedFlag.addFlags(fs, "the seed every run's seed derives from (default 1)")
	fs.Float64Var(&o.env.MaxClockRatio, "max-clock-ratio", 1.1, "without a scenario: the largest clock-rate ratio between two nodes")
	fs.DurationVar(&o.env.Latency, "latency", 2*time.Millisecond, "without a scenario: median one-way API latency")
	fs.DurationVar(&o.env.LatencyMax, "latency-max", 200*time.Millisecond, "without a scenario: largest one-way API latency (the 99.9th percentile and the cap)")
	fs.DurationVar(&o.env.PauseBound, "pause-bound", 0, "without a scenario: longest process pause to tolerate")
	fs.StringVar(&o.objective, "objective", string(tune.Recovery), "what to minimise: recovery (p99 recovery time) or api (requests/s)")
	fs.Float64Var(&o.maxAPIRate, "max-api-rate", 0, "constraint: mean API requests/s at most this (0: none)")
	fs.DurationVar(&o.maxRecovery, "max-recovery", 0, "constraint: recovery p99 at most this (0: none)")
	fs.IntVar(&o.seeds, "seeds", tune.DefaultVerifySeeds, fmt.Sprintf("verification runs of a pick, 10 to %d", batch.MaxSeeds))
	fs.IntVar(&o.adversary, "adversary-budget", tune.DefaultAdversaryBudget, "runs of the worst-case search that checks a verified pick within the environment (0: no check)")
	fs.IntVar(&o.searchSeeds, "search-seeds", 10, fmt.Sprintf("runs per candidate in the search, 1 to %d", batch.MaxSeeds))
	fs.DurationSliceVar(&o.lease, "lease", secondsList(4, 6, 8, 10, 12, 15, 20, 30, 45, 60), "candidate lease durations")
	fs.DurationSliceVar(&o.renew, "renew", secondsList(2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 40), "candidate renew deadlines")
	fs.DurationSliceVar(&o.retry, "retry", secondsList(1, 2, 4), "candidate retry periods")
	fs.StringVar(&o.out, "out", "lesim-tune", "output `DIR` for tune.json and the frontier plot")
	fs.IntVarP(&o.jobs, "jobs", "j", runtime.GOMAXPROCS(0), fmt.Sprintf("runs in parallel, 1 to %d", batch.MaxJobs))
	fs.StringVar(&o.progress, "progress", "auto", "progress report: auto, always or never")
	return cmd
}

func secondsList(ss ...int) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = time.Duration(s) * time.Second
	}
	return out
}

func (o *tuneOpts) validate(cmd *cobra.Command, args []string) error {
	envFlags := slices.ContainsFunc([]string{"max-clock-ratio", "latency", "latency-max", "pause-bound"}, func(f string) bool { return cmd.Flags().Changed(f) })
	switch {
	case envFlags && (len(args) > 0 || o.scenario != ""):
		return badInput("tune: --max-clock-ratio, --latency, --latency-max and --pause-bound describe an environment without a scenario; expected them or a scenario, not both")
	case !(o.env.MaxClockRatio >= 1) || o.env.MaxClockRatio > 10:
		return badInput("--max-clock-ratio %g: expected 1 to 10 (the ratio of the faster clock to the slower)", o.env.MaxClockRatio)
	case o.env.Latency <= 0 || o.env.LatencyMax < o.env.Latency:
		return badInput("--latency %s --latency-max %s: expected 0s < latency <= latency-max", o.env.Latency, o.env.LatencyMax)
	case o.env.PauseBound < 0:
		return badInput("--pause-bound %s: expected 0s or more", o.env.PauseBound)
	case o.objective != string(tune.Recovery) && o.objective != string(tune.API):
		return badInput("--objective %q: expected recovery or api", o.objective)
	case o.maxAPIRate < 0 || o.maxRecovery < 0:
		return badInput("--max-api-rate %g --max-recovery %s: expected 0 (none) or more", o.maxAPIRate, o.maxRecovery)
	case o.searchSeeds < 1 || o.searchSeeds > batch.MaxSeeds:
		return badInput("--search-seeds %d: expected 1 to %d", o.searchSeeds, batch.MaxSeeds)
	case !slices.Contains([]string{"auto", "always", "never"}, o.progress):
		return badInput("--progress %q: expected auto, always or never", o.progress)
	}
	if err := checkSeeds(o.seeds, 10); err != nil {
		return err
	}
	if err := checkCount("--adversary-budget", o.adversary, 0, maxSearchBudget); err != nil {
		return err
	}
	return checkJobs(o.jobs)
}

// environment is the scenario tuned: the user's, or one built from the
// environment flags.
func (o *tuneOpts) environment(args []string) (*scenarios.Scenario, string, error) {
	if len(args) > 0 || o.scenario != "" {
		sc, _, err := o.load(args)
		return sc, scenarioName(args, &o.scenarioSource), err
	}
	sc := o.env.Scenario()
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, "", fmt.Errorf("--out %s: %w", o.out, err)
	}
	data, err := sc.Marshal()
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(o.out, "environment.yaml")
	if err := reports.WriteFile(path, data); err != nil {
		return nil, "", fmt.Errorf("--out %s: %w", o.out, err)
	}
	return sc, path, nil
}

func runTune(cmd *cobra.Command, e env, o *tuneOpts, args []string) error {
	if err := o.validate(cmd, args); err != nil {
		return err
	}
	sc, name, err := o.environment(args)
	if err != nil {
		return err
	}
	seed := uint64(1)
	if s := o.seedFlag.get(); s != nil {
		seed = *s
	}
	prog := newProgress(o.progress, e.stderrTTY, e.stderr, "tune", 0, 0)
	opts := tune.Options{Lease: o.lease, Renew: o.renew, Retry: o.retry, SearchSeeds: o.searchSeeds, VerifySeeds: o.seeds,
		Objective: tune.Objective(o.objective), MaxAPIRate: o.maxAPIRate, MaxRecovery: o.maxRecovery, Seed: seed, Jobs: o.jobs,
		AdversaryBudget: o.adversary, Progress: func(int, int) { prog.inc() }}
	if o.adversary == 0 {
		opts.AdversaryBudget = -1 // no check
	}
	res, err := tune.Search(context.Background(), sc, opts)
	prog.finish(err != nil)
	if err != nil {
		return err
	}
	if err := writeTuneFiles(o, name, res); err != nil {
		return err
	}
	printTune(e.stdout, o, name, res)
	if res.Pick < 0 {
		return errFailed
	}
	return nil
}

// writeTuneFiles writes tune.json and the frontier plot.
func writeTuneFiles(o *tuneOpts, name string, res *tune.Result) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", o.out, err)
	}
	var cands []reports.TuneCandidate
	for i, c := range res.Candidates {
		if c.Verdict == "invalid" || c.Search.Runs == 0 {
			continue
		}
		verdict := c.Verdict // the plot's legend: constraint misses are "too slow"
		if verdict == "recovery" || verdict == "api" {
			verdict = "too-slow"
		}
		cands = append(cands, reports.TuneCandidate{LeaseDuration: reports.Dur(c.LeaseDuration), RenewDeadline: reports.Dur(c.RenewDeadline), RetryPeriod: reports.Dur(c.RetryPeriod),
			FailoverMaxSeconds: c.Search.RecoveryP99, MarginSeconds: (c.Budget - c.RoundTrip).Seconds(), Runs: c.Search.Runs,
			OverlapSeconds: float64(c.Search.OverlapRuns), Safe: c.Verdict == "ok", Verdict: verdict, Chosen: i == res.Pick})
	}
	fig := reports.Frontier("Tuning frontier: "+filepath.Base(name), cands)
	if err := fig.Save(o.out); err != nil {
		return fmt.Errorf("--out %s: %w", o.out, err)
	}
	return reports.WriteFileFunc(filepath.Join(o.out, "tune.json"), func(w io.Writer) error {
		return writeJSONIndent(w, struct {
			Scenario    string       `json:"scenario"`
			SearchSeeds int          `json:"searchSeeds"`
			VerifySeeds int          `json:"verifySeeds"`
			Result      *tune.Result `json:"result"`
		}{name, o.searchSeeds, o.seeds, res})
	})
}

// goDuration renders d as a Go expression: 10 * time.Second.
func goDuration(d time.Duration) string {
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "time.Hour"}, {time.Minute, "time.Minute"}, {time.Second, "time.Second"}, {time.Millisecond, "time.Millisecond"}} {
		if d%u.unit == 0 {
			return fmt.Sprintf("%d * %s", d/u.unit, u.name)
		}
	}
	return fmt.Sprintf("%d", d)
}

func printTune(w io.Writer, o *tuneOpts, name string, res *tune.Result) {
	searched, static := 0, 0
	for _, c := range res.Candidates {
		if c.Search.Runs > 0 {
			searched++
		} else if c.Verdict == "round-trip" {
			static++
		}
	}
	fmt.Fprintf(w, "tune %s: %d candidates, %d rejected by the round-trip check, %d searched on %d seeds each; objective %s\n\n", name, len(res.Candidates), static, searched, o.searchSeeds, res.Objective)
	c, ok := res.Picked()
	if !ok {
		fmt.Fprintln(w, "no timing passed every constraint: widen --lease/--renew/--retry, or relax --max-api-rate/--max-recovery")
	} else {
		printPick(w, c)
	}
	fmt.Fprintln(w, "evidence (the 12 best searched candidates):")
	fmt.Fprintf(w, "  %-14s %12s %12s %9s %8s %10s  %s\n", "LD/RD/RP", "recovery p99", "API req/s", "overlaps", "no-lead", "rt/budget", "verdict")
	order := make([]int, 0, len(res.Candidates))
	for i, c := range res.Candidates {
		if c.Search.Runs > 0 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return compareObjective(res.Candidates[a], res.Candidates[b]) })
	for _, i := range order[:min(12, len(order))] {
		c := res.Candidates[i]
		v := c.Verdict
		if i == res.Pick {
			v += " (chosen)"
		}
		fmt.Fprintf(w, "  %-14s %11.3fs %12.3f %9d %8d %10s  %s\n", c.Timings, c.Search.RecoveryP99, c.Search.APIRate, c.Search.OverlapRuns, c.Search.LivenessFailures,
			fmt.Sprintf("%s/%s", reports.FormatDuration(c.RoundTrip), reports.FormatDuration(c.Budget)), v)
	}
	fmt.Fprintf(w, "\nfrontier plot: %s (and .svg); every candidate: %s\n", filepath.Join(o.out, "tune-frontier.png"), filepath.Join(o.out, "tune.json"))
}

func compareObjective(a, b tune.Candidate) int {
	switch {
	case a.Objective < b.Objective:
		return -1
	case a.Objective > b.Objective:
		return 1
	}
	return 0
}

// printPick writes the chosen timings, their verification and the flags.
func printPick(w io.Writer, c tune.Candidate) {
	v := c.Verified
	ld, rd, rp := c.LeaseDuration, c.RenewDeadline, c.RetryPeriod
	fmt.Fprintf(w, "pick: LeaseDuration %s, RenewDeadline %s, RetryPeriod %s\n", ld, rd, rp)
	fmt.Fprintf(w, "verified on %d fresh seeds:\n", v.Runs)
	fmt.Fprintf(w, "  overlap: %d of %d runs: overlap probability < %.2g%% (95%% upper bound, Clopper-Pearson)\n", v.OverlapRuns, v.Runs, 100*v.OverlapUpper95)
	fmt.Fprintf(w, "  leader elected and restored after every fault in %d of %d runs\n", v.Runs-v.LivenessFailures, v.Runs)
	fmt.Fprintf(w, "  renew round trip at the latencies' p99.9: %s, within min(RenewDeadline, request timeout) = %s\n", reports.FormatDuration(c.RoundTrip), reports.FormatDuration(c.Budget))
	if a := c.Adversary; a != nil {
		fmt.Fprintf(w, "  worst case: no overlap in %d runs of the adversary's search within the environment (closest handover %s)\n", a.Runs, reports.FormatDuration(a.Closest))
	}
	if v.Failovers > 0 {
		fmt.Fprintf(w, "  recovery p99 %.3fs, max %.3fs over %d failovers; API %.3f requests/s\n\n", v.RecoveryP99, v.RecoveryMax, v.Failovers, v.APIRate)
	} else {
		fmt.Fprintf(w, "  no failover in any run: the scenario's faults never removed the leader (add a crash or a longer partition to measure recovery); time to first leader p99 %.3fs; API %.3f requests/s\n\n", v.RecoveryP99, v.APIRate)
	}
	fmt.Fprintln(w, "kube-controller-manager, kube-scheduler (component-base flags):")
	fmt.Fprintf(w, "  --leader-elect-lease-duration=%s --leader-elect-renew-deadline=%s --leader-elect-retry-period=%s\n\n", ld, rd, rp)
	fmt.Fprintln(w, "controller-runtime (sigs.k8s.io/controller-runtime/pkg/manager.Options, k8s.io/utils/ptr):")
	fmt.Fprintf(w, "  LeaseDuration: ptr.To(%s),\n  RenewDeadline: ptr.To(%s),\n  RetryPeriod:   ptr.To(%s),\n\n", goDuration(ld), goDuration(rd), goDuration(rp))
}
