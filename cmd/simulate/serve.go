package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/fakeapi/rest"
	"github.com/lesim/lesim/scenarios"
)

// serveOpts are the flags of `simulate serve`.
type serveOpts struct {
	scenarioSource
	seedFlag
	addr             string
	allowNonLoopback bool
	kubeconfig       string
	tokenFile        string
	nodes            []string
	logFile          string
	execFlags
}

const (
	defaultServeAddr  = "127.0.0.1:0"
	defaultKubeconfig = "lesim.kubeconfig"
	// controlPrefix is where the control endpoints live, away from every
	// Kubernetes path (/api, /apis, /nodes/NODE/...).
	controlPrefix = "/lesim/v1/"
	// logTime is the wall-clock stamp of serve's log lines.
	logTime = "2006-01-02T15:04:05.000Z"
	// shutdownGrace bounds how long a stop waits for requests in flight.
	shutdownGrace = 5 * time.Second
)

var defaultServeNodes = []string{"a", "b", "c"}

func newServeCmd(e env) *cobra.Command {
	so := &serveOpts{}
	cmd := &cobra.Command{
		Use:   "serve [FILE | --scenario NAME]",
		Short: "Serve the Lease API with a scenario's faults, in real time, to real programs",
		Long: `Serve coordination.k8s.io/v1 Leases over HTTP on the wall clock, with the
API latency, injected errors and API fault windows (partitions, outages,
latency) of a scenario, so that real binaries — anything built on client-go's
leader election — can be put through the same faults as the simulation.

Every request must carry a bearer token, as with a real API server: serve
mints a random token per node and writes a kubeconfig with one context and
one user per node (the nodes of --nodes, else the scenario's spec.nodes,
else a, b, c); point each process at its own: --kubeconfig FILE --context
NODE. The token says which node a request comes from, so that faults can
single out one process; requests without a valid token get 401.

Fault windows are timed from the moment the server starts. The scenario's
node faults (crash, pause, stop, clock rates and jumps) act on processes,
which serve does not run without --exec, and stale reads need the simulated
store: they are ignored, and serve says so.

With --exec CMD serve runs the programs itself, one process per scenario
node, for the scenario's spec.duration: CMD is a template split into words
as a shell would (quotes, backslashes; no shell runs it) with {kubeconfig},
{context}, {node}, {identity}, {leaseDuration}, {renewDeadline},
{retryPeriod}, {releaseOnCancel} and {run} replaced per node and process.
Each process runs in a process group of its own with KUBECONFIG,
LESIM_CALLBACK_URL and LESIM_NODE set, its output in --out DIR/run-N/NODE.log.
The node faults act on the processes on the wall clock: crash is SIGKILL,
pause SIGSTOP then SIGCONT, stop SIGTERM then SIGKILL after --stop-grace;
a process that ends restarts per the scenario's restart policy (a fresh
process). Clock faults and stale reads stay ignored. Leading intervals come
from the callback hook (the lesim probe, fakeapi/rest/probe) or from
client-go's log lines (approximate); the run is measured by the checkers
of 'simulate run' and printed, written to DIR/results.json and, with
--report, as the same report. --runs N repeats it with fresh processes and
prints the distribution; 'simulate compare --real DIR/results.json' puts
it beside the simulation. Every child is killed when serve ends, however
it ends (on Linux even when serve is killed). Exit status: 0 when every
run met spec.expect, 1 when one did not, 2 on bad input. See
docs/testing-your-controller.md. Without a scenario the API is healthy until
faults are injected through the control endpoints:

  POST   /lesim/v1/partition {"node": NODE, "mode": MODE[, "duration": D]}
         MODE: drop-requests, drop-responses, drop-all or refuse
  DELETE /lesim/v1/partition[?node=NODE]     heal one node, or all
  POST   /lesim/v1/outage {"mode": MODE[, "duration": D]}   MODE: hang or refuse
  DELETE /lesim/v1/outage
  GET    /lesim/v1/counts                    requests per node and verb (JSON)
  GET    /lesim/v1/lease?namespace=NS&name=NAME   the stored Lease (JSON)
  POST   /lesim/v1/callbacks                 a program reports a callback:
         {"identity": ID, "node": NODE, "event": "started-leading" or
         "stopped-leading", "monotonicNanos": CLOCK_MONOTONIC ns (optional)}
  GET    /lesim/v1/summary                   overlap, failovers, leaderless
         time from the reported callbacks, as 'simulate run' measures them

The control endpoints take their own token, written to --control-token
FILE (mode 0600): send it as Authorization: Bearer TOKEN. They refuse
requests with an Origin header (browsers) or a Host that is not the
server's (DNS rebinding), and POST bodies other than JSON. Parameters of a
POST go in a JSON object ({"node": "a", "mode": "refuse", "duration":
"10s"}), those of GET and DELETE in the query. The callback hook (POST
/lesim/v1/callbacks) takes a node's token, as the Lease API does.

Every request, injected fault, control call, holder change of a lease and
reported callback is logged as one line on stderr (or --log FILE); on stop
serve logs the summary. serve runs until SIGINT or SIGTERM and then stops
gracefully with status 0. It binds to loopback addresses only unless
--allow-non-loopback is given.`,
		Example: `  simulate serve
  simulate serve --scenario leader-partition-drop-requests --addr 127.0.0.1:8080
  simulate serve my-scenario.yaml --kubeconfig /tmp/lesim.kubeconfig --log serve.log
  simulate serve my-scenario.yaml --exec './elector --kubeconfig {kubeconfig} --context {context}' --runs 20 --report out/
  curl -H "Authorization: Bearer $(cat lesim.kubeconfig.control-token)" -H 'Content-Type: application/json' \
    -d '{"node": "a", "mode": "drop-requests", "duration": "10s"}' 127.0.0.1:8080/lesim/v1/partition`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd, e, so, args)
		},
	}
	fs := cmd.Flags()
	so.scenarioSource.addFlags(fs)
	fs.Lookup("scenario").Usage = "serve the named library scenario's API model and faults (see 'simulate list') instead of a file's"
	so.seedFlag.addFlags(fs, "seed of the latency and error draws (default: the scenario's spec.seed, else 1)")
	fs.StringVar(&so.addr, "addr", defaultServeAddr, "listen on `HOST:PORT`; port 0 picks a free port (printed)")
	fs.BoolVar(&so.allowNonLoopback, "allow-non-loopback", false, "allow an --addr that is not a loopback address (tokens travel in clear over HTTP)")
	fs.StringVar(&so.kubeconfig, "kubeconfig", defaultKubeconfig, "write the kubeconfig, one context and token per node, to `FILE` (mode 0600)")
	fs.StringVar(&so.tokenFile, "control-token", "", "write the control endpoints' bearer token to `FILE`, mode 0600 (default: the kubeconfig's path + .control-token)")
	fs.StringSliceVar(&so.nodes, "nodes", nil, "node `NAMES`, comma-separated, one kubeconfig context each (default: the scenario's spec.nodes, else a,b,c)")
	fs.StringVar(&so.logFile, "log", "", "append the request and fault log to `FILE` instead of stderr")
	so.execFlags.addFlags(fs)
	return cmd
}

