package scenarios

import (
	"flag"
	"os"
	"testing"
)

// propertyChecks is how many cases each rapid property of this package
// (the load/marshal round trips, well under a millisecond a check) draws
// unless -rapid.checks is given (`make test-long` gives 2000).
const propertyChecks = "500"

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if !set {
		if err := flag.Set("rapid.checks", propertyChecks); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
