package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func postCallback(t *testing.T, srv *servedServer, body string) int {
	t.Helper()
	// A process reports with its node's token, as it calls the Lease API.
	cfg, err := clientcmd.LoadFromFile(srv.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", "https://"+srv.addr+callbacksPath, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+cfg.AuthInfos[cfg.Contexts["a"].AuthInfo].Token)
	resp, err := srv.client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A callback without a node's token is refused, as the Lease API refuses it.
func TestServeCallbacksNeedANodeToken(t *testing.T) {
	srv := startServe(t)
	defer srv.stop(t)
	resp, err := srv.client(t).Post("https://"+srv.addr+callbacksPath, "application/json",
		bytes.NewBufferString(`{"identity":"a_1","node":"a","event":"started-leading","monotonicNanos":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("callback without a token: %d, want 401", resp.StatusCode)
	}
}

// serve logs each holder change, stamps leases with real creation times,
// and turns reported callbacks into the figures `simulate run` gives:
// a starts, b starts 200 ms later, a stops 500 ms after its start (300 ms
// of overlap), b stops at 800 ms and nobody follows.
func TestServeObservesCallbacks(t *testing.T) {
	before := time.Now().Add(-time.Second)
	srv := startServe(t)
	cfg, err := clientcmd.LoadFromFile(srv.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := clientcmd.NewNonInteractiveClientConfig(*cfg, "a", &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	holder := "a_1"
	l, err := cs.CoordinationV1().Leases("kube-system").Create(context.Background(), &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "obs"}, Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ct := l.CreationTimestamp.Time; ct.Before(before) || ct.After(time.Now().Add(time.Second)) {
		t.Errorf("creationTimestamp %v is not the time of creation (now %v)", ct, time.Now())
	}
	holder = "b_1"
	l.Spec.HolderIdentity = &holder
	if _, err := cs.CoordinationV1().Leases("kube-system").Update(context.Background(), l, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	m := monotonicNanos()
	ms := func(d int64) int64 { return m + d*int64(time.Millisecond) }
	for _, b := range []string{
		fmt.Sprintf(`{"identity":"a_1","node":"a","event":"started-leading","monotonicNanos":%d}`, ms(0)),
		fmt.Sprintf(`{"identity":"b_1","node":"b","event":"started-leading","monotonicNanos":%d}`, ms(200)),
		fmt.Sprintf(`{"identity":"a_1","node":"a","event":"stopped-leading","monotonicNanos":%d}`, ms(500)),
		fmt.Sprintf(`{"identity":"c_1","node":"c","event":"stopped-leading","monotonicNanos":%d}`, ms(600)), // never led: ignored
		fmt.Sprintf(`{"identity":"b_1","node":"b","event":"stopped-leading","monotonicNanos":%d}`, ms(800)),
	} {
		if code := postCallback(t, srv, b); code != http.StatusNoContent {
			t.Fatalf("callback %s: %d", b, code)
		}
	}
	for _, bad := range []string{`{"identity":"a_1","event":"elected"}`, `{"event":"started-leading"}`, `{"identity":"a","event":"started-leading","extra":1}`, `not json`} {
		if code := postCallback(t, srv, bad); code != http.StatusBadRequest {
			t.Errorf("callback %s: %d, want 400", bad, code)
		}
	}
	time.Sleep(time.Duration(ms(1000) - monotonicNanos())) // b's stop is in the past, nobody leads
	code, body := srv.control(t, "GET", controlPrefix+"summary")
	var s serveSummary
	if code != 200 || json.Unmarshal([]byte(body), &s) != nil {
		t.Fatalf("summary: %d %s", code, body)
	}
	if !s.Reported || len(s.Leadership) != 2 || math.Abs(s.OverlapSeconds-0.3) > 1e-6 || s.OverlapEpisodes != 1 || s.Transitions != 1 {
		t.Errorf("summary: %s", body)
	}
	// a -> b is an overlapping handover (a failover with its overlap and
	// no gap); b's loss is never restored.
	if len(s.Failovers) != 2 || s.Failovers[0].To != "b" || math.Abs(s.Failovers[0].OverlapSeconds-0.3) > 1e-6 || s.Failovers[0].HandoverGapSeconds != 0 ||
		s.Failovers[1].From != "b" || s.Failovers[1].To != "" || s.Failovers[1].Restored || len(s.Findings) != 2 {
		t.Errorf("failovers and findings: %s", body)
	}
	srv.stop(t)
	for _, want := range [][]string{
		{"serve: lease kube-system/obs holder - -> a_1 at "},
		{"serve: lease kube-system/obs holder a_1 -> b_1 at "},
		{"serve: a_1 (a) started-leading at "},
		{"serve: observed ", "2 leading interval(s); overlap 300ms in 1 episode(s)"},
		{"serve: failover a -> b: lost at ", "handover gap 0s"},
		{"serve: failover b -> -: lost at "},
		{"serve: FINDING: overlap: two leaders at once for 300ms"},
	} {
		if !logHas(srv.log.Lines(), want...) {
			t.Errorf("log lacks %q:\n%s", want, srv.log)
		}
	}
	if strings.Contains(srv.log.String(), "c_1 (c) stopped-leading") {
		t.Error("a stop of a process that never led was taken as an interval")
	}
}
