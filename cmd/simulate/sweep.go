package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/sim"
)

type sweepOpts struct {
	scenarioSource
	seedFlag
	lease, renew, retry []time.Duration
	skew                []float64
	latency, pause      []time.Duration
	errorRate           []float64
	duration            time.Duration
	seeds               int
	jobs                int
	out                 string
	progress            string
	shardIndex          int
	shardCount          int
	resume              bool
}

func newSweepCmd(e env) *cobra.Command {
	o := &sweepOpts{}
	cmd := &cobra.Command{
		Use:   "sweep [FILE | --scenario NAME]",
		Short: "Run a grid of elector timings, clock skews and faults, several seeds each",
		Long: `Run a scenario (default: the default scenario) over a grid: every
combination of the listed lease durations, renew deadlines, retry periods,
clock-rate ratios and, when given, API latencies, leader pauses and error
rates; each point with --seeds seeds. Combinations that are not valid
elector configurations (renewDeadline >= leaseDuration, ...) are skipped.

How a point changes the scenario: the timings replace spec.elector (and
any node-level timings); --skew R runs the first node's clock at rate 1 and
every other node's at R (default: the scenario's own ratio); --latency D
makes each direction of every API call take D; --pause D pauses the first
node for D at a third of the run; --error-rate P fails each API request
with 503 with probability P.

Points have a fixed order and each point's seeds derive from (sweep seed,
point key), so results never depend on -j or on sharding. Outputs, in
--out DIR: sweep.json, sweep.csv, sweep.bench.txt (Go benchmark format for
benchstat) and overlap-heatmap.png/.svg. With --shard-count N, this process
runs only points i with i mod N = --shard-index (default:
$JOB_COMPLETION_INDEX, as set by a Kubernetes Indexed Job) and writes
shard-I-of-N.json; 'simulate merge' joins the shards into the same bytes as
an unsharded run.

Finished runs are journaled to DIR as they complete: an interrupted
sweep (Ctrl-C: "stopping…", runs in flight finish; a second Ctrl-C exits
at once) keeps them, and --resume continues where it stopped.`,
		Example: `  simulate sweep --lease 10s,15s,20s --renew 5s,10s --skew 1,1.1,1.2,1.3 --seeds 8 --out sweep/
  simulate sweep --scenario leader-crash --lease 15s --renew 10s --latency 1ms,50ms,200ms -j 4
  simulate sweep ... --shard-count 8 --shard-index 3 --out /results && simulate merge /results`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSweep(cmd, e, o, args)
		},
	}
	fs := cmd.Flags()
	o.scenarioSource.addFlags(fs)
	o.seedFlag.addFlags(fs, "the sweep seed every point's seeds derive from (default: the scenario's spec.seed)")
	fs.DurationSliceVar(&o.lease, "lease", nil, "lease durations (default: the scenario's)")
	fs.DurationSliceVar(&o.renew, "renew", nil, "renew deadlines (default: the scenario's)")
	fs.DurationSliceVar(&o.retry, "retry", nil, "retry periods (default: the scenario's)")
	fs.Float64SliceVar(&o.skew, "skew", nil, "clock-rate ratios: follower rate / first node's rate (default: the scenario's)")
	fs.DurationSliceVar(&o.latency, "latency", nil, "fixed one-way API latencies (default: the scenario's latency model)")
	fs.DurationSliceVar(&o.pause, "pause", nil, "pauses of the first node at a third of the run (default: none)")
	fs.Float64SliceVar(&o.errorRate, "error-rate", nil, "probabilities that an API request fails with 503 (default: the scenario's errors)")
	fs.DurationVar(&o.duration, "duration", 0, "simulated duration of every run (default: the scenario's)")
	fs.IntVar(&o.seeds, "seeds", 4, "seeds per point")
	fs.IntVarP(&o.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "runs in parallel (the seeds of a point spread over them)")
	fs.StringVar(&o.out, "out", "lesim-sweep", "output `DIR`")
	fs.StringVar(&o.progress, "progress", "auto", "progress report: auto (a bar on a terminal, plain lines otherwise), always (a bar) or never")
	fs.IntVar(&o.shardIndex, "shard-index", 0, "which shard this process runs, 0 to shard-count-1 (default: $JOB_COMPLETION_INDEX)")
	fs.IntVar(&o.shardCount, "shard-count", 1, "number of shards the sweep is split into")
	fs.BoolVar(&o.resume, "resume", false, "continue an interrupted sweep from its journal in --out")
	return cmd
}

