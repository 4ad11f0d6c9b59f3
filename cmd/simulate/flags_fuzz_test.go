package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// FuzzCommandLine parses arbitrary flags for every command that takes
// counts, durations and rates, with a cancelled context so that nothing
// valid runs for long: whatever the flags, the command ends, never
// panics, and a failure is one line on stderr with status 1, 2 or 130.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"sweep --scenario healthy -j 9223372036854775807",
		"sweep --scenario healthy --seeds 1e9",
		"sweep --scenario healthy --skew 5e-324 --duration 1ns",
		"explain --scenario healthy --window -3s --max-events -1",
		"run --scenario healthy --max-events 18446744073709551615 --seed -1",
		"replay --seed 18446744073709551615 --scenario healthy",
		"run --leader-elect-retry-period 1ns --leader-elect-renew-deadline 2ns --leader-elect-lease-duration 3ns",
		"serve --addr 127.0.0.1 --nodes ,,",
		"merge /dev/null",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		if len(args) == 0 || len(line) > 400 {
			t.Skip()
		}
		switch args[0] {
		case "run", "sweep", "explain", "merge", "replay", "serve":
		default:
			t.Skip()
		}
		for _, a := range args {
			// Paths the fuzzer might make up must not be written.
			if strings.HasPrefix(a, "--out") || strings.HasPrefix(a, "--report") || strings.HasPrefix(a, "--trace") ||
				strings.HasPrefix(a, "--kubeconfig") || strings.HasPrefix(a, "--control-token") || strings.HasPrefix(a, "--log") ||
				strings.HasPrefix(a, "--junit") || strings.HasPrefix(a, "--baseline") || strings.HasPrefix(a, "--update") {
				t.Skip()
			}
		}
		dir := t.TempDir()
		switch args[0] {
		case "sweep":
			args = append(args, "--out", dir+"/o")
		case "serve":
			args = append(args, "--kubeconfig", dir+"/kc")
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var out, errb bytes.Buffer
		done := make(chan int, 1)
		go func() {
			done <- execute(ctx, args, env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
		}()
		select {
		case code := <-done:
			msg := strings.TrimRight(errb.String(), "\n")
			if code != 0 && (strings.Contains(msg, "\n") || msg == "" && code == exitBadInput) {
				t.Fatalf("%q: exit %d with stderr %q", line, code, msg)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%q: did not end within 20s of a cancelled context", line)
		}
	})
}
