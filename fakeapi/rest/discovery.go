package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	goruntime "runtime"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
)

// ServerVersion is what /version reports: the Kubernetes release whose
// client-go (v0.37.2) this module pins.
var ServerVersion = version.Info{
	Major:        "1",
	Minor:        "37",
	GitVersion:   "v1.37.2-lesim",
	GitTreeState: "clean",
	GoVersion:    goruntime.Version(),
	Compiler:     goruntime.Compiler,
	Platform:     fmt.Sprintf("%s/%s", goruntime.GOOS, goruntime.GOARCH),
}

// leaseVerbs are the verbs served for leases, as discovery lists them.
var leaseVerbs = metav1.Verbs{"create", "delete", "get", "list", "patch", "update"}

var leaseGroupVersion = metav1.GroupVersionForDiscovery{
	GroupVersion: coordinationv1.SchemeGroupVersion.String(),
	Version:      coordinationv1.SchemeGroupVersion.Version,
}

// serveDiscovery answers the discovery documents a typed clientset, a
// discovery client or kubectl reads, and reports whether path was one. The
// legacy (unaggregated) documents only: clients asking for aggregated
// discovery fall back to them, as they do against older apiservers.
func serveDiscovery(w http.ResponseWriter, r *http.Request, path string) bool {
	var obj any
	switch path {
	case "/version", "/version/":
		obj = &ServerVersion
	case "/api", "/api/":
		obj = &metav1.APIVersions{
			Versions: []string{"v1"},
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{
				{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host},
			},
		}
	case "/api/v1", "/api/v1/":
		obj = &metav1.APIResourceList{GroupVersion: "v1", APIResources: []metav1.APIResource{}}
	case "/apis", "/apis/":
		obj = &metav1.APIGroupList{Groups: []metav1.APIGroup{leaseGroup()}}
	case "/apis/" + coordinationv1.GroupName, "/apis/" + coordinationv1.GroupName + "/":
		g := leaseGroup()
		obj = &g
	case groupVersionPath, groupVersionPath + "/":
		obj = &metav1.APIResourceList{
			GroupVersion: coordinationv1.SchemeGroupVersion.String(),
			APIResources: []metav1.APIResource{{
				Name:         "leases",
				SingularName: "lease",
				Namespaced:   true,
				Kind:         "Lease",
				Verbs:        leaseVerbs,
			}},
		}
	default:
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, r, errMethodNotAllowed(r.Method))
		return true
	}
	if info, ok := obj.(*version.Info); ok {
		// version.Info is plain JSON, not an API object.
		b, _ := json.MarshalIndent(info, "", "  ")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
		return true
	}
	writeObject(w, r, http.StatusOK, obj.(runtime.Object))
	return true
}

func leaseGroup() metav1.APIGroup {
	return metav1.APIGroup{
		Name:             coordinationv1.GroupName,
		Versions:         []metav1.GroupVersionForDiscovery{leaseGroupVersion},
		PreferredVersion: leaseGroupVersion,
	}
}
