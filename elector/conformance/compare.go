package conformance

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios"
)

// Check is one compared quantity.
type Check struct {
	Name  string // "leaders", "interval 2 start", "overlap", "calls b/get", ...
	Real  string
	Lesim string // lesim's value, or its range over the seeds
	OK    bool
	Note  string // the tolerance applied, or why a difference is accepted
	// Off is, for a time, how far the real value lies outside lesim's
	// range (0 inside it).
	Off time.Duration
}

// Comparison is the verdict on one scenario: the real elector's run
// against lesim's runs of the same scenario under several seeds.
//
// The real elector draws its jitter from the global math/rand and the
// REST surface its latencies and injected errors from its own stream, so a
// real run is one draw among the outcomes the scenario allows. Lesim's runs
// over several seeds sample the same space; a quantity agrees when the real
// value falls inside lesim's range widened by the tolerance that a single
// draw can move it:
//
//   - times (acquisitions, step-downs) by Tol = 1.2·RetryPeriod (the
//     largest follower jitter period) plus a round trip at the latency
//     distributions' 99.9th percentile, plus the request timeout when a
//     fault swallows requests (jitter decides whether a request is sent
//     into the window, and one that is costs its sender the timeout);
//   - request counts by 2 + 5 %;
//   - the sequence of leading nodes exactly: it must be one lesim produced.
type Comparison struct {
	Scenario string
	Tol      time.Duration
	Checks   []Check
	Real     *Outcome
	Lesim    []*Outcome
}

// Agree reports whether every check passed.
func (c *Comparison) Agree() bool {
	for _, ch := range c.Checks {
		if !ch.OK {
			return false
		}
	}
	return true
}

// Failures lists the failed checks, one per line.
func (c *Comparison) Failures() string {
	var b strings.Builder
	for _, ch := range c.Checks {
		if !ch.OK {
			fmt.Fprintf(&b, "%s: %s: real %s, lesim %s (%s)\n", c.Scenario, ch.Name, ch.Real, ch.Lesim, ch.Note)
		}
	}
	return b.String()
}

// Tolerance is the time tolerance for a prepared scenario.
func Tolerance(sc *scenarios.Scenario) time.Duration {
	var rp, rt time.Duration
	for i := range sc.Spec.Nodes {
		rp = max(rp, sc.NodeElector(i).RetryPeriod)
	}
	api := scenarios.APIConfig(sc)
	// roundTrip bounds a round trip at the 99.9th percentile, with req and
	// resp, where set, in place of the every-node latencies.
	roundTrip := func(req, resp *fakeapi.Distribution) time.Duration {
		q, r := api.RequestLatency, api.ResponseLatency
		if req != nil {
			q = *req
		}
		if resp != nil {
			r = *resp
		}
		return q.Quantile(0.999) + r.Quantile(0.999)
	}
	rt = roundTrip(nil, nil)
	for _, nl := range api.NodeLatency {
		rt = max(rt, roundTrip(nl.Request, nl.Response))
	}
	for _, w := range scenarios.APIWindows(sc) {
		if lf, ok := w.Fault.(fakeapi.LatencyFault); ok {
			rt = max(rt, roundTrip(lf.Request, lf.Response))
		}
	}
	if api.ServiceTime != nil {
		rt += api.ServiceTime.Quantile(0.999)
	}
	tol := time.Duration(1.2*float64(rp)) + rt
	// Whether a jittered request is sent into a window that swallows it
	// is jitter's call, and costs the sender a whole request timeout.
	var timeout time.Duration
	for i := range sc.Spec.Nodes {
		timeout = max(timeout, sc.RequestTimeout(i))
	}
	for _, f := range sc.Spec.Faults {
		swallows := f.Type == scenarios.FaultLatency || f.Type == scenarios.FaultAPIOutage && f.Mode == scenarios.ModeHang ||
			f.Type == scenarios.FaultPartition && f.Mode != scenarios.ModeRefuse
		if swallows {
			return tol + timeout
		}
	}
	return tol
}

