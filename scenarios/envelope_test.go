package scenarios

import (
	"strings"
	"testing"
)

// envelopeExample is the example of the schema text's envelope section.
func envelopeExample(t *testing.T) string {
	t.Helper()
	doc := SchemaDoc()
	i := strings.Index(doc, "## The environment envelope")
	j := strings.Index(doc[i:], "    apiVersion:")
	k := strings.Index(doc[i:], "## Faults")
	if i < 0 || j < 0 || k < j {
		t.Fatal("no example in the envelope section")
	}
	var out []string
	for _, l := range strings.Split(doc[i+j:i+k], "\n") {
		out = append(out, strings.TrimPrefix(l, "    "))
	}
	return strings.Join(out, "\n")
}

// TestEnvelopeExample: the schema's envelope example loads; the same with
// a jitter range leaving client-go's, or an inverted band, does not.
func TestEnvelopeExample(t *testing.T) {
	ex := envelopeExample(t)
	if _, err := Parse("envelope.yaml", []byte(ex)); err != nil {
		t.Fatalf("the envelope example does not load: %v\n%s", err, ex)
	}
	for _, c := range []struct{ from, to, want string }{
		{"max: 3s}", "max: 4.4s}", "spec.nodes[1].jitter.max: max 4.4s is outside client-go's jitter"},
		{"{min: 0.99, max: 1.1}", "{min: 1.1, max: 0.99}", "spec.nodes[1].clock.rateBand.max: max 0.99 is below min 1.1"},
		{"atMax: 40s", "atMax: 20s", "spec.faults[0].atMax: atMax 20s is before at 30s"},
	} {
		bad := strings.Replace(ex, c.from, c.to, 1)
		_, err := Parse("envelope.yaml", []byte(bad))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s → %s: got %v, want %q", c.from, c.to, err, c.want)
		}
	}
}
