package fakeapi

import (
	"strconv"
	"testing"
	"time"

	"github.com/lesim/lesim/sim"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func newLease(ns, name, holder string) *coordinationv1.Lease {
	d := int32(15)
	now := metav1.NewMicroTime(sim.Epoch())
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       &holder,
			LeaseDurationSeconds: &d,
			AcquireTime:          &now,
			RenewTime:            &now,
		},
	}
}

func withRV(l *coordinationv1.Lease, rv string) *coordinationv1.Lease {
	l = l.DeepCopy()
	l.ResourceVersion = rv
	return l
}

func withHolder(l *coordinationv1.Lease, h string) *coordinationv1.Lease {
	l = l.DeepCopy()
	l.Spec.HolderIdentity = &h
	return l
}

// TestStoreSemantics walks the concurrency rules one request at a time, each
// step against the state the previous ones left.
func TestStoreSemantics(t *testing.T) {
	st := NewStore(nil)
	a := newLease("ns", "a", "n1")
	type check func(error) bool
	ok := func(err error) bool { return err == nil }
	steps := []struct {
		name   string
		req    Request
		want   check
		wantRV string // resourceVersion of the returned object, when set
	}{
		{"get missing", Request{Op: OpGet, Namespace: "ns", Name: "a"}, apierrors.IsNotFound, ""},
		{"update missing", Request{Op: OpUpdate, Lease: withRV(a, "1")}, apierrors.IsNotFound, ""},
		{"delete missing", Request{Op: OpDelete, Namespace: "ns", Name: "a"}, apierrors.IsNotFound, ""},
		{"create empty name", Request{Op: OpCreate, Lease: newLease("ns", "", "n1")}, apierrors.IsInvalid, ""},
		{"create empty namespace", Request{Op: OpCreate, Lease: newLease("", "a", "n1")}, apierrors.IsInvalid, ""},
		{"create", Request{Op: OpCreate, Lease: a}, ok, "1"},
		{"create again", Request{Op: OpCreate, Lease: a}, apierrors.IsAlreadyExists, ""},
		{"create ignores body rv", Request{Op: OpCreate, Lease: withRV(newLease("ns", "b", "x"), "77")}, ok, "2"},
		{"get", Request{Op: OpGet, Namespace: "ns", Name: "a"}, ok, "1"},
		{"update current rv", Request{Op: OpUpdate, Lease: withRV(withHolder(a, "n2"), "1")}, ok, "3"},
		{"update stale rv", Request{Op: OpUpdate, Lease: withRV(withHolder(a, "n3"), "1")}, apierrors.IsConflict, ""},
		{"update future rv", Request{Op: OpUpdate, Lease: withRV(withHolder(a, "n3"), "99")}, apierrors.IsConflict, ""},
		{"update empty rv", Request{Op: OpUpdate, Lease: withHolder(a, "n3")}, apierrors.IsInvalid, ""},
		{"update garbage rv", Request{Op: OpUpdate, Lease: withRV(a, "x1")}, apierrors.IsBadRequest, ""},
		{"update identical keeps rv", Request{Op: OpUpdate, Lease: withRV(withHolder(a, "n2"), "3")}, ok, "3"},
		{"update body name mismatch", Request{Op: OpUpdate, Namespace: "ns", Name: "b", Lease: withRV(a, "3")}, apierrors.IsBadRequest, ""},
		{"update by request key", Request{Op: OpUpdate, Namespace: "ns", Name: "a", Lease: withRV(withHolder(newLease("", "", ""), "n4"), "3")}, ok, "4"},
		{"delete precondition stale", Request{Op: OpDelete, Namespace: "ns", Name: "a", Lease: withRV(&coordinationv1.Lease{}, "3")}, apierrors.IsConflict, ""},
		{"delete precondition current", Request{Op: OpDelete, Namespace: "ns", Name: "a", Lease: withRV(&coordinationv1.Lease{}, "4")}, ok, ""},
		{"get deleted", Request{Op: OpGet, Namespace: "ns", Name: "a"}, apierrors.IsNotFound, ""},
		{"update deleted", Request{Op: OpUpdate, Lease: withRV(a, "4")}, apierrors.IsNotFound, ""},
		{"recreate after delete", Request{Op: OpCreate, Lease: a}, ok, "6"}, // the delete consumed 5
		{"unknown op", Request{Op: "patch", Namespace: "ns", Name: "a"}, apierrors.IsMethodNotSupported, ""},
	}
	for _, s := range steps {
		resp := st.Apply(s.req)
		if !s.want(resp.Err) {
			t.Fatalf("%s: unexpected error %v", s.name, resp.Err)
		}
		if s.wantRV != "" {
			if resp.Lease == nil || resp.Lease.ResourceVersion != s.wantRV {
				t.Fatalf("%s: got %+v, want resourceVersion %s", s.name, resp.Lease, s.wantRV)
			}
		}
		if resp.Err != nil {
			if se, ok := resp.Err.(apierrors.APIStatus); ok {
				if d := se.Status().Details; d != nil && d.Group != "" && d.Group != "coordination.k8s.io" {
					t.Errorf("%s: error names group %q", s.name, d.Group)
				}
			}
		}
	}
	if got := st.ResourceVersion(); got != 6 {
		t.Errorf("revision = %d, want 6", got)
	}
	// Errors name the resource as the real apiserver does.
	_, err := st.Get("ns", "zz")
	if se := err.(apierrors.APIStatus).Status(); se.Details.Group != "coordination.k8s.io" || se.Details.Kind != "leases" {
		t.Errorf("NotFound details = %+v", se.Details)
	}
	if _, err := st.Update(withRV(withHolder(a, "q"), "6")); err != nil {
		t.Fatal(err)
	}
	if err := (errConflict("a")).(apierrors.APIStatus).Status(); err.Details.Group != "coordination.k8s.io" || err.Code != 409 {
		t.Errorf("conflict status = %+v", err)
	}
}

