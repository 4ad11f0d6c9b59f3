package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A small grid with overlap in part of it, fast enough for -race.
var sweepArgs = []string{"sweep", "--scenario", "skew-beyond-bound", "--duration", "4m",
	"--lease", "11s,13s,20s", "--renew", "10s", "--skew", "1,1.3,2", "--seeds", "2", "--progress", "never"}

func sweepIn(t *testing.T, dir string, extra ...string) result {
	t.Helper()
	r := simulate(t, nil, append(append(append([]string(nil), sweepArgs...), "--out", dir), extra...)...)
	if r.code != 0 {
		t.Fatal(r)
	}
	return r
}

var sweepOutputs = []string{"sweep.json", "sweep.csv", "sweep.bench.txt", "overlap-heatmap.png", "overlap-heatmap.svg"}

func sameOutputs(t *testing.T, a, b string) {
	t.Helper()
	for _, f := range sweepOutputs {
		x, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s", f, a, b)
		}
	}
}

func TestSweepOutputsDoNotDependOnJobs(t *testing.T) {
	one, four := t.TempDir(), t.TempDir()
	r := sweepIn(t, one, "-j", "1")
	sweepIn(t, four, "-j", "4")
	sameOutputs(t, one, four)
	if !strings.Contains(r.stdout, "9 points × 2 seeds = 18 runs") || !strings.Contains(r.stdout, "points with overlap: ") {
		t.Errorf("summary:\n%s", r)
	}
	csv, _ := os.ReadFile(filepath.Join(one, "sweep.csv"))
	if n := strings.Count(string(csv), "\n"); n != 10 {
		t.Errorf("%d CSV lines, want header + 9", n)
	}
	bench, _ := os.ReadFile(filepath.Join(one, "sweep.bench.txt"))
	if !strings.Contains(string(bench), "BenchmarkSweep/lease=11s/renew=10s/retry=2s/skew=2 1 ") || strings.Count(string(bench), "BenchmarkSweep/") != 18 {
		t.Errorf("bench output:\n%s", bench)
	}
	// No journal is left once a sweep completes.
	if _, err := os.Stat(filepath.Join(one, "sweep.journal.jsonl")); !os.IsNotExist(err) {
		t.Error("journal left after a complete sweep")
	}
}

// TestShardMergeIdentity: any shard layout, merged, gives the bytes of the
// unsharded sweep.
func TestShardMergeIdentity(t *testing.T) {
	whole := t.TempDir()
	sweepIn(t, whole)
	for _, n := range []int{2, 4} {
		shards := t.TempDir()
		for i := range n {
			// The index comes from the Indexed Job's environment.
			args := append(append([]string(nil), sweepArgs...), "--out", shards, "--shard-count", itoa(n), "-j", itoa(1+i%2))
			r := simulate(t, map[string]string{"JOB_COMPLETION_INDEX": itoa(i)}, args...)
			if r.code != 0 {
				t.Fatal(r)
			}
			if _, err := os.Stat(filepath.Join(shards, "shard-"+itoa(i)+"-of-"+itoa(n)+".json")); err != nil {
				t.Fatal(err)
			}
		}
		r := simulate(t, nil, "merge", shards)
		if r.code != 0 {
			t.Fatal(r)
		}
		sameOutputs(t, whole, shards)
	}
}

func TestMergeRejectsIncompleteOrMixedShards(t *testing.T) {
	shards := t.TempDir()
	for i := range 3 {
		simulate(t, nil, append(append([]string(nil), sweepArgs...), "--out", shards, "--shard-count", "3", "--shard-index", itoa(i))...)
	}
	all, _ := filepath.Glob(filepath.Join(shards, "shard-*.json"))
	if len(all) != 3 {
		t.Fatalf("shards: %v", all)
	}
	// A missing shard.
	r := simulate(t, nil, "merge", "--out", t.TempDir(), all[0], all[1])
	if r.code != 2 || !strings.Contains(oneErrorLine(t, r), "missing") {
		t.Error(r)
	}
	// A shard given twice.
	r = simulate(t, nil, "merge", "--out", t.TempDir(), all[0], all[0], all[1], all[2])
	if r.code != 2 || !strings.Contains(oneErrorLine(t, r), "also in") {
		t.Error(r)
	}
	// A shard of another sweep.
	other := t.TempDir()
	simulate(t, nil, append(append([]string(nil), sweepArgs...), "--out", other, "--seeds", "1", "--shard-count", "3", "--shard-index", "2")...)
	r = simulate(t, nil, "merge", "--out", t.TempDir(), all[0], all[1], filepath.Join(other, "shard-2-of-3.json"))
	if r.code != 2 || !strings.Contains(oneErrorLine(t, r), "expected shards of one sweep") {
		t.Error(r)
	}
}

