package scenarios

import (
	"fmt"
	"time"
)

// Timings is an elector's three durations.
type Timings struct {
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// Elector returns the timings as a spec-level elector block.
func (tm Timings) Elector() Elector {
	return Elector{LeaseDuration: Dur(tm.LeaseDuration), RenewDeadline: Dur(tm.RenewDeadline), RetryPeriod: Dur(tm.RetryPeriod)}
}

// LDs is the lease duration as written into the record: whole seconds.
func (tm Timings) LDs() time.Duration { return tm.LeaseDuration.Truncate(time.Second) }

func (tm Timings) String() string {
	return fmt.Sprintf("%v/%v/%v", tm.LeaseDuration, tm.RenewDeadline, tm.RetryPeriod)
}
