package scenarios

import (
	"encoding/binary"
	"hash/fnv"
	"math/rand/v2"
	"testing"
)

func TestTraceHasherIsFNV(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	th := newTraceHasher()
	ref := fnv.New64a()
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
		th.int(v)
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		ref.Write(b[:])
		if i%7 == 0 {
			s := string(rune('a' + i%26))
			th.str(s)
			binary.LittleEndian.PutUint64(b[:], uint64(len(s)))
			ref.Write(b[:])
			ref.Write([]byte(s))
		}
		if th.Sum64() != ref.Sum64() {
			t.Fatalf("step %d: %x vs %x", i, th.Sum64(), ref.Sum64())
		}
	}
}
