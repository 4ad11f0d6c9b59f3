package elector

import (
	"fmt"
	"math/rand/v2"
	"time"

	"k8s.io/utils/clock"
)

// JitterFactor is client-go's leaderelection.JitterFactor: the acquire loop
// waits RetryPeriod·(1 + JitterFactor·u) between tries, and validation
// requires RenewDeadline > JitterFactor·RetryPeriod.
const JitterFactor = 1.2

// Variant selects which release of client-go's elector is reproduced.
type Variant string

const (
	// VariantSeed behaves as client-go v0.30.0: PollImmediateUntil renew
	// polls, one-shot release with the cached resourceVersion and no Get.
	VariantSeed Variant = "seed"
	// VariantV037 behaves as client-go v0.37.2: PollUntilContextTimeout
	// renew polls, release that re-reads and retries on conflict within
	// RenewDeadline, coordinated mode.
	VariantV037 Variant = "v0.37"
)

// Callbacks mirrors client-go's LeaderCallbacks. OnStartedLeading and
// OnNewLeader are delivered as events after Config.CallbackDelay (client-go
// starts them in goroutines); OnStoppedLeading runs synchronously when Run
// ends, as in client-go.
type Callbacks struct {
	OnStartedLeading func(ctx *Context)
	OnStoppedLeading func()
	OnNewLeader      func(identity string)
}

// Config mirrors client-go's LeaderElectionConfig, plus the variant and the
// simulation-only callback delay.
type Config struct {
	Lock            Lock
	LeaseDuration   time.Duration
	RenewDeadline   time.Duration
	RetryPeriod     time.Duration
	Callbacks       Callbacks
	ReleaseOnCancel bool
	Name            string
	// Coordinated selects client-go's alpha coordinated leader election
	// (v0.37 only): the elector never takes a lease by itself.
	Coordinated bool

	Variant Variant
	// CallbackDelay delays the delivery of OnStartedLeading and
	// OnNewLeader, modelling goroutine scheduling. Zero delivers them as
	// the next events at the same instant.
	CallbackDelay time.Duration
	// Trace, when set, receives the elector's event stream.
	Trace func(Event)
}

// Clock is what the elector reads time from: the monotonic reading (Now,
// Since, timers), which decides everything, and the wall reading, which is
// only written into records. sim.Clock implements it. The elector re-arms
// its loop timers with Reset once they have fired or been stopped, so a
// timer from AfterFunc must run f again after a Reset, as time.Timer's do.
type Clock interface {
	clock.PassiveClock
	AfterFunc(d time.Duration, f func()) clock.Timer
	WallNow() time.Time
}

// Env is how the elector acts on the world besides its lock.
type Env struct {
	Clock Clock
	// Rand draws the acquire jitter; in a simulation it is the node's own
	// stream, so jitter draws never depend on anything else in the run.
	Rand *rand.Rand
	// Ties decides the races client-go leaves to the Go scheduler (a renew
	// tick on the poll's deadline). A stream of its own keeps the jitter
	// draws of Rand in step with client-go's, which draws jitter alone from
	// its source; nil means Rand.
	Ties *rand.Rand
	// Jitter, when set, makes the acquire loop's wait a choice: it gets
	// the wait drawn from Rand and the bounds [lo, hi] client-go's jitter
	// allows, and returns the wait to use (clamped to the bounds). A
	// simulation's adversary or replayer chooses here; nil keeps the draw.
	Jitter func(drawn, lo, hi time.Duration) time.Duration
	// Tie, when set, makes the tie's coin a choice: it gets the coin Ties
	// drew (0: the tick wins and one more request goes out; 1: the
	// deadline wins) and returns the outcome to use.
	Tie func(drawn int) int
}

// validate applies client-go's NewLeaderElector checks in its order, with
// its messages.
func (c *Config) validate() error {
	if c.LeaseDuration <= c.RenewDeadline {
		return fmt.Errorf("leaseDuration must be greater than renewDeadline")
	}
	if c.RenewDeadline <= time.Duration(JitterFactor*float64(c.RetryPeriod)) {
		return fmt.Errorf("renewDeadline must be greater than retryPeriod*JitterFactor")
	}
	if c.LeaseDuration < 1 {
		return fmt.Errorf("leaseDuration must be greater than zero")
	}
	if c.RenewDeadline < 1 {
		return fmt.Errorf("renewDeadline must be greater than zero")
	}
	if c.RetryPeriod < 1 {
		return fmt.Errorf("retryPeriod must be greater than zero")
	}
	if c.Callbacks.OnStartedLeading == nil {
		return fmt.Errorf("OnStartedLeading callback must not be nil")
	}
	if c.Callbacks.OnStoppedLeading == nil {
		return fmt.Errorf("OnStoppedLeading callback must not be nil")
	}
	if c.Lock == nil {
		return fmt.Errorf("Lock must not be nil.")
	}
	if c.Lock.Identity() == "" {
		return fmt.Errorf("Lock identity is empty")
	}
	switch c.Variant {
	case VariantSeed:
		if c.Coordinated {
			return fmt.Errorf("coordinated leader election needs variant %q", VariantV037)
		}
	case VariantV037:
	default:
		return fmt.Errorf("unknown variant %q: expected %q or %q", c.Variant, VariantSeed, VariantV037)
	}
	if c.CallbackDelay < 0 {
		return fmt.Errorf("callbackDelay must not be negative")
	}
	return nil
}
