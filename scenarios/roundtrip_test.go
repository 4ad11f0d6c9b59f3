package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"pgregory.net/rapid"
)

// The generators below reach every field, with values both valid and not,
// so that the round trip is checked for scenarios Parse rejects too.

func wildOpt[T any](g *rapid.Generator[T]) *rapid.Generator[*T] {
	return rapid.Custom(func(t *rapid.T) *T {
		if !rapid.Bool().Draw(t, "set") {
			return nil
		}
		v := g.Draw(t, "value")
		return &v
	})
}

var (
	wildDur = rapid.Custom(func(t *rapid.T) metav1.Duration {
		return metav1.Duration{Duration: rapid.OneOf(
			rapid.SampledFrom([]time.Duration{0, time.Second, 2 * time.Second, 10 * time.Second, 15 * time.Second, time.Minute}),
			rapid.Map(rapid.Int64Range(-int64(time.Hour), int64(time.Hour)), func(n int64) time.Duration { return time.Duration(n) }),
		).Draw(t, "d")}
	})
	wildOptDur   = wildOpt(wildDur)
	wildFloat    = rapid.OneOf(rapid.SampledFrom([]float64{0, 0.5, 1, 1.2, 1.3}), rapid.Float64Range(-5, 5))
	wildOptFloat = wildOpt(wildFloat)
	// wildText is any text but what YAML turns into line breaks on reading
	// (NEL, CR, LS, PS), which validation rejects.
	wildText = rapid.StringOf(rapid.Rune().Filter(func(r rune) bool {
		return r != '\u0085' && r != '\r' && r != '\u2028' && r != '\u2029'
	}))
	wildName = rapid.OneOf(rapid.SampledFrom([]string{"a", "b", "c"}), rapid.StringMatching(`[a-z]([a-z0-9-]{0,6}[a-z0-9])?`))
)

func wildEnum[T ~string](valid []T) *rapid.Generator[T] {
	return rapid.OneOf(rapid.SampledFrom(valid), rapid.SampledFrom([]T{"", "bogus"}))
}

var wildDistribution = rapid.Custom(func(t *rapid.T) Distribution {
	return Distribution{
		Type:   wildEnum(DistributionTypes()).Draw(t, "type"),
		Value:  wildOptDur.Draw(t, "value"),
		Min:    wildOptDur.Draw(t, "min"),
		Max:    wildOptDur.Draw(t, "max"),
		Mean:   wildOptDur.Draw(t, "mean"),
		Stddev: wildOptDur.Draw(t, "stddev"),
		Median: wildOptDur.Draw(t, "median"),
		Sigma:  wildOptFloat.Draw(t, "sigma"),
		Scale:  wildOptDur.Draw(t, "scale"),
		Shape:  wildOptFloat.Draw(t, "shape"),
	}
})

var wildOptDistribution = wildOpt(wildDistribution)

var wildElector = rapid.Custom(func(t *rapid.T) Elector {
	return Elector{
		Variant:         wildEnum(Variants()).Draw(t, "variant"),
		LeaseDuration:   wildOptDur.Draw(t, "ld"),
		RenewDeadline:   wildOptDur.Draw(t, "rd"),
		RetryPeriod:     wildOptDur.Draw(t, "rp"),
		ReleaseOnCancel: wildOpt(rapid.Bool()).Draw(t, "release"),
		Coordinated:     wildOpt(rapid.Bool()).Draw(t, "coordinated"),
		CallbackDelay:   wildOptDur.Draw(t, "callbackDelay"),
	}
})

var wildRestart = rapid.Custom(func(t *rapid.T) Restart {
	return Restart{Policy: wildEnum(RestartPolicies()).Draw(t, "policy"), Delay: wildOptDur.Draw(t, "delay")}
})

var wildLatency = rapid.Custom(func(t *rapid.T) Latency {
	return Latency{Request: wildOptDistribution.Draw(t, "request"), Response: wildOptDistribution.Draw(t, "response")}
})