func TestSweepResumesAfterInterrupt(t *testing.T) {
	whole := t.TempDir()
	sweepIn(t, whole)

	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	pointDone := func() {
		if n++; n == 3 {
			cancel()
		}
	}
	var out, errb bytes.Buffer
	code := execute(ctx, append(append([]string(nil), sweepArgs...), "--out", dir, "-j", "2"),
		env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, sweepPointDone: pointDone})
	if code != exitInterrupted || !strings.Contains(errb.String(), "--resume") {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	journal := filepath.Join(dir, "sweep.journal.jsonl")
	data, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(data), "\n"); lines < 4 || lines > 9 {
		t.Errorf("journal has %d lines, want the header and 3 to 8 points", lines)
	}
	if _, err := os.Stat(filepath.Join(dir, "sweep.json")); !os.IsNotExist(err) {
		t.Error("outputs written by an interrupted sweep")
	}
	// Without --resume the journal is not silently overwritten.
	r := simulate(t, nil, append(append([]string(nil), sweepArgs...), "--out", dir)...)
	if r.code != 2 || !strings.Contains(oneErrorLine(t, r), "--resume") {
		t.Error(r)
	}
	// A cut-short last line (killed mid-write) is dropped on resume.
	os.WriteFile(journal, append(data, []byte(`{"index":8,"key":"lea`)...), 0o644)
	r = simulate(t, nil, append(append([]string(nil), sweepArgs...), "--out", dir, "--resume")...)
	if r.code != 0 {
		t.Fatal(r)
	}
	sameOutputs(t, whole, dir)
	// Resuming with a different grid is refused.
	dir2 := t.TempDir()
	os.WriteFile(filepath.Join(dir2, "sweep.journal.jsonl"), data, 0o644)
	r = simulate(t, nil, append(append([]string(nil), sweepArgs...), "--out", dir2, "--resume", "--seeds", "3")...)
	if r.code != 2 || !strings.Contains(oneErrorLine(t, r), "different sweep") {
		t.Error(r)
	}
}

func TestSweepBadFlags(t *testing.T) {
	for _, extra := range [][]string{
		{"--seeds", "0"},
		{"--shard-count", "2", "--shard-index", "2"},
		{"--skew", "0"},
		{"--error-rate", "1.5"},
		{"--progress", "sometimes"},
		{"--lease", "soon"},
	} {
		r := simulate(t, nil, append(append(append([]string(nil), sweepArgs...), "--out", t.TempDir()), extra...)...)
		if r.code != 2 {
			t.Errorf("%v: %s", extra, r)
			continue
		}
		oneErrorLine(t, r)
	}
	// No valid combination.
	r := simulate(t, nil, "sweep", "--lease", "5s", "--renew", "10s", "--out", t.TempDir())
	if r.code != 2 || !strings.Contains(oneErrorLine(t, r), "none of the 1 combinations") {
		t.Error(r)
	}
	r = simulate(t, map[string]string{"JOB_COMPLETION_INDEX": "x"}, append(append([]string(nil), sweepArgs...), "--out", t.TempDir())...)
	if r.code != 2 {
		t.Error(r)
	}
}

func TestSweepProgressLines(t *testing.T) {
	args := append(append([]string(nil), sweepArgs...), "--out", t.TempDir())
	args[len(args)-3] = "auto" // --progress auto; stderr is not a terminal here
	r := simulate(t, nil, args...)
	if r.code != 0 || !strings.Contains(r.stderr, "sweep: 9/9 (100%)") {
		t.Error(r)
	}
}
