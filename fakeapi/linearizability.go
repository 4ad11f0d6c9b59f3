package fakeapi

import (
	"fmt"
	"time"

	"github.com/anishathalye/porcupine"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The linearizability model is a register per key whose value is the
// resourceVersion of the key's current object (0: absent). Because
// resourceVersions are unique per write, a register of versions is enough to
// pin down which write a read observed.
//
// Operations, as the client saw them:
//
//   - get: observes a version (or absence, NotFound);
//   - list: observes, per key of its namespace that the history ever wrote,
//     the version or absence — checked as one read per key over the same
//     interval (a projection: necessary for the atomic snapshot a list is,
//     not sufficient);
//   - create/update/delete whose answer reached the client: a CAS with that
//     answer (ok, Conflict, NotFound, AlreadyExists, Invalid);
//   - a write whose answer the client never got (timed out, aborted,
//     response lost, process gone, an injected error after the write) is
//     "may or may not have happened": its return time is the end of the
//     history, so the checker may place it anywhere after its invocation,
//     including after everything else. Where it is placed, it takes effect
//     exactly if its CAS holds there, with the version the server gave it.
//
// The server's own knowledge prunes what carries no information: requests
// the store never ran (dropped, refused, injected before applying) and
// unanswered writes the store rejected have no effect and are left out, as
// are injected errors (they are the fault model's answers, not the store's).

type linInput struct {
	key     string
	op      Op
	expect  uint64 // update: resourceVersion sent; delete: precondition (0: none)
	unknown bool   // the outcome never reached the client
	x       uint64 // unknown create/update: the version it wrote
	seq     uint64
}

type linOutput struct {
	reason metav1.StatusReason // "" for success
	rv     uint64
}

// LinearizabilityModel is the porcupine model of the store, partitioned by
// key; PorcupineOperations turns a history into its operations. Together
// with porcupine.CheckOperationsVerbose and porcupine.VisualizePath they
// draw a failing history.
func LinearizabilityModel() porcupine.Model {
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			var keys []string
			by := map[string][]porcupine.Operation{}
			for _, op := range h {
				k := op.Input.(linInput).key
				if _, ok := by[k]; !ok {
					keys = append(keys, k)
				}
				by[k] = append(by[k], op)
			}
			out := make([][]porcupine.Operation, 0, len(keys))
			for _, k := range keys {
				out = append(out, by[k])
			}
			return out
		},
		Init: func() any { return uint64(0) },
		Step: func(state, input, output any) (bool, any) {
			return linStep(state.(uint64), input.(linInput), output.(linOutput))
		},
		DescribeOperation: func(input, output any) string {
			in, out := input.(linInput), output.(linOutput)
			args := ""
			if in.expect != 0 {
				args = fmt.Sprintf("rv=%d", in.expect)
			}
			if in.unknown {
				return fmt.Sprintf("#%d %s(%s) -> ? (wrote %d if it happened)", in.seq, in.op, args, in.x)
			}
			res := fmt.Sprint(out.rv)
			if out.reason != "" {
				res = string(out.reason)
			}
			return fmt.Sprintf("#%d %s(%s) -> %s", in.seq, in.op, args, res)
		},
		DescribeState: func(state any) string {
			if state.(uint64) == 0 {
				return "absent"
			}
			return fmt.Sprintf("rv=%d", state.(uint64))
		},
	}
}

func linStep(s uint64, in linInput, out linOutput) (bool, any) {
	exists := s != 0
	if in.unknown {
		switch in.op {
		case OpCreate:
			if !exists {
				return true, in.x
			}
		case OpUpdate:
			if exists && s == in.expect {
				return true, in.x
			}
		case OpDelete:
			if exists && (in.expect == 0 || s == in.expect) {
				return true, uint64(0)
			}
		}
		return true, s
	}
	switch in.op {
	case OpGet, OpList:
		switch out.reason {
		case "":
			return s == out.rv, s
		case metav1.StatusReasonNotFound:
			return !exists, s
		}
	case OpCreate:
		switch out.reason {
		case "":
			return !exists, out.rv
		case metav1.StatusReasonAlreadyExists:
			return exists, s
		}
	case OpUpdate:
		switch out.reason {
		case "":
			return exists && s == in.expect, out.rv
		case metav1.StatusReasonConflict:
			return exists && in.expect != 0 && s != in.expect, s
		case metav1.StatusReasonNotFound:
			return !exists, s
		case metav1.StatusReasonInvalid:
			if in.expect == 0 {
				return exists, s
			}
		}
	case OpDelete:
		switch out.reason {
		case "":
			return exists && (in.expect == 0 || s == in.expect), uint64(0)
		case metav1.StatusReasonNotFound:
			return !exists, s
		case metav1.StatusReasonConflict:
			return exists && in.expect != 0 && s != in.expect, s
		}
	}
	// Other answers (bad requests) say nothing about the state.
	return true, s
}

