// Command lesimvet runs lesim's own analyzers: the determinism rules of
// the simulated packages (package determinism). `make lint` runs it over
// the module:
//
//	go run ./cmd/lesimvet ./...
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/lesim/lesim/cmd/lesimvet/determinism"
)

func main() { singlechecker.Main(determinism.Analyzer) }
