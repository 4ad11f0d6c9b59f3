package runner

import (
	"testing"

	"github.com/lesim/lesim/scenarios/internal/rapidchecks"
)

// propertyChecks is how many cases each rapid property of this package
// draws unless -rapid.checks is given (`make test-long` gives 2000). Under
// -race a check costs 7–36 ms of CPU (determinism, which runs each case
// three times, the most; liveness 31 ms; scenario validity 9 ms), so the
// eight properties at 500 checks take about 65 s of CPU and the whole
// package about two minutes on two cores.
const propertyChecks = "500"

func TestMain(m *testing.M) { rapidchecks.Main(m, propertyChecks) }
