package analysis

import (
	"testing"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/runner"
)

// The streamed fold keeps a fraction of the trace yet tells every episode
// of a library run exactly as the whole trace does.
func TestCollectorMatchesWholeTrace(t *testing.T) {
	for _, name := range []string{"skew-beyond-bound", "leader-crash", "release-on-cancel", "gc-pause-leader"} {
		sc, err := scenarios.Named(name)
		if err != nil {
			t.Fatal(err)
		}
		col := NewCollector(sc)
		res, err := runner.RunWith(sc, runner.RunOptions{KeepTrace: true, OnEvent: col.Add})
		if err != nil {
			t.Fatal(err)
		}
		whole, folded := Episodes(res, FromTrace(res)), Episodes(res, col.Analysis())
		if len(whole) == 0 || len(whole) != len(folded) {
			t.Fatalf("%s: %d episodes from the whole trace, %d folded", name, len(whole), len(folded))
		}
		for i := range whole {
			if whole[i].Sentence != folded[i].Sentence || whole[i].From != folded[i].From || whole[i].To != folded[i].To {
				t.Errorf("%s episode %d:\n whole:  %s\n folded: %s", name, i+1, whole[i].Sentence, folded[i].Sentence)
			}
		}
		if kept := len(col.Analysis().Events); kept*2 > len(res.Trace) {
			t.Errorf("%s: the fold kept %d of %d events", name, kept, len(res.Trace))
		}
	}
}

// A window too short to reach back to the last renewal changes the
// episode's view: the comparison above can fail.
func TestCollectorWindowMatters(t *testing.T) {
	sc, err := scenarios.Named("skew-beyond-bound")
	if err != nil {
		t.Fatal(err)
	}
	col := newCollector(RatesOf(sc), 1, DefaultMaxEvents)
	res, err := runner.RunWith(sc, runner.RunOptions{KeepTrace: true, OnEvent: col.Add})
	if err != nil {
		t.Fatal(err)
	}
	whole, folded := Episodes(res, FromTrace(res)), Episodes(res, col.Analysis())
	if whole[0].Sentence == folded[0].Sentence {
		t.Fatal("a 1 ns window told the episode as the whole trace does")
	}
}

// While nobody leads, the fold keeps what the candidates do (up to a
// bound), so a failover nobody ends still shows why.
func TestCollectorKeepsLeaderlessStretch(t *testing.T) {
	sc, err := scenarios.Parse("no-leader.yaml", []byte(`apiVersion: lesim.dev/v1alpha1
kind: Scenario
metadata: {name: no-leader}
spec:
  duration: 3m
  restart: {policy: Never}
  nodes: [{name: a}, {name: b, start: 2s}]
  faults:
  - {type: crash, at: 60s, nodes: [a]}
  - {type: partition, at: 55s, duration: 125s, nodes: [b], mode: refuse}
`))
	if err != nil {
		t.Fatal(err)
	}
	col := NewCollector(sc)
	if _, err := runner.RunWith(sc, runner.RunOptions{OnEvent: col.Add}); err != nil {
		t.Fatal(err)
	}
	last := col.Analysis().Events[len(col.Analysis().Events)-1]
	if last.At < 170*time.Second {
		t.Errorf("the last kept event is at %v: b's attempts late in the leaderless stretch are lost", last.At)
	}
}
