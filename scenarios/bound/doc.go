// Package bound searches where, along one continuous parameter of a
// scenario with everything else fixed, overlap begins (Threshold), and
// states the first-order prediction it is compared with (PredictedRatio,
// PredictedLatency). docs/safety-bound.md has the measurements.
package bound
