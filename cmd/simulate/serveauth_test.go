package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

// TestServeHostileClients puts a running serve through what a hostile or
// careless client sends: no token, a wrong token, another node's path, a
// form POST from a web page, a DNS-rebinding Host. Each must be refused
// and must not change the server's state.
func TestServeHostileClients(t *testing.T) {
	srv := startServe(t, "--nodes", "a,b")
	ctl := srv.controlToken(t)
	cfg, err := clientcmd.LoadFromFile(srv.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	tokA := cfg.AuthInfos[cfg.Contexts["a"].AuthInfo].Token
	leases := "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
	client := srv.client(t)
	do := func(method, path, host string, hdr map[string]string, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, "https://"+srv.addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	jsonCtl := map[string]string{"Authorization": "Bearer " + ctl, "Content-Type": "application/json"}
	for _, tc := range []struct {
		name, method, path, host string
		hdr                      map[string]string
		body                     string
		want                     int
		wantBody                 string
	}{
		{"api without token", "GET", leases, "", nil, "", 401, `"reason":"Unauthorized"`},
		{"api with wrong token", "GET", leases, "", bearer("AAAAAAAAAAAAAAAAAAAAAAAAAA"), "", 401, `"code":401`},
		{"api with the control token", "GET", leases, "", bearer(ctl), "", 401, "Unauthorized"},
		{"api with basic auth", "GET", leases, "", map[string]string{"Authorization": "Basic " + tokA}, "", 401, "Unauthorized"},
		{"unknown node prefix", "GET", "/nodes/zz" + leases, "", bearer(tokA), "", 404, "NotFound"},
		{"other node's prefix", "GET", "/nodes/b" + leases, "", bearer(tokA), "", 404, "NotFound"},
		{"control without token", "POST", "/lesim/v1/outage", "", map[string]string{"Content-Type": "application/json"}, `{"mode":"refuse"}`, 401, "Unauthorized"},
		{"control with a node token", "GET", "/lesim/v1/counts", "", bearer(tokA), "", 401, "Unauthorized"},
		{"form POST from a page", "POST", "/lesim/v1/outage", "", map[string]string{"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"}, "mode=refuse", 403, "Origin"},
		{"form POST with the token", "POST", "/lesim/v1/outage", "", map[string]string{"Authorization": "Bearer " + ctl, "Content-Type": "application/x-www-form-urlencoded"}, "mode=refuse", 415, "expected application/json"},
		{"query POST with the token", "POST", "/lesim/v1/outage?mode=refuse", "", jsonCtl, "", 415, "expected a JSON object"},
		{"unknown JSON field", "POST", "/lesim/v1/outage", "", jsonCtl, `{"mode":"refuse","evil":1}`, 415, "unknown field"},
		{"JSON with the token and an Origin", "POST", "/lesim/v1/outage", "", map[string]string{"Authorization": "Bearer " + ctl, "Content-Type": "application/json", "Origin": "null"}, `{"mode":"refuse"}`, 403, "Origin"},
		{"DNS rebinding Host", "POST", "/lesim/v1/outage", "evil.example:80", jsonCtl, `{"mode":"refuse"}`, 403, "not this server's address"},
		{"DNS rebinding Host on the API", "GET", leases, "rebind.example", bearer(tokA), "", 403, "not this server's address"},
		{"oversized control body", "POST", "/lesim/v1/outage", "", jsonCtl, `{"mode":"` + strings.Repeat("x", 8<<10) + `"}`, 415, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(tc.method, tc.path, tc.host, tc.hdr, tc.body)
			if code != tc.want || !strings.Contains(body, tc.wantBody) {
				t.Errorf("%d %q, want %d with %q", code, body, tc.want, tc.wantBody)
			}
		})
	}
	// Plain HTTP gets no further than the TLS handshake.
	if resp, err := http.Get("http://" + srv.addr + leases); err == nil {
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP: %d, want 400 (client sent an HTTP request to an HTTPS server)", resp.StatusCode)
		}
		resp.Body.Close()
	}
	// None of the refused requests injected an outage: the API answers.
	if code, body := do("GET", leases, "", bearer(tokA), ""); code != 200 {
		t.Fatalf("after the hostile requests, the API answers %d %s", code, body)
	}
	if logHas(srv.log.Lines(), "control: outage") {
		t.Error("a refused request injected an outage")
	}
	// The legitimate forms work: a JSON POST with the token and the
	// server's Host, under localhost too.
	if code, body := do("POST", "/lesim/v1/outage", "", jsonCtl, `{"mode":"refuse","duration":"1ms"}`); code != 200 {
		t.Errorf("JSON POST with the token: %d %s", code, body)
	}
	_, port, _ := net.SplitHostPort(srv.addr)
	if code, body := do("GET", "/lesim/v1/counts", "localhost:"+port, bearer(ctl), ""); code != 200 {
		t.Errorf("GET counts with Host localhost: %d %s", code, body)
	}
}

// TestServeCutsOffTrickledBody: a client that sends its body a byte at a
// time is cut off by the read timeout instead of holding the connection.
// The server is serve's own (newHTTPServer) with the timeout shortened.
func TestServeCutsOffTrickledBody(t *testing.T) {
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusRequestTimeout)
		}
	}))
	if srv.ReadTimeout != serveReadTimeout || srv.ReadHeaderTimeout != serveReadHeaderTimeout || srv.IdleTimeout != serveIdleTimeout || srv.WriteTimeout != 0 {
		t.Fatalf("timeouts %v %v %v %v", srv.ReadTimeout, srv.ReadHeaderTimeout, srv.IdleTimeout, srv.WriteTimeout)
	}
	srv.ReadTimeout = 300 * time.Millisecond
	ts := httptest.NewUnstartedServer(srv.Handler)
	ts.Config = srv
	ts.Start()
	defer ts.Close()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			if _, err := conn.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	conn.SetReadDeadline(time.Now().Add(4 * time.Second))
	br := bufio.NewReader(conn)
	_, err = http.ReadResponse(br, nil)
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("the trickled request held the connection %v (err %v)", el, err)
	}
	conn.Close()
	<-done
	// A body over the limit is refused too.
	big := strings.NewReader(strings.Repeat("x", serveMaxBody+1))
	resp, err := http.Post(ts.URL, "application/octet-stream", big)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Error("a body over serveMaxBody was read whole")
	}
}