// sweepPlan is a resolved sweep: the spec, every point in order, and what
// this process runs.
type sweepPlan struct {
	spec   reports.SweepSpec
	base   *scenarios.Scenario
	points []plannedPoint
	shard  *reports.ShardInfo
}

type plannedPoint struct {
	index  int
	params reports.SweepParams
	key    string
}

func (o *sweepOpts) validate(cmd *cobra.Command, e env) error {
	if !cmd.Flags().Changed("shard-index") {
		if v := e.getenv("JOB_COMPLETION_INDEX"); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil {
				return badInput("JOB_COMPLETION_INDEX=%q: expected a shard index, a whole number from 0", v)
			}
			o.shardIndex = i
		}
	}
	for _, c := range []struct {
		flag      string
		v, lo, hi int
	}{{"--seeds", o.seeds, 1, maxSeeds}, {"-j", o.jobs, 1, maxJobs}, {"--shard-count", o.shardCount, 1, maxShards}} {
		if err := checkCount(c.flag, c.v, c.lo, c.hi); err != nil {
			return err
		}
	}
	switch {
	case o.shardIndex < 0 || o.shardIndex >= o.shardCount:
		return badInput("--shard-index %d: expected 0 to %d (--shard-count %d)", o.shardIndex, o.shardCount-1, o.shardCount)
	case o.duration < 0:
		return badInput("--duration %s: expected a positive duration", o.duration)
	case !slices.Contains([]string{"auto", "always", "never"}, o.progress):
		return badInput("--progress %q: expected auto, always or never", o.progress)
	}
	for _, r := range o.skew {
		if err := checkRate("--skew", r); err != nil {
			return err
		}
	}
	for _, p := range o.errorRate {
		if !(p >= 0 && p <= 1) {
			return badInput("--error-rate %g: expected probabilities from 0 to 1", p)
		}
	}
	for _, d := range append(slices.Clone(o.latency), o.pause...) {
		if d < 0 {
			return badInput("--latency/--pause %s: expected durations of 0s or more", d)
		}
	}
	return nil
}

// baseRatio is the scenario's own clock-rate ratio: the fastest other
// node's initial rate over the first node's.
func baseRatio(sc *scenarios.Scenario) float64 {
	if len(sc.Spec.Nodes) < 2 {
		return 1
	}
	lead := sc.NodeClock(0).Rate
	r := 0.0
	for i := 1; i < len(sc.Spec.Nodes); i++ {
		r = max(r, sc.NodeClock(i).Rate/lead)
	}
	return r
}

func sortedDurs(ds []time.Duration) []reports.Dur {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	ds = slices.Compact(ds)
	out := make([]reports.Dur, len(ds))
	for i, d := range ds {
		out[i] = reports.Dur(d)
	}
	return out
}

func sortedFloats(fs []float64) []float64 {
	fs = slices.Clone(fs)
	slices.Sort(fs)
	return slices.Compact(fs)
}

// planSweep resolves the grid in its fixed order.
func planSweep(o *sweepOpts, base *scenarios.Scenario, name string) (*sweepPlan, error) {
	if o.duration > 0 {
		base.Spec.Duration = &metav1.Duration{Duration: o.duration}
		if errs := base.Validate(); len(errs) > 0 {
			return nil, badInput("--duration %s: %s: %s", o.duration, name, scenarios.Message(errs[0]))
		}
	}
	if err := checkGridSize(o); err != nil {
		return nil, err
	}
	spec, err := sweepSpec(o, base, name)
	if err != nil {
		return nil, err
	}
	plan := &sweepPlan{base: base}
	firstInvalid := plan.addPoints(&spec)
	spec.Points = len(plan.points)
	if spec.Points == 0 {
		return nil, badInput("sweep: none of the %d combinations is a valid scenario (the first, %s); expected at least one", spec.Skipped, firstInvalid)
	}
	spec.ID = specID(spec)
	plan.spec = spec
	if o.shardCount > 1 {
		plan.shard = &reports.ShardInfo{Index: o.shardIndex, Count: o.shardCount}
	}
	return plan, nil
}

