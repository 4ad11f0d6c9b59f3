package reports

import (
	"github.com/lesim/lesim/scenarios/check"
)

// Metric is one number the gate and compare judge a run by; the scenarios
// package defines them on a run's result.
type Metric = check.Metric

// MetricNames lists the judged metrics in a fixed order, which is the order
// of every table, diff and CSV column that shows them.
var MetricNames = check.MetricNames()
