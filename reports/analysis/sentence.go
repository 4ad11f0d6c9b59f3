package analysis

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/runner"
)

// Sentence states an episode's causal chain in numbers, from the
// analysis's events and beliefs: why the next leader could take the lease
// when it did, and why the old one stopped when it did.
func Sentence(ep *Episode, a *Analysis) string {
	var parts []string
	switch ep.Kind {
	case KindOverlap:
		parts = append(parts, takeover(ep, a)...)
		parts = append(parts, stepDown(ep, a))
		return strings.Join(parts, "; ") + fmt.Sprintf(": %s of overlap.", secs(ep.End-ep.Start))
	case KindFailover:
		parts = append(parts, stepDown(ep, a))
		if !ep.HasNew {
			for _, f := range ep.Faults {
				if f.End > f.Start && !slices.Contains(f.Nodes, ep.Old.Node) {
					parts = append(parts, fmt.Sprintf("meanwhile %s from %s to %s", faultPhrase(f), at(f.Start), at(f.End)))
				}
			}
			return strings.Join(parts, "; ") + fmt.Sprintf("; nobody took over before the run ended: %s without a leader.", secs(ep.End-ep.Start))
		}
		parts = append(parts, takeover(ep, a)...)
		return strings.Join(parts, "; ") + fmt.Sprintf(": %s without a leader.", secs(ep.End-ep.Start))
	default:
		s := stepDown(ep, a) + ", with no crash, stop or pause of " + ep.Old.Node
		if ep.HasNew {
			s += fmt.Sprintf("; %s took the lease at %s", ep.New.Node, at(ep.New.Start))
		}
		return s + "."
	}
}

// takeover says why the new leader could take the lease: the old lease
// expired on its clock, or it saw the lease released.
func takeover(ep *Episode, a *Analysis) []string {
	n, o := ep.New, ep.Old
	if !ep.HasNew {
		return nil
	}
	if t, ok := a.firstFrom(n.Node, ObservedKind, o.Cancelled, "holder", ""); ok && t <= n.Start {
		return []string{fmt.Sprintf("%s saw the lease released at %s and took it at %s", n.Node, at(t), at(n.Start))}
	}
	b, ok := lastBelief(a.Beliefs, n.Node, o.Identity, n.Start)
	if !ok {
		return []string{fmt.Sprintf("%s took the lease at %s (no observation of %s's lease by %s in the trace)", n.Node, at(n.Start), o.Node, n.Node)}
	}
	lease := time.Duration(b.LeaseSeconds) * time.Second
	return []string{
		fmt.Sprintf("%s last saw %s's lease change at %s", n.Node, o.Node, at(b.LastSeen)),
		fmt.Sprintf("at rate %s its %s lease expired after %s true, at %s", rate(b.Rate), secs(lease), secs(b.Expires-b.LastSeen), at(b.Expires)),
		fmt.Sprintf("%s took the lease at %s", n.Node, at(n.Start)),
	}
}

// stepDown says why and when the old leader stopped leading.
func stepDown(ep *Episode, a *Analysis) string {
	o := ep.Old
	var s string
	switch o.EndReason {
	case "renew-failed":
		last, okLast := a.lastOf(o.Identity, "renewed", o.Cancelled)
		if !okLast {
			last = o.Start
		}
		if since, ok := a.firstOf(o.Identity, "call-sent", last); ok && since < o.Cancelled {
			s = fmt.Sprintf("%s's renewals had failed since %s and it stepped down at its renew deadline, %s", o.Node, at(since), at(o.Cancelled))
		} else {
			s = fmt.Sprintf("%s last renewed at %s and stepped down at its renew deadline, %s", o.Node, at(last), at(o.Cancelled))
		}
	case "stopped":
		s = fmt.Sprintf("%s was stopped and stopped leading at %s", o.Node, at(o.Cancelled))
		if t, ok := a.firstFrom("", runner.LeaseWrittenKind, o.Cancelled, "holder", ""); ok && t <= ep.End {
			s += fmt.Sprintf("; it released the lease, written at %s", at(t))
		}
	case "crashed":
		s = fmt.Sprintf("%s crashed at %s", o.Node, at(o.End))
	default:
		s = fmt.Sprintf("%s still led when the run ended, at %s", o.Node, at(o.End))
	}
	for _, p := range o.Paused {
		if p.End >= ep.Start-time.Second && p.Start <= ep.End {
			s = fmt.Sprintf("%s was paused from %s to %s; ", o.Node, at(p.Start), at(p.End)) + s
			break
		}
	}
	if o.End > o.Cancelled {
		s += fmt.Sprintf(", and its workload drained until %s", at(o.End))
	}
	return s
}

// faultPhrase is "a partition (refuse) of b" or "an apiOutage (refuse)".
func faultPhrase(f check.FaultWindow) string {
	s := f.Type
	if f.Note != "" {
		s += " (" + f.Note + ")"
	}
	if len(f.Nodes) > 0 {
		s += " of " + strings.Join(f.Nodes, ", ")
	}
	return s
}

func at(t time.Duration) string   { return secs(t) }
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
func rate(r float64) string       { return strconv.FormatFloat(r, 'g', 4, 64) }