// servePlan is everything serve needs, checked before anything is opened
// or written.
type servePlan struct {
	name       string // where the scenario came from ("" without one)
	sc         *scenarios.Scenario
	nodes      []string
	chaos      rest.ChaosConfig
	windows    []fakeapi.Window
	kubeconfig string
	tokenFile  string
	ignored    string   // the scenario's faults serve cannot apply, described
	exec       bool     // serve runs the processes (--exec)
	unserved   []string // nodes the scenario's API model names that no context uses
}

// plan validates the flags and the scenario.
func (so *serveOpts) plan(args []string) (*servePlan, error) {
	if err := checkAddr(so.addr, so.allowNonLoopback); err != nil {
		return nil, err
	}
	p := &servePlan{kubeconfig: so.kubeconfig}
	switch {
	case len(args) > 0 && so.scenario != "":
		return nil, badInput("serve: give a scenario file or --scenario NAME, not both")
	case len(args) > 0:
		sc, err := scenarios.Load(args[0])
		if err != nil {
			return nil, err
		}
		p.sc, p.name = sc, args[0]
	case so.scenario != "":
		sc, err := scenarios.Named(so.scenario)
		if err != nil {
			return nil, err
		}
		p.sc, p.name = sc, so.scenario
	}
	var seed uint64 = 1
	switch {
	case so.seedFlag.get() != nil:
		seed = *so.seedFlag.get()
	case p.sc != nil && p.sc.Spec.Seed != nil:
		seed = *p.sc.Spec.Seed
	}
	p.chaos = rest.ChaosConfig{Seed: seed}
	if p.sc != nil {
		cfg := scenarios.APIConfig(p.sc)
		if err := cfg.Validate(); err != nil {
			return nil, badInput("%s: spec.api: %v", p.name, err)
		}
		p.chaos.RequestLatency, p.chaos.ResponseLatency = cfg.RequestLatency, cfg.ResponseLatency
		p.chaos.NodeLatency, p.chaos.Errors, p.chaos.ServiceTime = cfg.NodeLatency, cfg.Errors, cfg.ServiceTime
		var stale []string
		for _, w := range scenarios.APIWindows(p.sc) {
			if _, ok := w.Fault.(fakeapi.StaleReadsFault); ok {
				// The store's lagging cache is not reachable over HTTP.
				stale = append(stale, fmt.Sprintf("staleReads at %v", w.At))
				continue
			}
			p.windows = append(p.windows, w)
		}
		p.ignored = strings.Join(append(stale, nodeFaults(p.sc, processFaults)...), "; ")
	}
	switch {
	case len(so.nodes) > 0:
		p.nodes = so.nodes
	case p.sc != nil:
		for _, n := range p.sc.Spec.Nodes {
			p.nodes = append(p.nodes, n.Name)
		}
	}
	if len(p.nodes) == 0 {
		p.nodes = defaultServeNodes
	}
	seen, err := checkNodes(p.nodes)
	if err != nil {
		return nil, err
	}
	if err := checkKubeconfigPath(p.kubeconfig); err != nil {
		return nil, err
	}
	p.tokenFile = cmp.Or(so.tokenFile, p.kubeconfig+".control-token")
	if err := checkTokenPath(p.tokenFile); err != nil {
		return nil, err
	}
	if p.sc != nil {
		p.unserved = unservedNodes(p, seen)
	}
	return p, nil
}

