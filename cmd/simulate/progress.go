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
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name(" eta "), decor.AverageETA(decor.ET_STYLE_GO)),
		)
		bar.SetCurrent(int64(done))
		bar.DecoratorAverageAdjust(time.Now())
		return &barProgress{p: p, bar: bar}
	default:
		return &lineProgress{w: w, what: what, total: total, done: done, start: time.Now(), last: time.Now(), lastPct: done * 10 / total}
	}
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

// lineProgress prints "sweep: 300/1000 (30%), 12s elapsed" lines.
type lineProgress struct {
	w           io.Writer
	what        string
	total, done int
	start, last time.Time
	lastPct     int
}

func (l *lineProgress) inc() {
	l.done++
	pct := l.done * 10 / l.total
	if pct > l.lastPct || time.Since(l.last) >= 30*time.Second {
		l.lastPct, l.last = pct, time.Now()
		fmt.Fprintf(l.w, "%s: %d/%d (%d%%), %s elapsed\n", l.what, l.done, l.total, l.done*100/l.total, time.Since(l.start).Round(time.Second))
	}
}

func (l *lineProgress) finish(bool) {}
