package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"
)

// docExample is one command line of docs/simulate.md.
type docExample struct {
	line int
	args []string
	code int
}

// docExamples reads the commands of the ```sh blocks: one command per
// line, optionally followed by "# exit N".
func docExamples(t *testing.T, path string) []docExample {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docExample
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "```sh"):
			in = true
			continue
		case strings.HasPrefix(l, "```"):
			in = false
			continue
		}
		if !in || strings.TrimSpace(l) == "" {
			continue
		}
		code := 0
		if i := strings.Index(l, "# exit "); i >= 0 {
			code, err = strconv.Atoi(strings.TrimSpace(l[i+len("# exit "):]))
			if err != nil {
				t.Fatalf("%s:%d: bad exit annotation", path, n)
			}
			l = l[:i]
		}
		fields := strings.Fields(l)
		if len(fields) == 0 || fields[0] != "simulate" {
			t.Fatalf("%s:%d: a sh block line that is not a simulate command: %q", path, n, l)
		}
		for _, f := range fields {
			if strings.ContainsAny(f, "|&;<>$*`'\"") {
				t.Fatalf("%s:%d: shell syntax the test cannot run: %q", path, n, l)
			}
		}
		out = append(out, docExample{line: n, args: fields[1:], code: code})
	}
	return out
}

// TestDocExamples runs every command of docs/simulate.md, in order, in a
// scratch directory with the files the examples name.
func TestDocExamples(t *testing.T) {
	doc, err := filepath.Abs(filepath.Join("..", "..", "docs", "simulate.md"))
	if err != nil {
		t.Fatal(err)
	}
	lib := func(name string) string {
		data, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "library", name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	examples := docExamples(t, doc)
	if len(examples) < 20 {
		t.Fatalf("only %d examples found in %s", len(examples), doc)
	}
	dir := t.TempDir()
	writeFile(t, dir, "my-scenario.yaml", lib("leader-crash"))
	writeFile(t, dir, "old.yaml", lib("leader-crash"))
	writeFile(t, dir, "new.yaml", strings.Replace(lib("leader-crash"), "spec:\n", "spec:\n  elector: {leaseDuration: 10s, renewDeadline: 6s}\n", 1))
	writeFile(t, dir, "counterexample.yaml", strings.Replace(lib("skew-beyond-bound"), "spec:\n", "spec:\n  seed: 3\n  expect: {maxOverlap: 0s}\n", 1))
	os.Mkdir(filepath.Join(dir, "suite"), 0o755)
	writeFile(t, dir, "suite/leader-crash.yaml", lib("leader-crash"))
	writeFile(t, dir, "suite/healthy.yaml", lib("healthy"))
	t.Chdir(dir)
	t.Setenv("TMPDIR", t.TempDir())
	checks := docOutputChecks(t)
	for _, ex := range examples {
		cmdline := strings.Join(ex.args, " ")
		r := simulate(t, nil, ex.args...)
		if r.code != ex.code {
			t.Errorf("docs/simulate.md:%d: simulate %s: want exit %d\n%s", ex.line, cmdline, ex.code, r)
			continue
		}
		check, ok := checks[cmdline]
		if !ok {
			t.Errorf("docs/simulate.md:%d: simulate %s: no check of its output in docOutputChecks", ex.line, cmdline)
			continue
		}
		if err := check(r); err != nil {
			t.Errorf("docs/simulate.md:%d: simulate %s: %v\n%s", ex.line, cmdline, err, r)
		}
	}
}

// TestIndexedJobExample checks the Kubernetes manifest: an Indexed Job
// whose shard count matches its completions and whose arguments the sweep
// command accepts, and a merge Job.
func TestIndexedJobExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("examples", "sweep-indexed-job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var jobs []batchv1.Job
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatal(err)
		}
		if meta.Kind != "Job" {
			continue
		}
		var j batchv1.Job
		if err := yaml.UnmarshalStrict([]byte(doc), &j); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		jobs = append(jobs, j)
	}
	if len(jobs) != 2 {
		t.Fatalf("%d Jobs, want the sweep and the merge", len(jobs))
	}
	sweep := jobs[0]
	if sweep.Spec.CompletionMode == nil || *sweep.Spec.CompletionMode != batchv1.IndexedCompletion {
		t.Fatal("the sweep Job is not Indexed")
	}
	c := sweep.Spec.Template.Spec.Containers[0]
	if c.Command[0] != "simulate" || c.Args[0] != "sweep" {
		t.Fatalf("command %v %v", c.Command, c.Args)
	}
	cmd := newSweepCmd(env{})
	if err := cmd.ParseFlags(c.Args[1:]); err != nil {
		t.Fatalf("sweep flags: %v", err)
	}
	n, _ := cmd.Flags().GetInt("shard-count")
	if int32(n) != *sweep.Spec.Completions {
		t.Errorf("--shard-count %d but %d completions", n, *sweep.Spec.Completions)
	}
	if cmd.Flags().Changed("shard-index") {
		t.Error("the shard index must come from JOB_COMPLETION_INDEX")
	}
	merge := jobs[1].Spec.Template.Spec.Containers[0]
	out, _ := cmd.Flags().GetString("out")
	if merge.Args[0] != "merge" || merge.Args[1] != out {
		t.Errorf("merge args %v, sweep --out %s", merge.Args, out)
	}
}
