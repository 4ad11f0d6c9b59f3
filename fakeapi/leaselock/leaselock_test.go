package leaselock

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	rl "k8s.io/client-go/tools/leaderelection/resourcelock"
	"pgregory.net/rapid"

	"github.com/lesim/lesim/elector"
	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/sim"
)

// RawRecord equality must agree with equality of the JSON bytes client-go's
// LeaseLock.Get returns, for records that went through a Lease and back.
func TestRawRecordMatchesClientGoBytes(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	genRecord := func(t *rapid.T, label string) rl.LeaderElectionRecord {
		tm := func(l string) metav1.Time {
			if rapid.Bool().Draw(t, l+"/zero") {
				return metav1.Time{}
			}
			return metav1.NewTime(base.Add(time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(t, l))))
		}
		return rl.LeaderElectionRecord{
			HolderIdentity:       rapid.SampledFrom([]string{"", "a", "b"}).Draw(t, label+"/holder"),
			LeaseDurationSeconds: rapid.IntRange(0, 3).Draw(t, label+"/lds"),
			AcquireTime:          tm(label + "/acquire"),
			RenewTime:            tm(label + "/renew"),
			LeaderTransitions:    rapid.IntRange(0, 2).Draw(t, label+"/transitions"),
			PreferredHolder:      rapid.SampledFrom([]string{"", "b"}).Draw(t, label+"/preferred"),
		}
	}
	clientGoRaw := func(r rl.LeaderElectionRecord) (*rl.LeaderElectionRecord, []byte) {
		spec := rl.LeaderElectionRecordToLeaseSpec(&r)
		back := rl.LeaseSpecToLeaderElectionRecord(&spec)
		b, err := json.Marshal(*back)
		if err != nil {
			t.Fatal(err)
		}
		return back, b
	}
	rapid.Check(t, func(t *rapid.T) {
		ra, ba := clientGoRaw(genRecord(t, "a"))
		rb, bb := clientGoRaw(genRecord(t, "b"))
		if got, want := elector.RawOf(ra) == elector.RawOf(rb), bytes.Equal(ba, bb); got != want {
			t.Fatalf("RawRecord equal=%v but bytes equal=%v\n%s\n%s", got, want, ba, bb)
		}
		if !bytes.Equal(elector.RawOf(ra).Bytes(), ba) {
			t.Fatalf("Bytes() = %s, want %s", elector.RawOf(ra).Bytes(), ba)
		}
	})
}

func newLock(t *testing.T, id string) (*sim.Sim, *fakeapi.Server, *Lock) {
	s := sim.New(1)
	srv := fakeapi.NewServer(s, fakeapi.Config{RequestLatency: fakeapi.Fixed(time.Millisecond), ResponseLatency: fakeapi.Fixed(time.Millisecond)})
	n := s.AddNode("n", sim.ClockConfig{})
	return s, srv, NewWithLabels(srv.Client(n), "ns", "name", id, time.Second, map[string]string{"app": "x"})
}

// The adapter follows LeaseLock's cache rules: Update before any Get or
// Create fails without a request; Update sends the last seen
// resourceVersion, so a concurrent write makes it conflict; Get returns the
// record with its raw form.
func TestLockCacheSemantics(t *testing.T) {
	s, srv, l := newLock(t, "a")
	if _, err := l.Update(rl.LeaderElectionRecord{HolderIdentity: "a"}, func(error) {}); err != ErrNotInitialized {
		t.Fatalf("Update before Get = %v, want %v", err, ErrNotInitialized)
	}
	if srv.Counts().Total() != 0 {
		t.Fatal("Update before init sent a request")
	}
	var got error = errSentinel
	l.Get(func(_ *rl.LeaderElectionRecord, _ elector.RawRecord, err error) { got = err })
	s.Run()
	if !apierrors.IsNotFound(got) {
		t.Fatalf("Get of missing lease = %v", got)
	}
	rec := rl.LeaderElectionRecord{HolderIdentity: "a", LeaseDurationSeconds: 15, RenewTime: metav1.NewTime(sim.Epoch())}
	l.Create(rec, func(err error) { got = err })
	s.Run()
	if got != nil || l.Cached().Labels["app"] != "x" {
		t.Fatalf("Create = %v, cached %+v", got, l.Cached())
	}
	// Someone else writes: our next Update carries a stale resourceVersion.
	other := srv.Store().Peek("ns", "name").DeepCopy()
	holder := "b"
	other.Spec.HolderIdentity = &holder
	if _, err := srv.Store().Update(other); err != nil {
		t.Fatal(err)
	}
	l.Update(rec, func(err error) { got = err })
	s.Run()
	if !apierrors.IsConflict(got) {
		t.Fatalf("Update with stale resourceVersion = %v, want Conflict", got)
	}
	var seen *rl.LeaderElectionRecord
	var raw elector.RawRecord
	l.Get(func(r *rl.LeaderElectionRecord, rw elector.RawRecord, err error) { seen, raw, got = r, rw, err })
	s.Run()
	if got != nil || seen.HolderIdentity != "b" || raw.Holder != "b" || !raw.IsSet() {
		t.Fatalf("Get = %+v %+v %v", seen, raw, got)
	}
	l.Update(rec, func(err error) { got = err })
	s.Run()
	if got != nil || *srv.Store().Peek("ns", "name").Spec.HolderIdentity != "a" {
		t.Fatalf("Update after Get = %v", got)
	}
}

