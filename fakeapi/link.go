package fakeapi

import (
	"math/rand/v2"
	"time"

	"github.com/lesim/lesim/sim"
)

// Link is one node's network to the API server, as far as delays go: the
// configured distributions per direction, an override a latency fault sets
// on this node, and one random stream per direction. The simulated server
// and the REST layer's chaos middleware both draw their delays from it, so
// the two choose and draw latency the same way.
type Link struct {
	baseReq, baseResp *Distribution
	overReq, overResp *Distribution // a latency fault on this node
	reqRand, respRand *rand.Rand
	choices           *linkChoices // nil: every delay is the draw
}

// linkChoices makes the link's delays choices of a run's Chooser.
type linkChoices struct {
	ch   sim.Chooser
	s    *sim.Sim
	node string
}

// SetChooser makes every delay of the link a choice of ch about node, at
// s's present (nil ch: back to the draws).
func (l *Link) SetChooser(ch sim.Chooser, s *sim.Sim, node string) {
	if ch == nil {
		l.choices = nil
		return
	}
	l.choices = &linkChoices{ch: ch, s: s, node: node}
}

func (lc *linkChoices) choose(kind sim.ChoiceKind, d *Distribution, drawn time.Duration) time.Duration {
	lo, hi := d.Bounds()
	return sim.ChooseDuration(lc.ch, lc.s, nil, kind, lc.node, min(max(drawn, lo), hi), lo, hi)
}

// NewLink returns node's link: the every-node latencies request and
// response (kept by reference: the caller's configuration), replaced per
// direction by the node's own nl, with the streams stream gives for
// "api/latency/<node>/request" and ".../response".
func NewLink(request, response *Distribution, nl NodeLatency, node string, stream func(name string) *rand.Rand) Link {
	l := Link{
		baseReq:  request,
		baseResp: response,
		reqRand:  stream("api/latency/" + node + "/request"),
		respRand: stream("api/latency/" + node + "/response"),
	}
	if nl.Request != nil {
		d := *nl.Request
		l.baseReq = &d
	}
	if nl.Response != nil {
		d := *nl.Response
		l.baseResp = &d
	}
	return l
}

// SetOverride sets (nil directions: clears) the node's own latency fault.
func (l *Link) SetOverride(req, resp *Distribution) { l.overReq, l.overResp = req, resp }

// Request draws a request delay. The node's own override beats every, the
// override on every node (nil for none), which beats the configuration.
func (l *Link) Request(every *Distribution) time.Duration {
	return l.delay(l.overReq, every, l.baseReq, l.reqRand, sim.ChoiceRequest)
}

// Response draws a response delay, with Request's precedence.
func (l *Link) Response(every *Distribution) time.Duration {
	return l.delay(l.overResp, every, l.baseResp, l.respRand, sim.ChoiceResponse)
}

// delay draws from the first of own, every and base that is set, and makes
// the draw a choice when the link has a chooser.
func (l *Link) delay(own, every, base *Distribution, r *rand.Rand, kind sim.ChoiceKind) time.Duration {
	d := own
	if d == nil {
		if d = every; d == nil {
			d = base
		}
	}
	x := d.sample(r)
	if l.choices != nil {
		x = l.choices.choose(kind, d, x)
	}
	return x
}

// CopyOverride copies the distributions a latency fault sets, so that the
// caller's may change without changing the fault.
func CopyOverride(req, resp *Distribution) (*Distribution, *Distribution) {
	if req != nil {
		d := *req
		req = &d
	}
	if resp != nil {
		d := *resp
		resp = &d
	}
	return req, resp
}
