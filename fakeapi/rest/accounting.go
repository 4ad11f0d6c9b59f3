package rest

import "github.com/lesim/lesim/fakeapi"

// enter and leave count the requests inside Chaos, for WaitIdle.
func (c *Chaos) enter() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inFlight == 0 {
		c.idle = make(chan struct{})
	}
	c.inFlight++
}

func (c *Chaos) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight--
	if c.inFlight == 0 {
		close(c.idle)
	}
}

// InFlight is the number of requests inside Chaos: travelling, queued,
// being applied, or waiting for a client that will never be answered.
func (c *Chaos) InFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inFlight
}

// WaitIdle blocks until no request is inside Chaos. A request keeps going
// after its client gave up — its request latency is slept in full so that
// the write lands — so a client returning does not mean Chaos is done with
// its request. Call WaitIdle, once every client has stopped, before a
// synctest bubble's main goroutine returns: time stops then, and a handler
// still sleeping would be reported as a deadlock. (It waits on a channel,
// which counts as durably blocked.)
func (c *Chaos) WaitIdle() {
	c.mu.Lock()
	idle := c.idle
	c.mu.Unlock()
	<-idle
}

func addCount(c *fakeapi.Counts, op fakeapi.Op) {
	switch op {
	case fakeapi.OpGet:
		c.Get++
	case fakeapi.OpCreate:
		c.Create++
	case fakeapi.OpUpdate:
		c.Update++
	case fakeapi.OpDelete:
		c.Delete++
	case fakeapi.OpList:
		c.List++
	}
}

// Counts is the number of requests received from node, per verb.
func (c *Chaos) Counts(node string) fakeapi.Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.nodes[node]; n != nil {
		return n.counts
	}
	return fakeapi.Counts{}
}

// TotalCounts is the number of requests received from all nodes, per verb.
func (c *Chaos) TotalCounts() fakeapi.Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}
