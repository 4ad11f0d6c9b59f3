// Command simulate runs lesim scenarios: the embedded default with no
// arguments, a scenario file or a named library scenario with `run`, and
// prints what the run measured.
package main

import (
	"os"
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}
