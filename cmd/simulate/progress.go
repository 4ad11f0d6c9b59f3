package main

import (
	"fmt"
	"io"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progress reports how far a long job (a sweep, a tuning search) is. On a
// terminal it is a bar (mpb); elsewhere — CI logs, files — a plain line
// every 10% or every 30 s, whichever comes first, so logs stay short but
// show the job is alive.
type progress interface {
	inc()
	// finish ends the report; aborted says the job was interrupted.
	finish(aborted bool)
}

func newProgress(mode string, tty bool, w io.Writer, what string, total, done int) progress {
	switch {
	case mode == "never" || total == 0:
		return nopProgress{}
	case mode == "always" || (mode == "auto" && tty):
		opts := []mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(40)}
		if !tty {
			opts = append(opts, mpb.WithAutoRefresh())
		}
		p := mpb.New(opts...)
		bar := p.AddBar(int64(total),
			mpb.PrependDecorators(decor.Name(what+" "), decor.CountersNoUnit("%d/%d")),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), etaDecorator(done)),
		)
		bar.SetCurrent(int64(done))
		bar.DecoratorAverageAdjust(time.Now())
		return &barProgress{p: p, bar: bar}
	default:
		now := time.Now()
		return &lineProgress{w: w, what: what, total: total, done: done, initial: done, start: now, last: now, lastPct: done * 10 / total, now: time.Now}
	}
}

// etaDecorator shows the average ETA once a unit of work has finished in
// this process; before that there is nothing to estimate from, and "eta
// 0s" at 0 % would be a lie.
func etaDecorator(startDone int) decor.Decorator {
	eta := decor.AverageETA(decor.ET_STYLE_GO)
	return decor.Any(func(s decor.Statistics) string {
		if s.Current <= int64(startDone) || s.Completed {
			return ""
		}
		str, _ := eta.Decor(s)
		return " eta " + str
	})
}

type nopProgress struct{}

func (nopProgress) inc()        {}
func (nopProgress) finish(bool) {}

type barProgress struct {
	p   *mpb.Progress
	bar *mpb.Bar
}

func (b *barProgress) inc() { b.bar.Increment() }

func (b *barProgress) finish(aborted bool) {
	if aborted || !b.bar.Completed() {
		b.bar.Abort(false)
	}
	b.p.Wait()
}

// lineProgress prints "sweep runs: 300/1000 (30%), 12s elapsed, about 28s
// left" lines; the estimate appears once this process has finished some
// work to estimate from.
type lineProgress struct {
	w           io.Writer
	what        string
	total, done int
	initial     int // done before this process started (resumed)
	start, last time.Time
	lastPct     int
	now         func() time.Time
}

func (l *lineProgress) inc() {
	l.done++
	now := l.now()
	pct := l.done * 10 / l.total
	if pct > l.lastPct || now.Sub(l.last) >= 30*time.Second {
		l.lastPct, l.last = pct, now
		fmt.Fprintf(l.w, "%s: %d/%d (%d%%), %s elapsed%s\n", l.what, l.done, l.total, l.done*100/l.total, now.Sub(l.start).Round(time.Second), l.eta(now))
	}
}

// eta is ", about D left" from the average pace so far, or nothing.
func (l *lineProgress) eta(now time.Time) string {
	ran := l.done - l.initial
	if ran <= 0 || l.done >= l.total {
		return ""
	}
	left := time.Duration(float64(now.Sub(l.start)) / float64(ran) * float64(l.total-l.done))
	return fmt.Sprintf(", about %s left", left.Round(time.Second))
}

func (l *lineProgress) finish(bool) {}