// checkNodes checks --nodes (or the scenario's) and returns them as a set.
func checkNodes(nodes []string) (map[string]bool, error) {
	seen := map[string]bool{}
	for _, n := range nodes {
		if errs := validation.IsDNS1123Label(n); len(errs) > 0 {
			return nil, badInput("--nodes: invalid node name %s; expected DNS labels (lower-case letters, digits and '-') separated by commas, such as a,b,c", clipQuote(n))
		}
		if seen[n] {
			return nil, badInput("--nodes: node %q given twice; expected each node once", n)
		}
		seen[n] = true
	}
	return seen, nil
}

// clipQuote quotes s for a message, cut at 63 characters.
func clipQuote(s string) string {
	if r := []rune(s); len(r) > 63 {
		return fmt.Sprintf("%q (%d characters)", string(r[:63])+"…", len(r))
	}
	return fmt.Sprintf("%q", s)
}

// unservedNodes lists the nodes that the scenario's latency and fault
// windows name but that have no kubeconfig context (after --nodes), sorted.
func unservedNodes(p *servePlan, served map[string]bool) []string {
	named := map[string]bool{}
	for n := range p.chaos.NodeLatency {
		named[n] = true
	}
	for _, w := range p.windows {
		switch f := w.Fault.(type) {
		case fakeapi.PartitionFault:
			named[f.Node] = true
		case fakeapi.LatencyFault:
			named[f.Node] = true
		}
	}
	var out []string
	for n := range named {
		if n != "" && !served[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// checkAddr accepts HOST:PORT with a numeric port and, unless allowed
// otherwise, a loopback host.
func checkAddr(addr string, allowNonLoopback bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		msg := err.Error()
		var ae *net.AddrError
		if errors.As(err, &ae) {
			msg = ae.Err
		}
		return badInput("--addr %q: %s; expected HOST:PORT such as 127.0.0.1:8080 (port 0 picks a free port)", addr, msg)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return badInput("--addr %q: port %q is not a number from 0 to 65535; expected HOST:PORT such as 127.0.0.1:8080", addr, port)
	}
	if allowNonLoopback || isLoopbackHost(host) {
		return nil
	}
	shown := host
	if shown == "" {
		shown = "an empty host (every interface)"
	}
	return badInput("--addr %q: %s is not a loopback address; expected 127.0.0.1, ::1 or localhost, since the tokens travel in clear over HTTP (--allow-non-loopback serves elsewhere anyway)", addr, shown)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// processFaults are the fault types that act on a node's process or its
// clock: serve cannot apply them to programs it does not run.
var processFaults = []scenarios.FaultType{scenarios.FaultCrash, scenarios.FaultPause, scenarios.FaultStop, scenarios.FaultClockRate, scenarios.FaultClockJump}

// nodeFaults describes the scenario's faults of the given types, and the
// nodes whose clocks are not the machine's.
func nodeFaults(sc *scenarios.Scenario, types []scenarios.FaultType) []string {
	var parts []string
	for _, f := range sc.Spec.Faults {
		if slices.Contains(types, f.Type) {
			s := fmt.Sprintf("%s at %v", f.Type, f.At.Duration)
			if len(f.Nodes) > 0 {
				s += " on " + strings.Join(f.Nodes, ",")
			}
			parts = append(parts, s)
		}
	}
	var clocks []string
	for _, n := range sc.Spec.Nodes {
		if c := n.Clock; c != nil && ((c.Rate != nil && *c.Rate != 1) || c.Offset.Duration != 0 || len(c.Schedule) > 0) {
			clocks = append(clocks, n.Name)
		}
	}
	if len(clocks) > 0 {
		parts = append(parts, "the clocks of "+strings.Join(clocks, ","))
	}
	return parts
}

// kubeconfig marks: serve names its clusters lesim-NODE and its one user
// lesim, and overwrites only a kubeconfig that looks like its own.
const (
	clusterPrefix = "lesim-"
	kubeUser      = "lesim"
)

// checkKubeconfigPath refuses a path whose directory does not exist, and
// an existing file that serve did not write: a typo must not replace a
// real kubeconfig.
func checkKubeconfigPath(path string) error {
	if path == "" {
		return badInput("--kubeconfig: empty path; expected a file name such as lesim.kubeconfig")
	}
	fi, err := existingOutput("--kubeconfig", path, os.Stat)
	if err != nil || fi == nil {
		return err
	}
	if !fi.Mode().IsRegular() || !writtenByServe(path) {
		return badInput("--kubeconfig %s: the file exists and was not written by simulate serve; expected a new path (serve overwrites only its own kubeconfigs)", path)
	}
	return nil
}

func writtenByServe(path string) bool {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil || len(cfg.Clusters) == 0 {
		return false
	}
	for name := range cfg.Clusters {
		if !strings.HasPrefix(name, clusterPrefix) {
			return false
		}
	}
	for name := range cfg.AuthInfos {
		if name != kubeUser && !strings.HasPrefix(name, clusterPrefix) {
			return false
		}
	}
	return true
}

// serveKubeconfig is the kubeconfig for a server at addr: per node, a
// cluster lesim-NODE whose server is https://ADDR (with serve's
// certificate as its authority), a user lesim-NODE with
// the node's bearer token and a context NODE; the first node's context is
// current.
func serveKubeconfig(addr string, caPEM []byte, nodes []string, tokens map[string]string) *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	for _, n := range nodes {
		cl := clientcmdapi.NewCluster()
		cl.Server = "https://" + addr
		cl.CertificateAuthorityData = caPEM
		cfg.Clusters[clusterPrefix+n] = cl
		user := clientcmdapi.NewAuthInfo()
		user.Token = tokens[n]
		cfg.AuthInfos[clusterPrefix+n] = user
		ctx := clientcmdapi.NewContext()
		ctx.Cluster, ctx.AuthInfo = clusterPrefix+n, clusterPrefix+n
		cfg.Contexts[n] = ctx
	}
	cfg.CurrentContext = nodes[0]
	return cfg
}

// writeKubeconfig writes cfg to path atomically, mode 0600: it holds the
// nodes' tokens.
func writeKubeconfig(cfg *clientcmdapi.Config, path string) error {
	if err := clientcmd.Validate(*cfg); err != nil {
		return err
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	return renameio.WriteFile(path, data, 0o600, renameio.WithStaticPermissions(0o600))
}

// lineLog writes whole lines, each stamped with the wall clock, from any
// goroutine.
type lineLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineLog) printf(format string, args ...any) {
	l.raw(time.Now().UTC().Format(logTime) + " " + oneLine(fmt.Sprintf(format, args...)))
}

// Write logs p, a message of net/http's, as stamped lines.
func (l *lineLog) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		l.printf("%s", line)
	}
	return len(p), nil
}

