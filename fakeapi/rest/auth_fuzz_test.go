package rest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lesim/lesim/fakeapi"
)

// FuzzAuthenticatedHandler sends arbitrary requests through Authenticate
// over the REST handler: nothing panics, a request without a node's token
// is 401 whatever else it carries, a path naming a node is never served,
// and no answer is a server error.
func FuzzAuthenticatedHandler(f *testing.F) {
	const tok = "TOKENAAAAAAAAAAAAAAAAAAAAA"
	f.Add("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x", "Bearer "+tok, "")
	f.Add("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", "Bearer "+tok, `{"metadata":{"name":"x"}}`)
	f.Add("PUT", "/nodes/b/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x", "Bearer "+tok, `{}`)
	f.Add("GET", "/apis", "", "")
	f.Add("DELETE", "/api/v1", "bearer  "+tok+" ", "")
	f.Fuzz(func(t *testing.T, method, path, auth, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(method, " \t\r\n") || method == "" {
			t.Skip()
		}
		h := Authenticate(NewHandler(fakeapi.NewStore(nil)), map[string]string{tok: "a"})
		req, err := http.NewRequest(method, "http://x"+path, bytes.NewReader([]byte(body)))
		if err != nil {
			t.Skip()
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		got, hasTok := BearerToken(req)
		switch {
		case !hasTok || got != tok:
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("%s %s with %q: %d, want 401", method, path, auth, w.Code)
			}
		case strings.HasPrefix(req.URL.Path, nodesPrefix) && w.Code != http.StatusNotFound:
			t.Fatalf("%s %s: a node path was served (%d)", method, path, w.Code)
		case w.Code >= 500:
			t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
	})
}
