package determinism_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/lesim/lesim/cmd/lesimvet/determinism"
)

// TestRules shows every rule firing, every form of escape working, and
// every malformed or pointless escape reported (the want comments of
// testdata/src).
func TestRules(t *testing.T) {
	a := determinism.Analyzer
	old := a.Flags.Lookup("packages").Value.String()
	if err := a.Flags.Set("packages", "simulated/...,-simulated/excluded"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Flags.Set("packages", old) })
	analysistest.Run(t, analysistest.TestData(), a, "simulated/...", "outside")
}
