// Package simulated breaks every rule once, and escapes each once.
package simulated

import (
	"maps"
	"math/rand"
	randv2 "math/rand/v2"
	"slices"
	"time"
)

func wallClock() {
	_ = time.Now()                         // want `time.Now reads the wall clock`
	time.Sleep(time.Second)                // want `time.Sleep reads the wall clock`
	_ = time.Since(time.Time{})            // want `time.Since reads the wall clock`
	_ = time.Until(time.Time{})            // want `time.Until reads the wall clock`
	<-time.After(time.Second)              // want `time.After reads the wall clock`
	time.AfterFunc(time.Second, func() {}) // want `time.AfterFunc reads the wall clock`
	_ = time.Tick(time.Second)             // want `time.Tick reads the wall clock`
	_ = time.NewTimer(time.Second)         // want `time.NewTimer reads the wall clock`
	_ = time.NewTicker(time.Second)        // want `time.NewTicker reads the wall clock`
	now := time.Now                        // want `time.Now reads the wall clock`
	_ = now
	_ = time.Unix(0, 0).Add(time.Second) // not the wall clock
}

func globalRand(r *randv2.Rand) {
	_ = rand.Intn(3)                            // want `math/rand.Intn draws from the global generator`
	_ = randv2.IntN(3)                          // want `math/rand/v2.IntN draws from the global generator`
	_ = randv2.Float64()                        // want `math/rand/v2.Float64 draws from the global generator`
	_ = randv2.New(randv2.NewPCG(1, 2)).IntN(3) // a seeded generator
	_ = rand.New(rand.NewSource(1)).Intn(3)     // a seeded generator
	_ = r.IntN(3)                               // a method of a stream
}

func goroutine() {
	go func() {}() // want `go statement in a simulated package`
}

func selects(a, b chan int) {
	select { // want `select with 2 communication cases`
	case <-a:
	case <-b:
	}
	select { // one case and a default: no choice among ready cases
	case <-a:
	default:
	}
}

func mapRange(m map[string]int) int {
	n := 0
	for _, v := range m { // want `range over a map: its order is random`
		n += v
	}
	for _, k := range slices.Sorted(maps.Keys(m)) { // sorted keys
		n += m[k]
	}
	return n
}

type named map[int]bool

func namedMapRange(m named) {
	for range m { // want `range over a map`
	}
}

func escapes(m map[string]int) {
	_ = time.Now() //lesim:allow wallclock: a trailing escape covers its own line

	//lesim:allow goroutine: an escape alone on its line covers the next one
	go func() {}()

	//lesim:allow maprange,wallclock: one escape may name several rules
	for range m {
		_ = time.Now() // want `time.Now reads the wall clock`
	}
}

func badEscapes() {
	_ = time.Now() /* want `malformed escape: no reason after the rule` `time.Now reads the wall clock` */   //lesim:allow wallclock
	_ = time.Now() /* want `malformed escape: unknown rule "clock"` `time.Now reads the wall clock` */       //lesim:allow clock: not a rule
	_ = time.Now() /* want `malformed escape: no space after lesim:allow` `time.Now reads the wall clock` */ //lesim:allowwallclock: glued
	_ = 1          /* want `lesim:allow goroutine allows nothing here` */                                    //lesim:allow goroutine: nothing to allow here
	_ = 2          /* want `lesim:allow wallclock allows nothing here` */                                    //lesim:allow wallclock: a trailing escape covers its own line only
	_ = time.Now() // want `time.Now reads the wall clock`
}
