package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Runtime failures exit 1 with their cause on one line; usage errors exit
// 2. An --out under a regular file cannot be created: the command was used
// correctly and failed while running.
func TestRuntimeFailureExitsOne(t *testing.T) {
	file := writeFile(t, t.TempDir(), "plain", "not a directory\n")
	out := filepath.Join(file, "sweep")
	r := simulate(t, nil, "sweep", "--scenario", "healthy", "--lease", "15s", "--seeds", "1", "--duration", "30s", "--progress", "never", "--out", out)
	if r.code != exitFailed {
		t.Fatalf("sweep into %s: want exit %d\n%s", out, exitFailed, r)
	}
	if line := oneErrorLine(t, r); !strings.Contains(line, "not a directory") {
		t.Fatalf("the error line does not give the cause: %q", line)
	}
	for _, args := range [][]string{{"no-such-command"}, {"sweep", "--seeds", "0"}, {"run", "--scenario", filepath.Join(t.TempDir(), "missing.yaml")}} {
		if r := simulate(t, nil, args...); r.code != exitBadInput {
			t.Errorf("%v: want exit %d\n%s", args, exitBadInput, r)
		}
	}
}