// Compare checks the real outcome against lesim's outcomes of the same
// prepared scenario.
func Compare(sc *scenarios.Scenario, real *Outcome, lesim []*Outcome) *Comparison {
	c := &Comparison{Scenario: sc.Metadata.Name, Tol: Tolerance(sc), Real: real, Lesim: lesim}
	tol := c.Tol

	// The sequence of leaders must be one that lesim produced; intervals
	// are then compared with the seeds that produced it.
	seq := strings.Join(real.Leaders(), " ")
	var same []*Outcome
	var seqs []string
	for _, l := range lesim {
		s := strings.Join(l.Leaders(), " ")
		if s == seq {
			same = append(same, l)
		}
		if !slices.Contains(seqs, s) {
			seqs = append(seqs, s)
		}
	}
	c.add(Check{Name: "leaders", Real: quoteSeq(seq), Lesim: strings.Join(mapSlice(seqs, quoteSeq), " or "),
		OK: len(same) > 0, Note: "the real sequence must be one lesim produced"})
	if len(same) > 0 {
		// Intervals are compared with the seed that matches best.
		var best []Check
		bestFails := -1
		for k, l := range same {
			checks := intervalChecks(real, l, tol, k)
			fails := 0
			for _, ch := range checks {
				if !ch.OK {
					fails++
				}
			}
			if bestFails < 0 || fails < bestFails {
				best, bestFails = checks, fails
			}
		}
		c.Checks = append(c.Checks, best...)
	}

	overlaps := make([]time.Duration, len(lesim))
	for j, l := range lesim {
		overlaps[j], _ = l.Overlap()
	}
	ro, _ := real.Overlap()
	c.timeCheck("overlap total", ro, overlaps, tol)
	lo, hi := minMax(overlaps)
	if ro > 0 != (hi > 0) && ro > 0 != (lo > 0) && max(ro, hi) > tol {
		c.add(Check{Name: "overlap occurs", Real: fmt.Sprint(ro > 0), Lesim: fmt.Sprint(hi > 0), OK: false,
			Note: "overlap longer than the tolerance on one side only"})
	}

	for _, n := range sc.Spec.Nodes {
		for _, op := range []fakeapi.Op{fakeapi.OpGet, fakeapi.OpCreate, fakeapi.OpUpdate, fakeapi.OpDelete} {
			rv := countOf(real.Calls[n.Name], op)
			vals := make([]int, len(lesim))
			for j, l := range lesim {
				vals[j] = countOf(l.Calls[n.Name], op)
			}
			lo, hi := minMax(vals)
			if rv == 0 && hi == 0 {
				continue
			}
			slack := 2 + int(math.Ceil(0.05*float64(max(rv, hi))))
			c.add(Check{Name: fmt.Sprintf("calls %s/%s", n.Name, op), Real: fmt.Sprint(rv), Lesim: rangeStr(lo, hi),
				OK: rv >= lo-slack && rv <= hi+slack, Note: fmt.Sprintf("±%d", slack)})
		}
	}
	c.add(Check{Name: "OnStoppedLeading per ended Run", Real: fmt.Sprintf("%d/%d", real.StoppedLeading, real.RunsEnded),
		Lesim: "equal", OK: real.StoppedLeading == real.RunsEnded, Note: "client-go calls it once per Run"})
	return c
}

