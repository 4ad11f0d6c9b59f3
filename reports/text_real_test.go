package reports

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lesim/lesim/scenarios/check"
)

// A measurement of real processes must not read as a simulation: no seed,
// no "simulated", no trace hash; the JSON says real only then.
func TestRealResultIsNotCalledSimulated(t *testing.T) {
	for _, real := range []bool{false, true} {
		r := &check.Result{Scenario: "s", Seed: 7, Duration: 9 * time.Second, Real: real, TraceHash: "0123456789abcdef"}
		var b strings.Builder
		if err := WriteText(&b, r); err != nil {
			t.Fatal(err)
		}
		head, _, _ := strings.Cut(b.String(), "\n")
		if got := strings.Contains(head, "simulated") || strings.Contains(head, "trace"); got == real {
			t.Errorf("real=%v: header %q", real, head)
		}
		if got := strings.Contains(head, "real processes"); got != real {
			t.Errorf("real=%v: header %q", real, head)
		}
		j, err := json.Marshal(NewSummary(r))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(j), `"real":true`); got != real {
			t.Errorf("real=%v: summary JSON %s", real, j)
		}
	}
}
