package reports

import (
	"fmt"
	"strings"
	"time"

	"github.com/lesim/lesim/reports/analysis"
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/runner"
)

// timelineChart is the whole run as an interactive lane chart: leading
// bars, draining and pauses, overlap and leaderless stretches, faults.
func timelineChart(r *check.Result) *laneChart {
	lanes, _ := timelineLanes(r)
	c := &laneChart{id: "timeline", title: fmt.Sprintf("Leadership timeline: %s, seed %d (wheel: zoom, drag: pan, double click: reset)", r.Scenario, r.Seed),
		from: 0, to: max(r.Duration, time.Second), lanes: lanes}
	for _, l := range lanes {
		c.labels = append(c.labels, laneLabel(r, l))
	}
	addLeading(c, r, 0.2, 0.7)
	for _, w := range r.Overlap.Episodes {
		c.bar(-1, w.Start, w.End, 0, 1, "overlap", fmt.Sprintf("overlap: two or more leaders from %s to %s (%s)", FormatAt(w.Start), FormatAt(w.End), FormatDuration(w.End-w.Start)))
	}
	for _, f := range r.Failovers {
		if f.HandoverGap == 0 {
			continue // an overlapping handover: its overlap is drawn above
		}
		c.bar(-1, f.Lost, f.Lost+f.HandoverGap, 0, 1, "leaderless", fmt.Sprintf("failover %s -> %s: no leader from %s for %s; recovery %s from the %s at %s",
			orDash(f.From), orDash(f.To), FormatAt(f.Lost), FormatDuration(f.HandoverGap), FormatDuration(f.Recovery), f.Cause, FormatAt(f.Onset)))
	}
	addFaults(c, r, 0, r.Duration)
	return c
}

// addLeading draws every leading interval on its node's lane between
// heights y0 and y1 of the lane.
func addLeading(c *laneChart, r *check.Result, y0, y1 float64) {
	for _, iv := range r.Leadership {
		lane := c.laneIndex(iv.Node)
		if lane < 0 || iv.End < c.from || iv.Start > c.to {
			continue
		}
		tip := fmt.Sprintf("%s (%s) leads from %s to %s, %s; ended by %s", iv.Node, iv.Identity, FormatAt(iv.Start), FormatAt(iv.End), FormatDuration(iv.End-iv.Start), iv.EndReason)
		c.bar(lane, max(iv.Start, c.from), min(iv.Cancelled, c.to), y0, y1, "leading", tip)
		if iv.End > iv.Cancelled {
			c.bar(lane, max(iv.Cancelled, c.from), min(iv.End, c.to), y0, y1, "draining", fmt.Sprintf("%s draining after its context was cancelled at %s, until %s", iv.Node, FormatAt(iv.Cancelled), FormatAt(iv.End)))
		}
		for _, p := range iv.Paused {
			c.bar(lane, max(p.Start, c.from), min(p.End, c.to), y0, y1, "paused", fmt.Sprintf("%s paused while leading, %s to %s", iv.Node, FormatAt(p.Start), FormatAt(p.End)))
		}
	}
}

// addFaults draws windowed faults as strips at the bottom of their lanes
// (every lane for API-wide ones) and instantaneous ones as marks.
func addFaults(c *laneChart, r *check.Result, from, to time.Duration) {
	for _, f := range r.Faults {
		if f.End < from || f.Start > to {
			continue
		}
		lanes := []int{}
		for _, n := range f.Nodes {
			if i := c.laneIndex(n); i >= 0 {
				lanes = append(lanes, i)
			}
		}
		if len(f.Nodes) == 0 {
			for i := range c.lanes {
				lanes = append(lanes, i)
			}
		}
		what := f.Type
		if f.Note != "" {
			what += " " + f.Note
		}
		for _, lane := range lanes {
			if f.End > f.Start {
				class := "fault-" + f.Type
				if !strings.Contains(laneStyle, class) {
					class = "fault-other"
				}
				c.bar(lane, max(f.Start, c.from), min(f.End, c.to), 0.86, 0.97, class, fmt.Sprintf("fault %s on %s from %s to %s", what, strings.Join(f.Nodes, ","), FormatAt(f.Start), FormatAt(f.End)))
				continue
			}
			shape, class := "tri", "instant"
			if f.Type == "crash" {
				shape, class = "cross", "crash"
			}
			c.mark(lane, f.Start, 0.1, shape, class, fmt.Sprintf("fault %s on %s at %s", what, c.lanes[lane], FormatAt(f.Start)))
		}
	}
}

