package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	"github.com/lesim/lesim/fakeapi/rest"
)

// Limits of serve's HTTP server: a client that trickles its headers or
// body, or holds an idle connection, is cut off; bodies are bounded (the
// API's own limit is the apiserver's 3 MiB, enforced by the handler).
const (
	serveReadHeaderTimeout = 5 * time.Second
	serveReadTimeout       = 10 * time.Second
	serveIdleTimeout       = 60 * time.Second
	serveMaxHeaderBytes    = 64 << 10
	serveMaxBody           = 4 << 20
	controlMaxBody         = 4 << 10
)

// newHTTPServer is serve's server around h. It has no WriteTimeout: a
// request a fault holds (a hang, a dropped request) must stay open as long
// as the client waits.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, serveMaxBody)
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: serveReadHeaderTimeout,
		ReadTimeout:       serveReadTimeout,
		IdleTimeout:       serveIdleTimeout,
		MaxHeaderBytes:    serveMaxHeaderBytes,
	}
}

// serveTokens are the bearer tokens of one serve: one per node and one for
// the control endpoints.
type serveTokens struct {
	control string
	node    map[string]string // node → token
}

func mintTokens(nodes []string) serveTokens {
	t := serveTokens{control: rest.NewToken(), node: map[string]string{}}
	for _, n := range nodes {
		t.node[n] = rest.NewToken()
	}
	return t
}

// byToken maps each node token to its node, for rest.Authenticate.
func (t serveTokens) byToken() map[string]string {
	m := map[string]string{}
	for n, tok := range t.node {
		m[tok] = n
	}
	return m
}

var tokenFileContent = regexp.MustCompile(`^[A-Z2-7]{26}\n?$`)

// checkTokenPath refuses a path in a missing directory and an existing
// file serve did not write (a typo must not replace someone's file). A
// link in the token's place is refused too.
func checkTokenPath(path string) error {
	fi, err := existingOutput("--control-token", path, os.Lstat)
	if err != nil || fi == nil {
		return err
	}
	if fi.Mode().IsRegular() && fi.Size() <= 64 {
		if b, err := os.ReadFile(path); err == nil && tokenFileContent.Match(b) {
			return nil
		}
	}
	return badInput("--control-token %s: the file exists and was not written by simulate serve; expected a new path", path)
}

// existingOutput checks a file serve is to write, named by flag: its
// directory must exist. It returns what stat says of the file, or nil when
// there is none yet; the caller decides whether serve may replace it.
func existingOutput(flag, path string, stat func(string) (os.FileInfo, error)) (os.FileInfo, error) {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, badInput("%s %s: directory %s does not exist; expected a file in an existing directory", flag, path, dir)
	}
	fi, err := stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, badInput("%s %s: %v", flag, path, err)
	}
	return fi, nil
}

func writeTokenFile(path, token string) error {
	return renameio.WriteFile(path, []byte(token+"\n"), 0o600, renameio.WithStaticPermissions(0o600))
}

// guardHost answers 403 to a request with an Origin header (it comes from
// a web page: no program of a cluster sends one) or a Host that is not the
// server's own address (a DNS-rebinding page reaches the server under a
// name of its own).
func guardHost(addr string, h http.Handler) http.Handler {
	_, port, _ := net.SplitHostPort(addr)
	allowed := map[string]bool{addr: true}
	if ip := net.ParseIP(hostOf(addr)); ip != nil && ip.IsLoopback() {
		for _, host := range []string{"localhost", "127.0.0.1", "[::1]"} {
			allowed[host+":"+port] = true
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Origin") != "":
			http.Error(w, "requests from web pages (with an Origin header) are refused", http.StatusForbidden)
		case !allowed[strings.ToLower(r.Host)]:
			http.Error(w, fmt.Sprintf("Host %q is not this server's address; expected %s", r.Host, addr), http.StatusForbidden)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

func hostOf(addr string) string {
	h, _, _ := net.SplitHostPort(addr)
	return h
}

// requireToken answers 401 to a request without the bearer token.
func requireToken(token string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := rest.BearerToken(r)
		if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lesim-control"`)
			http.Error(w, "Unauthorized: expected Authorization: Bearer with the token of --control-token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// controlParams are the parameters of a POST to a control endpoint.
type controlParams struct {
	Node     string `json:"node,omitempty"`
	Mode     string `json:"mode,omitempty"`
	Duration string `json:"duration,omitempty"`
}

// postParams reads a POST's JSON body: Content-Type application/json (a
// form, which any web page can send without asking, is refused), one
// object of known fields, at most controlMaxBody bytes.
func postParams(r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, fmt.Errorf("Content-Type %q: expected application/json with a JSON object such as {\"node\": \"a\", \"mode\": \"refuse\"}", r.Header.Get("Content-Type"))
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, controlMaxBody))
	dec.DisallowUnknownFields()
	var p controlParams
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("body: %v; expected a JSON object with node, mode and duration", err)
	}
	if dec.More() {
		return nil, errors.New("body: more than one JSON value; expected one object")
	}
	q := url.Values{}
	for k, v := range map[string]string{"node": p.Node, "mode": p.Mode, "duration": p.Duration} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q, nil
}

// serveCert is a self-signed certificate for the server's address, made at
// start: client-go sends a kubeconfig's bearer token only over TLS, and
// the kubeconfig carries the certificate as its cluster's authority.
func serveCert(addr string) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "lesim serve"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if h := hostOf(addr); h != "" {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certPEM, nil
}
