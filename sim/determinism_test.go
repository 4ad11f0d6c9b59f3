package sim_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/lesim/lesim/sim"
)

// workloadStats shows that a workload exercised what it is meant to, so
// that a hash of a run where nothing happens cannot pass for determinism.
type workloadStats struct {
	fired                                   uint64
	pauses, crashes, exits, rates, jumps    int
	renewals, deadlines, heartbeats, ticks  int
	responses, droppedResponses, chanDrains int
}

// process is one incarnation of the program on a node: a renew loop with a
// deadline timer that responses reset, a heartbeat TickFunc, and a channel
// ticker drained by a node event. Its state dies with the incarnation.
type process struct {
	w        *workload
	n        *sim.Node
	inc      uint32
	deadline clock.Timer
	ticker   clock.Ticker
}

type workload struct {
	s       *sim.Sim
	h       hash.Hash
	jitter  map[string]*rand.Rand
	latency *rand.Rand
	stats   workloadStats
}

func (w *workload) log(format string, args ...any) {
	fmt.Fprintf(w.h, format+"\n", args...)
}

func (w *workload) logNode(n *sim.Node, what string) {
	c := n.Clock()
	w.log("%v %s %s inc=%d local=%d wall=%d", w.s.Now(), n.Name(), what, n.Incarnation(), c.Now().UnixNano(), c.WallNow().UnixNano())
}

func (w *workload) start(n *sim.Node) {
	p := &process{w: w, n: n, inc: n.Incarnation()}
	c := n.Clock()
	j := w.jitter[n.Name()]
	p.deadline = c.AfterFunc(3*time.Second, func() {
		w.stats.deadlines++
		w.logNode(n, "deadline")
		p.deadline.Reset(3 * time.Second)
	})
	var renew func()
	renew = func() {
		w.stats.renewals++
		w.logNode(n, "renew")
		// The request travels on a non-node event, the response comes back
		// as an event of this incarnation.
		sent := c.Now()
		w.s.After(time.Duration(w.latency.Int64N(int64(400*time.Millisecond))), func() {
			w.log("%v api handles %s", w.s.Now(), n.Name())
			// Node.After binds the response to the incarnation current
			// when the API answers; one that answers a dead process must
			// drop the response itself.
			n.After(time.Duration(w.latency.Int64N(int64(400*time.Millisecond))), func() {
				if n.Incarnation() != p.inc {
					w.stats.droppedResponses++
					w.logNode(n, "response for a dead process")
					return
				}
				w.stats.responses++
				w.logNode(n, fmt.Sprintf("response rtt=%v", c.Since(sent)))
				p.deadline.Reset(3 * time.Second)
			})
		})
		c.AfterFunc(time.Second+time.Duration(j.Int64N(int64(time.Second))), renew)
	}
	c.AfterFunc(time.Duration(j.Int64N(int64(time.Second))), renew)
	c.TickFunc(700*time.Millisecond, func() {
		w.stats.heartbeats++
		w.logNode(n, "heartbeat")
	})
	p.ticker = c.NewTicker(300 * time.Millisecond)
	var drain func()
	drain = func() {
		select {
		case v := <-p.ticker.C():
			w.stats.ticks++
			w.log("%v %s tick %d", w.s.Now(), n.Name(), v.UnixNano())
		default:
		}
		w.stats.chanDrains++
		n.After(time.Duration(j.Int64N(int64(time.Second))), drain)
	}
	n.After(0, drain)
}

func (w *workload) faults(nodes []*sim.Node) {
	f := w.s.Stream("faults")
	var next func()
	next = func() {
		n := nodes[f.IntN(len(nodes))]
		switch k := f.IntN(10); {
		case k < 3:
			d := time.Duration(f.Int64N(int64(5 * time.Second)))
			w.stats.pauses++
			w.logNode(n, fmt.Sprintf("pause for %v", d))
			n.Pause()
			w.s.After(d, func() {
				w.logNode(n, "resume")
				n.Resume()
			})
		case k < 5:
			if n.Crashed() {
				break
			}
			d := time.Duration(f.Int64N(int64(10 * time.Second)))
			w.stats.crashes++
			w.logNode(n, fmt.Sprintf("crash for %v", d))
			n.Crash()
			w.s.After(d, func() {
				n.Restart()
				w.logNode(n, "restart")
				w.start(n)
			})
		case k < 6:
			if n.Crashed() {
				break
			}
			w.stats.exits++
			w.logNode(n, "exit")
			n.Exit()
			w.start(n)
		case k < 8:
			r := 0.5 + 1.5*f.Float64()
			w.stats.rates++
			w.logNode(n, fmt.Sprintf("rate %v", r))
			n.Clock().SetRate(r)
		default:
			d := time.Duration(f.Int64N(int64(2*time.Hour))) - time.Hour
			w.stats.jumps++
			n.Clock().Jump(d)
			w.logNode(n, fmt.Sprintf("jump %v", d))
		}
		w.s.After(time.Duration(f.Int64N(int64(3*time.Second))), next)
	}
	w.s.After(time.Second, next)
}