// sweepSpec is the grid the flags ask for over base: each dimension's
// values sorted, the scenario's own where a timing is not swept.
func sweepSpec(o *sweepOpts, base *scenarios.Scenario, name string) (reports.SweepSpec, error) {
	el := base.SpecElector()
	or := func(ds []time.Duration, d time.Duration) []time.Duration {
		if len(ds) == 0 {
			return []time.Duration{d}
		}
		return ds
	}
	yaml, err := base.Marshal()
	if err != nil {
		return reports.SweepSpec{}, err
	}
	sum := sha256.Sum256(yaml)
	seed := base.Seed()
	if s := o.seedFlag.get(); s != nil {
		seed = *s
	}
	skew := o.skew
	if len(skew) == 0 {
		skew = []float64{baseRatio(base)}
	}
	spec := reports.SweepSpec{
		Scenario:       name,
		ScenarioSHA256: hex.EncodeToString(sum[:]),
		Seed:           seed,
		Seeds:          o.seeds,
		Lease:          sortedDurs(or(o.lease, el.LeaseDuration)),
		Renew:          sortedDurs(or(o.renew, el.RenewDeadline)),
		Retry:          sortedDurs(or(o.retry, el.RetryPeriod)),
		Skew:           sortedFloats(skew),
		Latency:        sortedDurs(o.latency),
		Pause:          sortedDurs(o.pause),
		ErrorRate:      sortedFloats(o.errorRate),
	}
	return spec, nil
}

// addPoints adds the grid's valid combinations in its fixed order, counting
// the invalid ones in spec.Skipped, and returns the first invalid one with
// its problem.
func (plan *sweepPlan) addPoints(spec *reports.SweepSpec) (firstInvalid string) {
	base := plan.base
	// Absent optional dimensions take one "as in the scenario" value.
	optDur := func(ds []reports.Dur) []*reports.Dur {
		if len(ds) == 0 {
			return []*reports.Dur{nil}
		}
		out := make([]*reports.Dur, len(ds))
		for i := range ds {
			out[i] = &ds[i]
		}
		return out
	}
	optRate := []*float64{nil}
	if len(spec.ErrorRate) > 0 {
		optRate = nil
		for i := range spec.ErrorRate {
			optRate = append(optRate, &spec.ErrorRate[i])
		}
	}
	for _, ld := range spec.Lease {
		for _, rd := range spec.Renew {
			for _, rp := range spec.Retry {
				for _, sk := range spec.Skew {
					for _, lat := range optDur(spec.Latency) {
						for _, pa := range optDur(spec.Pause) {
							for _, er := range optRate {
								p := reports.SweepParams{LeaseDuration: ld, RenewDeadline: rd, RetryPeriod: rp, ClockRatio: sk, Latency: lat, Pause: pa, ErrorRate: er}
								if errs := applyParams(base, p).Validate(); len(errs) > 0 {
									if firstInvalid == "" {
										firstInvalid = p.Key() + ": " + scenarios.Message(errs[0])
									}
									spec.Skipped++
									continue
								}
								plan.points = append(plan.points, plannedPoint{index: len(plan.points), params: p, key: p.Key()})
							}
						}
					}
				}
			}
		}
	}
	return firstInvalid
}

