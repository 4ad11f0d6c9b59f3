package probe

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
)

// hook records the reports it gets and the bearer token they carry.
type hook struct {
	mu      sync.Mutex
	reports []map[string]any
	tokens  []string
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m map[string]any
	json.NewDecoder(r.Body).Decode(&m)
	h.mu.Lock()
	h.reports = append(h.reports, m)
	h.tokens = append(h.tokens, r.Header.Get("Authorization"))
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *hook) events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.reports {
		out = append(out, r["event"].(string))
	}
	return out
}

// Under serve (the environment names the hook) the wrapped callbacks
// report started-leading before the program's own callback runs and
// stopped-leading when the leading context is cancelled, with the
// kubeconfig's token, the identity, the node and a monotonic stamp; the
// program's callbacks still run.
func TestWrapReportsUnderServe(t *testing.T) {
	h := &hook{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	t.Setenv(EnvCallbackURL, srv.URL+"/lesim/v1/callbacks")
	t.Setenv(EnvNode, "a")
	var started, stopped bool
	cb := Wrap(&rest.Config{Host: srv.URL, BearerToken: "tok"}, "a_1", leaderelection.LeaderCallbacks{
		OnStartedLeading: func(context.Context) {
			if got := h.events(); len(got) != 1 {
				t.Errorf("the program's callback ran before the report: %v", got)
			}
			started = true
		},
		OnStoppedLeading: func() { stopped = true },
	})
	ctx, cancel := context.WithCancel(context.Background())
	cb.OnStartedLeading(ctx)
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for len(h.events()) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cb.OnStoppedLeading()
	got := h.events()
	if len(got) != 3 || got[0] != StartedLeading || got[1] != StoppedLeading || got[2] != StoppedLeading || !started || !stopped {
		t.Fatalf("events %v, program's callbacks ran: %v %v", got, started, stopped)
	}
	r := h.reports[0]
	if r["identity"] != "a_1" || r["node"] != "a" || r["monotonicNanos"].(float64) <= 0 || h.tokens[0] != "Bearer tok" {
		t.Errorf("report %v with %q", r, h.tokens[0])
	}
}

// Outside serve nothing is reported and the callbacks are the program's.
func TestWrapOutsideServeReportsNothing(t *testing.T) {
	h := &hook{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	t.Setenv(EnvCallbackURL, "")
	ran := false
	cb := Wrap(&rest.Config{Host: srv.URL}, "a_1", leaderelection.LeaderCallbacks{OnStartedLeading: func(context.Context) { ran = true }})
	cb.OnStartedLeading(context.Background())
	if !ran || cb.OnStoppedLeading != nil || FromEnv(&rest.Config{Host: srv.URL}, "a_1") != nil {
		t.Fatal("outside serve the callbacks changed, or a reporter was made")
	}
	time.Sleep(50 * time.Millisecond)
	if got := h.events(); len(got) != 0 {
		t.Fatalf("reported outside serve: %v", got)
	}
}

// Lead reports a runnable's leadership; a nil Reporter only waits.
func TestLead(t *testing.T) {
	h := &hook{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	t.Setenv(EnvCallbackURL, srv.URL+"/lesim/v1/callbacks")
	r := FromEnv(&rest.Config{Host: srv.URL}, "m_1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Lead(ctx)
	if got := h.events(); len(got) != 2 || got[0] != StartedLeading || got[1] != StoppedLeading {
		t.Fatalf("events %v", got)
	}
	var none *Reporter
	none.Lead(ctx)
}