// intervalChecks compares the real intervals with one lesim run that led
// in the same sequence. Boundaries (starts and ends) are taken in time
// order; d is the real boundary minus lesim's. A boundary agrees when |d|
// is within tol, or when d differs from the previous boundary's d by at
// most tol: jitter moves every later event with the one it delayed, so a
// long run of failovers may drift by many tolerances in total while each
// step stays within one.
func intervalChecks(real, l *Outcome, tol time.Duration, seedIdx int) []Check {
	type boundary struct {
		name      string
		real, sim time.Duration
	}
	var bs []boundary
	var checks []Check
	for i, iv := range real.Leadership {
		li := l.Leadership[i]
		bs = append(bs, boundary{fmt.Sprintf("interval %d (%s) start", i+1, iv.Node), iv.Start, li.Start},
			boundary{fmt.Sprintf("interval %d (%s) end", i+1, iv.Node), iv.End, li.End})
		okReason := iv.EndReason == li.EndReason ||
			// An interval ending within the tolerance of the run's end
			// may end for either reason.
			(iv.EndReason == "run-end" || li.EndReason == "run-end") && real.Duration-min(iv.End, li.End) <= tol
		checks = append(checks, Check{Name: fmt.Sprintf("interval %d (%s) end reason", i+1, iv.Node),
			Real: iv.EndReason, Lesim: li.EndReason, OK: okReason})
	}
	slices.SortStableFunc(bs, func(a, b boundary) int { return cmp.Compare(a.real, b.real) })
	var prev time.Duration
	for _, b := range bs {
		d := b.real - b.sim
		off := min(absDur(d), absDur(d-prev))
		checks = append(checks, Check{Name: b.name, Real: fmtDur(b.real), Lesim: fmtDur(b.sim),
			OK: off <= tol, Off: max(off-0, 0), Note: fmt.Sprintf("±%s, step from previous drift %s (lesim seed #%d)", fmtDur(tol), fmtDur(prev), seedIdx+1)})
		prev = d
	}
	return checks
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// CompareSeeds runs lesim on seeds sc.Seed(), sc.Seed()+1, … and compares.
// It starts with first seeds and, while some check fails, doubles the
// sample up to most seeds: the real run is one draw of jitter and latency,
// and an outcome lesim reaches only under rare draws (a race between two
// candidates' first Creates, a crash just before or after a response
// arrives) is still one lesim can produce. It returns the comparison and
// the number of lesim runs made.
func CompareSeeds(sc *scenarios.Scenario, real *Outcome, first, most int) (*Comparison, int, error) {
	var lesim []*Outcome
	for n := first; ; n = min(2*n, most) {
		for i := len(lesim); i < n; i++ {
			o, err := RunLesim(sc, sc.Seed()+uint64(i))
			if err != nil {
				return nil, len(lesim), err
			}
			lesim = append(lesim, o)
		}
		c := Compare(sc, real, lesim)
		if c.Agree() || n >= most {
			return c, len(lesim), nil
		}
	}
}

func (c *Comparison) add(ch Check) { c.Checks = append(c.Checks, ch) }

func (c *Comparison) timeCheck(name string, v time.Duration, among []time.Duration, tol time.Duration) {
	lo, hi := minMax(among)
	off := max(lo-v, v-hi, 0)
	c.add(Check{Name: name, Real: fmtDur(v), Lesim: rangeDur(lo, hi),
		OK: off <= tol, Note: "±" + fmtDur(tol), Off: off})
}

func countOf(c fakeapi.Counts, op fakeapi.Op) int {
	switch op {
	case fakeapi.OpGet:
		return int(c.Get)
	case fakeapi.OpCreate:
		return int(c.Create)
	case fakeapi.OpUpdate:
		return int(c.Update)
	case fakeapi.OpDelete:
		return int(c.Delete)
	case fakeapi.OpList:
		return int(c.List)
	}
	return 0
}

// minMax is the least and greatest of vs (zeros for none).
func minMax[T cmp.Ordered](vs []T) (lo, hi T) {
	if len(vs) == 0 {
		return lo, hi
	}
	return slices.Min(vs), slices.Max(vs)
}

func rangeStr(lo, hi int) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

func rangeDur(lo, hi time.Duration) string {
	if lo == hi {
		return fmtDur(lo)
	}
	return fmtDur(lo) + "–" + fmtDur(hi)
}

// fmtDur prints a duration to the millisecond, which is finer than any
// tolerance here and keeps tables readable.
func fmtDur(d time.Duration) string { return d.Round(time.Millisecond).String() }

func quoteSeq(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func mapSlice(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}
