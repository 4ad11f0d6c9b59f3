// Package determinism is a go/analysis analyzer that enforces lesim's
// determinism rules in the packages whose code runs inside a simulation. A
// run must be a pure function of (scenario, seed), so that code may not:
//
//   - wallclock: read or wait on the wall clock (time.Now, Since, Until,
//     Sleep, After, AfterFunc, Tick, NewTimer, NewTicker); simulated code
//     reads a node's clock or the kernel's true time;
//   - globalrand: call a top-level function of math/rand or math/rand/v2
//     other than a constructor (New, NewSource, NewPCG, NewChaCha8,
//     NewZipf); simulated code draws from a named stream of the run;
//   - goroutine: start a goroutine (a go statement); the kernel runs one
//     event at a time;
//   - select: wait in a select with more than one communication case,
//     whose choice among ready cases is random;
//   - maprange: range over a map, whose order is random; range over
//     sorted keys (slices.Sorted(maps.Keys(m))) or keep a slice.
//
// Test files are not checked: tests may race whole runs against each other.
//
// # Simulated packages
//
// The -packages flag lists them (comma-separated import-path patterns: an
// exact path, "path/..." for a subtree, a leading "-" to exclude). The
// default is what runs inside a simulation:
//
//   - sim/...: the kernel;
//   - fakeapi and fakeapi/leaselock: the simulated API server and the lock
//     the elector uses over it (not fakeapi/rest, the HTTP surface that runs
//     on the time package, fake in synctest or real in serve);
//   - elector: the state machine;
//   - scenarios/...: the runner, its recorder and checkers, and what they
//     build on — except scenarios/conformance, which drives client-go's own
//     elector on real (or synctest) time.
//
// # Escapes
//
// A line that must break a rule says so with a comment on that line or on
// the line just above:
//
//	//lesim:allow goroutine: whole runs in parallel; each run is single-threaded
//
// naming one or more rules (comma-separated) and, after a colon, the reason.
// A marker without a known rule or a reason, a marker that allows nothing,
// and a marker in a package that is not checked are reported too, so every
// marker in the tree is one the analyzer reads.
package determinism

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// The rule names, as escape comments spell them.
const (
	RuleWallClock  = "wallclock"
	RuleGlobalRand = "globalrand"
	RuleGoroutine  = "goroutine"
	RuleSelect     = "select"
	RuleMapRange   = "maprange"
)

func ruleNames() []string {
	return []string{RuleWallClock, RuleGlobalRand, RuleGoroutine, RuleSelect, RuleMapRange}
}

// DefaultPackages are the simulated packages checked when -packages is not
// given; see the package documentation for why each is on the list.
const DefaultPackages = "github.com/lesim/lesim/sim/...," +
	"github.com/lesim/lesim/fakeapi," +
	"github.com/lesim/lesim/fakeapi/leaselock," +
	"github.com/lesim/lesim/elector," +
	"github.com/lesim/lesim/scenarios/...," +
	"-github.com/lesim/lesim/scenarios/conformance/..."

// Analyzer reports breaches of the determinism rules in simulated packages.
var Analyzer = newAnalyzer()

func newAnalyzer() *analysis.Analyzer {
	a := &analysis.Analyzer{
		Name: "determinism",
		Doc:  "report wall clock, global rand, goroutines, racing selects and map ranges in simulated packages",
		URL:  "https://github.com/lesim/lesim/tree/main/cmd/lesimvet/determinism",
	}
	pkgs := &patterns{}
	if err := pkgs.Set(DefaultPackages); err != nil {
		panic(err)
	}
	a.Flags.Var(pkgs, "packages", "comma-separated import-path patterns of the simulated packages (path, path/..., -excluded)")
	a.Run = func(pass *analysis.Pass) (any, error) { return run(pass, pkgs) }
	return a
}

// wallClock are the functions of package time that read or wait on the
// wall clock.
var wallClock = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true,
}

// randConstructors are the top-level functions of math/rand and
// math/rand/v2 that build a seeded generator instead of drawing from the
// global one.
var randConstructors = map[string]bool{
	"New": true, "NewSource": true, "NewPCG": true, "NewChaCha8": true, "NewZipf": true,
}

func run(pass *analysis.Pass, pkgs *patterns) (any, error) {
	checked := pkgs.match(pass.Pkg.Path())
	var files []*ast.File
	allows := map[*token.File][]*allow{}
	for _, f := range pass.Files {
		tf := pass.Fset.File(f.Pos())
		if tf == nil || strings.HasSuffix(tf.Name(), "_test.go") {
			continue
		}
		files = append(files, f)
		as, err := parseAllows(pass, f, tf, checked)
		if err != nil {
			return nil, err
		}
		allows[tf] = as
	}
	if !checked {
		return nil, nil
	}
	c := &checker{pass: pass, allows: allows}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			c.node(n)
			return true
		})
	}
	for _, f := range files {
		for _, a := range allows[pass.Fset.File(f.Pos())] {
			if !a.used && a.valid {
				pass.Reportf(a.pos, "lesim:allow %s allows nothing here; remove it", strings.Join(a.rules, ","))
			}
		}
	}
	return nil, nil
}

type checker struct {
	pass   *analysis.Pass
	allows map[*token.File][]*allow
}

func (c *checker) node(n ast.Node) {
	switch n := n.(type) {
	case *ast.Ident:
		c.ident(n)
	case *ast.GoStmt:
		c.report(n.Pos(), RuleGoroutine, "go statement in a simulated package: the kernel runs one event at a time")
	case *ast.SelectStmt:
		comms := 0
		for _, cl := range n.Body.List {
			if cc, ok := cl.(*ast.CommClause); ok && cc.Comm != nil {
				comms++
			}
		}
		if comms > 1 {
			c.report(n.Pos(), RuleSelect, fmt.Sprintf("select with %d communication cases chooses at random among ready ones", comms))
		}
	case *ast.RangeStmt:
		if t := c.pass.TypesInfo.TypeOf(n.X); t != nil {
			if _, ok := t.Underlying().(*types.Map); ok {
				c.report(n.Pos(), RuleMapRange, "range over a map: its order is random; range over sorted keys")
			}
		}
	}
}

func (c *checker) ident(id *ast.Ident) {
	fn, ok := c.pass.TypesInfo.Uses[id].(*types.Func)
	if !ok || fn.Pkg() == nil {
		return
	}
	if sig, ok := fn.Type().(*types.Signature); !ok || sig.Recv() != nil {
		return
	}
	switch path := fn.Pkg().Path(); {
	case path == "time" && wallClock[fn.Name()]:
		c.report(id.Pos(), RuleWallClock, fmt.Sprintf("time.%s reads the wall clock; use the node's clock or the kernel's time", fn.Name()))
	case (path == "math/rand" || path == "math/rand/v2") && !randConstructors[fn.Name()]:
		c.report(id.Pos(), RuleGlobalRand, fmt.Sprintf("%s.%s draws from the global generator; draw from a named stream of the run", path, fn.Name()))
	}
}

// report reports a breach of rule at pos unless an escape on its line or
// the line above allows it.
func (c *checker) report(pos token.Pos, rule, msg string) {
	tf := c.pass.Fset.File(pos)
	line := tf.Line(pos)
	for _, a := range c.allows[tf] {
		if a.valid && a.covers(line) && a.allows(rule) {
			a.used = true
			return
		}
	}
	c.pass.Reportf(pos, "%s (%s; escape with //lesim:allow %s: <reason>)", msg, rule, rule)
}