var wildNode = rapid.Custom(func(t *rapid.T) Node {
	n := Node{
		Name:     wildName.Draw(t, "name"),
		Start:    wildDur.Draw(t, "start"),
		Identity: wildEnum(Identities()).Draw(t, "identity"),
		Latency:  wildOpt(wildLatency).Draw(t, "latency"),
		Elector:  wildOpt(wildElector).Draw(t, "elector"),
		Client:   wildOpt(rapid.Custom(func(t *rapid.T) Client { return Client{RequestTimeout: wildOptDur.Draw(t, "rt")} })).Draw(t, "client"),
		Restart:  wildOpt(wildRestart).Draw(t, "restart"),
	}
	if rapid.Bool().Draw(t, "clock") {
		n.Clock = &Clock{
			Rate:   wildOptFloat.Draw(t, "rate"),
			Offset: wildDur.Draw(t, "offset"),
			Schedule: rapid.SliceOfN(rapid.Custom(func(t *rapid.T) RateChange {
				return RateChange{At: wildDur.Draw(t, "at"), Rate: wildOptFloat.Draw(t, "rate")}
			}), 0, 3).Draw(t, "schedule"),
		}
	}
	return n
})

var wildFault = rapid.Custom(func(t *rapid.T) Fault {
	return Fault{
		Type:         wildEnum(FaultTypes()).Draw(t, "type"),
		At:           wildDur.Draw(t, "at"),
		Duration:     wildOptDur.Draw(t, "duration"),
		Nodes:        rapid.SliceOfN(wildName, 0, 3).Draw(t, "nodes"),
		Mode:         wildEnum(append(PartitionModes(), ModeHang)).Draw(t, "mode"),
		RestartAfter: wildOptDur.Draw(t, "restartAfter"),
		Rate:         wildOptFloat.Draw(t, "rate"),
		Jump:         wildOptDur.Draw(t, "jump"),
		Request:      wildOptDistribution.Draw(t, "request"),
		Response:     wildOptDistribution.Draw(t, "response"),
		MaxLag:       wildOptDur.Draw(t, "maxLag"),
	}
})

var wildScenario = rapid.Custom(func(t *rapid.T) *Scenario {
	s := &Scenario{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind},
		Metadata: ObjectMeta{
			Name:        rapid.OneOf(rapid.Just(""), wildName).Draw(t, "name"),
			Annotations: rapid.MapOfN(rapid.SampledFrom([]string{DescriptionAnnotation, "x", "not a key"}), wildText, 0, 2).Draw(t, "annotations"),
		},
		Spec: Spec{
			Seed: wildOpt(rapid.Uint64()).Draw(t, "seed"),
			Duration: wildOpt(rapid.Custom(func(t *rapid.T) metav1.Duration {
				return metav1.Duration{Duration: rapid.SampledFrom([]time.Duration{time.Minute, 10 * time.Minute, time.Hour}).Draw(t, "d")}
			})).Draw(t, "duration"),
			Elector: wildElector.Draw(t, "elector"),
			Client:  Client{RequestTimeout: wildOptDur.Draw(t, "requestTimeout")},
			API: API{
				Latency: wildLatency.Draw(t, "latency"),
				Errors: rapid.SliceOfN(rapid.Custom(func(t *rapid.T) ErrorRule {
					return ErrorRule{
						Op:          wildEnum(Ops()).Draw(t, "op"),
						Kind:        wildEnum(ErrorKinds()).Draw(t, "kind"),
						Probability: wildOpt(rapid.Float64Range(-0.5, 1.5)).Draw(t, "p"),
						RetryAfter:  wildOptDur.Draw(t, "retryAfter"),
					}
				}), 0, 3).Draw(t, "errors"),
				ServiceTime: wildOptDistribution.Draw(t, "serviceTime"),
			},
			Restart: wildRestart.Draw(t, "restart"),
			Nodes:   rapid.SliceOfN(wildNode, 0, 4).Draw(t, "nodes"),
			Faults:  rapid.SliceOfN(wildFault, 0, 4).Draw(t, "faults"),
			Workload: wildOpt(rapid.Custom(func(t *rapid.T) Workload {
				return Workload{Period: wildOptDur.Draw(t, "period"), Fencing: rapid.Bool().Draw(t, "fencing"), Drain: wildDur.Draw(t, "drain")}
			})).Draw(t, "workload"),
			Expect: Expect{
				MaxOverlap:             wildOptDur.Draw(t, "maxOverlap"),
				MaxLeaderless:          wildOptDur.Draw(t, "maxLeaderless"),
				MaxFailover:            wildOptDur.Draw(t, "maxFailover"),
				MaxSpuriousTransitions: wildOpt(rapid.IntRange(-1, 5)).Draw(t, "maxSpurious"),
				MaxUnsafeWrites:        wildOpt(rapid.IntRange(-1, 5)).Draw(t, "maxUnsafe"),
			},
		},
	}
	return s
})

