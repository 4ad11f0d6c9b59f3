package rest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/utils/ptr"

	"github.com/lesim/lesim/fakeapi"
)

func TestClientsetCRUD(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	cs := clientset(t, h, "a", 0)
	leases := cs.CoordinationV1().Leases(ns)
	ctx := context.Background()

	if _, err := leases.Get(ctx, "lock", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("get before create: want NotFound, got %v", err)
	}
	created, err := leases.Create(ctx, lease("lock", "a"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.ResourceVersion != "1" || created.UID == "" || created.Namespace != ns {
		t.Fatalf("created: rv %q uid %q ns %q", created.ResourceVersion, created.UID, created.Namespace)
	}
	if _, err := leases.Create(ctx, lease("lock", "b"), metav1.CreateOptions{}); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("second create: want AlreadyExists, got %v", err)
	}
	got, err := leases.Get(ctx, "lock", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got.Spec.HolderIdentity = ptr.To("b")
	updated, err := leases.Update(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if updated.ResourceVersion != "2" || *updated.Spec.HolderIdentity != "b" {
		t.Fatalf("updated: rv %q holder %q", updated.ResourceVersion, *updated.Spec.HolderIdentity)
	}
	if _, err := leases.Create(ctx, lease("other", "c"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	list, err := leases.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 || list.Items[0].Name != "lock" || list.Items[1].Name != "other" || list.ResourceVersion != "3" {
		t.Fatalf("list: %d items, rv %q", len(list.Items), list.ResourceVersion)
	}
	if err := leases.Delete(ctx, "lock", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := leases.Delete(ctx, "lock", metav1.DeleteOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("second delete: want NotFound, got %v", err)
	}
	if holder(h, "lock") != "" || holder(h, "other") != "c" {
		t.Fatal("store does not show the deletes")
	}
}

// TestClientsetSendsProtobuf pins down what a typed clientset puts on the
// wire for Leases: protobuf bodies, and an Accept that also takes JSON.
func TestClientsetSendsProtobuf(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	var mu sync.Mutex
	seen := map[string][2]string{}
	spy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method] = [2]string{r.Header.Get("Content-Type"), r.Header.Get("Accept")}
		mu.Unlock()
		h.ServeHTTP(w, r)
	})
	leases := clientset(t, spy, "", 0).CoordinationV1().Leases(ns)
	ctx := context.Background()
	l, err := leases.Create(ctx, lease("lock", "a"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leases.Update(ctx, l, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	rv := l.ResourceVersion
	if err := leases.Delete(ctx, "lock", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		if ct := seen[m][0]; ct != runtime.ContentTypeProtobuf {
			t.Errorf("%s Content-Type = %q, want protobuf", m, ct)
		}
		if acc := seen[m][1]; !strings.Contains(acc, runtime.ContentTypeJSON) {
			t.Errorf("%s Accept = %q, want JSON among them", m, acc)
		}
	}
}

func TestWireFormat(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	hc := &http.Client{Transport: NewTransport(h)}
	post := func(path, ct, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://x"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		return do(t, hc, req)
	}
	// A body without apiVersion/kind is taken as a Lease, as kubectl-less
	// clients (curl) send it.
	code, obj := post("/nodes/a/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", "application/json",
		`{"metadata":{"name":"lock"},"spec":{"holderIdentity":"a"}}`)
	if code != http.StatusCreated || obj["apiVersion"] != "coordination.k8s.io/v1" || obj["kind"] != "Lease" {
		t.Fatalf("create: %d %v", code, obj)
	}
	code, obj = post("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", "application/json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}`)
	if code != http.StatusBadRequest || obj["kind"] != "Status" || obj["reason"] != "BadRequest" {
		t.Fatalf("pod body: %d %v", code, obj)
	}
	code, obj = post("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", "application/cbor", "\xa0")
	if code != http.StatusUnsupportedMediaType || obj["reason"] != "UnsupportedMediaType" {
		t.Fatalf("cbor body: %d %v", code, obj)
	}
	get := func(path string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://x"+path, nil)
		return do(t, hc, req)
	}
	code, obj = get("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/missing")
	if code != http.StatusNotFound || obj["apiVersion"] != "v1" || obj["kind"] != "Status" || obj["reason"] != "NotFound" {
		t.Fatalf("missing: %d %v", code, obj)
	}
	code, obj = get("/apis/coordination.k8s.io/v1/leases?watch=true")
	if code != http.StatusMethodNotAllowed || obj["reason"] != "MethodNotAllowed" {
		t.Fatalf("watch: %d %v", code, obj)
	}
	code, obj = get("/apis/apps/v1")
	if code != http.StatusNotFound {
		t.Fatalf("unknown path: %d %v", code, obj)
	}
	code, obj = get("/nodes/b/apis/coordination.k8s.io/v1/leases")
	if code != http.StatusOK || obj["kind"] != "LeaseList" || len(obj["items"].([]any)) != 1 {
		t.Fatalf("list all namespaces: %d %v", code, obj)
	}
	code, obj = get("/version")
	if code != http.StatusOK || obj["gitVersion"] != ServerVersion.GitVersion {
		t.Fatalf("version: %d %v", code, obj)
	}

	// A client that takes only protobuf gets protobuf.
	req, _ := http.NewRequest(http.MethodGet, "http://x/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/lock", nil)
	req.Header.Set("Accept", runtime.ContentTypeProtobuf)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != runtime.ContentTypeProtobuf || !strings.HasPrefix(string(b), "k8s\x00") {
		t.Fatalf("protobuf get: %s %q", ct, b)
	}
}

func do(t *testing.T, hc *http.Client, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var obj map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&obj); err != nil {
		t.Fatalf("%s %s: decoding: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, obj
}

func TestOptimisticConcurrency(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	ctx := context.Background()
	a := clientset(t, h, "a", 0).CoordinationV1().Leases(ns)
	b := clientset(t, h, "b", 0).CoordinationV1().Leases(ns)
	if _, err := a.Create(ctx, lease("lock", "a"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	la, _ := a.Get(ctx, "lock", metav1.GetOptions{})
	lb, _ := b.Get(ctx, "lock", metav1.GetOptions{})
	la.Spec.HolderIdentity = ptr.To("a2")
	if _, err := a.Update(ctx, la, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	lb.Spec.HolderIdentity = ptr.To("b")
	if _, err := b.Update(ctx, lb, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Fatalf("stale update: want Conflict, got %v", err)
	}
	lb.ResourceVersion = ""
	if _, err := b.Update(ctx, lb, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Fatalf("update without resourceVersion: want Invalid, got %v", err)
	}
	stale := "1"
	if err := b.Delete(ctx, "lock", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &stale}}); !apierrors.IsConflict(err) {
		t.Fatalf("delete with stale precondition: want Conflict, got %v", err)
	}
	uid := types.UID("someone-else")
	if err := b.Delete(ctx, "lock", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}); !apierrors.IsConflict(err) {
		t.Fatalf("delete with wrong uid: want Conflict, got %v", err)
	}
	if holder(h, "lock") != "a2" {
		t.Fatalf("holder %q", holder(h, "lock"))
	}
	cur := "2"
	if err := b.Delete(ctx, "lock", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &cur}}); err != nil {
		t.Fatal(err)
	}
}

// TestBodyURLMismatch sends, through a real rest client, bodies that name
// another object than the URL: the apiserver answers BadRequest.
func TestBodyURLMismatch(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	cs := clientset(t, h, "", 0)
	ctx := context.Background()
	if _, err := cs.CoordinationV1().Leases(ns).Create(ctx, lease("lock", "a"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rc := cs.CoordinationV1().RESTClient()
	l := lease("lock", "b")
	l.ResourceVersion = "1"
	err := rc.Put().Namespace(ns).Resource("leases").Name("other").Body(l).Do(ctx).Error()
	if !apierrors.IsBadRequest(err) {
		t.Fatalf("name mismatch: want BadRequest, got %v", err)
	}
	err = rc.Post().Namespace("default").Resource("leases").Body(lease("x", "b")).Do(ctx).Error()
	if !apierrors.IsBadRequest(err) {
		t.Fatalf("namespace mismatch: want BadRequest, got %v", err)
	}
}

func TestListSelectorsAndNamespaces(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	cs := clientset(t, h, "", 0)
	ctx := context.Background()
	for _, l := range []*coordinationv1.Lease{lease("a", "x"), lease("b", "y")} {
		l.Labels = map[string]string{"holder": *l.Spec.HolderIdentity}
		if _, err := cs.CoordinationV1().Leases(ns).Create(ctx, l, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	other := lease("c", "z")
	other.Namespace = "default"
	if _, err := cs.CoordinationV1().Leases("default").Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	all, err := cs.CoordinationV1().Leases("").List(ctx, metav1.ListOptions{})
	if err != nil || len(all.Items) != 3 {
		t.Fatalf("all namespaces: %v, %v", all, err)
	}
	sel, err := cs.CoordinationV1().Leases(ns).List(ctx, metav1.ListOptions{LabelSelector: "holder=y"})
	if err != nil || len(sel.Items) != 1 || sel.Items[0].Name != "b" {
		t.Fatalf("label selector: %v, %v", sel, err)
	}
	sel, err = cs.CoordinationV1().Leases("").List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=c"})
	if err != nil || len(sel.Items) != 1 || sel.Items[0].Namespace != "default" {
		t.Fatalf("field selector: %v, %v", sel, err)
	}
	if _, err := cs.CoordinationV1().Leases(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.holderIdentity=x"}); !apierrors.IsBadRequest(err) {
		t.Fatalf("unsupported field selector: want BadRequest, got %v", err)
	}
}

func TestPatch(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	leases := clientset(t, h, "", 0).CoordinationV1().Leases(ns)
	ctx := context.Background()
	if _, err := leases.Create(ctx, lease("lock", "a"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	l, err := leases.Patch(ctx, "lock", types.MergePatchType, []byte(`{"spec":{"holderIdentity":"b"}}`), metav1.PatchOptions{})
	if err != nil || *l.Spec.HolderIdentity != "b" || *l.Spec.LeaseDurationSeconds != 15 || l.ResourceVersion != "2" {
		t.Fatalf("merge patch: %v, %v", l, err)
	}
	l, err = leases.Patch(ctx, "lock", types.StrategicMergePatchType, []byte(`{"metadata":{"annotations":{"k":"v"}}}`), metav1.PatchOptions{})
	if err != nil || l.Annotations["k"] != "v" || *l.Spec.HolderIdentity != "b" {
		t.Fatalf("strategic merge patch: %v, %v", l, err)
	}
	_, err = leases.Patch(ctx, "lock", types.MergePatchType, []byte(`{"metadata":{"resourceVersion":"1"},"spec":{"holderIdentity":"c"}}`), metav1.PatchOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("patch with a stale resourceVersion: want Conflict, got %v", err)
	}
	_, err = leases.Patch(ctx, "lock", types.JSONPatchType, []byte(`[]`), metav1.PatchOptions{})
	if !apierrors.IsUnsupportedMediaType(err) {
		t.Fatalf("json patch: want UnsupportedMediaType, got %v", err)
	}
}

func TestDiscovery(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	dc, err := discovery.NewDiscoveryClientForConfig(RESTConfig(h, "a", 0))
	if err != nil {
		t.Fatal(err)
	}
	rl, err := dc.ServerResourcesForGroupVersion("coordination.k8s.io/v1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rl.APIResources) != 1 || rl.APIResources[0].Name != "leases" || rl.APIResources[0].Kind != "Lease" || !rl.APIResources[0].Namespaced {
		t.Fatalf("resources: %+v", rl.APIResources)
	}
	groups, err := dc.ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups.Groups {
		names = append(names, g.Name)
	}
	if strings.Join(names, ",") != ",coordination.k8s.io" {
		t.Fatalf("groups: %v", names)
	}
	v, err := dc.ServerVersion()
	if err != nil || v.GitVersion != ServerVersion.GitVersion {
		t.Fatalf("version: %v, %v", v, err)
	}
	_, all, err := dc.ServerGroupsAndResources()
	if err != nil || len(all) == 0 {
		t.Fatalf("groups and resources: %v, %v", all, err)
	}
}

// TestResourceLock runs client-go's own LeaseLock, unchanged, over the
// handler: the code path of the real leader elector.
func TestResourceLock(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	ctx := context.Background()
	newLock := func(id string) *resourcelock.LeaseLock {
		return &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: ns, Name: "lock"},
			Client:     clientset(t, h, id, 0).CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: id},
		}
	}
	a, b := newLock("a"), newLock("b")
	if _, _, err := a.Get(ctx); !apierrors.IsNotFound(err) {
		t.Fatalf("get: want NotFound, got %v", err)
	}
	now := metav1.NowMicro()
	rec := resourcelock.LeaderElectionRecord{HolderIdentity: "a", LeaseDurationSeconds: 15, AcquireTime: metav1.NewTime(now.Time), RenewTime: metav1.NewTime(now.Time)}
	if err := a.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got, raw, err := b.Get(ctx)
	if err != nil || got.HolderIdentity != "a" || len(raw) == 0 {
		t.Fatalf("b.Get: %+v, %v", got, err)
	}
	rec.RenewTime = metav1.NewTime(rec.RenewTime.Add(2e9))
	if err := a.Update(ctx, rec); err != nil {
		t.Fatal(err)
	}
	// b's cached lease is stale now: its update is refused.
	rec.HolderIdentity = "b"
	if err := b.Update(ctx, rec); !apierrors.IsConflict(err) {
		t.Fatalf("b.Update with a stale lease: want Conflict, got %v", err)
	}
	if holder(h, "lock") != "a" {
		t.Fatalf("holder %q", holder(h, "lock"))
	}
}

func TestNodeOf(t *testing.T) {
	for path, want := range map[string]string{
		"/nodes/a/apis/coordination.k8s.io/v1": "a",
		"/nodes/node-1/api":                    "node-1",
		"/apis/coordination.k8s.io/v1":         "",
		"/nodes/b":                             "b",
	} {
		r, _ := http.NewRequest(http.MethodGet, "http://x"+path, nil)
		if got := NodeOf(r); got != want {
			t.Errorf("NodeOf(%s) = %q, want %q", path, got, want)
		}
		stripped, node := stripNode(r)
		if node != want || strings.HasPrefix(stripped.URL.Path, "/nodes/") || NodeOf(stripped) != want {
			t.Errorf("stripNode(%s) = %s, %q", path, stripped.URL.Path, node)
		}
	}
}