// raw writes a line as it is.
func (l *lineLog) raw(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.w, line+"\n")
}

func runServe(cmd *cobra.Command, e env, so *serveOpts, args []string) error {
	if err := checkExecOnly(cmd, so); err != nil {
		return err
	}
	p, err := so.plan(args)
	if err != nil {
		return err
	}
	if so.exec != "" {
		// Checked before the log file is opened: bad input writes nothing.
		if err := so.planExec(p); err != nil {
			return err
		}
	}
	logw := e.stderr
	if so.logFile != "" {
		f, err := os.OpenFile(so.logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return badInput("--log %s: %v", so.logFile, errors.Unwrap(err))
		}
		defer f.Close()
		logw = f
	}
	log := &lineLog{w: logw}
	ctx, stopSignals := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	if so.exec != "" {
		return runExec(ctx, cmd, e, so, p, log, args)
	}

	si, err := startInstance(p, so.addr, log)
	if err != nil {
		return err
	}
	defer si.shutdown()
	fmt.Fprintf(e.stdout, "serving https://%s (nodes %s)\n", si.addr, strings.Join(p.nodes, ", "))
	fmt.Fprintf(e.stdout, "kubeconfig: %s (one context per node: --kubeconfig %s --context %s)\n", p.kubeconfig, p.kubeconfig, p.nodes[0])
	fmt.Fprintf(e.stdout, "control: https://%s%s (partition, outage, counts, lease, callbacks, summary; see 'simulate serve --help'), token in %s\n", si.addr, controlPrefix, p.tokenFile)

	select {
	case <-ctx.Done():
	case err := <-si.served:
		// Serve returns early only when the listener fails.
		return failed("serve: %v", err)
	}
	si.shutdown()
	for _, line := range strings.Split(si.obs.summary().text(), "\n") {
		log.printf("%s", line)
	}
	log.printf("serve: stopped")
	return nil
}

