package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lesim/lesim/scenarios"
)

// Exit statuses. Interrupted sweeps keep their finished points; 130 is
// what shells report for a SIGINT.
const (
	exitOK          = 0
	exitFailed      = 1 // a property, expectation or gate failed, or the command could not finish
	exitBadInput    = 2 // bad input or usage
	exitInterrupted = 130
)

// env is what a command may touch of the process: tests substitute
// buffers and a fake environment and run commands in-process.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// stderrTTY says whether stderr is a terminal (progress bars).
	stderrTTY bool
	// sweepRunDone, when set (tests), is called after each sweep run is
	// journaled.
	sweepRunDone func()
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// exitError carries an exit status. msg, when set, is printed as one line
// on stderr; failures whose report has already been printed carry none.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// failed is a property, expectation or gate failure (status 1).
func failed(format string, args ...any) error {
	return &exitError{code: exitFailed, msg: fmt.Sprintf(format, args...)}
}

// errFailed is a failure already reported in the command's output.
var errFailed = &exitError{code: exitFailed}

// badInput is a usage or input error (status 2).
func badInput(format string, args ...any) error {
	return &exitError{code: exitBadInput, msg: fmt.Sprintf(format, args...)}
}

// execute runs the command line and returns the exit status. Every error
// is printed as exactly one line.
func execute(ctx context.Context, args []string, e env) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var xe *exitError
	var le *scenarios.LoadError
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintln(e.stderr, "simulate: interrupted; no output written")
		return exitInterrupted
	case errors.As(err, &xe):
		if xe.msg != "" {
			fmt.Fprintln(e.stderr, oneLine(xe.msg))
		}
		return xe.code
	case errors.As(err, &le):
		// The loader's message already names the file, the field path
		// and what is expected.
		fmt.Fprintln(e.stderr, oneLine(le.Error()))
		return exitBadInput
	case errors.Is(err, fs.ErrNotExist):
		// A path the user gave that is not there.
		fmt.Fprintf(e.stderr, "simulate: %s (see 'simulate --help')\n", oneLine(err.Error()))
		return exitBadInput
	default:
		// Usage errors arrive typed (badInput: cobra's argument and flag
		// errors are wrapped so); anything else went wrong while the
		// command ran: a runtime failure, with its cause.
		fmt.Fprintf(e.stderr, "simulate: %s\n", oneLine(err.Error()))
		return exitFailed
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func newRootCmd(e env) *cobra.Command {
	ro := &runOpts{}
	root := &cobra.Command{
		Use:   "simulate",
		Short: "Deterministic simulation of Kubernetes leader election",
		Long: `simulate runs lesim scenarios: Kubernetes leader election (client-go's
algorithm) on virtual clocks against a simulated API server with faults.

With no arguments it runs the embedded "default" scenario, prints a summary
and writes an HTML report to a new temporary directory (use --report DIR to
choose the directory).`,
		Example: `  simulate
  simulate run --scenario leader-crash --json
  simulate list`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			// The report's directory is made once the report is
			// complete: bad input leaves nothing behind.
			ro.autoReport = ro.report == "" && !ro.json
			if ro.scenario == "" {
				ro.scenario = scenarios.DefaultName
			}
			return runScenario(cmd, e, ro, nil)
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	addRunFlags(root, ro)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return badInput("%s: %v (see '%s --help')", c.CommandPath(), err, c.CommandPath())
	})
	root.AddCommand(newRunCmd(e), newListCmd(e), newSchemaCmd(e), newSweepCmd(e), newMergeCmd(e),
		newGateCmd(e), newCompareCmd(e), newReplayCmd(e), newExplainCmd(e), newTuneCmd(e), newServeCmd(e),
		newSearchCmd(e))
	wrapArgs(root)
	for _, c := range root.Commands() {
		c.SilenceUsage, c.SilenceErrors = true, true
		wrapArgs(c)
	}
	return root
}

// wrapArgs turns argument-count errors into usage errors (status 2).
func wrapArgs(c *cobra.Command) {
	if c.Args == nil {
		return
	}
	args := c.Args
	c.Args = func(cmd *cobra.Command, a []string) error {
		if err := args(cmd, a); err != nil {
			return badInput("%s: %v (see 'simulate %s --help')", cmd.Name(), err, cmd.Name())
		}
		return nil
	}
}