func TestStoreMetadataAndCopies(t *testing.T) {
	now := 90*time.Second + 500*time.Millisecond
	st := NewStore(func() time.Duration { return now })
	in := newLease("ns", "a", "n1")
	created, err := st.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if created.UID == "" || created.CreationTimestamp.Time != sim.Epoch().Add(90*time.Second) {
		t.Fatalf("metadata: uid=%q created=%v", created.UID, created.CreationTimestamp)
	}
	if in.ResourceVersion != "" || in.UID != "" {
		t.Fatal("Create changed the caller's object")
	}
	// Mutating what the caller passed or got back must not reach the store.
	*in.Spec.HolderIdentity = "mutated-in"
	*created.Spec.HolderIdentity = "mutated-out"
	created.Labels = map[string]string{"x": "y"}
	got, _ := st.Get("ns", "a")
	if *got.Spec.HolderIdentity != "n1" || got.Labels != nil {
		t.Fatalf("store shares memory with callers: %+v", got)
	}
	*got.Spec.HolderIdentity = "mutated-get"
	if h := *st.Peek("ns", "a").Spec.HolderIdentity; h != "n1" {
		t.Fatalf("Get shares memory with the store: %q", h)
	}
	list := st.List("ns")
	*list[0].Spec.HolderIdentity = "mutated-list"
	if h := *st.Peek("ns", "a").Spec.HolderIdentity; h != "n1" {
		t.Fatalf("List shares memory with the store: %q", h)
	}
	// The server owns uid, creationTimestamp and the key.
	now += time.Hour
	upd := withRV(withHolder(got, "n2"), got.ResourceVersion)
	upd.UID = "forged"
	upd.CreationTimestamp = metav1.Time{}
	res, err := st.Update(upd)
	if err != nil {
		t.Fatal(err)
	}
	if res.UID != created.UID || !res.CreationTimestamp.Equal(&created.CreationTimestamp) {
		t.Fatalf("update changed system fields: uid=%q ts=%v", res.UID, res.CreationTimestamp)
	}
	// uids differ per object and are reproducible.
	b, _ := st.Create(newLease("ns", "b", ""))
	if b.UID == created.UID {
		t.Fatal("two objects share a uid")
	}
	st2 := NewStore(nil)
	a2, _ := st2.Create(newLease("ns", "a", ""))
	if a2.UID != created.UID {
		t.Fatalf("uid not reproducible: %q vs %q", a2.UID, created.UID)
	}
}

func TestStoreRVIncrementsAcrossKeys(t *testing.T) {
	st := NewStore(nil)
	var last uint64
	for i := range 20 {
		name := "k" + strconv.Itoa(i%3)
		var l *coordinationv1.Lease
		if cur := st.Peek("ns", name); cur == nil {
			l, _ = st.Create(newLease("ns", name, strconv.Itoa(i)))
		} else {
			var err error
			l, err = st.Update(withRV(withHolder(cur, strconv.Itoa(i)), cur.ResourceVersion))
			if err != nil {
				t.Fatal(err)
			}
		}
		rv, _ := strconv.ParseUint(l.ResourceVersion, 10, 64)
		if rv != last+1 {
			t.Fatalf("write %d got rv %d after %d", i, rv, last)
		}
		last = rv
	}
	if n := len(st.List("ns")); n != 3 || st.Len() != 3 {
		t.Fatalf("list has %d objects", n)
	}
	if l := st.List("other"); len(l) != 0 {
		t.Fatal("list crossed namespaces")
	}
	names := st.List("ns")
	for i := 1; i < len(names); i++ {
		if names[i-1].Name >= names[i].Name {
			t.Fatal("list not sorted")
		}
	}
}

