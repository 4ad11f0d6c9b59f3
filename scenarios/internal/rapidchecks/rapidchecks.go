// Package rapidchecks sets how many cases each rapid property of a test
// binary draws when -rapid.checks is not given: packages whose properties
// are cheap enough raise rapid's default of 100 from their TestMain.
package rapidchecks

import (
	"flag"
	"os"
	"testing"
)

// Main is a TestMain that runs m's tests with -rapid.checks at checks
// unless the command line sets it.
func Main(m *testing.M, checks string) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if !set {
		if err := flag.Set("rapid.checks", checks); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
