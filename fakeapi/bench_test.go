package fakeapi

import (
	"testing"
	"time"

	"github.com/lesim/lesim/sim"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkRoundTrip measures one Get and one Update round trip through
// Client.Do on the kernel, each with a client timeout (as the elector sends
// them): body copy, latency draws, the server's apply, the response copy,
// the timer, the events. ops/s counts calls (two per iteration).
func BenchmarkRoundTrip(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"fixed", Config{RequestLatency: Fixed(2 * time.Millisecond), ResponseLatency: Fixed(2 * time.Millisecond)}},
		{"exponential", Config{RequestLatency: Exponential(2 * time.Millisecond), ResponseLatency: Exponential(2 * time.Millisecond)}},
		{"history", Config{RequestLatency: Fixed(2 * time.Millisecond), ResponseLatency: Fixed(2 * time.Millisecond), RecordHistory: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := sim.New(1)
			srv := NewServer(s, bc.cfg)
			c := srv.Client(s.AddNode("a", sim.ClockConfig{Rate: 1.01}))
			if _, err := srv.Store().Create(newLease("ns", "lease", "a")); err != nil {
				b.Fatal(err)
			}
			var cached *coordinationv1.Lease
			holder := "a"
			onGet := func(r Response) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
				cached = r.Lease
			}
			onUpdate := func(r Response) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
				cached = r.Lease
			}
			get := Request{Op: OpGet, Namespace: "ns", Name: "lease"}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				c.Do(get, time.Second, onGet)
				s.Run()
				// A renewal: new renewTime, the cached resourceVersion.
				t := cached.Spec.RenewTime.Add(time.Second)
				cached.Spec.RenewTime.Time = t
				cached.Spec.HolderIdentity = &holder
				c.Do(Request{Op: OpUpdate, Namespace: "ns", Name: "lease", Lease: cached}, time.Second, onUpdate)
				s.Run()
			}
			b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// BenchmarkRoundTripShared is BenchmarkRoundTrip through DoShared, as the
// lease lock calls it: the update's body comes from NewBody and every
// response is read in place, so a round trip allocates nothing.
func BenchmarkRoundTripShared(b *testing.B) {
	s := sim.New(1)
	srv := NewServer(s, Config{RequestLatency: Fixed(2 * time.Millisecond), ResponseLatency: Fixed(2 * time.Millisecond)})
	c := srv.Client(s.AddNode("a", sim.ClockConfig{Rate: 1.01}))
	if _, err := srv.Store().Create(newLease("ns", "lease", "a")); err != nil {
		b.Fatal(err)
	}
	// What a lock keeps of the last response: the resourceVersion and the
	// renew time.
	var rv string
	var renew metav1.MicroTime
	onResp := func(r Response) {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		rv, renew = r.Lease.ResourceVersion, *r.Lease.Spec.RenewTime
	}
	get := Request{Op: OpGet, Namespace: "ns", Name: "lease"}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c.DoShared(get, time.Second, onResp)
		s.Run()
		body := c.NewBody()
		body.Namespace, body.Name, body.ResourceVersion = "ns", "lease", rv
		*body.Spec.HolderIdentity = "a"
		renew.Time = renew.Add(time.Second)
		*body.Spec.RenewTime = renew
		body.Spec.Strategy, body.Spec.PreferredHolder = nil, nil
		c.DoShared(Request{Op: OpUpdate, Namespace: "ns", Name: "lease", Lease: body}, time.Second, onResp)
		s.Run()
	}
	b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "ops/s")
}
