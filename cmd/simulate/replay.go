package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
)

type replayOpts struct {
	runOpts
	expectHash string
}

func newReplayCmd(e env) *cobra.Command {
	o := &replayOpts{}
	cmd := &cobra.Command{
		Use:   "replay FILE | replay [--scenario NAME] --seed N",
		Short: "Reproduce a run: a scenario or counterexample file, a summary.json, or a seed",
		Long: `Reproduce a run exactly. FILE is a scenario file — such as a shrunk
counterexample written by a property test, which carries its seed — or a
summary.json written by 'simulate run --report' (or 'run --json'), whose
scenario must be a library scenario; --seed N replays a library scenario
(default: default) with seed N.

A run is a pure function of (scenario, seed): the replay's trace hash must
equal the recorded one. When the file records a hash (summary.json) or
--expect-hash is given, a different hash is a failure (exit 1), as is a
violated spec.expect.`,
		Example: `  simulate replay counterexample.yaml --trace events.jsonl
  simulate replay out/summary.json
  simulate replay --scenario skew-beyond-bound --seed 42`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReplay(cmd, e, o, args)
		},
	}
	addRunFlags(cmd, &o.runOpts)
	cmd.Flags().StringVar(&o.expectHash, "expect-hash", "", "fail unless the replay's trace hash is `HASH`")
	return cmd
}

func runReplay(cmd *cobra.Command, e env, o *replayOpts, args []string) error {
	if len(args) == 0 && o.seedFlag.get() == nil {
		return badInput("replay: give a file, or --seed N (with --scenario NAME)")
	}
	var sc *scenarios.Scenario
	var data []byte
	var err error
	name := scenarioName(args, &o.scenarioSource)
	want := o.expectHash
	if len(args) == 1 {
		raw, rerr := scenarios.ReadFile(args[0])
		if rerr == nil && looksLikeSummary(raw) {
			if o.scenario != "" {
				return badInput("replay: %s names its scenario; expected no --scenario", args[0])
			}
			var s reports.Summary
			if err := json.Unmarshal(raw, &s); err != nil {
				return badInput("%s: %v; expected a summary.json written by simulate", args[0], err)
			}
			if !slices.ContainsFunc(scenarios.Library(), func(en scenarios.Entry) bool { return en.Name == s.Scenario }) {
				return badInput("%s: scenario %q is not in the library; expected replay SCENARIO.yaml --seed %d --expect-hash %s", args[0], s.Scenario, s.Seed, s.TraceHash)
			}
			if sc, err = scenarios.Named(s.Scenario); err != nil {
				return err
			}
			if data, err = scenarios.NamedYAML(s.Scenario); err != nil {
				return err
			}
			if o.seedFlag.get() == nil {
				o.seedFlag.seed = s.Seed
				if err := o.seedFlag.fs.Set("seed", fmt.Sprint(s.Seed)); err != nil {
					return fmt.Errorf("replay: --seed %d from %s: %w", s.Seed, args[0], err)
				}
			}
			if want == "" {
				want = s.TraceHash
			}
			name = s.Scenario
		}
	}
	if sc == nil {
		if sc, data, err = o.load(args); err != nil {
			return err
		}
	}
	res, err := runAndReport(cmd, e, &o.runOpts, sc, data, name, args)
	if err != nil {
		return err
	}
	notes := o.notes(e)
	if want != "" {
		if res.TraceHash != want {
			fmt.Fprintf(notes, "NOT reproduced: trace hash %s, the recorded run had %s\n", res.TraceHash, want)
			return errFailed
		}
		fmt.Fprintf(notes, "reproduced: trace hash %s matches the recorded run\n", res.TraceHash)
	} else {
		fmt.Fprintf(notes, "replayed %s with seed %d: trace hash %s\n", res.Scenario, res.Seed, res.TraceHash)
	}
	if !res.Expect.Passed {
		return errFailed
	}
	return nil
}

// looksLikeSummary tells a summary.json from a scenario file: JSON (which
// YAML also accepts) with a traceHash key and no apiVersion.
func looksLikeSummary(b []byte) bool {
	t := strings.TrimSpace(string(b))
	if !strings.HasPrefix(t, "{") {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	_, hash := m["traceHash"]
	_, api := m["apiVersion"]
	return hash && !api
}
