package batch

import (
	"context"
	"testing"

	"github.com/lesim/lesim/scenarios"
)

// Results are in input order and equal whatever the number of workers;
// seeds derive from (base, label, index) alone.
func TestRunOrderIndependentOfJobs(t *testing.T) {
	a, err := scenarios.Named("leader-crash")
	if err != nil {
		t.Fatal(err)
	}
	b, err := scenarios.Named("healthy")
	if err != nil {
		t.Fatal(err)
	}
	seeds := Seeds(7, "test", 5)
	if again := Seeds(7, "test", 5); again[4] != seeds[4] || Seeds(7, "other", 5)[0] == seeds[0] {
		t.Fatal("seeds are not a function of (base, label, index)")
	}
	one, err := Run(context.Background(), 1, []*scenarios.Scenario{a, b}, seeds)
	if err != nil {
		t.Fatal(err)
	}
	four, err := Run(context.Background(), 4, []*scenarios.Scenario{a, b}, seeds)
	if err != nil {
		t.Fatal(err)
	}
	for i := range one {
		for j := range seeds {
			if one[i][j].Seed != seeds[j] || one[i][j].TraceHash != four[i][j].TraceHash {
				t.Fatalf("[%d][%d]: seed %d, hashes %s vs %s", i, j, one[i][j].Seed, one[i][j].TraceHash, four[i][j].TraceHash)
			}
		}
	}
	if one[0][0].Scenario != "leader-crash" || one[1][0].Scenario != "healthy" {
		t.Fatal("results out of scenario order")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, 2, []*scenarios.Scenario{a}, seeds); err == nil {
		t.Fatal("a cancelled context ran anyway")
	}
}