// serveInstance is one running server: its store, faults, observer and
// HTTP server, with the credentials written for its address.
type serveInstance struct {
	start  time.Time
	addr   string
	obs    *observer
	chaos  *rest.Chaos
	served chan error
	log    *lineLog
	stop   func()
	once   sync.Once
}

// startInstance starts serving p on listenAddr: a fresh store whose clock
// and fault windows count from now, the kubeconfig and control token
// written for the address it got.
func startInstance(p *servePlan, listenAddr string, log *lineLog) (*serveInstance, error) {
	// The store's clock and the fault windows count from the same start.
	start := time.Now()
	store := fakeapi.NewStore(func() time.Duration { return time.Since(start) })
	// Real creationTimestamps; a log line per holder change; the callbacks
	// programs report (see callbacksPath).
	store.Epoch = start
	obs := newObserver(log, start)
	store.OnCommit = obs.commit
	api := rest.NewHandler(store)
	chaos, stopWindows, err := faultedAPI(p, api, start, log)
	if err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		stopWindows()
		return nil, badInput("--addr %s: %v", listenAddr, errors.Unwrap(err))
	}
	addr := ln.Addr().String()
	tokens, cert, err := writeCredentials(addr, p)
	if err != nil {
		stopWindows()
		ln.Close()
		return nil, err
	}

	ctl := newControl(chaos, api, p.nodes, log)
	mux := http.NewServeMux()
	// Requests that a fault holds open (a hang, a dropped request) end
	// when their context does: cancelling the base context on shutdown
	// releases them.
	base, cancelBase := context.WithCancel(context.Background())
	ctl.register(mux, tokens.control)
	// A process reports its own callbacks with its node's token; the
	// summary is for the operator, behind the control token.
	mux.Handle("POST "+callbacksPath, rest.Authenticate(http.HandlerFunc(obs.postCallback), tokens.byToken()))
	mux.Handle("GET "+controlPrefix+"summary", requireToken(tokens.control, http.HandlerFunc(obs.getSummary)))
	mux.Handle("/", rest.Authenticate(abortOnShutdown(base, chaos), tokens.byToken()))
	srv := newHTTPServer(guardHost(addr, mux))
	srv.BaseContext = func(net.Listener) context.Context { return base }
	srv.ErrorLog = stdlog.New(log, "serve: http: ", 0)
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	si := &serveInstance{start: start, addr: addr, obs: obs, chaos: chaos, served: make(chan error, 1), log: log}
	go func() { si.served <- srv.ServeTLS(ln, "", "") }()
	si.stop = func() {
		log.printf("serve: stopping")
		ctl.close()
		stopWindows()
		cancelBase()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
	}
	log.printf("serve: listening on %s, nodes %s", addr, strings.Join(p.nodes, ","))
	return si, nil
}

