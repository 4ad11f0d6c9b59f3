package conformance

// TestResult is one two-sample test as the suite computes it: the test's
// name, its statistic, the two-sided p-value and the effect size in the
// quantity's own unit (seconds, requests, percentage points).
type TestResult struct {
	Test      string
	Statistic float64
	P         float64
	Effect    float64
}

func exported(r testResult) TestResult {
	return TestResult{Test: r.test, Statistic: r.statistic, P: r.p, Effect: r.effect}
}

// KS is the suite's two-sample Kolmogorov–Smirnov test of x against y;
// the effect size is the largest gap between matching deciles.
func KS(x, y []float64) TestResult { return exported(ksTest(x, y)) }

// TwoProportion is the suite's pooled two-proportion z-test of k1 of n1
// against k2 of n2; the effect size is |p1 − p2| in percentage points.
func TwoProportion(k1, n1, k2, n2 int) TestResult {
	return exported(proportionTest(k1, n1, k2, n2))
}
