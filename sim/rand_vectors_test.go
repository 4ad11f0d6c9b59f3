package sim

import (
	"fmt"
	"hash/fnv"
	"testing"
)

// Published test vectors for the two hashes stream derivation rests on.
// splitmix64: the first five outputs of the reference generator (Steele,
// Lea and Flood; Vigna's splitmix64.c) from state 1234567, as listed by the
// Rosetta Code task "Pseudo-random numbers/Splitmix64". FNV-1a 64: the
// values of the FNV reference test suite (Fowler, Noll and Vo) for "", "a"
// and "foobar".
var (
	splitmixState   = uint64(1234567)
	splitmixOutputs = []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821}
	fnvVectors      = map[string]uint64{"": 0xcbf29ce484222325, "a": 0xaf63dc4c8601ec8c, "foobar": 0x85944171f73967e8}
)

// checkSplitmix checks a mixing function against the reference generator:
// the generator adds the golden gamma to its state and returns the mix of
// the new state, so splitmix(state + k·gamma) is its (k+1)-th output.
func checkSplitmix(mix func(uint64) uint64) error {
	const gamma = 0x9e3779b97f4a7c15
	for k, want := range splitmixOutputs {
		if got := mix(splitmixState + uint64(k)*gamma); got != want {
			return fmt.Errorf("output %d from state %d: %d, want %d", k+1, splitmixState, got, want)
		}
	}
	return nil
}

// checkFNV checks a string hash against the published vectors and against
// hash/fnv on further strings.
func checkFNV(h func(string) uint64) error {
	for s, want := range fnvVectors {
		if got := h(s); got != want {
			return fmt.Errorf("FNV-1a 64 of %q: %#x, want %#x", s, got, want)
		}
	}
	for _, s := range []string{"node/a/jitter", "api/latency", "\x00", "\xff\xfe", "faults/3/partition"} {
		ref := fnv.New64a()
		ref.Write([]byte(s))
		if got := h(s); got != ref.Sum64() {
			return fmt.Errorf("FNV-1a 64 of %q: %#x, hash/fnv says %#x", s, got, ref.Sum64())
		}
	}
	return nil
}

func TestSplitmixMatchesTheReference(t *testing.T) {
	if err := checkSplitmix(splitmix); err != nil {
		t.Fatal(err)
	}
}

func TestFNVMatchesTheReference(t *testing.T) {
	if err := checkFNV(fnv64); err != nil {
		t.Fatal(err)
	}
	ref := func(s string) uint64 { h := fnv.New64a(); h.Write([]byte(s)); return h.Sum64() }
	if err := checkFNV(ref); err != nil {
		t.Fatalf("hash/fnv itself: %v", err)
	}
}

// The checks fail on near misses: a wrong shift in the mixer, a missing
// final xor, FNV-1 (multiply before xor) instead of FNV-1a, and a wrong
// offset basis.
func TestHashChecksCatchMutants(t *testing.T) {
	mixers := map[string]func(uint64) uint64{
		"shift 29": func(x uint64) uint64 {
			x += 0x9e3779b97f4a7c15
			x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9
			x = (x ^ (x >> 27)) * 0x94d049bb133111eb
			return x ^ (x >> 31)
		},
		"no final xor": func(x uint64) uint64 {
			x += 0x9e3779b97f4a7c15
			x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
			return (x ^ (x >> 27)) * 0x94d049bb133111eb
		},
	}
	for name, m := range mixers {
		if checkSplitmix(m) == nil {
			t.Errorf("splitmix mutant %q passes", name)
		}
	}
	hashes := map[string]func(string) uint64{
		"FNV-1": func(s string) uint64 {
			h := uint64(14695981039346656037)
			for i := 0; i < len(s); i++ {
				h *= 1099511628211
				h ^= uint64(s[i])
			}
			return h
		},
		"offset+1": func(s string) uint64 { return fnv64(s) ^ 1 },
	}
	for name, h := range hashes {
		if checkFNV(h) == nil {
			t.Errorf("FNV mutant %q passes", name)
		}
	}
}