func specID(spec reports.SweepSpec) string {
	spec.ID = ""
	b, _ := json.Marshal(spec)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// applyParams returns the base scenario changed to a sweep point.
func applyParams(base *scenarios.Scenario, p reports.SweepParams) *scenarios.Scenario {
	sc := base.Clone()
	d := func(v reports.Dur) *metav1.Duration { return &metav1.Duration{Duration: time.Duration(v)} }
	sc.Spec.Elector.LeaseDuration = d(p.LeaseDuration)
	sc.Spec.Elector.RenewDeadline = d(p.RenewDeadline)
	sc.Spec.Elector.RetryPeriod = d(p.RetryPeriod)
	for i := range sc.Spec.Nodes {
		n := &sc.Spec.Nodes[i]
		if n.Elector != nil {
			n.Elector.LeaseDuration, n.Elector.RenewDeadline, n.Elector.RetryPeriod = nil, nil, nil
		}
		if n.Clock == nil {
			n.Clock = &scenarios.Clock{}
		}
		rate := p.ClockRatio
		if i == 0 {
			rate = 1
		}
		n.Clock.Rate = &rate
		if p.Latency != nil {
			n.Latency = nil
		}
	}
	if p.Latency != nil {
		lat := &scenarios.Distribution{Type: scenarios.DistFixed, Value: d(*p.Latency)}
		sc.Spec.API.Latency = scenarios.Latency{Request: lat, Response: lat}
	}
	if p.Pause != nil && *p.Pause > 0 && len(sc.Spec.Nodes) > 0 {
		at := (sc.Duration() / 3).Truncate(time.Second)
		pause := time.Duration(*p.Pause)
		if at+pause > sc.Duration() {
			pause = sc.Duration() - at
		}
		sc.Spec.Faults = append(sc.Spec.Faults, scenarios.Fault{Type: scenarios.FaultPause, At: metav1.Duration{Duration: at}, Duration: d(reports.Dur(pause)), Nodes: []string{sc.Spec.Nodes[0].Name}})
	}
	if p.ErrorRate != nil && *p.ErrorRate > 0 {
		prob := *p.ErrorRate
		sc.Spec.API.Errors = append(sc.Spec.API.Errors, scenarios.ErrorRule{Op: scenarios.OpAny, Kind: scenarios.ErrorUnavailable, Probability: &prob})
	}
	return sc
}

// pointSeeds derives a point's seeds from the sweep seed and its key, so a
// point's results are the same whatever else the sweep holds.
func pointSeeds(sweepSeed uint64, key string, n int) []uint64 {
	seeds := make([]uint64, n)
	for j := range seeds {
		seeds[j] = sim.DeriveSeed(sweepSeed, fmt.Sprintf("%s/seed=%d", key, j))
	}
	return seeds
}

// outputBase names a sweep's JSON output and journal: "sweep" or
// "shard-I-of-N".
func outputBase(shard *reports.ShardInfo) string {
	if shard == nil {
		return "sweep"
	}
	return fmt.Sprintf("shard-%d-of-%d", shard.Index, shard.Count)
}

// journalHeader is the first line of a journal.
type journalHeader struct {
	Kind  string             `json:"kind"`
	Sweep reports.SweepSpec  `json:"sweep"`
	Shard *reports.ShardInfo `json:"shard,omitempty"`
}

const journalKind = "lesim.dev/sweep-journal"

func runSweep(cmd *cobra.Command, e env, o *sweepOpts, args []string) error {
	if err := o.validate(cmd, e); err != nil {
		return err
	}
	base, _, err := o.load(args)
	if err != nil {
		return err
	}
	plan, err := planSweep(o, base, scenarioName(args, &o.scenarioSource))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", o.out, err)
	}
	name := outputBase(plan.shard)
	journalPath := filepath.Join(o.out, name+".journal.jsonl")
	st, err := readJournal(journalPath, plan, o.resume)
	if err != nil {
		return err
	}
	var mine []plannedPoint
	for _, pp := range plan.points {
		if plan.shard == nil || pp.index%plan.shard.Count == plan.shard.Index {
			mine = append(mine, pp)
		}
	}
	tasks := st.tasks(plan, mine)
	jf, err := openJournal(journalPath, plan, mine, st)
	if err != nil {
		return fmt.Errorf("--out %s: %w", o.out, err)
	}
	start := time.Now()
	total := len(mine) * plan.spec.Seeds
	prog := newProgress(o.progress, e.stderrTTY, e.stderr, "sweep runs", total, total-len(tasks))
	// Ctrl-C stops starting runs and lets those in flight finish (each is
	// one seed of one point), so that they are journaled; a second
	// Ctrl-C exits at once.
	ctx, release := interrupts(cmd.Context(), e.stderr)
	defer release()
	runErr := runSeeds(ctx, plan.base, tasks, o.jobs, func(r seedResult) error {
		if err := st.record(jf, plan, r); err != nil {
			return err
		}
		prog.inc()
		if e.sweepRunDone != nil {
			e.sweepRunDone()
		}
		return nil
	})
	if err := jf.Close(); err != nil && runErr == nil {
		runErr = err
	}
	ran := st.runsDone(mine, plan.spec.Seeds)
	interrupted := ctx.Err() != nil && ran < total
	release()
	prog.finish(interrupted || runErr != nil)
	if runErr != nil {
		return fmt.Errorf("sweep: %w", runErr)
	}
	if interrupted {
		fmt.Fprintf(e.stderr, "sweep interrupted: %d of %d runs done (%s complete) and kept in %s; continue with the same command and --resume\n",
			ran, total, plural(len(st.done), "point"), journalPath)
		return &exitError{code: exitInterrupted}
	}
	return finishSweep(e, o, plan, mine, st, journalPath, len(tasks), time.Since(start))
}

