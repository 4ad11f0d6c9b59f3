// Package analysis turns a run's trace into what reports and explain
// show: each node's clock rate over true time, what each node believed
// about the holder's lease, the episodes worth a closer look (overlaps,
// failovers, spurious transitions) with the events around them, and one
// sentence per episode stating its causal chain in numbers.
//
// A Collector folds the trace as it streams (runner.RunOptions.OnEvent)
// and keeps only what those need — belief spans, and the events within a
// bounded window of each leadership change — so that a report of a long
// run costs about what the run does. Rendering lives in package reports.
package analysis
