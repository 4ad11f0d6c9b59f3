package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/sim"
)

type tuneOpts struct {
	seedFlag
	maxRatio      float64
	latency       time.Duration
	latencyMax    time.Duration
	pauseBound    time.Duration
	seeds         int
	maxLeaderless time.Duration
	margin        time.Duration
	lease, renew  []time.Duration
	retry         []time.Duration
	out           string
	jobs          int
	progress      string
}

func newTuneCmd(e env) *cobra.Command {
	o := &tuneOpts{}
	cmd := &cobra.Command{
		Use:   "tune",
		Short: "Find the fastest-failover elector timings that never overlap in a given environment",
		Long: `Search candidate (LeaseDuration, RenewDeadline, RetryPeriod) timings for
the one with the fastest failover whose overlap is zero over the fault
space, with a safety margin, and print it as kube-controller-manager flags
and controller-runtime manager options, with the evidence.

The environment: clocks of followers up to --max-clock-ratio times the
leader's rate (and down to its inverse), API latency lognormal with median
--latency capped at --latency-max per direction, process pauses up to
--pause-bound. The fault space, run with --seeds seeds per candidate: the
leader crashes (followers slow: the longest failover), the leader is
partitioned with requests dropped, and with responses dropped (followers
fast: the overlap risk), and, with a pause bound, the leader freezes.

A candidate is safe when no run overlaps, its worst failover is within
--max-leaderless, and its first-order safety margin
  LD/ratio - (latencyMax + max(RD + RP, pauseBound))
(how much longer a fast follower waits than the leader can go on leading)
is at least --margin. The frontier plot shows every candidate's worst
failover against its margin.

Exit status: 0 when a safe timing exists, 1 when none does.`,
		Example: `  simulate tune --max-clock-ratio 1.2 --latency 5ms --latency-max 500ms --max-leaderless 20s
  simulate tune --pause-bound 5s --lease 10s,15s,20s,30s --renew 5s,10s --retry 2s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTune(e, o)
		},
	}
	fs := cmd.Flags()
	o.seedFlag.addFlags(fs, "the seed every run's seed derives from (default 1)")
	fs.Float64Var(&o.maxRatio, "max-clock-ratio", 1.1, "largest clock-rate ratio between a follower and the leader")
	fs.DurationVar(&o.latency, "latency", 2*time.Millisecond, "median one-way API latency")
	fs.DurationVar(&o.latencyMax, "latency-max", 200*time.Millisecond, "largest one-way API latency")
	fs.DurationVar(&o.pauseBound, "pause-bound", 0, "longest process pause (GC, SIGSTOP, VM migration) to tolerate")
	fs.IntVar(&o.seeds, "seeds", 4, "seeds per fault scenario and candidate")
	fs.DurationVar(&o.maxLeaderless, "max-leaderless", 30*time.Second, "longest acceptable failover")
	fs.DurationVar(&o.margin, "margin", time.Second, "required safety margin")
	fs.DurationSliceVar(&o.lease, "lease", secondsList(4, 6, 8, 10, 12, 15, 20, 30, 45, 60), "candidate lease durations")
	fs.DurationSliceVar(&o.renew, "renew", secondsList(2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 40), "candidate renew deadlines")
	fs.DurationSliceVar(&o.retry, "retry", secondsList(1, 2, 4), "candidate retry periods")
	fs.StringVar(&o.out, "out", "lesim-tune", "output `DIR` for tune.json and the frontier plot")
	fs.IntVarP(&o.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "candidates run in parallel")
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

// faultScenario is one member of the fault space.
type faultScenario struct {
	name string
	// followerRate is the rate of every follower's clock (the leader's is 1).
	followerRate float64
	build        func(sc *scenarios.Scenario, ld time.Duration)
}

func (o *tuneOpts) faultSpace() []faultScenario {
	at := metav1.Duration{Duration: time.Minute}
	nodeA := []string{"a"}
	space := []faultScenario{
		{"leader-crash", 1 / o.maxRatio, func(sc *scenarios.Scenario, ld time.Duration) {
			sc.Spec.Faults = []scenarios.Fault{{Type: scenarios.FaultCrash, At: at, Nodes: nodeA}}
		}},
		{"leader-partition-drop-requests", o.maxRatio, func(sc *scenarios.Scenario, ld time.Duration) {
			sc.Spec.Faults = []scenarios.Fault{{Type: scenarios.FaultPartition, At: at, Duration: &metav1.Duration{Duration: 3 * ld}, Nodes: nodeA, Mode: scenarios.ModeDropRequests}}
		}},
		{"leader-partition-drop-responses", o.maxRatio, func(sc *scenarios.Scenario, ld time.Duration) {
			sc.Spec.Faults = []scenarios.Fault{{Type: scenarios.FaultPartition, At: at, Duration: &metav1.Duration{Duration: 3 * ld}, Nodes: nodeA, Mode: scenarios.ModeDropResponses}}
		}},
	}
	if o.pauseBound > 0 {
		space = append(space, faultScenario{"leader-pause", o.maxRatio, func(sc *scenarios.Scenario, ld time.Duration) {
			sc.Spec.Faults = []scenarios.Fault{{Type: scenarios.FaultPause, At: at, Duration: &metav1.Duration{Duration: o.pauseBound}, Nodes: nodeA}}
		}})
	}
	return space
}

// tuneScenario builds one run of the fault space for a candidate.
func (o *tuneOpts) tuneScenario(fs faultScenario, ld, rd, rp time.Duration) *scenarios.Scenario {
	sc := scenarios.New()
	sc.Metadata.Name = "tune-" + fs.name
	d := func(v time.Duration) *metav1.Duration { return &metav1.Duration{Duration: v} }
	sc.Spec.Duration = d(2*time.Minute + 6*ld + o.pauseBound)
	sc.Spec.Elector.LeaseDuration, sc.Spec.Elector.RenewDeadline, sc.Spec.Elector.RetryPeriod = d(ld), d(rd), d(rp)
	sigma := 0.5
	lat := &scenarios.Distribution{Type: scenarios.DistLogNormal, Median: d(o.latency), Sigma: &sigma, Max: d(o.latencyMax)}
	sc.Spec.API.Latency = scenarios.Latency{Request: lat, Response: lat}
	fr := fs.followerRate
	sc.Spec.Nodes = []scenarios.Node{
		{Name: "a"},
		{Name: "b", Start: metav1.Duration{Duration: 2 * time.Second}, Clock: &scenarios.Clock{Rate: &fr}},
		{Name: "c", Start: metav1.Duration{Duration: 4 * time.Second}, Clock: &scenarios.Clock{Rate: &fr}},
	}
	fs.build(sc, ld)
	scenarios.Default(sc)
	return sc
}

// margin is the first-order safety margin of a candidate, in seconds.
func (o *tuneOpts) marginOf(ld, rd, rp time.Duration) float64 {
	horizon := max(rd+rp, o.pauseBound)
	return ld.Seconds()/o.maxRatio - (o.latencyMax.Seconds() + horizon.Seconds())
}

func (o *tuneOpts) validate() error {
	switch {
	case !(o.maxRatio >= 1 && o.maxRatio <= sim.MaxRate):
		return badInput("--max-clock-ratio %g: expected 1 to %g (the ratio of the faster clock to the slower)", o.maxRatio, sim.MaxRate)
	case o.latency < 0 || o.latencyMax < o.latency:
		return badInput("--latency %s --latency-max %s: expected 0s <= latency <= latency-max", o.latency, o.latencyMax)
	case o.latency == 0:
		return badInput("--latency 0s: expected a median greater than 0s")
	case o.pauseBound < 0:
		return badInput("--pause-bound %s: expected 0s or more", o.pauseBound)
	case o.seeds < 1:
		return badInput("--seeds %d: expected 1 or more", o.seeds)
	case o.maxLeaderless <= 0:
		return badInput("--max-leaderless %s: expected more than 0s", o.maxLeaderless)
	case o.jobs < 1:
		return badInput("-j %d: expected 1 or more", o.jobs)
	case !slices.Contains([]string{"auto", "always", "never"}, o.progress):
		return badInput("--progress %q: expected auto, always or never", o.progress)
	}
	return nil
}

type tuneCandidate struct {
	ld, rd, rp time.Duration
}

func runTune(e env, o *tuneOpts) error {
	if err := o.validate(); err != nil {
		return err
	}
	seed := uint64(1)
	if s := o.seedFlag.get(); s != nil {
		seed = *s
	}
	var cands []tuneCandidate
	for _, ld := range sortedUnique(o.lease) {
		for _, rd := range sortedUnique(o.renew) {
			for _, rp := range sortedUnique(o.retry) {
				probe := o.tuneScenario(o.faultSpace()[0], ld, rd, rp)
				if len(probe.Validate()) == 0 {
					cands = append(cands, tuneCandidate{ld, rd, rp})
				}
			}
		}
	}
	if len(cands) == 0 {
		return badInput("tune: no candidate is a valid elector configuration (renewDeadline < leaseDuration, retryPeriod*1.2 < renewDeadline); expected at least one")
	}
	space := o.faultSpace()
	results := make([]reports.TuneCandidate, len(cands))
	prog := newProgress(o.progress, e.stderrTTY, e.stderr, "tune", len(cands), 0)
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range o.jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c := cands[i]
				tc := reports.TuneCandidate{LeaseDuration: reports.Dur(c.ld), RenewDeadline: reports.Dur(c.rd), RetryPeriod: reports.Dur(c.rp), MarginSeconds: o.marginOf(c.ld, c.rd, c.rp)}
				for _, fs := range space {
					sc := o.tuneScenario(fs, c.ld, c.rd, c.rp)
					for j := range o.seeds {
						// Every candidate meets the same random draws
						// (common random numbers): differences between
						// candidates are their own.
						s := sim.DeriveSeed(seed, fmt.Sprintf("tune/%s/%d", fs.name, j))
						res, err := scenarios.RunWith(sc, scenarios.RunOptions{Seed: &s})
						if err != nil {
							mu.Lock()
							firstErr = cmp.Or(firstErr, err)
							mu.Unlock()
							continue
						}
						tc.Runs++
						tc.OverlapSeconds = max(tc.OverlapSeconds, res.Overlap.Total.Seconds())
						tc.LeaderlessMaxSeconds = max(tc.LeaderlessMaxSeconds, res.Leaderless.Max.Seconds())
						for _, f := range res.Failovers {
							tc.FailoverMaxSeconds = max(tc.FailoverMaxSeconds, f.Duration.Seconds())
						}
					}
				}
				switch {
				case tc.OverlapSeconds > 0:
					tc.Verdict = "overlap"
				case tc.MarginSeconds < o.margin.Seconds():
					tc.Verdict = "margin"
				case tc.FailoverMaxSeconds > o.maxLeaderless.Seconds():
					tc.Verdict = "too-slow"
				default:
					tc.Verdict, tc.Safe = "safe", true
				}
				results[i] = tc
				mu.Lock()
				prog.inc()
				mu.Unlock()
			}
		}()
	}
	for i := range cands {
		work <- i
	}
	close(work)
	wg.Wait()
	prog.finish(false)
	if firstErr != nil {
		return fmt.Errorf("tune: %w", firstErr)
	}

	best := -1
	for i, c := range results {
		if !c.Safe {
			continue
		}
		if best < 0 || betterCandidate(c, results[best]) {
			best = i
		}
	}
	if best >= 0 {
		results[best].Chosen = true
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", o.out, err)
	}
	fig := reports.Frontier(fmt.Sprintf("Tuning frontier: clock ratio %g, latency ≤ %s, pauses ≤ %s", o.maxRatio, o.latencyMax, o.pauseBound), results)
	if err := fig.Save(o.out); err != nil {
		return fmt.Errorf("--out %s: %w", o.out, err)
	}
	if err := reports.WriteFileFunc(filepath.Join(o.out, "tune.json"), func(w io.Writer) error {
		return writeJSONIndent(w, struct {
			MaxClockRatio  float64                 `json:"maxClockRatio"`
			Latency        string                  `json:"latency"`
			LatencyMax     string                  `json:"latencyMax"`
			PauseBound     string                  `json:"pauseBound"`
			MaxLeaderless  string                  `json:"maxLeaderless"`
			Margin         string                  `json:"margin"`
			Seeds          int                     `json:"seeds"`
			FaultScenarios []string                `json:"faultScenarios"`
			Candidates     []reports.TuneCandidate `json:"candidates"`
		}{o.maxRatio, o.latency.String(), o.latencyMax.String(), o.pauseBound.String(), o.maxLeaderless.String(), o.margin.String(), o.seeds, spaceNames(space), results})
	}); err != nil {
		return err
	}
	printTune(e.stdout, o, space, results, best)
	if best < 0 {
		return errFailed
	}
	return nil
}

// betterCandidate: faster worst failover first; then the larger margin;
// then the longer retry period (less API traffic).
func betterCandidate(a, b reports.TuneCandidate) bool {
	if a.FailoverMaxSeconds != b.FailoverMaxSeconds {
		return a.FailoverMaxSeconds < b.FailoverMaxSeconds
	}
	if a.MarginSeconds != b.MarginSeconds {
		return a.MarginSeconds > b.MarginSeconds
	}
	return a.RetryPeriod > b.RetryPeriod
}

func spaceNames(space []faultScenario) []string {
	var out []string
	for _, s := range space {
		out = append(out, s.name)
	}
	return out
}

func sortedUnique(ds []time.Duration) []time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return slices.Compact(ds)
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

func printTune(w io.Writer, o *tuneOpts, space []faultScenario, results []reports.TuneCandidate, best int) {
	runs := 0
	for _, r := range results {
		runs += r.Runs
	}
	fmt.Fprintf(w, "tune: %d candidates × %d fault scenarios × %d seeds = %d runs\n", len(results), len(space), o.seeds, runs)
	fmt.Fprintf(w, "environment: follower clocks from 1/%g to %g× the leader's, API latency lognormal median %s max %s, pauses up to %s\n", o.maxRatio, o.maxRatio, o.latency, o.latencyMax, o.pauseBound)
	fmt.Fprintf(w, "fault space: %s\n", strings.Join(spaceNames(space), ", "))
	fmt.Fprintf(w, "requirements: no overlap in any run, worst failover <= %s, safety margin >= %s\n\n", o.maxLeaderless, o.margin)
	if best < 0 {
		fmt.Fprintln(w, "no safe timing among the candidates: widen --lease, or relax --max-leaderless or --margin")
	} else {
		c := results[best]
		ld, rd, rp := time.Duration(c.LeaseDuration), time.Duration(c.RenewDeadline), time.Duration(c.RetryPeriod)
		fmt.Fprintf(w, "fastest safe timing: LeaseDuration %s, RenewDeadline %s, RetryPeriod %s\n", ld, rd, rp)
		fmt.Fprintf(w, "  worst failover %.3fs (limit %s), overlap 0 in all %d runs, safety margin %.3fs (required %s)\n\n", c.FailoverMaxSeconds, o.maxLeaderless, c.Runs, c.MarginSeconds, o.margin)
		fmt.Fprintln(w, "kube-controller-manager, kube-scheduler (component-base flags):")
		fmt.Fprintf(w, "  --leader-elect-lease-duration=%s --leader-elect-renew-deadline=%s --leader-elect-retry-period=%s\n\n", ld, rd, rp)
		fmt.Fprintln(w, "controller-runtime (sigs.k8s.io/controller-runtime/pkg/manager.Options, k8s.io/utils/ptr):")
		fmt.Fprintf(w, "  LeaseDuration: ptr.To(%s),\n  RenewDeadline: ptr.To(%s),\n  RetryPeriod:   ptr.To(%s),\n\n", goDuration(ld), goDuration(rd), goDuration(rp))
	}
	// Evidence: the fastest candidates, safe or not, so that the reader
	// sees what was given up for safety.
	order := make([]int, len(results))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(results[a].FailoverMaxSeconds, results[b].FailoverMaxSeconds)
	})
	fmt.Fprintln(w, "evidence (the 12 fastest candidates by worst failover):")
	fmt.Fprintf(w, "  %-14s %15s %13s %10s  %s\n", "LD/RD/RP", "worst failover", "worst overlap", "margin", "verdict")
	for _, i := range order[:min(12, len(order))] {
		c := results[i]
		verdict := map[string]string{"safe": "safe", "overlap": "UNSAFE: overlaps", "margin": "unsafe: margin too small", "too-slow": "too slow"}[c.Verdict]
		if c.Chosen {
			verdict += " (chosen)"
		}
		fmt.Fprintf(w, "  %-14s %14.3fs %12.3fs %9.3fs  %s\n", c.Label(), c.FailoverMaxSeconds, c.OverlapSeconds, c.MarginSeconds, verdict)
	}
	fmt.Fprintf(w, "\nfrontier plot: %s (and .svg); every candidate: %s\n", filepath.Join(o.out, "tune-frontier.png"), filepath.Join(o.out, "tune.json"))
}
