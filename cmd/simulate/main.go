// Command simulate runs lesim scenarios: single runs with a readable
// summary and reports, parameter sweeps, tuning, regression gates, replays
// and explanations. See docs/simulate.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(execute(signalContext(), os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, stderrTTY: isTerminal(os.Stderr)}))
}

// signalContext is cancelled by the first SIGINT or SIGTERM, which every
// command observes to stop within a second, keeping what is complete and
// writing nothing partial; a second signal kills the process at once.
func signalContext() context.Context {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx
}