// finishSweep writes the outputs of a sweep whose every point is done and
// removes its journal.
func finishSweep(e env, o *sweepOpts, plan *sweepPlan, mine []plannedPoint, st *sweepState, journalPath string, ran int, took time.Duration) error {
	file := &reports.SweepFile{Kind: reports.SweepKind, Sweep: plan.spec, Shard: plan.shard, Points: make([]reports.SweepPoint, 0, len(mine))}
	for _, pp := range mine {
		file.Points = append(file.Points, st.done[pp.index])
	}
	var wrote []string
	var err error
	if plan.shard != nil {
		p := filepath.Join(o.out, outputBase(plan.shard)+".json")
		if err := reports.WriteFileFunc(p, func(w io.Writer) error { return reports.WriteSweepJSON(w, file) }); err != nil {
			return err
		}
		wrote = []string{p}
	} else if wrote, err = writeSweepOutputs(o.out, file); err != nil {
		return err
	}
	if err := os.Remove(journalPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if printSweepSummary(e.stdout, file, ran, took, o.jobs, wrote) > 0 {
		return errFailed // a point where nobody led is a failure, never a result
	}
	return nil
}

// plural is "1 point", "2 points".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// writeSweepOutputs writes the outputs of a complete sweep; merge calls it
// too, which is what makes merged shards identical to an unsharded run.
func writeSweepOutputs(dir string, f *reports.SweepFile) ([]string, error) {
	outs := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"sweep.json", func(w io.Writer) error { return reports.WriteSweepJSON(w, f) }},
		{"sweep.csv", func(w io.Writer) error { return reports.WriteSweepCSV(w, f.Points) }},
		{"sweep.bench.txt", func(w io.Writer) error { return reports.WriteSweepBench(w, f) }},
	}
	var wrote []string
	for _, o := range outs {
		p := filepath.Join(dir, o.name)
		if err := reports.WriteFileFunc(p, o.write); err != nil {
			return nil, err
		}
		wrote = append(wrote, p)
	}
	fig := reports.OverlapHeatmap(fmt.Sprintf("Overlap: %s, %d seed(s) per point", f.Sweep.Scenario, f.Sweep.Seeds), f.Points)
	if err := fig.Save(dir); err != nil {
		return nil, err
	}
	wrote = append(wrote, filepath.Join(dir, fig.Name+".png"), filepath.Join(dir, fig.Name+".svg"))
	return wrote, nil
}

