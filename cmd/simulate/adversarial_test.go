package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAdversarialInputs runs every case of testdata/adversarial/cases.txt:
// bad files and flags a hostile or careless user gives. Each must end
// within seconds with its exit status and one line on stderr containing
// the expected text, and leave no output behind.
func TestAdversarialInputs(t *testing.T) {
	dir, err := filepath.Abs("testdata/adversarial")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "cases.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 {
			t.Fatalf("cases.txt:%d: want 3 tab-separated fields", n)
		}
		code, err := strconv.Atoi(parts[0])
		if err != nil {
			t.Fatalf("cases.txt:%d: %v", n, err)
		}
		t.Run(strconv.Itoa(n)+"_"+strings.Fields(parts[2])[0], func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			args := strings.Fields(expand(t, parts[2], dir, tmp))
			want := strings.ReplaceAll(parts[1], "{dir}", dir)
			checkAdversarial(t, args, code, want, tmp)
		})
	}
}

func expand(t *testing.T, s, dir, tmp string) string {
	if strings.Contains(s, "{fifo}") {
		fifo := filepath.Join(tmp, "fifo.yaml")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		s = strings.ReplaceAll(s, "{fifo}", fifo)
	}
	if strings.Contains(s, "{big}") {
		big := filepath.Join(tmp, "big.yaml")
		data := append([]byte("apiVersion: lesim.dev/v1alpha1\nkind: Scenario\n# "), bytes.Repeat([]byte("x"), 2<<20)...)
		if err := os.WriteFile(big, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s = strings.ReplaceAll(s, "{big}", big)
	}
	return strings.NewReplacer("{dir}", dir, "{tmp}", tmp).Replace(s)
}

func checkAdversarial(t *testing.T, args []string, code int, want, tmp string) {
	t.Helper()
	before := listDir(t, tmp)
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		done <- execute(ctx, args, env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	}()
	var got int
	select {
	case got = <-done:
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatalf("simulate %s did not end within 20s", strings.Join(args, " "))
	}
	msg := errb.String()
	if got != code || !strings.Contains(msg, want) {
		t.Errorf("simulate %s: exit %d, stderr %q; want exit %d and %q", strings.Join(args, " "), got, clip(msg), code, want)
	}
	if strings.Count(strings.TrimRight(msg, "\n"), "\n") > 0 || len(msg) > 1000 {
		t.Errorf("stderr is not one short line: %q", clip(msg))
	}
	if after := listDir(t, tmp); after != before {
		t.Errorf("output left behind: %s (before: %s)", after, before)
	}
}

// listDir names what the directory holds, recursively.
func listDir(t *testing.T, dir string) string {
	var names []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != dir {
			names = append(names, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	return strings.Join(names, ",")
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// TestInterruptStopsRun: a cancelled context (what SIGINT and SIGTERM
// cancel) stops a long run within a second, with status 130 and no report
// or trace written.
func TestInterruptStopsRun(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	sc := filepath.Join(tmp, "long.yaml")
	if err := os.WriteFile(sc, []byte("apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nspec:\n  duration: 20000h\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := listDir(t, tmp)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- execute(ctx, []string{"run", sc, "--report", filepath.Join(tmp, "r"), "--trace", filepath.Join(tmp, "t.jsonl")}, env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	start := time.Now()
	select {
	case code := <-done:
		if code != exitInterrupted || !strings.Contains(errb.String(), "interrupted") {
			t.Errorf("exit %d, stderr %q; want %d and interrupted", code, errb.String(), exitInterrupted)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the run went on 5s after its context was cancelled")
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("stopped %v after the cancel; want within a second", el)
	}
	if after := listDir(t, tmp); after != before {
		t.Errorf("output left behind: %s", after)
	}
}

// TestStaleTemporariesRemoved: a staging directory left by a killed
// process (an id no process has) is removed by the next write beside it;
// one of a live process is kept.
func TestStaleTemporariesRemoved(t *testing.T) {
	dir := t.TempDir()
	dead := filepath.Join(dir, ".lesim-tmp-2147483646")
	live := filepath.Join(dir, ".lesim-tmp-1")
	for _, d := range []string{dead, live} {
		if err := os.MkdirAll(filepath.Join(d, "report-123"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tr := filepath.Join(dir, "t.jsonl")
	var out, errb bytes.Buffer
	code := execute(context.Background(), []string{"run", "--scenario", "healthy", "--trace", tr}, env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead process's staging directory is still there (%v)", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live process's staging directory was removed: %v", err)
	}
	if got := listDir(t, dir); got != "/.lesim-tmp-1,/.lesim-tmp-1/report-123,/t.jsonl" {
		t.Errorf("directory holds %s", got)
	}
}
