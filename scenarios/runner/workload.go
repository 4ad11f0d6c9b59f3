package runner

import (
	"time"

	"k8s.io/utils/clock"

	"github.com/lesim/lesim/scenarios"
)

// workload is the leader's work: a write to a protected object every period
// of the leader's clock, from OnStartedLeading until drain after its
// context is cancelled. A write counts as unsafe when the stored lease names
// another holder at the instant it lands; with fencing, each write carries
// its term's token (the LeaderTransitions it acquired with) and the object
// rejects tokens older than the newest it has accepted.
type workload struct {
	r       *runner
	period  time.Duration
	drain   time.Duration
	fencing bool
	tickers map[*process]clock.Ticker
	maxTok  int64
}

func newWorkload(r *runner, w *scenarios.Workload) *workload {
	period := time.Second
	if w.Period != nil {
		period = w.Period.Duration
	}
	return &workload{r: r, period: period, drain: w.Drain.Duration, fencing: w.Fencing, tickers: map[*process]clock.Ticker{}, maxTok: -1}
}

func (w *workload) start(p *process) {
	w.tickers[p] = p.n.node.Clock().TickFunc(w.period, func() { w.write(p) })
}

func (w *workload) write(p *process) {
	res := &w.r.rec.res.Workload
	res.Writes++
	stored := w.r.rec.holder
	unsafe := stored != p.identity
	if w.fencing {
		if p.token < w.maxTok {
			res.FencedWrites++
			w.r.rec.trace(p.n, p.identity, "write-fenced", "")
			return
		}
		w.maxTok = p.token
	}
	if unsafe {
		res.UnsafeWrites++
		w.r.rec.trace(p.n, p.identity, "write-unsafe", "holder="+stored)
	}
}

// stopAfter stops the process's writes once its drain has passed.
func (w *workload) stopAfter(p *process, drain time.Duration) {
	if drain <= 0 {
		w.stopNow(p)
		return
	}
	w.r.s.After(drain, func() { w.stopNow(p) })
}

func (w *workload) stopNow(p *process) {
	if t, ok := w.tickers[p]; ok {
		t.Stop()
		delete(w.tickers, p)
	}
}
