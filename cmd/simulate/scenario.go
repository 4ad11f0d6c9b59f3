package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	componentconfig "k8s.io/component-base/config"
	"k8s.io/component-base/config/options"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/runner"
)

// scenarioSource says where a command's scenario comes from: a file
// argument or a library name.
type scenarioSource struct {
	scenario string // --scenario NAME
}

func (src *scenarioSource) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&src.scenario, "scenario", "", "run the named library scenario (see 'simulate list') instead of a file")
}

// load returns the scenario named by a file argument or --scenario; with
// neither, the library's default scenario.
func (src *scenarioSource) load(args []string) (*scenarios.Scenario, []byte, error) {
	switch {
	case len(args) > 0 && src.scenario != "":
		return nil, nil, badInput("give a scenario file or --scenario NAME, not both")
	case len(args) > 0:
		data, err := scenarios.ReadFile(args[0])
		if err != nil {
			return nil, nil, err
		}
		sc, err := scenarios.Parse(args[0], data)
		if err != nil {
			return nil, nil, err
		}
		return sc, data, nil
	default:
		name := src.scenario
		if name == "" {
			name = scenarios.DefaultName
		}
		sc, err := scenarios.Named(name)
		if err != nil {
			return nil, nil, err
		}
		data, err := scenarios.NamedYAML(name)
		if err != nil {
			return nil, nil, err
		}
		return sc, data, nil
	}
}

// electorFlags are the leader-election flags as every Kubernetes component
// spells them (component-base's BindLeaderElectionFlags). Flags given on
// the command line override the scenario's spec.elector, as
// kube-scheduler's flags override its --config file; flags not given
// leave the scenario alone.
type electorFlags struct {
	cfg componentconfig.LeaderElectionConfiguration
	fs  *pflag.FlagSet
}

func (ef *electorFlags) addFlags(fs *pflag.FlagSet) {
	// The defaults shown in --help are kube-controller-manager's.
	ef.cfg = componentconfig.LeaderElectionConfiguration{
		LeaderElect:       true,
		LeaseDuration:     metav1.Duration{Duration: scenarios.DefaultLeaseDuration},
		RenewDeadline:     metav1.Duration{Duration: scenarios.DefaultRenewDeadline},
		RetryPeriod:       metav1.Duration{Duration: scenarios.DefaultRetryPeriod},
		ResourceLock:      "leases",
		ResourceName:      runner.LeaseName,
		ResourceNamespace: runner.LeaseNamespace,
	}
	options.BindLeaderElectionFlags(&ef.cfg, fs)
	ef.fs = fs
}

// flagOfField maps spec.elector fields to the flags that set them, so that
// a validation message about a flag's value names the flag.
var flagOfField = map[string]string{
	"spec.elector.leaseDuration": "--leader-elect-lease-duration",
	"spec.elector.renewDeadline": "--leader-elect-renew-deadline",
	"spec.elector.retryPeriod":   "--leader-elect-retry-period",
}

// apply writes the explicitly set flags into sc and validates the result.
func (ef *electorFlags) apply(sc *scenarios.Scenario, file string) error {
	changed := func(name string) bool { return ef.fs != nil && ef.fs.Changed(name) }
	if changed("leader-elect") && !ef.cfg.LeaderElect {
		return badInput("--leader-elect=false: a simulation of leader election needs leader election; expected true or no flag")
	}
	if changed("leader-elect-resource-lock") && ef.cfg.ResourceLock != "leases" {
		return badInput("--leader-elect-resource-lock=%s: only Lease objects are simulated; expected leases", ef.cfg.ResourceLock)
	}
	any := false
	set := func(flag string, dst **metav1.Duration, v time.Duration) {
		if changed(flag) {
			*dst = &metav1.Duration{Duration: v}
			any = true
		}
	}
	e := &sc.Spec.Elector
	set("leader-elect-lease-duration", &e.LeaseDuration, ef.cfg.LeaseDuration.Duration)
	set("leader-elect-renew-deadline", &e.RenewDeadline, ef.cfg.RenewDeadline.Duration)
	set("leader-elect-retry-period", &e.RetryPeriod, ef.cfg.RetryPeriod.Duration)
	if !any {
		return nil
	}
	if errs := sc.Validate(); len(errs) > 0 {
		msg := scenarios.Message(errs[0])
		for field, flag := range flagOfField {
			if strings.HasPrefix(msg, field+":") {
				msg = field + " (" + flag + ")" + strings.TrimPrefix(msg, field)
			}
		}
		return badInput("%s: %s", file, msg)
	}
	return nil
}

// scenarioName is how messages name where a scenario came from.
func scenarioName(args []string, src *scenarioSource) string {
	if len(args) > 0 {
		return args[0]
	}
	if src.scenario != "" {
		return src.scenario
	}
	return scenarios.DefaultName
}

// seedFlag is an optional --seed.
type seedFlag struct {
	seed uint64
	fs   *pflag.FlagSet
}

func (s *seedFlag) addFlags(fs *pflag.FlagSet, usage string) {
	fs.Uint64Var(&s.seed, "seed", 0, usage)
	s.fs = fs
}

// get returns the seed if --seed was given.
func (s *seedFlag) get() *uint64 {
	if s.fs == nil || !s.fs.Changed("seed") {
		return nil
	}
	v := s.seed
	return &v
}

func cmdLine(cmd *cobra.Command, args []string) string {
	parts := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		parts = append(parts, fmt.Sprintf("--%s=%s", f.Name, f.Value.String()))
	})
	return strings.Join(append(parts, args...), " ")
}

// changedTimings says whether any timing flag was given.
func (ef *electorFlags) changedTimings() bool {
	if ef.fs == nil {
		return false
	}
	return ef.fs.Changed("leader-elect-lease-duration") || ef.fs.Changed("leader-elect-renew-deadline") || ef.fs.Changed("leader-elect-retry-period")
}