// TestStoreStaleVersions checks reads as of a past time and the pruning that
// keeps the retained versions bounded.
func TestStoreStaleVersions(t *testing.T) {
	var now time.Duration
	st := NewStore(func() time.Duration { return now })
	st.SetRetention(10 * time.Second)
	now = 1 * time.Second
	l, _ := st.Create(newLease("ns", "a", "v1")) // rv 1 at 1s
	now = 5 * time.Second
	if _, err := st.Update(withRV(withHolder(l, "v2"), l.ResourceVersion)); err != nil { // rv 2 at 5s
		t.Fatal(err)
	}
	now = 8 * time.Second
	if err := st.Delete("ns", "a", ""); err != nil { // rv 3 at 8s
		t.Fatal(err)
	}
	now = 9 * time.Second
	st.Create(newLease("ns", "a", "v4")) // rv 4 at 9s
	for _, c := range []struct {
		at   time.Duration
		want uint64 // 0: absent
	}{{0, 0}, {time.Second, 1}, {4 * time.Second, 1}, {5 * time.Second, 2}, {8 * time.Second, 0}, {9 * time.Second, 4}} {
		v, err := st.getAt("ns", "a", c.at)
		if v.rv != c.want || (c.want == 0) != apierrors.IsNotFound(err) {
			t.Errorf("at %v: rv %d err %v, want %d", c.at, v.rv, err, c.want)
		}
	}
	if n := len(st.listAt("ns", 6*time.Second, true)); n != 1 {
		t.Errorf("stale list at 6s has %d items", n)
	}
	// Far later writes prune what no read can reach any more.
	for i := range 100 {
		now = time.Duration(100+i) * time.Second
		cur := st.Peek("ns", "a")
		if _, err := st.Update(withRV(withHolder(cur, strconv.Itoa(i)), cur.ResourceVersion)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(st.objs[objKey{"ns", "a"}].hist); n > 12 {
		t.Errorf("retained %d versions for a 10s lag at one write per second", n)
	}
	st.SetRetention(0)
	if st.objs[objKey{"ns", "a"}].hist != nil {
		t.Error("SetRetention(0) kept versions")
	}
}

// TestCopyLease holds copyLease to DeepCopy: equal content, no shared memory.
func TestCopyLease(t *testing.T) {
	h, p := "holder", "pref"
	d, n := int32(15), int32(3)
	s := coordinationv1.OldestEmulationVersion
	at, rt := metav1.NewMicroTime(sim.Epoch().Add(time.Second)), metav1.NewMicroTime(sim.Epoch().Add(2*time.Second))
	in := &coordinationv1.Lease{
		TypeMeta: metav1.TypeMeta{Kind: "Lease", APIVersion: "coordination.k8s.io/v1"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a", ResourceVersion: "7", UID: "u",
			Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"c": "d"}, Finalizers: []string{"f"}},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &h, LeaseDurationSeconds: &d, AcquireTime: &at, RenewTime: &rt,
			LeaseTransitions: &n, Strategy: &s, PreferredHolder: &p},
	}
	for _, src := range []*coordinationv1.Lease{in, {}, newLease("ns", "b", "x")} {
		out := copyLease(src)
		if !equality.Semantic.DeepEqual(out, src.DeepCopy()) {
			t.Fatalf("copy differs:\n%+v\n%+v", out, src)
		}
	}
	out := copyLease(in)
	*out.Spec.HolderIdentity, *out.Spec.LeaseDurationSeconds, *out.Spec.LeaseTransitions = "x", 1, 1
	out.Spec.AcquireTime.Time, out.Spec.RenewTime.Time = sim.Epoch(), sim.Epoch()
	*out.Spec.Strategy, *out.Spec.PreferredHolder = "y", "z"
	out.Labels["a"], out.Annotations["c"], out.Finalizers[0] = "x", "x", "x"
	if h != "holder" || d != 15 || n != 3 || !at.Time.Equal(sim.Epoch().Add(time.Second)) || !rt.Time.Equal(sim.Epoch().Add(2*time.Second)) ||
		s != coordinationv1.OldestEmulationVersion || p != "pref" || in.Labels["a"] != "b" || in.Annotations["c"] != "d" || in.Finalizers[0] != "f" {
		t.Fatal("the copy shares memory with the original")
	}
	if copyLease(nil) != nil {
		t.Fatal("copy of nil")
	}
}

// TestErrorTexts pins the messages to the real apiserver's wording, which is
// what users grep their logs for.
func TestErrorTexts(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{errConflict("a"), `Operation cannot be fulfilled on leases.coordination.k8s.io "a": the object has been modified; please apply your changes to the latest version and try again`},
		{errNotFound("a"), `leases.coordination.k8s.io "a" not found`},
		{errAlreadyExists("a"), `leases.coordination.k8s.io "a" already exists`},
		{errRVRequired("a"), `leases.coordination.k8s.io "a" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update`},
		{ErrClientTimeout, `context deadline exceeded (Client.Timeout exceeded while awaiting headers)`},
		{ErrConnectionRefused, `dial tcp 10.96.0.1:443: connect: connection refused`},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}
