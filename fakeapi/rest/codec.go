package rest

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// Bodies go through client-go's own scheme and serializers, so objects
// carry apiVersion/kind on the wire and decode exactly as a client encoded
// them — JSON, YAML or Kubernetes protobuf, which typed clientsets send for
// built-in types such as Leases.
var (
	mediaTypes = scheme.Codecs.SupportedMediaTypes()
	encoders   = scheme.Codecs.WithoutConversion()
	jsonInfo   = mustInfo(runtime.ContentTypeJSON)
	protoInfo  = mustInfo(runtime.ContentTypeProtobuf)
	leaseGVK   = coordinationv1.SchemeGroupVersion.WithKind("Lease")
)

func mustInfo(mediaType string) runtime.SerializerInfo {
	info, ok := runtime.SerializerInfoForMediaType(mediaTypes, mediaType)
	if !ok {
		panic("fakeapi/rest: client-go's scheme has no serializer for " + mediaType)
	}
	return info
}

// responseInfo picks the serializer of a response from the Accept header.
// JSON whenever the client takes it (client-go's typed clients accept
// "application/vnd.kubernetes.protobuf,application/json" and decode by the
// response's Content-Type), protobuf only for a client that takes nothing
// else. Clauses asking for another representation (as=Table, aggregated
// discovery) are skipped, so those clients fall back to the plain form, as
// they do against an apiserver that lacks them.
func responseInfo(r *http.Request) (runtime.SerializerInfo, bool) {
	accept := r.Header.Get("Accept")
	if strings.TrimSpace(accept) == "" {
		return jsonInfo, true
	}
	proto := false
	for _, clause := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(clause))
		if err != nil {
			continue
		}
		if _, ok := params["as"]; ok {
			continue
		}
		switch mt {
		case runtime.ContentTypeJSON, "application/*", "*/*":
			return jsonInfo, true
		case runtime.ContentTypeProtobuf:
			proto = true
		}
	}
	if proto {
		return protoInfo, true
	}
	return runtime.SerializerInfo{}, false
}

// writeObject writes obj with the given status code, stamped with its
// apiVersion and kind (coordination.k8s.io/v1 for Leases, v1 for Status and
// discovery documents).
func writeObject(w http.ResponseWriter, r *http.Request, code int, obj runtime.Object) {
	info, ok := responseInfo(r)
	if !ok {
		info = jsonInfo
		obj = statusOf(errNotAcceptable(r.Header.Get("Accept")))
		code = http.StatusNotAcceptable
	}
	var buf bytes.Buffer
	enc := encoders.EncoderForVersion(info.Serializer, coordinationv1.SchemeGroupVersion)
	if err := enc.Encode(obj, &buf); err != nil {
		// Every object served is registered in the scheme: this is a bug.
		http.Error(w, fmt.Sprintf("encoding %T: %v", obj, err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", info.MediaType)
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// writeError writes err as a metav1.Status with its code, setting
// Retry-After from Details.RetryAfterSeconds as the apiserver's
// responsewriters.ErrorNegotiated does. client-go retries a 429 or 5xx that
// carries Retry-After, so the header is what makes a client wait and retry.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	st := statusOf(err)
	if st.Details != nil && st.Details.RetryAfterSeconds > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(st.Details.RetryAfterSeconds)))
	}
	writeObject(w, r, int(st.Code), st)
}

// statusOf is the Status body of err; errors that are not API errors are
// internal errors, as in the apiserver.
func statusOf(err error) *metav1.Status {
	var st metav1.Status
	if s, ok := err.(apierrors.APIStatus); ok {
		st = s.Status()
	} else {
		st = apierrors.NewInternalError(err).Status()
	}
	if st.Code == 0 {
		st.Code = http.StatusInternalServerError
	}
	if st.Status == "" {
		st.Status = metav1.StatusFailure
	}
	return &st
}

// decodeBody decodes a request body into into, by the request's
// Content-Type (JSON when absent). A body without apiVersion/kind is taken
// as want, as the apiserver takes it from the URL; a body of another kind is
// a BadRequest.
func decodeBody(r *http.Request, body []byte, into runtime.Object, want schema.GroupVersionKind) error {
	info, err := requestInfo(r)
	if err != nil {
		return err
	}
	_, got, err := info.Serializer.Decode(body, &want, into)
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("decoding the request body: %v", err))
	}
	if got == nil || got.Kind != want.Kind || (want.Kind == leaseGVK.Kind && got.GroupVersion() != want.GroupVersion()) {
		return apierrors.NewBadRequest(fmt.Sprintf("the body is a %v, expected a %v", got, want))
	}
	return nil
}

// requestInfo is the serializer for the request's Content-Type.
func requestInfo(r *http.Request) (runtime.SerializerInfo, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return jsonInfo, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return runtime.SerializerInfo{}, errUnsupportedMediaType(ct)
	}
	info, ok := runtime.SerializerInfoForMediaType(mediaTypes, mt)
	if !ok {
		return runtime.SerializerInfo{}, errUnsupportedMediaType(ct)
	}
	return info, nil
}

// errUnsupportedMediaType is a 415, which is also what tells a client that
// prefers CBOR to fall back to JSON.
func errUnsupportedMediaType(ct string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusUnsupportedMediaType,
		Reason:  metav1.StatusReasonUnsupportedMediaType,
		Message: fmt.Sprintf("the body of the request was in an unknown format (%s) - accepted media types include: %s", ct, strings.Join(supportedTypes(), ", ")),
	}}
}

func errNotAcceptable(accept string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotAcceptable,
		Reason:  metav1.StatusReasonNotAcceptable,
		Message: fmt.Sprintf("only the following media types are accepted: %s (asked for %q)", strings.Join([]string{runtime.ContentTypeJSON, runtime.ContentTypeProtobuf}, ", "), accept),
	}}
}

// errPathNotFound is the apiserver's answer for a path it does not serve.
func errPathNotFound() error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotFound,
		Reason:  metav1.StatusReasonNotFound,
		Message: "the server could not find the requested resource",
		Details: &metav1.StatusDetails{},
	}}
}

func supportedTypes() []string {
	out := make([]string, 0, len(mediaTypes))
	for _, info := range mediaTypes {
		out = append(out, info.MediaType)
	}
	return out
}

// errMethodNotAllowed is a 405 for a path that is not a resource.
func errMethodNotAllowed(method string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusMethodNotAllowed,
		Reason:  metav1.StatusReasonMethodNotAllowed,
		Message: fmt.Sprintf("the server does not allow this method on the requested resource (%s)", method),
	}}
}
