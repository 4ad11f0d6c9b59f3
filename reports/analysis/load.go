package analysis

import (
	"time"

	"github.com/lesim/lesim/scenarios/check"
)

// maxLoadBuckets bounds the API-load series: when a run outgrows it, two
// neighbouring buckets become one of twice the width, so memory stays
// flat however long the run.
const maxLoadBuckets = 4096

// Load counts the API requests sent over true time, per bucket of Width
// (one second until the run outgrows maxLoadBuckets).
type Load struct {
	Width  time.Duration
	Counts []int
}

func (l *Load) add(at time.Duration) {
	if l.Width == 0 {
		l.Width = time.Second
	}
	i := int(at / l.Width)
	for i >= maxLoadBuckets {
		for j := 0; j < len(l.Counts); j += 2 {
			c := l.Counts[j]
			if j+1 < len(l.Counts) {
				c += l.Counts[j+1]
			}
			l.Counts[j/2] = c
		}
		l.Counts = l.Counts[:(len(l.Counts)+1)/2]
		l.Width *= 2
		i = int(at / l.Width)
	}
	for len(l.Counts) <= i {
		l.Counts = append(l.Counts, 0)
	}
	l.Counts[i]++
}

// PerSecond is bucket i's rate in requests per second.
func (l *Load) PerSecond(i int) float64 { return float64(l.Counts[i]) / l.Width.Seconds() }

func (l *Load) see(ev check.TraceEvent) {
	if ev.Kind == "call-sent" {
		l.add(ev.At)
	}
}
