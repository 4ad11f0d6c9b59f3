package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/shlex"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
)

// The flags of `simulate serve --exec`: serve runs the programs itself,
// one process per scenario node, and applies the scenario's node faults
// to them on the wall clock.
type execFlags struct {
	exec      string
	out       string
	intervals string
	grace     time.Duration
	runs      int
	report    string
	argv      []string // the template, split into words
}

// Interval sources: the callback hook, client-go's log lines, or the hook
// when any process reported to it and the logs otherwise.
const (
	intervalsAuto = "auto"
	intervalsHook = "hook"
	intervalsLogs = "logs"
)

const (
	defaultExecOut = "lesim-exec"
	// defaultStopGrace is a pod's default termination grace period.
	defaultStopGrace = 30 * time.Second
	maxExecRuns      = 1000
)

func (f *execFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.exec, "exec", "", "run `CMD` once per scenario node, a template: {kubeconfig} {context} {node} {identity} {leaseDuration} {renewDeadline} {retryPeriod} {releaseOnCancel} {run} are replaced per node; split into words as a shell does (quotes, backslashes), never run by a shell")
	fs.StringVar(&f.out, "out", defaultExecOut, "with --exec: write each process's output to `DIR`/run-N/NODE.log and the runs' results to DIR/results.json")
	fs.StringVar(&f.intervals, "intervals", intervalsAuto, "with --exec: leading intervals from the callback hook (hook), from client-go's log lines (logs, approximate), or auto: the hook when a process reported to it")
	fs.DurationVar(&f.grace, "stop-grace", defaultStopGrace, "with --exec: a stop fault sends SIGTERM and, after this `DURATION`, SIGKILL")
	fs.IntVar(&f.runs, "runs", 1, fmt.Sprintf("with --exec: repeat the scenario this many times with fresh processes and a fresh store, 1 to %d", maxExecRuns))
	fs.StringVar(&f.report, "report", "", "with --exec: write report.html and summary.json of each run to `DIR` (DIR/run-N with --runs)")
}

// placeholder matches a {name} of the --exec template.
var placeholder = regexp.MustCompile(`\{([A-Za-z]+)\}`)

var templateKeys = []string{"kubeconfig", "context", "node", "identity", "leaseDuration", "renewDeadline", "retryPeriod", "releaseOnCancel", "run"}

// parseTemplate splits the --exec template into words (shell quoting
// rules, no shell) and checks its placeholders.
func parseTemplate(tmpl string) ([]string, error) {
	words, err := shlex.Split(tmpl)
	if err != nil {
		return nil, badInput("--exec %s: %v; expected a command line with shell quoting, such as './elector --kubeconfig {kubeconfig} --context {context}'", clipQuote(tmpl), err)
	}
	if len(words) == 0 {
		return nil, badInput("--exec: empty command; expected a command line such as './elector --kubeconfig {kubeconfig} --context {context}'")
	}
	for _, w := range words {
		for _, m := range placeholder.FindAllStringSubmatch(w, -1) {
			if !slices.Contains(templateKeys, m[1]) {
				return nil, badInput("--exec: unknown placeholder {%s}; expected one of {%s}", m[1], strings.Join(templateKeys, "} {"))
			}
		}
	}
	return words, nil
}

// execOnlyFlags are serve's flags that mean something only with --exec.
var execOnlyFlags = []string{"out", "intervals", "stop-grace", "runs", "report"}

// checkExecOnly refuses an --exec flag given without --exec: it would be
// ignored silently.
func checkExecOnly(cmd *cobra.Command, so *serveOpts) error {
	if so.exec != "" {
		return nil
	}
	for _, name := range execOnlyFlags {
		if cmd.Flags().Changed(name) {
			return badInput("--%s: only with --exec; expected --exec CMD to run the programs, or no --%s", name, name)
		}
	}
	return nil
}

// expandTemplate replaces the placeholders of words with vars.
func expandTemplate(words []string, vars map[string]string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = placeholder.ReplaceAllStringFunc(w, func(m string) string { return vars[m[1:len(m)-1]] })
	}
	return out
}

