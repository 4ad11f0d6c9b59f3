package rest

import (
	"net/http"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/lesim/lesim/fakeapi"
)

const ns = "kube-system"

// clientset is a real typed clientset reaching h in-process as node.
func clientset(t testing.TB, h http.Handler, node string, timeout time.Duration) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(RESTConfig(h, node, timeout))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func newChaos(t testing.TB, next http.Handler, cfg ChaosConfig) *Chaos {
	t.Helper()
	c, err := NewChaos(next, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func lease(name, holder string) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr.To(holder),
			LeaseDurationSeconds: ptr.To[int32](15),
		},
	}
}

// holder reads the stored holder of ns/name through h's lock.
func holder(h *Handler, name string) string {
	var out string
	h.WithStore(func(st *fakeapi.Store) {
		if l := st.Peek(ns, name); l != nil && l.Spec.HolderIdentity != nil {
			out = *l.Spec.HolderIdentity
		}
	})
	return out
}

// events collects a Chaos's log.
type events struct {
	mu  sync.Mutex
	evs []Event
}

func (e *events) log(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev)
}

func (e *events) all() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.evs...)
}
