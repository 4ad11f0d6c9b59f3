package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lesim/lesim/cmd/simulate/internal/procs/procstest"
)

// servedServer is a `simulate serve` running in-process.
type servedServer struct {
	addr       string // host:port
	kubeconfig string
	stdout     *procstest.SyncBuffer
	log        *procstest.SyncBuffer // stderr: the request and fault log
	cancel     context.CancelFunc
	exit       chan int
}

var servingLine = regexp.MustCompile(`^serving https://(\S+) \(nodes `)

// startServe runs `simulate serve args...` in-process with a kubeconfig
// in a temporary directory and waits for it to listen. The server is
// stopped at the end of the test if the test has not stopped it.
func startServe(t *testing.T, args ...string) *servedServer {
	t.Helper()
	s := &servedServer{
		kubeconfig: filepath.Join(t.TempDir(), "lesim.kubeconfig"),
		stdout:     &procstest.SyncBuffer{},
		log:        &procstest.SyncBuffer{},
		exit:       make(chan int, 1),
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--kubeconfig", s.kubeconfig}, args...)
	go func() {
		s.exit <- execute(ctx, args, env{stdout: s.stdout, stderr: s.log, getenv: func(string) string { return "" }})
	}()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(10 * time.Second)
	for s.addr == "" {
		select {
		case code := <-s.exit:
			s.exit <- code
			t.Fatalf("serve exited %d before listening\n--- stdout\n%s--- stderr\n%s", code, s.stdout, s.log)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not print its address\n--- stdout\n%s", s.stdout)
		}
		for _, l := range s.stdout.Lines() {
			if m := servingLine.FindStringSubmatch(l); m != nil {
				s.addr = m[1]
			}
		}
	}
	return s
}

// stop cancels the server's context (as SIGINT does) and returns its exit
// status.
func (s *servedServer) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.exit:
		s.exit <- code
		return code
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not stop within 15s\n%s", s.log)
		return -1
	}
}

// control calls a control endpoint with the control token and returns the
// status and body. A POST's query parameters are sent as its JSON body.
func (s *servedServer) control(t *testing.T, method, pathAndQuery string) (int, string) {
	t.Helper()
	var reqBody io.Reader
	if method == "POST" {
		path, query, _ := strings.Cut(pathAndQuery, "?")
		q, _ := url.ParseQuery(query)
		m := map[string]string{}
		for k := range q {
			m[k] = q.Get(k)
		}
		b, _ := json.Marshal(m)
		pathAndQuery, reqBody = path, bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "https://"+s.addr+pathAndQuery, reqBody)
	if err != nil {
		t.Fatal(err)
	}
	if method == "POST" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+s.controlToken(t))
	resp, err := s.client(t).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, pathAndQuery, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// client is an HTTPS client that trusts serve's certificate, taken from
