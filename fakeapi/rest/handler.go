package rest

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/lesim/lesim/fakeapi"
)

// maxBody bounds a request body, as the apiserver's 3 MiB limit does.
const maxBody = 3 << 20

// Handler serves coordination.k8s.io/v1 Leases from a fakeapi.Store
// (guarding it with its own mutex; never hold a lock while sleeping).
//
// The store does the API semantics — resourceVersions, optimistic
// concurrency, AlreadyExists/NotFound/Conflict/Invalid, a body that names
// another object than its URL (BadRequest) — and Handler maps them onto
// HTTP: paths, verbs, bodies, status codes and discovery. Handler adds no
// latency and no faults; wrap it in a Chaos for those.
type Handler struct {
	// mu guards store and the fields below. It is held only for store
	// calls, which never block, so a goroutine waiting for it is never
	// waiting on a sleeping one (a synctest bubble would not count such a
	// wait as durably blocked).
	mu    sync.Mutex
	store *fakeapi.Store
	// namespaces are those an all-namespaces list looks in: the store can
	// only list one namespace at a time.
	namespaces map[string]struct{}
	generated  uint64
}

// NewHandler returns a handler over store. The store must not be used
// directly while the handler serves, except through WithStore.
func NewHandler(store *fakeapi.Store) *Handler {
	return &Handler{store: store, namespaces: make(map[string]struct{})}
}

// WithStore runs f with the store under the handler's lock, for setup and
// checks while requests are being served.
func (h *Handler) WithStore(f func(st *fakeapi.Store)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(h.store)
}

// AddNamespaces makes lists across all namespaces look in ns too. Every
// namespace a request names is added on its own; this is for leases put
// into the store directly.
func (h *Handler) AddNamespaces(ns ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range ns {
		h.namespaces[n] = struct{}{}
	}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r, _ = stripNode(r)
	if serveDiscovery(w, r, r.URL.Path) {
		return
	}
	ri := describe(r)
	if !ri.lease {
		writeError(w, r, errPathNotFound())
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if len(r.URL.Query()["dryRun"]) > 0 {
		writeError(w, r, apierrors.NewBadRequest("dryRun is not supported by this server"))
		return
	}
	switch ri.verb {
	case "get":
		h.get(w, r, ri)
	case "list":
		h.list(w, r, ri)
	case "create":
		h.create(w, r, ri, body)
	case "update":
		h.update(w, r, ri, body)
	case "delete":
		h.delete(w, r, ri, body)
	case "patch":
		h.patch(w, r, ri, body)
	default:
		// watch, deletecollection, and methods on paths that do not take
		// them: the leader elector needs none of them.
		writeError(w, r, apierrors.NewMethodNotSupported(fakeapi.LeaseResource, ri.verb))
	}
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("reading the request body: %v", err))
	}
	if len(b) > maxBody {
		return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", maxBody))
	}
	return b, nil
}

// apply runs one store request under the lock and remembers its namespace.
func (h *Handler) apply(req fakeapi.Request) fakeapi.Response {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.namespaces[req.Namespace] = struct{}{}
	return h.store.Apply(req)
}

func respond(w http.ResponseWriter, r *http.Request, code int, l *coordinationv1.Lease, err error) {
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeObject(w, r, code, l)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, ri reqInfo) {
	resp := h.apply(fakeapi.Request{Op: fakeapi.OpGet, Namespace: ri.namespace, Name: ri.name})
	respond(w, r, http.StatusOK, resp.Lease, resp.Err)
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request, ri reqInfo, body []byte) {
	l := &coordinationv1.Lease{}
	if err := decodeBody(r, body, l, leaseGVK); err != nil {
		writeError(w, r, err)
		return
	}
	h.mu.Lock()
	h.namespaces[ri.namespace] = struct{}{}
	if l.Name == "" && l.GenerateName != "" {
		l.Name = h.generateName(ri.namespace, l.GenerateName)
	}
	resp := h.store.Apply(fakeapi.Request{Op: fakeapi.OpCreate, Namespace: ri.namespace, Lease: l})
	h.mu.Unlock()
	respond(w, r, http.StatusCreated, resp.Lease, resp.Err)
}

