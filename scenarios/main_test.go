package scenarios

import (
	"testing"

	"github.com/lesim/lesim/scenarios/internal/rapidchecks"
)

// propertyChecks is how many cases each rapid property of this package
// (the load/marshal round trips, well under a millisecond a check) draws
// unless -rapid.checks is given (`make test-long` gives 2000).
const propertyChecks = "500"

func TestMain(m *testing.M) { rapidchecks.Main(m, propertyChecks) }
