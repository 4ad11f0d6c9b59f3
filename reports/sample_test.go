package reports

import (
	"time"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios/check"
)

func s(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }

// sampleResult is a hand-built run with every feature a report shows: a
// crash and failover, an overlap with a drain, a pause inside a term, a
// partition, an API outage and a violated expectation.
func sampleResult() *check.Result {
	return &check.Result{
		Scenario:  "sample",
		Seed:      42,
		Duration:  s(600),
		TraceHash: "9f2c0c3e5b7a1d4e8f00112233445566",
		Nodes: []check.NodeSummary{
			{Name: "a", Rate: 1, Requests: 300, Processes: []string{"a_1", "a_2"}},
			{Name: "b", Rate: 1, Requests: 280, Processes: []string{"b_1"}},
			{Name: "c", Rate: 1.3, Requests: 290, Processes: []string{"c_1"}},
		},
		Leadership: []check.Interval{
			{Node: "a", Identity: "a_1", Start: s(0.004), End: s(120), Cancelled: s(120), EndReason: "crashed"},
			{Node: "b", Identity: "b_1", Start: s(136.5), End: s(310.4), Cancelled: s(310), EndReason: "renew-failed", Paused: []check.Window{{Start: s(200), End: s(212)}}},
			{Node: "c", Identity: "c_1", Start: s(309.2), End: s(600), Cancelled: s(600), EndReason: "run-end"},
		},
		Overlap:    check.Overlap{Total: s(1.2), Max: s(1.2), Episodes: []check.Window{{Start: s(309.2), End: s(310.4)}}},
		Leaderless: check.Leaderless{Total: s(16.5), Max: s(16.5)},
		Failovers: []check.Failover{
			{Cause: "crash", Onset: s(120), Lost: s(120), From: "a", To: "b", Restored: true, Recovery: s(16.5), HandoverGap: s(16.5)},
		},
		Transitions:         2,
		SpuriousTransitions: 1,
		StaleLeader:         s(1.2),
		PausedWhileLeading:  s(12),
		StoppedLeadingCalls: 1,
		RunsEnded:           1,
		API:                 check.APILoad{Requests: 870, PerSecond: 1.45, ByOp: fakeapi.Counts{Update: 600, Get: 250, Create: 20}},
		Workload:            check.WorkloadStats{Writes: 590, UnsafeWrites: 1, FencedWrites: 0},
		Faults: []check.FaultWindow{
			{Type: "crash", Nodes: []string{"a"}, Start: s(120), End: s(120)},
			{Type: "pause", Nodes: []string{"b"}, Start: s(200), End: s(212)},
			{Type: "partition", Nodes: []string{"b"}, Start: s(300), End: s(360), Note: "drop-requests"},
			{Type: "apiOutage", Start: s(450), End: s(470), Note: "refuse"},
			{Type: "clockRate", Nodes: []string{"c"}, Start: s(250), End: s(250), Note: "rate=1.5"},
		},
		Expect: check.ExpectResult{Passed: false, Violations: []string{"overlap 1.2s exceeds maxOverlap 0s"}}, ExpectSet: true,
	}
}
