package rest

import (
	"fmt"
	"strings"
	"time"
)

// Event is one log line's worth: a request that completed or was abandoned,
// or a fault that began or ended.
type Event struct {
	// Time is when it happened: when a request was answered, refused or
	// abandoned; when a fault changed.
	Time time.Time
	// Start is when a request reached Chaos (zero for fault events).
	Start time.Time
	// Node is the requesting node (NodeOf), or the node a fault is on ("" for
	// the whole server).
	Node string
	// Verb is the Kubernetes verb of a lease request (get, list, create,
	// update, delete, patch, watch, ...), or the lowercased HTTP method of
	// any other request, whose path is then in Path. Empty for fault events.
	Verb, Namespace, Name, Path string
	// Status is the HTTP status the server produced, 0 when it produced none
	// (dropped, refused). It may not have been delivered: see Abandoned.
	Status int
	// Fault is what the chaos did to the request ("partition drop-requests",
	// "injected 429", "injected 504 after apply", "outage hang", "" for none)
	// or, for a fault event, which fault changed.
	Fault string
	// Latency is the request + response delay applied (not the time spent
	// waiting for a client that never got an answer).
	Latency time.Duration
	// Service is the time a serial server spent on the request.
	Service time.Duration
	// Applied says whether the request reached the handler behind Chaos
	// (the store was touched, for a lease request).
	Applied bool
	// Abandoned says the client gave up before it could be answered (a
	// dropped request or response, a hanging outage, or a client timeout
	// during the response latency).
	Abandoned bool
	// Msg describes a fault event ("partition drop-requests begins (window
	// 2)") or why a request ended early.
	Msg string
}

// String renders the event as one line.
func (e Event) String() string {
	var b strings.Builder
	b.WriteString(e.Time.UTC().Format("2006-01-02T15:04:05.000Z"))
	if e.Verb == "" {
		b.WriteString(" fault")
		if e.Node != "" {
			fmt.Fprintf(&b, " node=%s", e.Node)
		}
		if e.Msg != "" {
			b.WriteString(" " + e.Msg)
		} else if e.Fault != "" {
			b.WriteString(" " + e.Fault)
		}
		return b.String()
	}
	if e.Node != "" {
		fmt.Fprintf(&b, " node=%s", e.Node)
	}
	b.WriteString(" " + e.Verb)
	switch {
	case e.Path != "":
		b.WriteString(" " + e.Path)
	case e.Namespace != "" && e.Name != "":
		b.WriteString(" " + e.Namespace + "/" + e.Name)
	case e.Namespace != "":
		b.WriteString(" " + e.Namespace + "/")
	case e.Name != "":
		b.WriteString(" " + e.Name)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d", e.Status)
	} else {
		b.WriteString(" -")
	}
	fmt.Fprintf(&b, " latency=%v", e.Latency)
	if e.Service > 0 {
		fmt.Fprintf(&b, " service=%v", e.Service)
	}
	if !e.Start.IsZero() && !e.Time.IsZero() {
		fmt.Fprintf(&b, " took=%v", e.Time.Sub(e.Start))
	}
	if e.Fault != "" {
		fmt.Fprintf(&b, " fault=%q", e.Fault)
	}
	if e.Applied {
		b.WriteString(" applied")
	}
	if e.Abandoned {
		b.WriteString(" abandoned")
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	return b.String()
}
