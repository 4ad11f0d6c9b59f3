package runner

import (
	"testing"

	"github.com/lesim/lesim/scenarios"
)

// A leader that loses its lease shortly before the run ends calls
// OnStoppedLeading at once and exits only after its workload has drained,
// past the end: its Run has ended all the same and must be counted. The
// determinism property found this case (61 OnStoppedLeading calls, 60
// ended runs); node a's last leadership is cancelled 233 ms before the end,
// with a 267 ms drain.
func TestRunsEndedCountsARunDrainingAtTheEnd(t *testing.T) {
	const doc = `apiVersion: lesim.dev/v1alpha1
kind: Scenario
metadata: {name: drain-at-end}
spec:
  api:
    latency:
      request: {distribution: fixed, value: 4ms}
      response: {distribution: uniform, max: 200ms, min: 0s}
  duration: 2m0s
  elector: {leaseDuration: 2s, renewDeadline: 156ms, retryPeriod: 102ms}
  nodes:
  - {name: a, clock: {rate: 1.003}, elector: {variant: seed}}
  - {name: b, clock: {rate: 1.15}, start: 60ms, restart: {delay: 14ms}, elector: {leaseDuration: 1s, renewDeadline: 133ms, retryPeriod: 100ms}}
  - {name: c, clock: {rate: 1.081}, start: 21ms}
  seed: 5
  workload: {drain: 267ms}
`
	sc, err := scenarios.Parse("drain-at-end.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	res := mustRun(t, sc, RunOptions{})
	last := res.Leadership[len(res.Leadership)-1]
	if !(last.Cancelled < res.Duration && last.End == res.Duration) {
		t.Fatalf("the case no longer drains across the end: last interval %+v", last)
	}
	if res.StoppedLeadingCalls != res.RunsEnded || res.RunsEnded == 0 {
		t.Fatalf("OnStoppedLeading %d times for %d ended runs", res.StoppedLeadingCalls, res.RunsEnded)
	}
}
