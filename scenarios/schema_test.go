package scenarios

import (
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
)

// -update rewrites docs/scenario-schema.md from SchemaDoc. The flag is
// registered only if no other test of the package has registered it (a
// second registration panics), and read by name.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files, among them docs/scenario-schema.md")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const schemaFile = "../docs/scenario-schema.md"

// jsonPaths lists every field path of t, lists written as name[], by an
// independent walk of the types.
func jsonPaths(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var paths []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			paths = append(paths, jsonPaths(f.Type, prefix)...)
			continue
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		paths = append(paths, p)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
			p += "[]"
		}
		if ft.Kind() == reflect.Struct && ft != durationType {
			paths = append(paths, jsonPaths(ft, p)...)
		}
	}
	return paths
}

func TestSchemaDocCoversEveryField(t *testing.T) {
	doc := SchemaDoc()
	paths := jsonPaths(reflect.TypeFor[Scenario](), "")
	if len(paths) < 100 {
		t.Fatalf("only %d paths: the walk is broken", len(paths))
	}
	for _, p := range paths {
		if !strings.Contains(doc, "- `"+p+"` (") {
			t.Errorf("SchemaDoc does not document %s", p)
		}
	}
	if strings.Contains(doc, "UNDOCUMENTED") {
		t.Errorf("SchemaDoc has fields without a docs entry")
	}
	// Every docs entry belongs to a real field, so none outlives its field.
	for typ, fields := range docs {
		known := map[string]bool{}
		for _, f := range jsonFields(typ) {
			known[f.name] = true
		}
		for name := range fields {
			if !known[name] {
				t.Errorf("docs has an entry for %s.%s, which is no field", typ.Name(), name)
			}
		}
	}
}

func TestSchemaDocFile(t *testing.T) {
	doc := SchemaDoc()
	if updating() {
		if err := os.WriteFile(schemaFile, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v (run go test ./scenarios -run TestSchemaDocFile -update)", err)
	}
	if string(got) != doc {
		t.Errorf("%s is not SchemaDoc(); refresh it with: go test ./scenarios -run TestSchemaDocFile -update", schemaFile)
	}
}

// TestSchemaDocValues keeps the allowed values in the docs in step with
// the lists validation uses.
func TestSchemaDocValues(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want []string
	}{
		{docs[reflect.TypeFor[Elector]()]["variant"].Values, toStrings(Variants())},
		{docs[reflect.TypeFor[Distribution]()]["distribution"].Values, toStrings(DistributionTypes())},
		{docs[reflect.TypeFor[ErrorRule]()]["op"].Values, toStrings(Ops())},
		{docs[reflect.TypeFor[ErrorRule]()]["kind"].Values, toStrings(ErrorKinds())},
		{docs[reflect.TypeFor[Restart]()]["policy"].Values, toStrings(RestartPolicies())},
		{docs[reflect.TypeFor[Fault]()]["type"].Values, toStrings(FaultTypes())},
	} {
		if got := strings.Split(tc.doc, ", "); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("docs list %v, validation accepts %v", got, tc.want)
		}
	}
	doc := SchemaDoc()
	for _, ft := range FaultTypes() {
		if !strings.Contains(doc, "| "+string(ft)+" | ") {
			t.Errorf("the Faults table has no row for %s", ft)
		}
	}
	for _, dt := range DistributionTypes() {
		if !strings.Contains(doc, "| "+string(dt)+" | ") {
			t.Errorf("the Distributions table has no row for %s", dt)
		}
	}
}

func toStrings[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}
