//go:build race

package main

// Under -race (make test) the examples are built with -race too: the
// compiled client-go of the test build's variant is reused instead of
// compiled once more.
func init() { exampleBuildFlags = []string{"-race"} }
