package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fileFirst is how a message begins: the file, then the position when the
// problem has one.
var fileFirst = regexp.MustCompile(`^fuzz\.yaml(:[1-9][0-9]*:[1-9][0-9]*)?: `)

// FuzzLoad: Parse never panics, rejects with a one-line *LoadError, and
// whatever it accepts survives Marshal and Parse unchanged.
//
//	go test -fuzz FuzzLoad ./scenarios
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("library/*.yaml")
	files = append(files, "testdata/example.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"- a\n",
		scenarioHead + "spec: {seed: 1, seed: 2}\n",
		scenarioHead + "spec: {duration: 10 minutes}\n",
		scenarioHead + "spec: {nodes: [{name: a, clock: {rate: .nan}}]}\n",
		scenarioHead + "a: &x {b: 1}\nc: {<<: *x, b: 2}\n",
		scenarioHead + "metadata: {annotations: {k: \"\\x85\\u2028\\x7f\"}}\n",
		scenarioHead + "spec: {faults: [{type: pause, at: 2562047h, duration: 2562047h, nodes: [a]}]}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T is not a *LoadError: %v", err, err)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !fileFirst.MatchString(msg) {
				t.Fatalf("message is not one line naming the file: %q", msg)
			}
			return
		}
		out, err := s.Marshal()
		if err != nil {
			t.Fatalf("Marshal of an accepted scenario: %v", err)
		}
		back, err := Parse("fuzz.yaml", out)
		if err != nil {
			t.Fatalf("Parse of Marshal output: %v\n%s", err, out)
		}
		if diff := cmp.Diff(s, back); diff != "" {
			t.Fatalf("round trip (-before +after):\n%s\n%s", diff, out)
		}
	})
}
