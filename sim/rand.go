package sim

import (
	"math/rand/v2"
)

// Stream returns a fresh random source for the named consumer, derived only
// from (run seed, name). Two consumers never share draws, and adding a
// consumer never shifts the draws of another: that keeps fault schedules
// independent of one another and gives sweeps common random numbers.
//
// Calling Stream twice with the same name returns two sources that produce
// the same sequence; callers keep the one they got.
func (s *Sim) Stream(name string) *rand.Rand {
	return NewStream(s.seed, name)
}

// NewStream is Stream without a simulation, for code that derives seeds
// (sweeps derive each point's seed from the sweep seed and the point key).
func NewStream(seed uint64, name string) *rand.Rand {
	a, b := StreamSeed(seed, name)
	return rand.New(rand.NewPCG(a, b))
}

// StreamSeed derives the two 64-bit PCG seed words of a named stream.
func StreamSeed(seed uint64, name string) (uint64, uint64) {
	h := fnv64(name)
	a := splitmix(seed ^ splitmix(h))
	b := splitmix(a ^ 0x9e3779b97f4a7c15 ^ h)
	return a, b
}

// DeriveSeed derives a child seed from a parent seed and a key.
func DeriveSeed(seed uint64, key string) uint64 {
	a, _ := StreamSeed(seed, key)
	return a
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
