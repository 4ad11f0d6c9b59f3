package check

// FirstDivergence returns the index of the first event at which two traces
// differ (-1 when they are equal), so a determinism failure can name where
// two runs parted.
func FirstDivergence(a, b []TraceEvent) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return n
	}
	return -1
}