// faultedAPI puts the plan's API model and fault windows, timed from
// start, in front of api, and logs what it applies and what it ignores.
func faultedAPI(p *servePlan, api http.Handler, start time.Time, log *lineLog) (*rest.Chaos, func(), error) {
	chaosCfg := p.chaos
	chaosCfg.Log = func(ev rest.Event) { log.raw(ev.String()) }
	chaos, err := rest.NewChaos(api, chaosCfg)
	if err != nil {
		return nil, nil, badInput("%s: spec.api: %v", p.name, err)
	}
	if p.sc != nil {
		log.printf("serve: scenario %s: spec.api applied; API fault windows: %d, timed from now", p.name, len(p.windows))
	}
	stopWindows := func() {}
	if len(p.windows) > 0 {
		logWindows(log, p.windows)
		stop, err := chaos.Schedule(start, p.windows)
		if err != nil {
			return nil, nil, badInput("%s: spec.faults: %v", p.name, err)
		}
		stopWindows = stop
	}
	if len(p.unserved) > 0 {
		log.printf("serve: the scenario's latency or faults name nodes without a context (see --nodes): %s", strings.Join(p.unserved, ","))
	}
	if p.ignored != "" {
		why := "serve does not run the programs"
		if p.exec {
			why = "a real process runs on the machine's clock"
		}
		log.printf("serve: ignoring the scenario's faults that act on processes or the simulated store (%s): %s", why, p.ignored)
	}
	return chaos, stopWindows, nil
}

// shutdown stops the server once: timed faults, fault windows, requests
// held open, then the listener.
func (si *serveInstance) shutdown() { si.once.Do(si.stop) }

// writeCredentials mints the tokens and the certificate of a server at
// addr and writes the kubeconfig and the control token file.
func writeCredentials(addr string, p *servePlan) (serveTokens, tls.Certificate, error) {
	tokens := mintTokens(p.nodes)
	cert, caPEM, err := serveCert(addr)
	if err != nil {
		return tokens, cert, failed("serve: certificate: %v", err)
	}
	if err := writeKubeconfig(serveKubeconfig(addr, caPEM, p.nodes, tokens.node), p.kubeconfig); err != nil {
		return tokens, cert, badInput("--kubeconfig %s: %v", p.kubeconfig, err)
	}
	if err := writeTokenFile(p.tokenFile, tokens.control); err != nil {
		return tokens, cert, badInput("--control-token %s: %v", p.tokenFile, err)
	}
	return tokens, cert, nil
}

// logWindows logs the scenario's fault windows as scheduled, relative to
// the server's start (Chaos logs each begin and end when it happens).
func logWindows(log *lineLog, ws []fakeapi.Window) {
	for _, w := range ws {
		end := "until stopped"
		if w.Duration > 0 {
			end = "for " + w.Duration.String()
		}
		log.printf("serve: scheduled %s at +%v %s", describeFault(w.Fault), w.At, end)
	}
}

// describeFault is a fault in log words: "partition node=a mode=drop-requests".
func describeFault(f fakeapi.Fault) string {
	switch f := f.(type) {
	case fakeapi.PartitionFault:
		return fmt.Sprintf("partition node=%s mode=%s", f.Node, f.Mode)
	case fakeapi.OutageFault:
		return fmt.Sprintf("outage mode=%s", f.Mode)
	case fakeapi.LatencyFault:
		s := "latency node=" + f.Node
		if f.Request != nil {
			s += " request=" + f.Request.String()
		}
		if f.Response != nil {
			s += " response=" + f.Response.String()
		}
		return s
	case fakeapi.StaleReadsFault:
		return fmt.Sprintf("staleReads maxLag=%v", f.MaxLag)
	case fakeapi.ErrorsFault:
		return fmt.Sprintf("errors rules=%d", len(f.Rules))
	}
	return fmt.Sprintf("%T", f)
}

// control serves the runtime fault endpoints under /lesim/v1/.
type control struct {
	chaos *rest.Chaos
	api   http.Handler // the REST surface without faults, for /lease
	nodes []string
	known map[string]bool
	log   *lineLog

	mu     sync.Mutex
	closed bool
	// gen counts settings per target ("partition/NODE", "outage"), so
	// that the timer of a timed fault ends it only if nothing replaced it
	// since.
	gen    map[string]uint64
	timers map[string]*time.Timer
}

