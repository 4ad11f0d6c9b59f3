package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"
)

// TestCase is one judged item of a gate (a scenario) for JUnit XML.
type TestCase struct {
	Name string
	// Failures are one-line reasons; none means it passed.
	Failures []string
	// Detail is shown in the failure body (a diff of what regressed).
	Detail string
	// Elapsed is the wall time the case took; zero is allowed and gives
	// byte-stable XML.
	Elapsed time.Duration
}

// WriteJUnit writes cases as one JUnit test suite: what CI systems
// (GitHub, GitLab, Jenkins) show as a test report.
func WriteJUnit(w io.Writer, suite string, cases []TestCase) error {
	ts := junit.Testsuite{Name: suite, Time: seconds(0)}
	var total time.Duration
	for _, c := range cases {
		tc := junit.Testcase{Name: c.Name, Classname: suite, Time: seconds(c.Elapsed)}
		if len(c.Failures) > 0 {
			body := strings.Join(c.Failures, "\n")
			if c.Detail != "" {
				body += "\n\n" + c.Detail
			}
			tc.Failure = &junit.Result{Message: c.Failures[0], Type: "regression", Data: body}
		}
		total += c.Elapsed
		ts.AddTestcase(tc)
	}
	ts.Time = seconds(total)
	var all junit.Testsuites
	all.Name = suite
	all.AddSuite(ts)
	all.Time = ts.Time
	if _, err := io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"); err != nil {
		return err
	}
	return all.WriteXML(w)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