// the kubeconfig as client-go takes it.
func (s *servedServer) client(t *testing.T) *http.Client {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(s.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	for _, cl := range cfg.Clusters {
		pool.AppendCertsFromPEM(cl.CertificateAuthorityData)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// controlToken is the token serve wrote beside its kubeconfig.
func (s *servedServer) controlToken(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(s.kubeconfig + ".control-token")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// logHas reports whether some log line contains every one of parts.
func logHas(lines []string, parts ...string) bool {
	for _, l := range lines {
		all := true
		for _, p := range parts {
			if !strings.Contains(l, p) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func TestServeRejectsBadAddr(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"0.0.0.0:8080", "is not a loopback address"},
		{":8080", "every interface"},
		{"[::]:0", "is not a loopback address"},
		{"192.0.2.1:80", "--allow-non-loopback"},
		{"example.com:80", "is not a loopback address"},
		{"127.0.0.1", "expected HOST:PORT"},
		{"127.0.0.1:http", "is not a number"},
		{"127.0.0.1:70000", "is not a number"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			dir := t.TempDir()
			kc := filepath.Join(dir, "k")
			r := simulate(t, nil, "serve", "--addr", tc.addr, "--kubeconfig", kc)
			if r.code != exitBadInput {
				t.Fatalf("want exit 2\n%s", r)
			}
			if line := oneErrorLine(t, r); !strings.Contains(line, "--addr") || !strings.Contains(line, tc.want) {
				t.Errorf("message %q lacks %q", line, tc.want)
			}
			if _, err := os.Stat(kc); !os.IsNotExist(err) {
				t.Error("a kubeconfig was written")
			}
		})
	}
	// The flag lets a non-loopback address through the check (without
	// binding one here).
	if err := checkAddr("0.0.0.0:0", true); err != nil {
		t.Errorf("--allow-non-loopback: %v", err)
	}
	for _, ok := range []string{"127.0.0.1:0", "[::1]:8080", "localhost:1", "127.1.2.3:80"} {
		if err := checkAddr(ok, false); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

func TestServeBadInputWritesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nspec:\n  api:\n    latency:\n      request: {distribution: fixed, value: -1s}\n")
	unknown := writeFile(t, dir, "unknown.yaml", "apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nspec:\n  nodes: [{name: a, colour: red}]\n")
	foreign := writeFile(t, dir, "config", "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster: {server: 'https://prod.example:6443'}\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad-file", []string{bad}, "bad.yaml: spec.api.latency.request"},
		{"unknown-field", []string{unknown}, "unknown.yaml:4:21: spec.nodes[0]"},
		{"missing-file", []string{filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{"unknown-name", []string{"--scenario", "no-such-scenario"}, "no-such-scenario: no such library scenario"},
		{"file-and-name", []string{bad, "--scenario", "healthy"}, "not both"},
		{"bad-node", []string{"--nodes", "a,B_2"}, `--nodes: invalid node name "B_2"`},
		{"duplicate-node", []string{"--nodes", "a,b,a"}, `node "a" given twice`},
		{"missing-dir", []string{"--kubeconfig", filepath.Join(dir, "no", "such", "dir", "k")}, "does not exist"},
		{"foreign-kubeconfig", []string{"--kubeconfig", foreign}, "was not written by simulate serve"},
		{"bad-log", []string{"--log", filepath.Join(dir, "no", "such", "serve.log")}, "--log"},
		{"bad-seed", []string{"--seed", "x"}, "--seed"},
		{"two-files", []string{bad, bad}, "accepts at most 1 arg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kc := filepath.Join(dir, tc.name+".kubeconfig")
			args := append([]string{"serve", "--kubeconfig", kc}, tc.args...)
			r := simulate(t, nil, args...)
			if r.code != exitBadInput {
				t.Fatalf("want exit 2\n%s", r)
			}
			if line := oneErrorLine(t, r); !strings.Contains(line, tc.want) {
				t.Errorf("message %q lacks %q", line, tc.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
			if _, err := os.Stat(kc); !os.IsNotExist(err) {
				t.Error("a kubeconfig was written")
			}
		})
	}
	if b, _ := os.ReadFile(foreign); !strings.Contains(string(b), "prod.example") {
		t.Error("a kubeconfig serve did not write was changed")
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(matches) > 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

func TestServeKubeconfigContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kc")
	nodes := []string{"node-1", "b", "c"}
	tokens := mintTokens(nodes)
	if err := writeKubeconfig(serveKubeconfig("127.0.0.1:4321", []byte("CA"), nodes, tokens.node), path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 as kubeconfigs are", fi.Mode().Perm())
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := clientcmd.Validate(*cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "node-1" || len(cfg.Contexts) != 3 || len(cfg.Clusters) != 3 {
		t.Fatalf("current %q, %d contexts, %d clusters", cfg.CurrentContext, len(cfg.Contexts), len(cfg.Clusters))
	}
	for _, n := range nodes {
		rc, err := clientcmd.NewNonInteractiveClientConfig(*cfg, n, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
		if err != nil {
			t.Fatalf("context %s: %v", n, err)
		}
		if want := "https://127.0.0.1:4321"; rc.Host != want || string(rc.CAData) != "CA" {
			t.Errorf("context %s: server %s, want %s", n, rc.Host, want)
		}
		if rc.BearerToken != tokens.node[n] || len(rc.BearerToken) < 26 {
			t.Errorf("context %s: token %q, want the node's own %q", n, rc.BearerToken, tokens.node[n])
		}
	}
	// serve may replace its own kubeconfig (a restart picks a new port).
	if err := checkKubeconfigPath(path); err != nil {
		t.Errorf("serve's own kubeconfig refused: %v", err)
	}
}

// TestServeLeasesPerNode drives a served API with client-go through the
// kubeconfig serve wrote, and the control endpoints.
func TestServeLeasesPerNode(t *testing.T) {
	// The scenario's nodes are a and y; --nodes serves x and y.
	sc := writeFile(t, t.TempDir(), "sc.yaml", `apiVersion: lesim.dev/v1alpha1
kind: Scenario
spec:
  api:
    latency:
      request: {distribution: fixed, value: 1ms}
  nodes: [{name: a}, {name: "y", clock: {rate: 1.1}}]
  faults:
  - {type: partition, at: 0s, duration: 100ms, nodes: [a], mode: drop-requests}
  - {type: crash, at: 2m, nodes: [a]}
  - {type: staleReads, at: 5m, duration: 1m, maxLag: 2s}
`)
	srv := startServe(t, sc, "--nodes", "x,y")
	out := srv.stdout.String()
	for _, want := range []string{"kubeconfig: " + srv.kubeconfig, "--context x", "control: https://" + srv.addr + "/lesim/v1/"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	cfg, err := clientcmd.LoadFromFile(srv.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Contexts) != 2 || cfg.Contexts["y"] == nil || cfg.Clusters[cfg.Contexts["y"].Cluster].Server != "https://"+srv.addr {
		t.Fatalf("kubeconfig: %+v", cfg.Contexts)
	}
	rc, err := clientcmd.NewNonInteractiveClientConfig(*cfg, "y", &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	rc.Timeout = 2 * time.Second
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	holder := "y"
	_, err = cs.CoordinationV1().Leases("kube-system").Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "demo"},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := srv.control(t, "GET", "/lesim/v1/lease?namespace=kube-system&name=demo"); code != 200 || !strings.Contains(body, `"holderIdentity":"y"`) {
		t.Fatalf("lease: %d %s", code, body)
	}
	if code, _ := srv.control(t, "GET", "/lesim/v1/lease?name=absent"); code != 404 {
		t.Errorf("absent lease: %d, want 404", code)
	}
	var counts countsReply
	code, body := srv.control(t, "GET", "/lesim/v1/counts")
	if err := json.Unmarshal([]byte(body), &counts); code != 200 || err != nil {
		t.Fatalf("counts: %d %v %s", code, err, body)
	}
	if counts.Nodes["y"].Create != 1 || counts.Nodes["x"].Total != 0 || counts.Total.Total != 1 {
		t.Errorf("counts: %s", body)
	}

	// A refusing partition fails y's requests fast; x is untouched.
	if code, body := srv.control(t, "POST", "/lesim/v1/partition?node=y&mode=refuse"); code != 200 {
		t.Fatalf("partition: %d %s", code, body)
	}
	if _, err := cs.CoordinationV1().Leases("kube-system").Get(ctx, "demo", metav1.GetOptions{}); err == nil {
		t.Error("a request through a refusing partition succeeded")
	}
	if code, body := srv.control(t, "DELETE", "/lesim/v1/partition?node=y"); code != 200 {
		t.Fatalf("heal: %d %s", code, body)
	}
	if _, err := cs.CoordinationV1().Leases("kube-system").Get(ctx, "demo", metav1.GetOptions{}); err != nil {
		t.Errorf("after healing: %v", err)
	}
	// A timed outage ends by itself.
	if code, body := srv.control(t, "POST", "/lesim/v1/outage?mode=refuse&duration=200ms"); code != 200 {
		t.Fatalf("outage: %d %s", code, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !logHas(srv.log.Lines(), "fault", "outage ends") {
		if time.Now().After(deadline) {
			t.Fatalf("the timed outage did not end:\n%s", srv.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := cs.CoordinationV1().Leases("kube-system").Get(ctx, "absent", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after the outage: %v, want NotFound", err)
	}

	for _, bad := range []struct{ method, path, want string }{
		{"POST", "/lesim/v1/partition?node=z&mode=refuse", "expected one of x, y"},
		{"POST", "/lesim/v1/partition?mode=refuse", "node is required"},
		{"POST", "/lesim/v1/partition?node=x&mode=sideways", "expected drop-requests"},
		{"POST", "/lesim/v1/partition?node=x&mode=refuse&duration=soon", "positive Go duration"},
		{"POST", "/lesim/v1/outage?mode=refuse&duration=-1s", "positive Go duration"},
		{"POST", "/lesim/v1/outage?mode=slow", "expected hang or refuse"},
		{"GET", "/lesim/v1/lease?name=Bad_Name", "expected a namespace"},
		{"GET", "/lesim/v1/nothing", "no such control endpoint"},
	} {
		code, body := srv.control(t, bad.method, bad.path)
		if code/100 != 4 || !strings.Contains(body, bad.want) || strings.Count(strings.TrimSpace(body), "\n") != 0 {
			t.Errorf("%s %s: %d %q, want 4xx and one line with %q", bad.method, bad.path, code, body, bad.want)
		}
	}

	if code := srv.stop(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, srv.log)
	}
	lines := srv.log.Lines()
	for _, want := range [][]string{
		{"serve: scenario " + sc + ": spec.api applied; API fault windows: 1, timed from now"},
		{"serve: scheduled partition node=a mode=drop-requests at +0s for 100ms"},
		{"fault node=a partition drop-requests begins (window 1)"},
		{"fault node=a partition ends (window 1)"},
		{"serve: ignoring", "staleReads at 5m0s; crash at 2m0s on a; the clocks of y"},
		{"serve: the scenario's latency or faults name nodes without a context (see --nodes): a"},
		{"node=y create kube-system/demo 201 latency=1ms"},
		{"node=y create kube-system/demo 201"},
		{"control: partition node=y mode=refuse"},
		{"fault node=y partition refuse begins"},
		{"node=y get kube-system/demo", `fault="partition refuse"`},
		{"fault node=y partition ends"},
		{"control: POST /lesim/v1/partition: 400", `node="z"`},
		{"serve: stopped"},
	} {
		if !logHas(lines, want...) {
			t.Errorf("log lacks a line with %q:\n%s", want, srv.log)
		}
	}
	if _, err := os.Stat(srv.kubeconfig); err != nil {
		t.Errorf("the kubeconfig was removed on exit: %v", err)
	}
}

// electorEvent is one line an example elector printed.
type electorEvent struct {
	proc, kind, who string
}

// electorOut parses an elector's stdout into events as lines complete.
type electorOut struct {
	proc   string
	events chan<- electorEvent
	mu     sync.Mutex
	buf    []byte
	all    bytes.Buffer
}

func (o *electorOut) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.all.Write(p)
	o.buf = append(o.buf, p...)
	for {
		i := bytes.IndexByte(o.buf, '\n')
		if i < 0 {
			break
		}
		f := strings.Fields(string(o.buf[:i]))
		o.buf = o.buf[i+1:]
		if len(f) == 3 {
			if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", f[0]); err == nil {
				o.events <- electorEvent{proc: o.proc, kind: f[1], who: f[2]}
			}
		}
	}
	return len(p), nil
}

// buildElector builds the example program with the test binary's race
// setting, so that it shares the packages `go test` has compiled.
func buildElector(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "elector")
	args := []string{"build"}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				args = append(args, "-race")
			}
		}
	}
	args = append(args, "-o", bin, "./examples/elector")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The environment, GOFLAGS included, is the test's.
	out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

// TestServeRealElectorsFailOver runs three real client-go electors (the
// example program) against `simulate serve`, partitions the leader's node
// through the control endpoint and checks that another one takes over.
func TestServeRealElectorsFailOver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs real processes")
	}
	const (
		ld, rd, rp = 3 * time.Second, 2 * time.Second, 500 * time.Millisecond
		margin     = 5 * time.Second
	)
	began := time.Now()
	bin := buildElector(t)
	t.Logf("built the example elector in %v", time.Since(began).Round(time.Millisecond))
	srv := startServe(t)

	events := make(chan electorEvent, 1000)
	type proc struct {
		cmd    *exec.Cmd
		out    *electorOut
		stderr *procstest.SyncBuffer
		done   chan struct{}
	}
	procs := map[string]*proc{}
	for _, n := range []string{"a", "b", "c"} {
		p := &proc{out: &electorOut{proc: n, events: events}, stderr: &procstest.SyncBuffer{}, done: make(chan struct{})}
		p.cmd = exec.Command(bin, "--kubeconfig", srv.kubeconfig, "--context", n, "--identity", n, "--report-callbacks",
			"--leader-elect-lease-duration", ld.String(), "--leader-elect-renew-deadline", rd.String(), "--leader-elect-retry-period", rp.String())
		p.cmd.Stdout, p.cmd.Stderr = p.out, p.stderr
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { p.cmd.Wait(); close(p.done) }()
		t.Cleanup(func() {
			select {
			case <-p.done:
			default:
				p.cmd.Process.Kill()
				<-p.done
			}
		})
		procs[n] = p
	}
	dump := func() string {
		var b strings.Builder
		for _, n := range []string{"a", "b", "c"} {
			p := procs[n]
			p.out.mu.Lock()
			fmt.Fprintf(&b, "--- %s stdout\n%s--- %s stderr\n%s", n, p.out.all.String(), n, p.stderr)
			p.out.mu.Unlock()
		}
		return b.String() + "--- serve log\n" + srv.log.String()
	}
	var seen []electorEvent
	// await feeds ok the events seen since index from, then new ones as
	// they come, until ok is satisfied or the deadline passes.
	await := func(what string, from int, deadline time.Time, ok func(electorEvent) bool) electorEvent {
		t.Helper()
		for _, ev := range seen[from:] {
			if ok(ev) {
				return ev
			}
		}
		for {
			select {
			case ev := <-events:
				seen = append(seen, ev)
				if ok(ev) {
					return ev
				}
			case <-time.After(time.Until(deadline)):
				t.Fatalf("no %s by the deadline\n%s", what, dump())
			}
		}
	}

	first := await("started-leading", 0, time.Now().Add(20*time.Second), func(ev electorEvent) bool { return ev.kind == "started-leading" })
	leader := first.who
	if first.proc != leader {
		t.Fatalf("process %s says %s started leading", first.proc, leader)
	}
	// Every process observes the leader; meanwhile nobody else leads.
	observed := map[string]bool{}
	await("observation of the leader by all", 0, time.Now().Add(10*time.Second), func(ev electorEvent) bool {
		if ev.kind == "new-leader" && ev.who == leader {
			observed[ev.proc] = true
		}
		return len(observed) == 3
	})
	for _, ev := range seen {
		if ev.kind == "started-leading" && ev.proc != leader || ev.kind == "new-leader" && ev.who != leader {
			t.Fatalf("more than one leader before the partition: %+v\n%s", ev, dump())
		}
	}

	if code, body := srv.control(t, "POST", "/lesim/v1/partition?node="+leader+"&mode=drop-requests"); code != 200 {
		t.Fatalf("partition: %d %s", code, body)
	}
	partitioned, before := time.Now(), len(seen)
	deadline := partitioned.Add(ld + rd + margin)
	var next electorEvent
	stopped := false
	await("new leader after the partition", before, deadline, func(ev electorEvent) bool {
		if ev.kind == "stopped-leading" && ev.proc == leader {
			stopped = true
		}
		if ev.kind == "started-leading" && ev.proc != leader {
			next = ev
		}
		return stopped && next.proc != ""
	})
	t.Logf("partitioned %s; %s leads %v later", leader, next.who, time.Since(partitioned).Round(time.Millisecond))

	lines := srv.log.Lines()
	if !logHas(lines, "control: partition node="+leader+" mode=drop-requests") || !logHas(lines, "fault node="+leader+" partition drop-requests begins") {
		t.Errorf("no partition begin line for %s\n%s", leader, srv.log)
	}
	if !logHas(lines, "node="+leader+" ", `fault="partition drop-requests"`, "abandoned") {
		t.Errorf("no dropped request of %s in the log\n%s", leader, srv.log)
	}
	for _, l := range lines {
		if strings.Contains(l, "drop-requests") && strings.Contains(l, "latency=") && !strings.Contains(l, "node="+leader+" ") {
			t.Errorf("a request of another node was dropped: %s", l)
		}
	}
	var counts countsReply
	if code, body := srv.control(t, "GET", "/lesim/v1/counts"); code != 200 || json.Unmarshal([]byte(body), &counts) != nil || counts.Nodes[leader].Update == 0 || counts.Nodes[next.who].Total == 0 {
		t.Errorf("counts: %d %s", code, body)
	}

	if code, body := srv.control(t, "DELETE", "/lesim/v1/partition?node="+leader); code != 200 {
		t.Fatalf("heal: %d %s", code, body)
	}
	if !logHas(srv.log.Lines(), "fault node="+leader+" partition ends") {
		t.Errorf("no partition end line\n%s", srv.log)
	}

	// serve saw the holder change and, from the reported callbacks, the
	// failover (or an overlap, if the new leader started before the old
	// one's renew deadline ran out on this machine's timing).
	if !logHas(srv.log.Lines(), "serve: lease kube-system/lesim-example holder "+leader+" -> "+next.who) {
		t.Errorf("no holder change line\n%s", srv.log)
	}
	var sum serveSummary
	if code, body := srv.control(t, "GET", "/lesim/v1/summary"); code != 200 || json.Unmarshal([]byte(body), &sum) != nil ||
		!sum.Reported || len(sum.Leadership) < 2 || len(sum.Failovers)+sum.OverlapEpisodes == 0 || sum.Transitions < 1 {
		t.Errorf("summary: %d %s", code, body)
	}

	// The old leader's Run returned when it lost the lease, so it has
	// exited 1, as kube-controller-manager does; the others stop on
	// SIGTERM and exit 0.
	for _, n := range []string{"a", "b", "c"} {
		if p := procs[n]; n != leader {
			p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, n := range []string{"a", "b", "c"} {
		p := procs[n]
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not exit\n%s", n, dump())
		}
		want := 0
		if n == leader {
			want = 1
		}
		if code := p.cmd.ProcessState.ExitCode(); code != want {
			t.Errorf("%s exited %d, want %d\n%s", n, code, want, dump())
		}
	}
	if code := srv.stop(t); code != 0 {
		t.Fatalf("serve exited %d\n%s", code, srv.log)
	}
	if !logHas(srv.log.Lines(), "serve: stopped") || !logHas(srv.log.Lines(), "serve: observed ") {
		t.Errorf("no stop line or observed summary\n%s", srv.log)
	}
}

// TestServeHelpDocumentsControl keeps the help and the docs in step with
// the control endpoints.
func TestServeHelpDocumentsControl(t *testing.T) {
	r := simulate(t, nil, "serve", "--help")
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "simulate.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range []string{"POST   /lesim/v1/partition", "DELETE /lesim/v1/partition", "POST   /lesim/v1/outage", "DELETE /lesim/v1/outage", "GET    /lesim/v1/counts", "GET    /lesim/v1/lease"} {
		if !strings.Contains(r.stdout, ep) {
			t.Errorf("serve --help lacks %q", ep)
		}
		f := strings.Fields(ep)
		if !strings.Contains(string(doc), "`"+f[0]+" "+f[1]) {
			t.Errorf("docs/simulate.md lacks `%s %s", f[0], f[1])
		}
	}
	for _, flag := range []string{"--addr", "--allow-non-loopback", "--kubeconfig", "--nodes", "--seed", "--log", "--scenario"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("serve --help lacks %s", flag)
		}
		if !strings.Contains(string(doc), flag) {
			t.Errorf("docs/simulate.md lacks %s", flag)
		}
	}
}