// runWorkload runs a randomized multi-node workload and hashes everything
// observable: every event as the kernel runs it and every reading the
// processes take of their clocks.
func runWorkload(seed uint64, horizon time.Duration) (string, workloadStats) {
	s := sim.New(seed)
	w := &workload{s: s, h: sha256.New(), jitter: map[string]*rand.Rand{}, latency: s.Stream("api/latency")}
	var buf [16]byte
	s.Observer = func(at time.Duration, seq uint64, owner string) {
		binary.LittleEndian.PutUint64(buf[:8], uint64(at))
		binary.LittleEndian.PutUint64(buf[8:], seq)
		w.h.Write(buf[:])
		w.h.Write([]byte(owner))
	}
	setup := s.Stream("setup")
	var nodes []*sim.Node
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		cfg := sim.ClockConfig{
			Rate:   0.5 + 1.5*setup.Float64(),
			Offset: time.Duration(setup.Int64N(int64(2*time.Hour))) - time.Hour,
		}
		n := s.AddNode(name, cfg)
		w.jitter[name] = s.Stream("node/" + name + "/jitter")
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		w.start(n)
	}
	w.faults(nodes)
	s.RunUntil(horizon)
	w.stats.fired = s.Fired()
	w.log("end %v fired=%d pending=%d", s.Now(), s.Fired(), s.Pending())
	return hex.EncodeToString(w.h.Sum(nil)), w.stats
}

// workloadGolden is the hash of runWorkload(1, 10m). A kernel change that
// moves any event, reading or draw changes it; if the change is intended,
// every recorded result changes with it and this constant is updated.
const workloadGolden = "9167900ec61e05b6832f6061c192555c477f75c0ad2a4e6fb3fa3e4b24545287"

func TestDeterminismRepeatAndSeed(t *testing.T) {
	h1, st := runWorkload(1, 10*time.Minute)
	h2, _ := runWorkload(1, 10*time.Minute)
	if h1 != h2 {
		t.Fatalf("two runs of one seed differ: %s vs %s", h1, h2)
	}
	if st.fired < 10000 || st.pauses == 0 || st.crashes == 0 || st.exits == 0 || st.rates == 0 || st.jumps == 0 ||
		st.renewals == 0 || st.deadlines == 0 || st.responses == 0 || st.heartbeats == 0 || st.ticks == 0 {
		t.Fatalf("workload too thin to show anything: %+v", st)
	}
	if h3, _ := runWorkload(2, 10*time.Minute); h3 == h1 {
		t.Fatal("seeds 1 and 2 gave the same run: the seed does not reach the workload")
	}
}

func TestDeterminismGolden(t *testing.T) {
	got, st := runWorkload(1, 10*time.Minute)
	if got != workloadGolden {
		t.Fatalf("runWorkload(1, 10m) = %s, recorded %s (stats %+v)", got, workloadGolden, st)
	}
}

func TestDeterminismAcrossGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	h1, _ := runWorkload(3, 5*time.Minute)
	runtime.GOMAXPROCS(8)
	h8, _ := runWorkload(3, 5*time.Minute)
	if h1 != h8 {
		t.Fatalf("GOMAXPROCS 1 and 8 differ: %s vs %s", h1, h8)
	}
	// Runs in parallel share nothing: each gives the sequential hash.
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Go(func() { got[i], _ = runWorkload(3, 5*time.Minute) })
	}
	wg.Wait()
	for i, h := range got {
		if h != h1 {
			t.Fatalf("parallel run %d gave %s, sequential %s", i, h, h1)
		}
	}
}
