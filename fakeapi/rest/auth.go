package rest

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// NewToken returns a random bearer token (128 bits from crypto/rand, in
// base32 letters and digits, which a kubeconfig and an Authorization header
// carry unchanged).
func NewToken() string { return rand.Text() }

// Authenticate serves h only to requests that carry one of tokens as a
// bearer token (Authorization: Bearer TOKEN) and answers the others 401
// Unauthorized with a Status, as an API server does. tokens maps each
// token to the node it identifies: that node is the request's (NodeOf),
// whatever its path says, and a path with a /nodes/NODE/ prefix is not
// served (404), so no request can speak for another node.
func Authenticate(h http.Handler, tokens map[string]string) http.Handler {
	type entry struct{ token, node string }
	var known []entry
	for t, n := range tokens {
		known = append(known, entry{t, n})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := BearerToken(r)
		node, found := "", false
		if ok {
			// Compare against every token in constant time: the answer's
			// timing must not tell how much of a guess was right.
			for _, e := range known {
				if subtle.ConstantTimeCompare([]byte(got), []byte(e.token)) == 1 {
					node, found = e.node, true
				}
			}
		}
		if !found {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lesim"`)
			writeError(w, r, apierrors.NewUnauthorized("Unauthorized"))
			return
		}
		if _, _, prefixed := splitNode(r.URL.Path); prefixed {
			writeError(w, r, errPathNotFound())
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), nodeKey{}, node)))
	})
}

// BearerToken is the token of an Authorization: Bearer header.
func BearerToken(r *http.Request) (string, bool) {
	auth := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
