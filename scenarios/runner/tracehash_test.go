package runner

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"testing"
)

// foldHasher is what the trace hash must compute: FNV-1a 64 over each
// integer as eight little-endian bytes and each string as its length then
// its bytes.
type foldHasher interface {
	int(v int64)
	str(s string)
	Sum64() uint64
}

// compareWithFNV feeds h and hash/fnv the same 100,000 mixed integers
// (large, small, negative, zero) and strings, and reports the first step
// at which they disagree.
func compareWithFNV(h foldHasher) error {
	r := rand.New(rand.NewPCG(1, 2))
	ref := fnv.New64a()
	if h.Sum64() != ref.Sum64() {
		return fmt.Errorf("initial sum %#x, FNV-1a's offset basis is %#x", h.Sum64(), ref.Sum64())
	}
	var b [8]byte
	for i := 0; i < 100000; i++ {
		var v int64
		switch i % 4 {
		case 0:
			v = int64(r.Uint64())
		case 1:
			v = int64(r.Uint64() >> (r.IntN(64)))
		case 2:
			v = -int64(r.IntN(1000))
		}
		h.int(v)
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		ref.Write(b[:])
		if i%7 == 0 {
			s := string(rune('a' + i%26))
			h.str(s)
			binary.LittleEndian.PutUint64(b[:], uint64(len(s)))
			ref.Write(b[:])
			ref.Write([]byte(s))
		}
		if h.Sum64() != ref.Sum64() {
			return fmt.Errorf("step %d: %#x vs %#x", i, h.Sum64(), ref.Sum64())
		}
	}
	return nil
}

func TestTraceHasherIsFNV(t *testing.T) {
	// The reference itself against the published FNV-1a 64 vectors of the
	// FNV test suite.
	for s, want := range map[string]uint64{"": 0xcbf29ce484222325, "a": 0xaf63dc4c8601ec8c, "foobar": 0x85944171f73967e8} {
		ref := fnv.New64a()
		ref.Write([]byte(s))
		if ref.Sum64() != want {
			t.Fatalf("hash/fnv of %q: %#x, published %#x", s, ref.Sum64(), want)
		}
	}
	if err := compareWithFNV(newTraceHasher()); err != nil {
		t.Fatal(err)
	}
}

// skipZeros is a mutant of the trace hasher that folds only an integer's
// significant bytes, dropping the zero padding the fast path accounts for
// with fnvZeros.
type skipZeros struct{ *traceHasher }

func (m skipZeros) int(v int64) {
	for u := uint64(v); u != 0; u >>= 8 {
		m.sum = (m.sum ^ u&0xff) * fnvPrime64
	}
}

func (m skipZeros) str(s string) {
	m.int(int64(len(s)))
	for i := 0; i < len(s); i++ {
		m.sum = (m.sum ^ uint64(s[i])) * fnvPrime64
	}
}

func TestCompareWithFNVCatchesAMutant(t *testing.T) {
	if compareWithFNV(skipZeros{newTraceHasher()}) == nil {
		t.Fatal("a hasher that drops zero bytes passes")
	}
}