// printSweepSummary prints the sweep's findings and returns the number of
// points with runs that fail liveness.
func printSweepSummary(w io.Writer, f *reports.SweepFile, ran int, took time.Duration, jobs int, wrote []string) int {
	runs := 0
	for _, p := range f.Points {
		runs += len(p.Runs)
	}
	what := plural(len(f.Points), "point")
	if f.Shard != nil {
		what = fmt.Sprintf("shard %d of %d: %d of %s", f.Shard.Index, f.Shard.Count, len(f.Points), plural(f.Sweep.Points, "point"))
	}
	fmt.Fprintf(w, "sweep %s (%s): %s × %s = %s; %s now in %s with -j %d",
		f.Sweep.Scenario, f.Sweep.ID, what, plural(f.Sweep.Seeds, "seed"), plural(runs, "run"), plural(ran, "run"), took.Round(time.Millisecond), jobs)
	if f.Sweep.Skipped > 0 {
		fmt.Fprintf(w, "; %d invalid combinations skipped", f.Sweep.Skipped)
	}
	fmt.Fprintln(w)
	var worst *reports.SweepPoint
	overlapping, dead := 0, 0
	for i := range f.Points {
		p := &f.Points[i]
		if p.Stats.LivenessFailures > 0 {
			dead++
			fmt.Fprintf(w, "FAILED liveness: %s: nobody led, or leadership was not restored, in %d of %d runs\n", p.Key, p.Stats.LivenessFailures, p.Stats.Runs)
			continue
		}
		if p.Stats.RunsWithOverlap > 0 {
			overlapping++
			if worst == nil || p.Stats.OverlapMeanSeconds > worst.Stats.OverlapMeanSeconds {
				worst = p
			}
		}
	}
	fmt.Fprintf(w, "points with overlap: %d of %d; points failing liveness: %d\n", overlapping, len(f.Points), dead)
	if worst != nil {
		fmt.Fprintf(w, "  worst: %s: overlap in %d of %d runs, mean %.3fs per run\n", worst.Key, worst.Stats.RunsWithOverlap, worst.Stats.Runs, worst.Stats.OverlapMeanSeconds)
	}
	if fs, ok := fastestSetting(f.Points); ok {
		fmt.Fprintf(w, "fastest recovery without overlap or liveness failure in any environment: %s: worst recovery %.3fs over %s\n", fs.key, fs.maxFailover, plural(fs.points, "point"))
	}
	for _, p := range wrote {
		fmt.Fprintf(w, "wrote %s\n", p)
	}
	return dead
}

// electorSetting is one elector timing of a sweep judged over every
// environment (skew, latency, pause, error rate) it was run in.
type electorSetting struct {
	key         string
	maxFailover float64
	points      int
	overlap     bool
	failovers   int
}

// fastestSetting picks, among the elector timings (lease, renew, retry)
// with no overlap at any point, the one whose worst failover over all its
// points is the shortest. The environment is not a setting a user
// chooses, so a timing is judged by its worst environment, never picked
// for its best.
func fastestSetting(points []reports.SweepPoint) (electorSetting, bool) {
	var order []string
	by := map[string]*electorSetting{}
	for _, p := range points {
		k := fmt.Sprintf("lease=%s/renew=%s/retry=%s", time.Duration(p.Params.LeaseDuration), time.Duration(p.Params.RenewDeadline), time.Duration(p.Params.RetryPeriod))
		s, ok := by[k]
		if !ok {
			s = &electorSetting{key: k}
			by[k] = s
			order = append(order, k)
		}
		s.points++
		// A point where nobody led, or leadership was not restored, rules
		// the timing out as surely as an overlap does.
		s.overlap = s.overlap || p.Stats.RunsWithOverlap > 0 || p.Stats.LivenessFailures > 0
		s.failovers += p.Stats.Failovers
		s.maxFailover = max(s.maxFailover, p.Stats.FailoverMaxSeconds)
	}
	var best *electorSetting
	for _, k := range order {
		s := by[k]
		if !s.overlap && s.failovers > 0 && (best == nil || s.maxFailover < best.maxFailover) {
			best = s
		}
	}
	if best == nil {
		return electorSetting{}, false
	}
	return *best, true
}