// PorcupineOperations converts a history into porcupine operations for
// LinearizabilityModel (see there for what is kept and how). A write that
// sent a resourceVersion that is not a number is an error: the model would
// read it as no precondition at all.
func PorcupineOperations(h []Record) ([]porcupine.Operation, error) {
	for i := range h {
		if r := &h[i]; r.BadReqRV != "" {
			return nil, fmt.Errorf("history record %d (%s %s/%s): resourceVersion %q is not a number", r.Seq, r.Op, r.Namespace, r.Name, r.BadReqRV)
		}
	}
	var end time.Duration
	nsKeys := map[string][]string{} // namespace → keys written, first-seen order
	seen := map[string]bool{}
	clients := map[string]int{}
	for i := range h {
		r := &h[i]
		for _, t := range []time.Duration{r.Invoke, r.Apply, r.Return} {
			end = max(end, t)
		}
		if _, ok := clients[r.Node]; !ok {
			clients[r.Node] = len(clients)
		}
		if r.Op == OpCreate || r.Op == OpUpdate || r.Op == OpDelete {
			k := r.Namespace + "/" + r.Name
			if !seen[k] {
				seen[k] = true
				nsKeys[r.Namespace] = append(nsKeys[r.Namespace], k)
			}
		}
	}
	infinity := int64(end) + 1
	var ops []porcupine.Operation
	add := func(r *Record, in linInput, out linOutput, ret int64) {
		in.seq = r.Seq
		ops = append(ops, porcupine.Operation{
			ClientId: clients[r.Node],
			Input:    in,
			Call:     int64(r.Invoke),
			Output:   out,
			Return:   ret,
			Metadata: r.Seq,
		})
	}
	for i := range h {
		r := &h[i]
		key := r.Namespace + "/" + r.Name
		answered := r.Client == ClientReturned && r.Server == ServerApplied
		switch r.Op {
		case OpGet:
			if answered && (r.StoreErr == nil || apierrors.IsNotFound(r.StoreErr)) {
				add(r, linInput{key: key, op: OpGet}, linOutput{reason: apierrors.ReasonForError(r.StoreErr), rv: r.RV}, int64(r.Return))
			}
		case OpList:
			if !answered || r.StoreErr != nil {
				continue
			}
			got := map[string]uint64{}
			for _, it := range r.Items {
				got[r.Namespace+"/"+it.Name] = it.RV
			}
			for _, k := range nsKeys[r.Namespace] {
				out := linOutput{rv: got[k]}
				if out.rv == 0 {
					out.reason = metav1.StatusReasonNotFound
				}
				add(r, linInput{key: k, op: OpList}, out, int64(r.Return))
			}
		case OpCreate, OpUpdate, OpDelete:
			in := linInput{key: key, op: r.Op, expect: r.ReqRV}
			switch {
			case answered:
				add(r, in, linOutput{reason: apierrors.ReasonForError(r.StoreErr), rv: r.RV}, int64(r.Return))
			case r.Landed():
				in.unknown, in.x = true, r.RV
				add(r, in, linOutput{}, infinity)
			}
		}
	}
	return ops, nil
}

// CheckLinearizable checks a history (recorded with stale reads off: stale
// reads are not linearizable by design) against LinearizabilityModel. A
// timeout of 0 means none; on timeout the result is porcupine.Unknown. A
// history it cannot convert (PorcupineOperations) is an error.
func CheckLinearizable(h []Record, timeout time.Duration) (porcupine.CheckResult, error) {
	ops, err := PorcupineOperations(h)
	if err != nil {
		return porcupine.Illegal, err
	}
	return porcupine.CheckOperationsTimeout(LinearizabilityModel(), ops, timeout), nil
}