// A failed Create leaves an empty lease cached, so the next Update fails in
// the client, as with a real typed client.
func TestFailedCreateCachesEmptyLease(t *testing.T) {
	s, srv, l := newLock(t, "a")
	if _, err := srv.Store().Create(&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "name"}}); err != nil {
		t.Fatal(err)
	}
	var got error
	l.Create(rl.LeaderElectionRecord{HolderIdentity: "a"}, func(err error) { got = err })
	s.Run()
	if !apierrors.IsAlreadyExists(got) {
		t.Fatalf("Create = %v", got)
	}
	if _, err := l.Update(rl.LeaderElectionRecord{HolderIdentity: "a"}, func(error) {}); err != ErrEmptyName {
		t.Fatalf("Update after failed Create = %v, want %v", err, ErrEmptyName)
	}
}

func TestRequestTimeoutRule(t *testing.T) {
	for rd, want := range map[time.Duration]time.Duration{10 * time.Second: 5 * time.Second, time.Second: time.Second, 1500 * time.Millisecond: time.Second} {
		if got := RequestTimeout(rd); got != want {
			t.Fatalf("RequestTimeout(%v) = %v, want %v", rd, got, want)
		}
	}
}

func TestDescribeAndEvents(t *testing.T) {
	_, _, l := newLock(t, "test-identity")
	var events []string
	l.RecordEvent("ignored without a recorder")
	l.Recorder = func(s string) { events = append(events, s) }
	l.RecordEvent("test event")
	if l.Describe() != "ns/name" || len(events) != 1 || events[0] != "test-identity test event" {
		t.Fatalf("describe %q events %q", l.Describe(), events)
	}
}

var errSentinel = apierrors.NewBadRequest("unset")

// The lock's own conversions give exactly what client-go's helpers give.
func TestConversionsMatchClientGo(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rapid.Check(t, func(t *rapid.T) {
		tm := func(l string) metav1.Time {
			if rapid.Bool().Draw(t, l+"/zero") {
				return metav1.Time{}
			}
			return metav1.NewTime(base.Add(time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(t, l))))
		}
		rec := rl.LeaderElectionRecord{
			HolderIdentity:       rapid.SampledFrom([]string{"", "a", "b"}).Draw(t, "holder"),
			LeaseDurationSeconds: rapid.IntRange(0, 3).Draw(t, "lds"),
			AcquireTime:          tm("acquire"),
			RenewTime:            tm("renew"),
			LeaderTransitions:    rapid.IntRange(0, 2).Draw(t, "transitions"),
			PreferredHolder:      rapid.SampledFrom([]string{"", "b"}).Draw(t, "preferred"),
			Strategy:             rapid.SampledFrom([]coordinationv1.CoordinatedLeaseStrategy{"", coordinationv1.OldestEmulationVersion}).Draw(t, "strategy"),
		}
		want := rl.LeaderElectionRecordToLeaseSpec(&rec)
		s := sim.New(1)
		body := fakeapi.NewServer(s, fakeapi.Config{}).Client(s.AddNode("n", sim.ClockConfig{})).NewBody()
		setSpec(&body.Spec, &rec)
		got := body.Spec
		if !apiequality.Semantic.DeepEqual(got, want) || !reflect.DeepEqual(got, want) {
			t.Fatalf("newBody spec %+v, want %+v", got, want)
		}
		back := specToRecord(&got)
		if wantBack := rl.LeaseSpecToLeaderElectionRecord(&want); !reflect.DeepEqual(back, *wantBack) {
			t.Fatalf("specToRecord %+v, want %+v", back, *wantBack)
		}
	})
}
