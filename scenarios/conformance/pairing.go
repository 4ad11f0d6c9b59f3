package conformance

import (
	"hash/fnv"
	mathrand "math/rand"
	randv2 "math/rand/v2"
	"time"

	"github.com/lesim/lesim/elector"
	"github.com/lesim/lesim/scenarios/check"
)

// sharedJitter makes a lesim run draw its acquire jitter as the real run
// on the same seed does, so that the two can be compared seed by seed.
//
// client-go's electors draw their jitter (wait.Jitter) from the
// process-wide Go 1 math/rand, which runReal seeds with the run's seed: one
// source for every node, consumed in the order the goroutines reach a
// draw. sharedJitter is that source (rand.New(rand.NewSource(seed)), the
// same rngSource stream as the seeded global) handed to every node of the
// lesim run, consumed in event order.
//
// Two differences in how often the loops draw are made up here. client-go's
// acquire loop (BackoffUntil, sliding) draws after every run of its try
// function, also after the try that acquired and after one that ended
// because Run's context was cancelled; lesim's elector draws only before a
// next try. So sharedJitter watches the run's events and draws one value
// and throws it away when a node acquires, and when a node's process
// crashes or its Run returns (a stop) with an acquire try in flight.
type sharedJitter struct {
	src        *mathrand.Rand
	attempting map[string]bool // node → an acquire try is in flight
	draws      int             // values taken, the discarded ones included
}

func newSharedJitter(seed uint64) *sharedJitter {
	return &sharedJitter{src: mathrand.New(mathrand.NewSource(int64(seed))), attempting: map[string]bool{}}
}

// float64 is Go 1's math/rand Float64 of the shared stream, as
// rand.Float64() returns it to wait.Jitter.
func (j *sharedJitter) float64() float64 {
	j.draws++
	return j.src.Float64()
}

// forNode is the RunOptions.Jitter hook: node's view of the shared source.
func (j *sharedJitter) forNode(node string) *randv2.Rand {
	return randv2.New(&goOneSource{j: j, node: node})
}

// observe is the run's OnEvent hook.
func (j *sharedJitter) observe(ev check.TraceEvent) {
	switch ev.Kind {
	case "try-started":
		j.attempting[ev.Node] = ev.Detail == "acquire"
	case "became-leader":
		j.attempting[ev.Node] = false
		j.float64()
	case "process-crashed", "stopped-leading":
		// The process crashed, or its Run returned (a stop), with an
		// acquire try in flight: client-go's try returns on the cancelled
		// context, and its loop draws.
		if j.attempting[ev.Node] {
			j.attempting[ev.Node] = false
			j.float64()
		}
	}
}

// goOneSource is a math/rand/v2 Source through which the elector's
// Env.Rand.Float64() returns Go 1's Float64 of the shared stream.
//
// math/rand/v2's Float64 is (Uint64()'s low 53 bits) / 2⁵³, Go 1's is
// Int63() / 2⁶³ rounded to a float64 (drawn again if that rounds to 1).
// Uint64 returns the Go 1 value times 2⁵³: for values ≥ ½ that is an
// integer and v2's Float64 reproduces the Go 1 value exactly; below ½ Go 1
// has finer steps than 2⁻⁵³, and the truncation moves the value by less
// than 2⁻⁵³. The jitter is RetryPeriod·1.2·u converted to a
// time.Duration, so such a move changes the wait only when an integer
// nanosecond lies in an interval of width RetryPeriod·1.2·2⁻⁵³ (3·10⁻⁷ ns
// at RetryPeriod 2 s): TestGoOneSourceDurations measures how often.
type goOneSource struct {
	j    *sharedJitter
	node string
}

func (s *goOneSource) Uint64() uint64 {
	s.j.attempting[s.node] = false // the elector draws once its try has failed
	return uint64(s.j.float64() * (1 << 53))
}

// sameOutcome reports whether two runs did exactly the same: the same
// leaders in the same order, every leading interval starting and ending at
// the same nanosecond, and the same requests per node and verb.
func sameOutcome(a, b *outcome) bool {
	if len(a.leadership) != len(b.leadership) || len(a.calls) != len(b.calls) {
		return false
	}
	for i, x := range a.leadership {
		y := b.leadership[i]
		if x.node != y.node || x.start != y.start || x.end != y.end {
			return false
		}
	}
	for node, c := range a.calls {
		if d, ok := b.calls[node]; !ok || c != d {
			return false
		}
	}
	return true
}

// pairing is how the two sides' runs compared seed by seed.
type pairing struct {
	n         int
	identical int // sameOutcome
	tieRace   int // differ, and lesim's run had a tick on its poll's deadline
	// unexplained seeds differ with no race known to lesim in the run: a
	// draw the two sides did not share, or an error.
	unexplained []uint64
}

// pairRuns compares real[i] with lesim[i], both run on seed first+i.
func pairRuns(first uint64, real, lesim []*outcome) pairing {
	p := pairing{n: min(len(real), len(lesim))}
	for i := range p.n {
		switch {
		case sameOutcome(real[i], lesim[i]):
			p.identical++
		case lesim[i].tieFlips > 0:
			p.tieRace++
		default:
			p.unexplained = append(p.unexplained, first+uint64(i))
		}
	}
	return p
}

// maxUnexplained is the share of seeds of a scenario that may differ
// without a known race before the suite fails: a faithful elector with
// shared draws has none, but a run can still contain a tie that only the
// real side's scheduler sees (two goroutines woken at one instant).
const maxUnexplained = 0.02

// pairingOK reports whether p's unexplained share is within maxUnexplained.
func (p pairing) ok() bool { return float64(len(p.unexplained)) <= maxUnexplained*float64(p.n) }

// tieCoins hands each node of a lesim run the coin for a renew tick that
// falls on its poll's deadline (elector.Env.Ties), a PCG stream per node
// as the simulation's own streams are, and counts the flips. In client-go
// that tie is a race the Go scheduler decides, which no seed reaches: a
// seed on which lesim flipped the coin is one on which the two sides may
// part without either being wrong.
type tieCoins struct {
	seed  uint64
	flips int
}

func (t *tieCoins) forNode(node string) *randv2.Rand {
	h := fnv.New64a()
	h.Write([]byte(node))
	return randv2.New(&countingSource{src: randv2.NewPCG(t.seed, h.Sum64()), n: &t.flips})
}

type countingSource struct {
	src randv2.Source
	n   *int
}

func (s *countingSource) Uint64() uint64 {
	*s.n++
	return s.src.Uint64()
}

// jitterMismatches draws n values from the Go 1 source seeded with seed
// and, in lockstep, from goOneSource over the same seed, and counts the
// draws whose acquire wait, rp + time.Duration(u·1.2·rp) as both client-go
// and the elector compute it, differs for some retry period of rps.
func jitterMismatches(seed uint64, n int, rps []time.Duration) (mismatches int) {
	goOne := mathrand.New(mathrand.NewSource(int64(seed)))
	v2 := newSharedJitter(seed).forNode("")
	for range n {
		u, w := goOne.Float64(), v2.Float64()
		for _, rp := range rps {
			if jitterWait(rp, u) != jitterWait(rp, w) {
				mismatches++
				break
			}
		}
	}
	return mismatches
}

// jitterWait is wait.Jitter(rp, 1.2) for the draw u, in client-go's
// order of operations (and the elector's).
func jitterWait(rp time.Duration, u float64) time.Duration {
	return rp + time.Duration(u*elector.JitterFactor*float64(rp))
}
