// Package gate judges a suite of scenarios against a recorded baseline:
// every scenario runs on the baseline's seeds (common random numbers), and
// each metric's paired difference from the baseline is judged by
// package compare, under the baseline's tolerances as practical
// thresholds. A run that fails liveness or its spec.expect fails the
// gate; so do a scenario without a baseline and a baseline scenario the
// suite no longer runs.
package gate

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/batch"
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/compare"
)

// Kind is a baseline file's kind.
const Kind = "GateBaseline"

// DefaultSeeds is the number of seeds of a new baseline.
const DefaultSeeds = 20

// Baseline is the gate's record of accepted metrics, per scenario and
// seed, with the tolerances a change may use. It is YAML, written by
// Record and meant to be reviewed and committed.
type Baseline struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Tolerances Tolerances       `json:"tolerances"`
	Scenarios  map[string]Entry `json:"scenarios"`
}

// Tolerances are the practical thresholds of the comparison: a metric
// regresses when its increase over the baseline is significant and above
// max(absolute, relative × baseline mean). Metrics lists per-metric
// thresholds; the rest use Default.
type Tolerances struct {
	Default compare.Threshold            `json:"default"`
	Metrics map[string]compare.Threshold `json:"metrics,omitempty"`
}

// Entry is a scenario's accepted runs: per seed, its trace hash and every
// metric.
type Entry struct {
	Seeds       []uint64             `json:"seeds"`
	TraceHashes []string             `json:"traceHashes"`
	Metrics     map[string][]float64 `json:"metrics"`
}

// New returns an empty baseline with the default tolerances (package
// compare's default thresholds).
func New() *Baseline {
	return &Baseline{APIVersion: scenarios.APIVersion, Kind: Kind, Tolerances: Tolerances{Metrics: compare.DefaultThresholds()}, Scenarios: map[string]Entry{}}
}

// InputError is a baseline file that cannot be used, with what was
// expected.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErr(format string, args ...any) error { return &InputError{fmt.Sprintf(format, args...)} }

// Read reads and checks a baseline file.
func Read(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var b Baseline
	if err := yaml.UnmarshalStrict(data, &b); err != nil {
		return nil, inputErr("%s: %s; expected a baseline written by simulate gate --update-baseline", path, strings.ReplaceAll(err.Error(), "\n", " "))
	}
	if b.Kind != Kind {
		return nil, inputErr("%s: kind %q; expected kind: %s", path, b.Kind, Kind)
	}
	if err := b.check(path); err != nil {
		return nil, err
	}
	return &b, nil
}

func (b *Baseline) check(path string) error {
	known := check.MetricNames()
	for _, name := range slices.Sorted(maps.Keys(b.Tolerances.Metrics)) {
		t := b.Tolerances.Metrics[name]
		if !slices.Contains(known, name) {
			return inputErr("%s: tolerances.metrics.%s: unknown metric; expected one of: %s", path, name, strings.Join(known, ", "))
		}
		if t.Absolute < 0 || t.Relative < 0 {
			return inputErr("%s: tolerances.metrics.%s: negative tolerance; expected 0 or more", path, name)
		}
	}
	if b.Tolerances.Default.Absolute < 0 || b.Tolerances.Default.Relative < 0 {
		return inputErr("%s: tolerances.default: negative tolerance; expected 0 or more", path)
	}
	for _, name := range slices.Sorted(maps.Keys(b.Scenarios)) {
		e := b.Scenarios[name]
		n := len(e.Seeds)
		if n < 2 || len(e.TraceHashes) != n {
			return inputErr("%s: scenarios.%s: %d seeds and %d trace hashes; expected the same number, 2 or more", path, name, n, len(e.TraceHashes))
		}
		for _, m := range slices.Sorted(maps.Keys(e.Metrics)) {
			if vs := e.Metrics[m]; len(vs) != n {
				return inputErr("%s: scenarios.%s.metrics.%s: %d values; expected one per seed (%d)", path, name, m, len(vs), n)
			}
		}
	}
	return nil
}

// thresholds merges Default under Metrics for every known metric.
func (t Tolerances) thresholds() map[string]compare.Threshold {
	out := map[string]compare.Threshold{}
	for _, name := range check.MetricNames() {
		th, ok := t.Metrics[name]
		if !ok {
			th = t.Default
		}
		out[name] = th
	}
	return out
}

// Scenario is one member of a suite.
type Scenario struct {
	Name string
	Sc   *scenarios.Scenario
}

// Case is a scenario's verdict.
type Case struct {
	Name     string
	Failures []string
	// Comparison is nil without a baseline entry (or a suite entry).
	Comparison *compare.Comparison
	// TraceChanged counts the seeds whose trace differs from the
	// baseline's: behaviour changed, within tolerances or not.
	TraceChanged int
	Elapsed      time.Duration
}

// Passed reports whether the case has no failure.
func (c *Case) Passed() bool { return len(c.Failures) == 0 }

// Options are an evaluation's.
type Options struct {
	// Seeds per scenario for one without a baseline entry (and for
	// Record); scenarios with an entry run its seeds. 0: DefaultSeeds.
	Seeds int
	Jobs  int
}

func (o Options) seeds() int {
	if o.Seeds > 0 {
		return o.Seeds
	}
	return DefaultSeeds
}

// seedsFor are the seeds a scenario runs: the baseline's, else derived
// from its spec.seed.
func (b *Baseline) seedsFor(s Scenario, n int) []uint64 {
	if e, ok := b.Scenarios[s.Name]; ok {
		return e.Seeds
	}
	return batch.Seeds(s.Sc.Seed(), "gate", n)
}