// generateName appends a suffix from a counter (the apiserver's is random:
// a counter keeps runs reproducible) that no existing lease has.
func (h *Handler) generateName(namespace, prefix string) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	for {
		h.generated++
		n := h.generated
		suffix := make([]byte, 5)
		for i := range suffix {
			suffix[len(suffix)-1-i] = alphabet[n%uint64(len(alphabet))]
			n /= uint64(len(alphabet))
		}
		name := prefix + string(suffix)
		if h.store.Peek(namespace, name) == nil {
			return name
		}
	}
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request, ri reqInfo, body []byte) {
	l := &coordinationv1.Lease{}
	if err := decodeBody(r, body, l, leaseGVK); err != nil {
		writeError(w, r, err)
		return
	}
	resp := h.apply(fakeapi.Request{Op: fakeapi.OpUpdate, Namespace: ri.namespace, Name: ri.name, Lease: l})
	respond(w, r, http.StatusOK, resp.Lease, resp.Err)
}

// delete honours DeleteOptions' preconditions (resourceVersion and uid),
// sent in the body as client-go sends them. Leases have no finalizers: the
// object is gone at once and the answer is a Success Status naming it, as
// the apiserver's registry answers.
func (h *Handler) delete(w http.ResponseWriter, r *http.Request, ri reqInfo, body []byte) {
	var opts metav1.DeleteOptions
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeBody(r, body, &opts, metav1.SchemeGroupVersion.WithKind("DeleteOptions")); err != nil {
			writeError(w, r, err)
			return
		}
	}
	if len(opts.DryRun) > 0 {
		writeError(w, r, apierrors.NewBadRequest("dryRun is not supported by this server"))
		return
	}
	var pre *coordinationv1.Lease
	if p := opts.Preconditions; p != nil && p.ResourceVersion != nil {
		pre = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{ResourceVersion: *p.ResourceVersion}}
	}
	h.mu.Lock()
	cur := h.store.Peek(ri.namespace, ri.name)
	var resp fakeapi.Response
	if p := opts.Preconditions; cur != nil && p != nil && p.UID != nil && *p.UID != cur.UID {
		resp.Err = apierrors.NewConflict(fakeapi.LeaseResource, ri.name, fmt.Errorf(
			"Precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, cur.UID))
	} else {
		h.namespaces[ri.namespace] = struct{}{}
		resp = h.store.Apply(fakeapi.Request{Op: fakeapi.OpDelete, Namespace: ri.namespace, Name: ri.name, Lease: pre})
	}
	h.mu.Unlock()
	if resp.Err != nil {
		writeError(w, r, resp.Err)
		return
	}
	writeObject(w, r, http.StatusOK, &metav1.Status{
		Status: metav1.StatusSuccess,
		Details: &metav1.StatusDetails{
			Name:  ri.name,
			Group: fakeapi.LeaseResource.Group,
			Kind:  fakeapi.LeaseResource.Resource,
			UID:   cur.UID,
		},
	})
}

// list serves a namespace's leases or, on the all-namespaces path, those of
// every namespace known to the handler (AddNamespaces), with label and
// field selectors. limit/continue are ignored: every list is one page, which
// clients accept (they page only when told to continue).
func (h *Handler) list(w http.ResponseWriter, r *http.Request, ri reqInfo) {
	q := r.URL.Query()
	lsel, err := labels.Parse(q.Get("labelSelector"))
	if err != nil {
		writeError(w, r, apierrors.NewBadRequest(err.Error()))
		return
	}
	fsel, err := fields.ParseSelector(q.Get("fieldSelector"))
	if err != nil {
		writeError(w, r, apierrors.NewBadRequest(err.Error()))
		return
	}
	for _, req := range fsel.Requirements() {
		if req.Field != "metadata.name" && req.Field != "metadata.namespace" {
			writeError(w, r, apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", req.Field)))
			return
		}
	}
	var items []coordinationv1.Lease
	h.mu.Lock()
	if ri.all {
		for _, ns := range slices.Sorted(maps.Keys(h.namespaces)) {
			items = append(items, h.store.List(ns)...)
		}
	} else {
		h.namespaces[ri.namespace] = struct{}{}
		items = h.store.List(ri.namespace)
	}
	rv := h.store.ResourceVersion()
	h.mu.Unlock()
	out := make([]coordinationv1.Lease, 0, len(items))
	for _, l := range items {
		if lsel.Matches(labels.Set(l.Labels)) &&
			fsel.Matches(fields.Set{"metadata.name": l.Name, "metadata.namespace": l.Namespace}) {
			out = append(out, l)
		}
	}
	writeObject(w, r, http.StatusOK, &coordinationv1.LeaseList{
		ListMeta: metav1.ListMeta{ResourceVersion: strconv.FormatUint(rv, 10)},
		Items:    out,
	})
}