// planExec checks the --exec flags against the plan: a scenario is
// required (its nodes are the processes), and its node faults are no
// longer ignored.
func (so *serveOpts) planExec(p *servePlan) error {
	f := &so.execFlags
	if p.sc == nil {
		return badInput("serve --exec: no scenario; expected a scenario file or --scenario NAME, whose nodes are the processes to run")
	}
	if len(so.nodes) > 0 {
		return badInput("--nodes: not with --exec; the scenario's spec.nodes are the processes")
	}
	argv, err := parseTemplate(f.exec)
	if err != nil {
		return err
	}
	f.argv = argv
	if !placeholder.MatchString(argv[0]) {
		if _, err := exec.LookPath(argv[0]); err != nil {
			return badInput("--exec: %v; expected a program that exists (a path, or a name found in PATH)", err)
		}
	}
	switch f.intervals {
	case intervalsAuto, intervalsHook, intervalsLogs:
	default:
		return badInput("--intervals %q: expected auto, hook or logs", f.intervals)
	}
	if f.grace <= 0 {
		return badInput("--stop-grace %v: expected a positive duration such as 30s", f.grace)
	}
	if f.runs < 1 || f.runs > maxExecRuns {
		return badInput("--runs %d: expected 1 to %d", f.runs, maxExecRuns)
	}
	if err := checkOutDir("--out", f.out); err != nil {
		return err
	}
	if f.report != "" {
		if err := checkOutDir("--report", f.report); err != nil {
			return err
		}
	}
	abs, err := filepath.Abs(p.kubeconfig)
	if err != nil {
		return badInput("--kubeconfig %s: %v", p.kubeconfig, err)
	}
	p.kubeconfig = abs
	p.ignored, p.exec = strings.Join(unappliedFaults(p.sc), "; "), true
	return nil
}

// checkOutDir accepts a directory that exists or can be made in an
// existing parent.
func checkOutDir(flag, dir string) error {
	if dir == "" {
		return badInput("%s: empty path; expected a directory", flag)
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return badInput("%s %s: not a directory; expected a directory (made if missing)", flag, dir)
	}
	if fi, err := os.Stat(filepath.Dir(dir)); err != nil || !fi.IsDir() {
		return badInput("%s %s: directory %s does not exist; expected a directory in an existing one", flag, dir, filepath.Dir(dir))
	}
	return nil
}

// unappliedFaults are the scenario's faults that --exec cannot apply to
// real processes: clock rates and jumps, and stale reads.
func unappliedFaults(sc *scenarios.Scenario) []string {
	var parts []string
	for _, w := range scenarios.APIWindows(sc) {
		if _, ok := w.Fault.(fakeapi.StaleReadsFault); ok {
			parts = append(parts, fmt.Sprintf("staleReads at %v", w.At))
		}
	}
	return append(parts, nodeFaults(sc, []scenarios.FaultType{scenarios.FaultClockRate, scenarios.FaultClockJump})...)
}

// nodeVars are the template's values for node i's process number k.
func nodeVars(p *servePlan, i, k, run int) map[string]string {
	sc := p.sc
	n := sc.Spec.Nodes[i]
	ec := sc.NodeElector(i)
	identity := n.Name
	if sc.NodeIdentity(i) == scenarios.IdentityPerProcess {
		identity = n.Name + "_" + strconv.Itoa(k)
	}
	return map[string]string{
		"kubeconfig":      p.kubeconfig,
		"context":         n.Name,
		"node":            n.Name,
		"identity":        identity,
		"leaseDuration":   ec.LeaseDuration.String(),
		"renewDeadline":   ec.RenewDeadline.String(),
		"retryPeriod":     ec.RetryPeriod.String(),
		"releaseOnCancel": strconv.FormatBool(ec.ReleaseOnCancel),
		"run":             strconv.Itoa(run),
	}
}

// runExec runs the scenario --runs times with fresh processes and writes
// each run's summary, the results file and the reports.
func runExec(ctx context.Context, cmd *cobra.Command, e env, so *serveOpts, p *servePlan, log *lineLog, args []string) error {
	f := &so.execFlags
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return failed("--out %s: %v", f.out, err)
	}
	var results []*check.Result
	var sources []string
	for run := 1; run <= f.runs; run++ {
		runDir := filepath.Join(f.out, fmt.Sprintf("run-%d", run))
		if err := os.MkdirAll(runDir, 0o755); err != nil {
			return failed("--out %s: %v", f.out, err)
		}
		res, source, err := execOnce(ctx, so, p, log, run, runDir)
		if err != nil {
			if ctx.Err() != nil && len(results) > 0 {
				// Interrupted: keep the runs that are complete, and only those.
				fmt.Fprintf(e.stdout, "interrupted in run %d; the %d complete run(s) are kept\n", run, len(results))
				finishExec(cmd, e, so, p, args, results, sources)
			}
			return err
		}
		results, sources = append(results, res), append(sources, source)
		if f.runs == 1 {
			fmt.Fprintf(e.stdout, "real processes on the wall clock, not a simulation (%s); intervals from %s; logs in %s\n", strings.Join(f.argv, " "), source, runDir)
			if err := writeTextSummary(e, res); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(e.stdout, "run %d: %s (intervals from %s)\n", run, oneRunLine(res), source)
		}
	}
	return finishExec(cmd, e, so, p, args, results, sources)
}
