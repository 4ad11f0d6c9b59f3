// Command simulate runs lesim scenarios: single runs with a readable
// summary and reports, parameter sweeps, tuning, regression gates, replays
// and explanations. See docs/simulate.md.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(execute(context.Background(), os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, stderrTTY: isTerminal(os.Stderr)}))
}
