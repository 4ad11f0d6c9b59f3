package analysis

import (
	"strconv"
	"strings"
)

// DetailField reads key=value out of a trace event's space-separated
// detail; a value may be Go-quoted.
func DetailField(detail, key string) (string, bool) {
	for _, f := range strings.Fields(detail) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k != key {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		return v, true
	}
	return "", false
}
