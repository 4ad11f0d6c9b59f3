package runner

import (
	"flag"
	"os"
	"testing"
)

// propertyChecks is how many cases each rapid property of this package
// draws unless -rapid.checks is given (`make test-long` gives 2000). Under
// -race a check costs 7–36 ms of CPU (determinism, which runs each case
// three times, the most; liveness 31 ms; scenario validity 9 ms), so the
// eight properties at 500 checks take about 65 s of CPU and the whole
// package about two minutes on two cores.
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