// runSuite runs every scenario on its seeds.
func runSuite(ctx context.Context, suite []Scenario, seeds func(Scenario) []uint64, jobs int) ([][]*check.Result, []time.Duration, error) {
	out := make([][]*check.Result, len(suite))
	took := make([]time.Duration, len(suite))
	for i, s := range suite {
		start := time.Now() //lesim:allow wallclock: the wall time of a whole batch, for JUnit's elapsed column, outside every run
		res, err := batch.Run(ctx, jobs, []*scenarios.Scenario{s.Sc}, seeds(s))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		out[i], took[i] = res[0], time.Since(start) //lesim:allow wallclock: see above
	}
	return out, took, nil
}

// Evaluate runs the suite and judges every scenario against the baseline.
func Evaluate(ctx context.Context, suite []Scenario, base *Baseline, o Options) ([]Case, error) {
	runs, took, err := runSuite(ctx, suite, func(s Scenario) []uint64 { return base.seedsFor(s, o.seeds()) }, o.Jobs)
	if err != nil {
		return nil, err
	}
	th := base.Tolerances.thresholds()
	var cases []Case
	for i, s := range suite {
		c := Case{Name: s.Name, Elapsed: took[i]}
		c.Failures = runFailures(runs[i])
		if e, ok := base.Scenarios[s.Name]; ok {
			c.judge(e, runs[i], th)
		} else {
			c.Failures = append(c.Failures, "no baseline for this scenario; record one with --update-baseline")
		}
		cases = append(cases, c)
	}
	for _, name := range slices.Sorted(maps.Keys(base.Scenarios)) {
		if !slices.ContainsFunc(suite, func(s Scenario) bool { return s.Name == name }) {
			cases = append(cases, Case{Name: name, Failures: []string{"in the baseline but missing from the suite: the scenario no longer runs; restore it, or drop it with --update-baseline"}})
		}
	}
	return cases, nil
}

// runFailures are the liveness and spec.expect failures of a scenario's
// runs: the count and the first seed's violations.
func runFailures(runs []*check.Result) []string {
	var out []string
	failed, first := 0, -1
	for i, r := range runs {
		if !r.Expect.Passed {
			failed++
			if first < 0 {
				first = i
			}
		}
	}
	if failed > 0 {
		r := runs[first]
		out = append(out, fmt.Sprintf("spec.expect violated in %d of %d runs; seed %d: %s", failed, len(runs), r.Seed, strings.Join(r.Expect.Violations, "; ")))
	}
	return out
}

// judge compares the current runs with the baseline entry.
func (c *Case) judge(e Entry, runs []*check.Result, th map[string]compare.Threshold) {
	base := make([]map[string]float64, len(e.Seeds))
	cur := make([]map[string]float64, len(runs))
	for i := range runs {
		base[i], cur[i] = map[string]float64{}, map[string]float64{}
		all := runs[i].MetricMap()
		for _, m := range check.MetricNames() {
			// A metric newer than the baseline is not judged.
			if vs, had := e.Metrics[m]; had {
				base[i][m], cur[i][m] = vs[i], all[m]
			}
		}
		if runs[i].TraceHash != e.TraceHashes[i] {
			c.TraceChanged++
		}
	}
	c.Comparison = compare.CompareMetrics("baseline", "current", e.Seeds, base, cur, th)
	for _, d := range c.Comparison.Diffs {
		if d.Judged && d.Verdict == compare.Worse {
			c.Failures = append(c.Failures, fmt.Sprintf("%s regressed: mean %s -> %s, +%s [%s, %s] (%s, n=%d, p=%.3g; threshold %s)",
				d.Metric, num(d.MeanA), num(d.MeanB), num(d.Diff), num(d.CILow), num(d.CIHigh), d.Test, d.N, d.P, num(d.Threshold)))
		}
	}
}

func num(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), ".")
}

// Record runs the suite on o.Seeds seeds each and returns the baseline
// with its entries replaced (tolerances kept), and the cases whose runs
// fail liveness or spec.expect.
func Record(ctx context.Context, suite []Scenario, base *Baseline, o Options) (*Baseline, []Case, error) {
	runs, took, err := runSuite(ctx, suite, func(s Scenario) []uint64 { return batch.Seeds(s.Sc.Seed(), "gate", o.seeds()) }, o.Jobs)
	if err != nil {
		return nil, nil, err
	}
	nb := *base
	nb.Scenarios = map[string]Entry{}
	var cases []Case
	for i, s := range suite {
		e := Entry{Metrics: map[string][]float64{}}
		for _, r := range runs[i] {
			e.Seeds = append(e.Seeds, r.Seed)
			e.TraceHashes = append(e.TraceHashes, r.TraceHash)
			for _, m := range r.Metrics() {
				e.Metrics[m.Name] = append(e.Metrics[m.Name], m.Value)
			}
		}
		nb.Scenarios[s.Name] = e
		cases = append(cases, Case{Name: s.Name, Failures: runFailures(runs[i]), Elapsed: took[i]})
	}
	return &nb, cases, nil
}

// Marshal renders a baseline as YAML with a header for reviewers.
func (b *Baseline) Marshal() ([]byte, error) {
	data, err := yaml.Marshal(b)
	if err != nil {
		return nil, err
	}
	header := "# lesim gate baseline: accepted metrics per scenario and seed, and the\n# tolerances a change may use. Written by simulate gate --update-baseline;\n# review diffs.\n"
	return append([]byte(header), data...), nil
}
