package rest

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/lesim/lesim/fakeapi"
)

// nodesPrefix starts a path that names the requesting node. Real clients
// reach a node-specific URL through their kubeconfig's server
// ("http://127.0.0.1:6443/nodes/a"): client-go treats a path in the host as
// a prefix for every request, so no client needs to know about it.
const nodesPrefix = "/nodes/"

// groupVersionPath is the root of the served API group version.
const groupVersionPath = "/apis/coordination.k8s.io/v1"

type nodeKey struct{}

// NodeOf returns the node a request came from: requests may carry a path
// prefix /nodes/{node}/ before /api or /apis (both Handler and Chaos accept
// and strip it); "" without one. A request whose prefix was already stripped
// by Chaos still knows its node: Chaos keeps it in the request's context.
func NodeOf(r *http.Request) string {
	if node, _, ok := splitNode(r.URL.Path); ok {
		return node
	}
	node, _ := r.Context().Value(nodeKey{}).(string)
	return node
}

// splitNode splits "/nodes/{node}/rest" into the node and "/rest".
func splitNode(p string) (node, rest string, ok bool) {
	s, ok := strings.CutPrefix(p, nodesPrefix)
	if !ok {
		return "", p, false
	}
	node, rest, found := strings.Cut(s, "/")
	if !found {
		return node, "/", true
	}
	return node, "/" + rest, true
}

// stripNode returns r without its node prefix (r itself when it has none)
// and the node, which the returned request's context remembers for NodeOf.
func stripNode(r *http.Request) (*http.Request, string) {
	node, rest, ok := splitNode(r.URL.Path)
	if !ok {
		return r, NodeOf(r)
	}
	r2 := r.WithContext(context.WithValue(r.Context(), nodeKey{}, node))
	u := *r.URL
	u.Path, u.RawPath = rest, ""
	r2.URL = &u
	if r.RequestURI != "" {
		r2.RequestURI = u.RequestURI()
	}
	return r2, node
}

// nodePath is the path prefix RESTConfig puts before a node's requests.
func nodePath(node string) string {
	if node == "" {
		return ""
	}
	return strings.TrimSuffix(nodesPrefix, "/") + "/" + url.PathEscape(node)
}

// reqInfo is what a request is, in API terms.
type reqInfo struct {
	// verb is the Kubernetes verb (get, list, watch, create, update, patch,
	// delete, deletecollection) for a lease path, or the lowercased HTTP
	// method for anything else.
	verb string
	// op is verb as one of fakeapi's verbs, "" for the verbs it does not
	// model (and for non-lease paths); only these count and draw errors.
	op        fakeapi.Op
	lease     bool
	all       bool // all namespaces: /apis/coordination.k8s.io/v1/leases
	namespace string
	name      string
	path      string
}

// describe parses a request whose node prefix is already stripped.
func describe(r *http.Request) reqInfo {
	ri := reqInfo{verb: strings.ToLower(r.Method), path: r.URL.Path}
	rest, ok := strings.CutPrefix(r.URL.Path, groupVersionPath+"/")
	if !ok {
		return ri
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "leases":
		ri.all = true
	case len(parts) == 3 && parts[0] == "namespaces" && parts[1] != "" && parts[2] == "leases":
		ri.namespace = parts[1]
	case len(parts) == 4 && parts[0] == "namespaces" && parts[1] != "" && parts[2] == "leases" && parts[3] != "":
		ri.namespace, ri.name = parts[1], parts[3]
	default:
		// Subresources (Leases have none) and unknown paths.
		return ri
	}
	ri.lease = true
	named := ri.name != ""
	switch r.Method {
	case http.MethodGet:
		switch {
		case isWatch(r):
			ri.verb = "watch"
		case named:
			ri.verb, ri.op = "get", fakeapi.OpGet
		default:
			ri.verb, ri.op = "list", fakeapi.OpList
		}
	case http.MethodPost:
		if !named && !ri.all {
			ri.verb, ri.op = "create", fakeapi.OpCreate
		}
	case http.MethodPut:
		if named {
			ri.verb, ri.op = "update", fakeapi.OpUpdate
		}
	case http.MethodDelete:
		if named {
			ri.verb, ri.op = "delete", fakeapi.OpDelete
		} else {
			ri.verb = "deletecollection"
		}
	case http.MethodPatch:
		if named {
			ri.verb = "patch"
		}
	}
	return ri
}

func isWatch(r *http.Request) bool {
	switch r.URL.Query().Get("watch") {
	case "true", "1":
		return true
	}
	return false
}
