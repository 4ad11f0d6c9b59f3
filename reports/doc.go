// Package reports turns what a run measured (a *check.Result) into what
// people read: a JSON summary with stable keys, a terminal summary, plots
// (gonum/plot, PNG and SVG), a self-contained HTML report and JUnit XML.
//
// Everything here is a pure function of its input: equal results give
// byte-identical JSON, text, images and XML, so reports can be diffed,
// cached and checked in as golden files. Files are written to a temporary
// name in the target directory and renamed, so that an interrupted write
// never leaves a half-written file behind.
package reports