// episodeChart zooms to one episode: leading bars, each node's belief in
// the holder's lease and its believed expiry, every API call (sent,
// applied, answered, failed, timed out) and the faults.
func episodeChart(r *check.Result, a *analysis.Analysis, ep analysis.Episode, n int) *laneChart {
	c := &laneChart{id: fmt.Sprintf("episode-%d", n), title: fmt.Sprintf("%d. %s, %s to %s", n, ep.Kind, FormatAt(ep.Start), FormatAt(ep.End)), from: ep.From, to: ep.To}
	lanes, _ := timelineLanes(r)
	c.lanes = lanes
	for _, l := range lanes {
		c.labels = append(c.labels, laneLabel(r, l))
	}
	class := "overlap"
	if ep.Kind != analysis.KindOverlap {
		class = "leaderless"
	}
	c.bar(-1, max(ep.Start, c.from), min(ep.End, c.to), 0, 1, class, ep.Kind+": "+ep.Sentence)
	addLeading(c, r, 0.08, 0.36)
	for _, sp := range a.Beliefs {
		lane := c.laneIndex(sp.Node)
		if lane < 0 || sp.Expires < c.from || sp.From > c.to {
			continue
		}
		c.bar(lane, max(sp.From, c.from), min(sp.Expires, c.to), 0.42, 0.56, "belief",
			fmt.Sprintf("%s believes %s holds the lease: last saw it change at %s; %d s on its clock (rate %g) end at %s", sp.Node, sp.Holder, FormatAt(sp.LastSeen), sp.LeaseSeconds, sp.Rate, FormatAt(sp.Expires)))
		if sp.Expires <= c.to {
			c.mark(lane, sp.Expires, 0.49, "tri", "expiry", fmt.Sprintf("%s's believed expiry of %s's lease: %s", sp.Node, sp.Holder, FormatAt(sp.Expires)))
		}
	}
	addCalls(c, a.Window(c.from, c.to))
	addFaults(c, r, c.from, c.to)
	return c
}

// addCalls marks the API calls of the window on their nodes' lanes.
func addCalls(c *laneChart, events []check.TraceEvent) {
	for _, ev := range events {
		lane := c.laneIndex(ev.Node)
		if lane < 0 {
			continue
		}
		at := FormatAt(ev.At)
		switch ev.Kind {
		case "call-sent":
			c.mark(lane, ev.At, 0.64, "tick", "sent", fmt.Sprintf("%s sends %s at %s", ev.Node, ev.Detail, at))
		case runner.LeaseWrittenKind:
			c.mark(lane, ev.At, 0.64, "dot", "applied", fmt.Sprintf("server applies a lease write (%s) at %s", ev.Detail, at))
		case "call-returned":
			shape, class := "ring", "answered"
			if !strings.HasSuffix(ev.Detail, ": ok") {
				shape, class = "ring", "failed"
				if timedOut(ev.Detail) {
					shape, class = "cross", "timedout"
				}
			}
			c.mark(lane, ev.At, 0.78, shape, class, fmt.Sprintf("%s: %s returns at %s", ev.Node, ev.Detail, at))
		}
	}
}

func timedOut(detail string) bool {
	d := strings.ToLower(detail)
	return strings.Contains(d, "timeout") || strings.Contains(d, "deadline") || strings.Contains(d, "timed out") || strings.Contains(d, "context canceled")
}