// readJournal returns what an earlier, interrupted run of the same sweep
// finished: whole points and the runs of points it had begun.
func readJournal(path string, plan *sweepPlan, resume bool) (*sweepState, error) {
	st := &sweepState{done: map[int]reports.SweepPoint{}, partial: map[int][]*reports.SweepRun{}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, badInput("%s: %v", path, err)
	}
	defer f.Close()
	if !resume {
		return nil, badInput("%s: an unfinished sweep is journaled here; expected --resume to continue it, or remove the file to start over", path)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	var lines [][]byte
	for sc.Scan() {
		lines = append(lines, slices.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		return nil, badInput("%s: %v", path, err)
	}
	if len(lines) == 0 {
		return st, nil
	}
	var h journalHeader
	if err := json.Unmarshal(lines[0], &h); err != nil || h.Kind != journalKind {
		return nil, badInput("%s: not a sweep journal; expected a file written by simulate sweep", path)
	}
	if h.Sweep.ID != plan.spec.ID || !sameShard(h.Shard, plan.shard) {
		return nil, badInput("%s: journal of a different sweep (id %s, this one is %s); expected the same scenario, grid, seeds and shard as the interrupted run", path, h.Sweep.ID, plan.spec.ID)
	}
	byIndex := map[int]plannedPoint{}
	for _, pp := range plan.points {
		byIndex[pp.index] = pp
	}
	for i, l := range lines[1:] {
		err := st.readLine(l, byIndex, plan.spec.Seeds)
		if err != nil {
			if i == len(lines)-2 && errors.Is(err, errCutShort) {
				break // the write an interruption cut short
			}
			return nil, badInput("%s: line %d: %v", path, i+2, err)
		}
	}
	return st, nil
}

var errCutShort = errors.New("not a JSON line")

// readLine takes one journal line: a whole point or one run of a point.
func (st *sweepState) readLine(l []byte, byIndex map[int]plannedPoint, seeds int) error {
	var sl seedLine
	if err := json.Unmarshal(l, &sl); err != nil {
		return fmt.Errorf("%w: %v", errCutShort, err)
	}
	if r := sl.SeedRun; r != nil {
		if pp, ok := byIndex[r.Index]; !ok || pp.key != r.Key || r.J < 0 || r.J >= seeds {
			return fmt.Errorf("run %d of point %d %q is not in this sweep", r.J, r.Index, r.Key)
		}
		if st.partial[r.Index] == nil {
			st.partial[r.Index] = make([]*reports.SweepRun, seeds)
		}
		run := r.Run
		st.partial[r.Index][r.J] = &run
		return nil
	}
	var pt reports.SweepPoint
	if err := json.Unmarshal(l, &pt); err != nil {
		return fmt.Errorf("%w: %v", errCutShort, err)
	}
	if pp, ok := byIndex[pt.Index]; !ok || pp.key != pt.Key {
		return fmt.Errorf("point %d %q is not in this sweep", pt.Index, pt.Key)
	}
	st.done[pt.Index] = pt
	delete(st.partial, pt.Index)
	return nil
}

func sameShard(a, b *reports.ShardInfo) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// openJournal (re)writes the journal with its header and what is already
// done (whole points, then the runs of begun points), atomically, and
// opens it for appending. Rewriting drops a last line an interruption may
// have cut short, which appending after it would corrupt. Appends then go
// straight to the file: it must hold every finished run at any moment.
func openJournal(path string, plan *sweepPlan, mine []plannedPoint, st *sweepState) (*os.File, error) {
	err := reports.WriteFileFunc(path, func(w io.Writer) error {
		if err := writeJSONLine(w, journalHeader{Kind: journalKind, Sweep: plan.spec, Shard: plan.shard}); err != nil {
			return err
		}
		for _, pp := range mine {
			if pt, ok := st.done[pp.index]; ok {
				if err := writeJSONLine(w, &pt); err != nil {
					return err
				}
				continue
			}
			for j, r := range st.partial[pp.index] {
				if r == nil {
					continue
				}
				if err := writeJSONLine(w, seedLine{&journalSeed{Index: pp.index, Key: pp.key, J: j, Run: *r}}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
}
