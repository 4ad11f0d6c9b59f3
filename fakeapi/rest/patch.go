package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/lesim/lesim/fakeapi"
)

// patch applies a JSON merge patch or a strategic merge patch (what kubectl
// annotate, label and edit send) to the current object and stores it as an
// update, in one hold of the lock so that nothing comes between the read
// and the write. Like the apiserver, a patch is unconditional unless it
// carries a resourceVersion, which is then a precondition (Conflict when
// stale). JSON patch and server-side apply are not supported (415).
func (h *Handler) patch(w http.ResponseWriter, r *http.Request, ri reqInfo, body []byte) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch types.PatchType(mt) {
	case types.MergePatchType, types.StrategicMergePatchType:
	default:
		writeError(w, r, errUnsupportedMediaType(r.Header.Get("Content-Type")))
		return
	}
	h.mu.Lock()
	resp := h.patchLocked(types.PatchType(mt), ri, body)
	h.mu.Unlock()
	respond(w, r, http.StatusOK, resp.Lease, resp.Err)
}

func (h *Handler) patchLocked(pt types.PatchType, ri reqInfo, patch []byte) fakeapi.Response {
	h.namespaces[ri.namespace] = struct{}{}
	cur, err := h.store.Get(ri.namespace, ri.name)
	if err != nil {
		return fakeapi.Response{Err: err}
	}
	orig, err := json.Marshal(cur)
	if err != nil {
		return fakeapi.Response{Err: err}
	}
	var patched []byte
	if pt == types.MergePatchType {
		patched, err = mergePatch(orig, patch)
	} else {
		patched, err = strategicpatch.StrategicMergePatch(orig, patch, &coordinationv1.Lease{})
	}
	if err != nil {
		return fakeapi.Response{Err: apierrors.NewBadRequest(fmt.Sprintf("applying the patch: %v", err))}
	}
	l := &coordinationv1.Lease{}
	if err := json.Unmarshal(patched, l); err != nil {
		return fakeapi.Response{Err: apierrors.NewBadRequest(fmt.Sprintf("the patched object is not a Lease: %v", err))}
	}
	if l.ResourceVersion == "" {
		l.ResourceVersion = cur.ResourceVersion
	}
	return h.store.Apply(fakeapi.Request{Op: fakeapi.OpUpdate, Namespace: ri.namespace, Name: ri.name, Lease: l})
}

// mergePatch is RFC 7386 JSON merge patch: objects merge key by key, null
// deletes, anything else replaces.
func mergePatch(doc, patch []byte) ([]byte, error) {
	var d, p any
	if err := decodeJSON(doc, &d); err != nil {
		return nil, err
	}
	if err := decodeJSON(patch, &p); err != nil {
		return nil, err
	}
	return json.Marshal(mergeValue(d, p))
}

// decodeJSON keeps numbers as written, so integers survive the round trip.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

func mergeValue(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = make(map[string]any, len(pm))
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
		} else {
			tm[k] = mergeValue(tm[k], v)
		}
	}
	return tm
}