func newControl(chaos *rest.Chaos, api http.Handler, nodes []string, log *lineLog) *control {
	c := &control{chaos: chaos, api: api, nodes: nodes, known: map[string]bool{}, log: log,
		gen: map[string]uint64{}, timers: map[string]*time.Timer{}}
	for _, n := range nodes {
		c.known[n] = true
	}
	return c
}

// register serves the control endpoints on mux, to holders of token only.
func (c *control) register(mux *http.ServeMux, token string) {
	handle := func(pattern string, f func(http.ResponseWriter, *http.Request, url.Values)) {
		mux.Handle(pattern, requireToken(token, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if r.Method == http.MethodPost {
				var err error
				if q, err = postParams(r); err != nil {
					c.fail(w, r, http.StatusUnsupportedMediaType, "%v", err)
					return
				}
			}
			f(w, r, q)
		})))
	}
	handle("POST "+controlPrefix+"partition", c.postPartition)
	handle("DELETE "+controlPrefix+"partition", c.deletePartition)
	handle("POST "+controlPrefix+"outage", c.postOutage)
	handle("DELETE "+controlPrefix+"outage", c.deleteOutage)
	handle("GET "+controlPrefix+"counts", c.getCounts)
	handle("GET "+controlPrefix+"lease", c.getLease)
	handle("/lesim/", func(w http.ResponseWriter, r *http.Request, _ url.Values) {
		c.fail(w, r, http.StatusNotFound, "no such control endpoint; expected POST/DELETE %[1]spartition, POST/DELETE %[1]soutage, GET %[1]scounts or GET %[1]slease", controlPrefix)
	})
}

// close stops the timers of timed faults.
func (c *control) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for k, t := range c.timers {
		t.Stop()
		delete(c.timers, k)
	}
}

func (c *control) fail(w http.ResponseWriter, r *http.Request, code int, format string, args ...any) {
	msg := oneLine(fmt.Sprintf(format, args...))
	c.log.printf("control: %s %s: %d %s", r.Method, r.URL.RequestURI(), code, msg)
	http.Error(w, msg, code)
}

// do logs what a control call does, does it, and answers with the same
// line.
func (c *control) do(w http.ResponseWriter, msg string, action func()) {
	c.log.printf("control: %s", msg)
	action()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, msg)
}

// duration reads the optional duration parameter: 0 when absent.
func duration(q url.Values) (time.Duration, error) {
	s := q.Get("duration")
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("duration=%q: expected a positive Go duration such as 10s or 1m30s", s)
	}
	return d, nil
}

func (c *control) node(q url.Values) (string, error) {
	n := q.Get("node")
	if n == "" {
		return "", fmt.Errorf("node is required; expected one of %s", strings.Join(c.nodes, ", "))
	}
	if !c.known[n] {
		return "", fmt.Errorf("node=%q: expected one of %s", n, strings.Join(c.nodes, ", "))
	}
	return n, nil
}

// set applies a fault now and, with a duration, schedules its end. apply
// and clear run under c.mu.
func (c *control) set(key string, d time.Duration, apply, clear func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen[key]++
	g := c.gen[key]
	if t := c.timers[key]; t != nil {
		t.Stop()
		delete(c.timers, key)
	}
	apply()
	if d <= 0 || c.closed {
		return
	}
	c.timers[key] = time.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed || c.gen[key] != g {
			return
		}
		delete(c.timers, key)
		clear()
	})
}

// unset ends a fault now.
func (c *control) unset(key string, clear func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen[key]++
	if t := c.timers[key]; t != nil {
		t.Stop()
		delete(c.timers, key)
	}
	clear()
}

func forDuration(d time.Duration) string {
	if d <= 0 {
		return "until deleted"
	}
	return "for " + d.String()
}

func (c *control) postPartition(w http.ResponseWriter, r *http.Request, q url.Values) {
	node, err := c.node(q)
	if err != nil {
		c.fail(w, r, http.StatusBadRequest, "%v", err)
		return
	}
	mode := fakeapi.PartitionMode(q.Get("mode"))
	switch mode {
	case fakeapi.PartitionDropRequests, fakeapi.PartitionDropResponses, fakeapi.PartitionDropAll, fakeapi.PartitionRefuse:
	default:
		c.fail(w, r, http.StatusBadRequest, "mode=%q: expected drop-requests, drop-responses, drop-all or refuse", mode)
		return
	}
	d, err := duration(q)
	if err != nil {
		c.fail(w, r, http.StatusBadRequest, "%v", err)
		return
	}
	c.do(w, fmt.Sprintf("partition node=%s mode=%s %s", node, mode, forDuration(d)), func() {
		c.set("partition/"+node, d, func() { c.chaos.SetPartition(node, mode) }, func() { c.chaos.ClearPartition(node) })
	})
}

