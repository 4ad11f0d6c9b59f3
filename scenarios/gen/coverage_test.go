package gen

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/scenarios"
)

// Scenario must reach every part of the schema, or the properties that
// draw from it never meet that part. The coverage tests walk the scenario
// types by reflection: every json field reachable from Scenario must be
// set (non-zero) in some scenario of a large sample, and every value of
// every enumeration must occur. A field or value added to the schema
// without generator support fails them.

// coverageSample is how many scenarios are drawn; every field shows up
// well before (the rarest, a coordinated spec with a survivor, about once
// in a few hundred).
const coverageSample = 3000

var durationType = reflect.TypeFor[metav1.Duration]()

// enums lists the values of every enumeration type of the schema.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[scenarios.Variant]():          strs(scenarios.Variants()),
	reflect.TypeFor[scenarios.DistributionType](): strs(scenarios.DistributionTypes()),
	reflect.TypeFor[scenarios.Op]():               strs(scenarios.Ops()),
	reflect.TypeFor[scenarios.ErrorKind]():        strs(scenarios.ErrorKinds()),
	reflect.TypeFor[scenarios.RestartPolicy]():    strs(scenarios.RestartPolicies()),
	reflect.TypeFor[scenarios.Identity]():         strs(scenarios.Identities()),
	reflect.TypeFor[scenarios.FaultType]():        strs(scenarios.FaultTypes()),
	// Modes are checked per fault type: "partition/refuse" and
	// "apiOutage/refuse" are different behaviours.
	reflect.TypeFor[scenarios.FaultMode](): append(
		prefixed(string(scenarios.FaultPartition), scenarios.PartitionModes()),
		prefixed(string(scenarios.FaultAPIOutage), scenarios.OutageModes())...),
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func prefixed[T ~string](prefix string, vs []T) []string {
	out := strs(vs)
	for i := range out {
		out[i] = prefix + "/" + out[i]
	}
	return out
}

// schemaPaths lists the json field paths of t, "spec.nodes[].clock.rate"
// style, and the enumeration types found, failing on a string type with no
// entry in enums (an enumeration added to the schema must be listed).
func schemaPaths(t reflect.Type, prefix string, paths map[string]bool, enumTypes map[reflect.Type]bool) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() == reflect.String && t != reflect.TypeFor[string]() {
		if _, ok := enums[t]; !ok {
			return fmt.Errorf("%s: enumeration type %v has no values listed in enums", prefix, t)
		}
		enumTypes[t] = true
	}
	if t.Kind() != reflect.Struct || t == durationType {
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, inline := jsonName(f)
		if name == "-" || !f.IsExported() {
			continue
		}
		p := prefix
		if !inline {
			p = join(prefix, name)
			paths[p] = true
		}
		if f.Type.Kind() == reflect.Slice {
			p += "[]"
		}
		if err := schemaPaths(f.Type, p, paths, enumTypes); err != nil {
			return err
		}
	}
	return nil
}

func jsonName(f reflect.StructField) (name string, inline bool) {
	tag := f.Tag.Get("json")
	name, opts, _ := strings.Cut(tag, ",")
	if strings.Contains(opts, "inline") || f.Anonymous && name == "" {
		return "", true
	}
	if name == "" {
		name = f.Name
	}
	return name, false
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// coverage records which field paths of v are set and which enumeration
// values occur (modes keyed by their fault's type).
type coverage struct {
	set    map[string]bool
	values map[reflect.Type]map[string]bool
}

func newCoverage() *coverage {
	return &coverage{set: map[string]bool{}, values: map[reflect.Type]map[string]bool{}}
}

func (c *coverage) walk(v reflect.Value, path, faultType string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			c.walk(v.Elem(), path, faultType)
		}
		return
	case reflect.Slice:
		for i := range v.Len() {
			c.walk(v.Index(i), path+"[]", faultType)
		}
		return
	case reflect.String:
		if enums[v.Type()] != nil && v.Len() > 0 {
			val := v.String()
			if v.Type() == reflect.TypeFor[scenarios.FaultMode]() {
				val = faultType + "/" + val
			}
			if c.values[v.Type()] == nil {
				c.values[v.Type()] = map[string]bool{}
			}
			c.values[v.Type()][val] = true
		}
		return
	case reflect.Struct:
	default:
		return
	}
	if v.Type() == durationType {
		return
	}
	if f, ok := v.Interface().(scenarios.Fault); ok {
		faultType = string(f.Type)
	}
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		name, inline := jsonName(sf)
		if name == "-" || !sf.IsExported() {
			continue
		}
		p := path
		if !inline {
			p = join(path, name)
			if !v.Field(i).IsZero() {
				c.set[p] = true
			}
		}
		c.walk(v.Field(i), p, faultType)
	}
}