// TestRoundTrip: whatever a scenario holds, Marshal writes YAML that
// decodes back to it; when it is valid, Parse reads it back equal.
func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := wildScenario.Draw(t, "scenario")
		Default(s)
		out, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := decode("gen.yaml", out)
		if err != nil {
			t.Fatalf("decode: %v\n%s", err, out)
		}
		Default(back)
		if diff := cmp.Diff(s, back); diff != "" {
			t.Fatalf("decode round trip (-before +after):\n%s\n%s", diff, out)
		}
		errs := s.Validate()
		parsed, err := Parse("gen.yaml", out)
		if len(errs) > 0 {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Errors) != len(errs) {
				t.Fatalf("Validate found %d problems, Parse said %v", len(errs), err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("message is not one line: %q", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Parse rejected a valid scenario: %v\n%s", err, out)
		}
		if diff := cmp.Diff(s, parsed); diff != "" {
			t.Fatalf("Parse round trip (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(s, s.Clone()); diff != "" {
			t.Fatalf("Clone differs:\n%s", diff)
		}
	})
}

// TestRoundTripValid makes sure the valid branch above is exercised with
// rich scenarios, not only with the rare valid draws of the wild generator.
func TestRoundTripValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := New()
		s.Spec.Seed = wildOpt(rapid.Uint64()).Draw(t, "seed")
		s.Spec.Elector.ReleaseOnCancel = wildOpt(rapid.Bool()).Draw(t, "release")
		rp := rapid.Int64Range(1, int64(5*time.Second)).Draw(t, "rp")
		rd := rapid.Int64Range(int64(float64(rp)*JitterFactor)+1, int64(20*time.Second)).Draw(t, "rd")
		ld := rapid.Int64Range(rd+1, int64(time.Minute)).Draw(t, "ld")
		s.Spec.Elector.RetryPeriod, s.Spec.Elector.RenewDeadline, s.Spec.Elector.LeaseDuration = Dur(time.Duration(rp)), Dur(time.Duration(rd)), Dur(time.Duration(ld))
		for i := range s.Spec.Nodes {
			if rapid.Bool().Draw(t, "skew") {
				r := rapid.Float64Range(0.5, 2).Draw(t, "rate")
				s.Spec.Nodes[i].Clock = &Clock{Rate: &r, Offset: wildDur.Draw(t, "offset")}
			}
			s.Spec.Nodes[i].Start = metav1.Duration{Duration: time.Duration(rapid.Int64Range(0, int64(time.Minute)).Draw(t, "start"))}
		}
		for range rapid.IntRange(0, 3).Draw(t, "faults") {
			at := time.Duration(rapid.Int64Range(0, int64(5*time.Minute)).Draw(t, "at"))
			node := rapid.SampledFrom(DefaultNodeNames()).Draw(t, "node")
			s.Spec.Faults = append(s.Spec.Faults, rapid.SampledFrom([]Fault{
				{Type: FaultCrash, At: metav1.Duration{Duration: at}, Nodes: []string{node}},
				{Type: FaultPartition, At: metav1.Duration{Duration: at}, Duration: Dur(time.Minute), Nodes: []string{node}, Mode: ModeDropResponses},
				{Type: FaultClockJump, At: metav1.Duration{Duration: at}, Nodes: []string{node}, Jump: Dur(-time.Hour)},
			}).Draw(t, "fault"))
		}
		Default(s)
		if errs := s.Validate(); len(errs) > 0 {
			t.Fatalf("generated an invalid scenario: %v", errs)
		}
		out, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse("gen.yaml", out)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if diff := cmp.Diff(s, back); diff != "" {
			t.Fatalf("round trip (-before +after):\n%s", diff)
		}
	})
}
