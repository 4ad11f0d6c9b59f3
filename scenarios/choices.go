package scenarios

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/lesim/lesim/sim"
)

// PinnedChoice fixes one nondeterministic choice of a run (sim.Choice):
// the n-th choice of its kind about its subject takes this value instead
// of the seeded draw (clamped into the choice's bounds). A worst-case
// search writes the schedule it found as pinned choices, so that running
// the file reproduces it exactly; choices not pinned keep their draws.
type PinnedChoice struct {
	// Kind is the sim.ChoiceKind name: jitter, request, response,
	// service, error, stale.
	Kind string `json:"kind"`
	// Node is the node the choice is about (empty for the server's own
	// choices: service, error, stale).
	Node string `json:"node,omitempty"`
	// N counts the earlier choices of the same kind and node, from 0.
	N int `json:"index"`
	// Value is a duration choice's value.
	Value *metav1.Duration `json:"value,omitempty"`
	// Pick is an error choice's value (0 for none, i for the i-th rule
	// matching the request's op) or a tie's (0: the renew tick wins the
	// race with the poll's deadline, 1: the deadline does).
	Pick *int64 `json:"pick,omitempty"`
}

// pinnableKinds are the kinds a file may pin: the choices a run makes.
var pinnableKinds = []sim.ChoiceKind{sim.ChoiceJitter, sim.ChoiceRequest, sim.ChoiceResponse, sim.ChoiceService, sim.ChoiceError, sim.ChoiceStale, sim.ChoiceTie,
	sim.ChoiceClockRate, sim.ChoiceFaultStart, sim.ChoiceFaultLength}

// PinChoices returns the pinned choices for values, in the order of keys
// (the order the run made them).
func PinChoices(keys []sim.ChoiceKey, values map[sim.ChoiceKey]int64) []PinnedChoice {
	out := make([]PinnedChoice, 0, len(keys))
	for _, k := range keys {
		v, ok := values[k]
		if !ok {
			continue
		}
		pc := PinnedChoice{Kind: k.Kind.String(), Node: k.Subject, N: k.N}
		if k.Kind.IsDuration() {
			pc.Value = &metav1.Duration{Duration: time.Duration(v)}
		} else {
			pc.Pick = &v
		}
		out = append(out, pc)
	}
	return out
}

// Pins returns the scenario's pinned choices as a map for sim.Pins (nil
// when there are none). The scenario must be valid.
func (s *Scenario) Pins() map[sim.ChoiceKey]int64 {
	if len(s.Spec.Choices) == 0 {
		return nil
	}
	m := make(map[sim.ChoiceKey]int64, len(s.Spec.Choices))
	for _, pc := range s.Spec.Choices {
		k, _ := sim.ParseChoiceKind(pc.Kind)
		v := int64(0)
		if pc.Value != nil {
			v = int64(pc.Value.Duration)
		} else if pc.Pick != nil {
			v = *pc.Pick
		}
		m[sim.ChoiceKey{Kind: k, Subject: pc.Node, N: pc.N}] = v
	}
	return m
}

// choices validates spec.choices.
func (v *validator) choices(p *field.Path) {
	seen := make(map[sim.ChoiceKey]bool)
	for i, pc := range v.s.Spec.Choices {
		pi := p.Index(i)
		k, ok := sim.ParseChoiceKind(pc.Kind)
		if ok && !pinnable(k) {
			ok = false
		}
		if !ok {
			v.add(field.NotSupported(pi.Child("kind"), pc.Kind, kindNames()))
			continue
		}
		perNode := k == sim.ChoiceJitter || k == sim.ChoiceRequest || k == sim.ChoiceResponse || k == sim.ChoiceTie || k == sim.ChoiceClockRate
		perFault := k == sim.ChoiceFaultStart || k == sim.ChoiceFaultLength
		switch {
		case perFault && !v.isFaultSubject(pc.Node):
			v.add(field.Invalid(pi.Child("node"), pc.Node, fmt.Sprintf("%q names no fault; expected faults[i], i the index of a fault in spec.faults", pc.Node)))
		case perFault:
		case perNode && v.s.NodeIndex(pc.Node) < 0:
			v.add(field.Invalid(pi.Child("node"), pc.Node, fmt.Sprintf("node %q is not in spec.nodes; expected the name of one of its nodes", pc.Node)))
		case !perNode && pc.Node != "":
			v.add(field.Invalid(pi.Child("node"), pc.Node, fmt.Sprintf("a %s choice is the server's: expected no node", pc.Kind)))
		}
		if pc.N < 0 {
			v.add(field.Invalid(pi.Child("index"), pc.N, fmt.Sprintf("index %d: expected 0 or more", pc.N)))
		}
		v.choiceValue(pi, k, pc)
		key := sim.ChoiceKey{Kind: k, Subject: pc.Node, N: pc.N}
		if seen[key] {
			v.add(field.Duplicate(pi, key.String()))
		}
		seen[key] = true
	}
}

func (v *validator) choiceValue(p *field.Path, k sim.ChoiceKind, pc PinnedChoice) {
	if k.IsDuration() {
		switch {
		case pc.Pick != nil:
			v.add(field.Invalid(p.Child("pick"), *pc.Pick, fmt.Sprintf("a %s choice is a duration: expected value, not pick", pc.Kind)))
		case pc.Value == nil:
			v.add(field.Required(p.Child("value"), "a duration of 0s or more"))
		case pc.Value.Duration < 0:
			v.add(field.Invalid(p.Child("value"), fmtDur(pc.Value.Duration), fmt.Sprintf("value %s: expected a duration of 0s or more", fmtDur(pc.Value.Duration))))
		}
		return
	}
	switch {
	case pc.Value != nil:
		v.add(field.Invalid(p.Child("value"), fmtDur(pc.Value.Duration), fmt.Sprintf("a %s choice is a number: expected pick, not value", pc.Kind)))
	case pc.Pick == nil:
		v.add(field.Required(p.Child("pick"), "0 (no error) or the index, from 1, of a matching rule"))
	case *pc.Pick < 0:
		v.add(field.Invalid(p.Child("pick"), *pc.Pick, fmt.Sprintf("pick %d: expected 0 or more", *pc.Pick)))
	}
}

func pinnable(k sim.ChoiceKind) bool {
	for _, x := range pinnableKinds {
		if x == k {
			return true
		}
	}
	return false
}

func kindNames() []string {
	out := make([]string, len(pinnableKinds))
	for i, k := range pinnableKinds {
		out[i] = k.String()
	}
	return out
}

func (v *validator) isFaultSubject(s string) bool {
	for i := range v.s.Spec.Faults {
		if s == FaultSubject(i) {
			return true
		}
	}
	return false
}