// missing returns the schema paths of root never set and the enumeration
// values never seen.
func (c *coverage) missing(root reflect.Type) ([]string, error) {
	paths, enumTypes := map[string]bool{}, map[reflect.Type]bool{}
	if err := schemaPaths(root, "", paths, enumTypes); err != nil {
		return nil, err
	}
	var out []string
	for p := range paths {
		if !c.set[p] {
			out = append(out, p)
		}
	}
	for t := range enumTypes {
		for _, val := range enums[t] {
			if !c.values[t][val] {
				out = append(out, fmt.Sprintf("%s value %q", t.Name(), val))
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func sampleCoverage(o Options, n int, wrap func(*scenarios.Scenario) any) *coverage {
	c := newCoverage()
	g := Scenario(o)
	for i := range n {
		c.walk(reflect.ValueOf(wrap(g.Example(i))), "", "")
	}
	return c
}

func TestScenarioCoversTheSchema(t *testing.T) {
	c := sampleCoverage(Options{}, coverageSample, func(sc *scenarios.Scenario) any { return sc })
	missing, err := c.missing(reflect.TypeFor[scenarios.Scenario]())
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("%d scenarios drawn by Scenario(Options{}) never set:\n  %s", coverageSample, strings.Join(missing, "\n  "))
	}
}

// plantedScenario is the schema with one field more, which the generator
// does not know: the coverage check must name it.
type plantedScenario struct {
	scenarios.Scenario `json:",inline"`
	Planted            *metav1.Duration `json:"planted,omitempty"`
}

func TestCoverageNamesAnUngeneratedField(t *testing.T) {
	c := sampleCoverage(Options{}, coverageSample, func(sc *scenarios.Scenario) any { return plantedScenario{Scenario: *sc} })
	missing, err := c.missing(reflect.TypeFor[plantedScenario]())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(missing, []string{"planted"}) {
		t.Errorf("a field the generator never sets: got missing %q, want exactly [planted]", missing)
	}
}

// Features excluded are never drawn, and the coverage check notices: with
// injected errors and the serial server excluded, their fields are missing.
func TestCoverageNamesAnExcludedFeature(t *testing.T) {
	c := sampleCoverage(Options{Exclude: APIErrors | SerialServer | FaultTargets}, 500, func(sc *scenarios.Scenario) any { return sc })
	missing, err := c.missing(reflect.TypeFor[scenarios.Scenario]())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"spec.api.errors", "spec.api.errors[].op", "spec.api.serviceTime", `Op value "get"`, `ErrorKind value "timeout"`} {
		if !slices.Contains(missing, want) {
			t.Errorf("with errors and the serial server excluded, %q should be missing; missing: %q", want, missing)
		}
	}
}

// An enumeration value the generator never draws is named too.
func TestCoverageNamesAnUngeneratedValue(t *testing.T) {
	typ := reflect.TypeFor[scenarios.Identity]()
	old := enums[typ]
	enums[typ] = append(slices.Clone(old), "planted")
	defer func() { enums[typ] = old }()
	c := sampleCoverage(Options{}, 500, func(sc *scenarios.Scenario) any { return sc })
	missing, err := c.missing(reflect.TypeFor[scenarios.Scenario]())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(missing, `Identity value "planted"`) {
		t.Errorf("an enumeration value never drawn is not reported; missing: %q", missing)
	}
}

// Every drawn scenario is valid, with every feature in, and with every
// feature at once (NoSwarm), where interactions are densest.
func TestScenarioDrawsValidScenarios(t *testing.T) {
	for _, o := range []Options{{}, {NoSwarm: true}, {FirstNodeSurvives: true, MaxNodes: 5}} {
		g := Scenario(o)
		for i := range 1000 {
			sc := g.Example(i)
			c := sc.Clone()
			scenarios.Default(c)
			if errs := c.Validate(); len(errs) > 0 {
				b, _ := sc.Marshal()
				t.Fatalf("options %+v, example %d invalid: %v\n%s", o, i, errs.ToAggregate(), b)
			}
		}
	}
}

// With FirstNodeSurvives, node a restarts whatever it is hit by and is
// never coordinated.
func TestFirstNodeSurvives(t *testing.T) {
	g := Scenario(Options{FirstNodeSurvives: true, NoSwarm: true})
	for i := range 500 {
		sc := g.Example(i)
		if p := sc.NodeRestart(0).Policy; p != scenarios.RestartAlways {
			t.Fatalf("example %d: node a's restart policy %s", i, p)
		}
		if sc.NodeElector(0).Coordinated {
			t.Fatalf("example %d: node a is coordinated", i)
		}
	}
}
