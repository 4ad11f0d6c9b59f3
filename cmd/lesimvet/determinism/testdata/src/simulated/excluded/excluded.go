// Package excluded is under simulated/ but excluded by a "-" pattern:
// nothing is checked.
package excluded

import "time"

func realTime() time.Time { return time.Now() }