func (c *control) deletePartition(w http.ResponseWriter, r *http.Request, q url.Values) {
	nodes := c.nodes
	if q.Has("node") {
		node, err := c.node(q)
		if err != nil {
			c.fail(w, r, http.StatusBadRequest, "%v", err)
			return
		}
		nodes = []string{node}
	}
	c.do(w, "heal partition node="+strings.Join(nodes, ","), func() {
		for _, node := range nodes {
			c.unset("partition/"+node, func() { c.chaos.ClearPartition(node) })
		}
	})
}

func (c *control) postOutage(w http.ResponseWriter, r *http.Request, q url.Values) {
	mode := fakeapi.OutageMode(q.Get("mode"))
	switch mode {
	case fakeapi.OutageHang, fakeapi.OutageRefuse:
	default:
		c.fail(w, r, http.StatusBadRequest, "mode=%q: expected hang or refuse", mode)
		return
	}
	d, err := duration(q)
	if err != nil {
		c.fail(w, r, http.StatusBadRequest, "%v", err)
		return
	}
	c.do(w, fmt.Sprintf("outage mode=%s %s", mode, forDuration(d)), func() {
		c.set("outage", d, func() { c.chaos.SetOutage(mode) }, c.chaos.ClearOutage)
	})
}

func (c *control) deleteOutage(w http.ResponseWriter, r *http.Request, _ url.Values) {
	c.do(w, "end outage", func() { c.unset("outage", c.chaos.ClearOutage) })
}

// countsJSON is fakeapi.Counts in the JSON of the counts endpoint.
type countsJSON struct {
	Get    uint64 `json:"get"`
	Create uint64 `json:"create"`
	Update uint64 `json:"update"`
	Delete uint64 `json:"delete"`
	List   uint64 `json:"list"`
	Total  uint64 `json:"total"`
}

func toCountsJSON(c fakeapi.Counts) countsJSON {
	return countsJSON{Get: c.Get, Create: c.Create, Update: c.Update, Delete: c.Delete, List: c.List, Total: c.Total()}
}

// countsReply is the body of GET /lesim/v1/counts.
type countsReply struct {
	Nodes map[string]countsJSON `json:"nodes"`
	Total countsJSON            `json:"total"`
}

func (c *control) getCounts(w http.ResponseWriter, r *http.Request, _ url.Values) {
	rep := countsReply{Nodes: map[string]countsJSON{}, Total: toCountsJSON(c.chaos.TotalCounts())}
	names := append([]string(nil), c.nodes...)
	sort.Strings(names)
	for _, n := range names {
		rep.Nodes[n] = toCountsJSON(c.chaos.Counts(n))
	}
	c.log.printf("control: counts (total %d requests)", rep.Total.Total)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(rep)
}

// getLease answers with the stored Lease as the REST surface serves it,
// past every fault.
func (c *control) getLease(w http.ResponseWriter, r *http.Request, q url.Values) {
	ns, name := q.Get("namespace"), q.Get("name")
	if ns == "" {
		ns = "kube-system"
	}
	if len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		c.fail(w, r, http.StatusBadRequest, "namespace=%q name=%q: expected a namespace (default kube-system) and a Lease name", ns, name)
		return
	}
	req := r.Clone(r.Context())
	req.Method = http.MethodGet
	req.URL = &url.URL{Path: "/apis/coordination.k8s.io/v1/namespaces/" + ns + "/leases/" + name}
	req.RequestURI = req.URL.RequestURI()
	req.Header = http.Header{"Accept": {"application/json"}}
	sw := &statusWriter{ResponseWriter: w}
	c.api.ServeHTTP(sw, req)
	c.log.printf("control: lease %s/%s: %d", ns, name, sw.code)
}

// statusWriter remembers the status code written (0 while none is).
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (a refusing
// fault hijacks it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// abortOnShutdown drops the connection of a request that the server is
// stopping without an answer (one a fault was holding), instead of letting
// net/http answer it with an empty 200: the client sees the connection
// go, as it would from a server that went away.
func abortOnShutdown(base context.Context, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.code == 0 && base.Err() != nil {
			panic(http.ErrAbortHandler)
		}
	})
}
