package elector

import (
	"context"
	"time"
)

// Context is the simulation's stand-in for the context.Context values that
// client-go's elector creates (Run's, the leading context handed to
// OnStartedLeading, renew's, each poll's). It implements context.Context so
// that callback code written for client-go can read it, but cancellation is
// delivered deterministically: a cancel marks the whole subtree done first
// and then runs the registered hooks, parents before children, in the event
// that cancelled it. Nothing here starts a goroutine.
type Context struct {
	parent   *Context
	children []*Context
	err      error
	deadline time.Time
	hasDL    bool
	hooks    []func()
	done     chan struct{}
	// hookBuf holds the first hook, which is all most contexts get.
	hookBuf [1]func()
}

var _ context.Context = (*Context)(nil)

func newContext(parent *Context) *Context {
	c := new(Context)
	initContext(c, parent)
	return c
}

// initContext makes c a fresh child of parent (nil: a root). The elector
// reuses the context object of its renew polls through it.
func initContext(c *Context, parent *Context) {
	*c = Context{parent: parent}
	c.hooks = c.hookBuf[:0]
	if parent != nil {
		if parent.err != nil {
			c.err = parent.err
		} else {
			parent.children = append(parent.children, c)
		}
		c.deadline, c.hasDL = parent.deadline, parent.hasDL
	}
}

// Err is nil while the context is live, context.Canceled or
// context.DeadlineExceeded after.
func (c *Context) Err() error { return c.err }

// Deadline reports the deadline on the owning node's monotonic clock.
func (c *Context) Deadline() (time.Time, bool) { return c.deadline, c.hasDL }

// Done returns a channel closed at cancellation, for code that selects on it
// outside the simulation's event loop.
func (c *Context) Done() <-chan struct{} {
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err != nil {
			close(c.done)
		}
	}
	return c.done
}

// Value carries no values.
func (c *Context) Value(any) any { return nil }

// AfterDone registers f to run when the context is cancelled (at once if it
// already is). Hooks run synchronously in registration order.
func (c *Context) AfterDone(f func()) {
	if c.err != nil {
		f()
		return
	}
	c.hooks = append(c.hooks, f)
}

// cancel ends the context and its subtree; hooks run after every context of
// the subtree reports its error.
func (c *Context) cancel(err error) {
	if c.err != nil {
		return
	}
	var buf [8]*Context
	ended := c.mark(err, buf[:0])
	if c.parent != nil {
		c.parent.removeChild(c)
	}
	for _, x := range ended {
		hooks := x.hooks
		x.hooks = nil
		for _, f := range hooks {
			f()
		}
	}
}

func (c *Context) mark(err error, ended []*Context) []*Context {
	if c.err != nil {
		return ended
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	ended = append(ended, c)
	children := c.children
	c.children = nil
	for _, ch := range children {
		ended = ch.mark(err, ended)
	}
	return ended
}

func (c *Context) removeChild(ch *Context) {
	for i, x := range c.children {
		if x == ch {
			c.children = append(c.children[:i], c.children[i+1:]...)
			return
		}
	}
}
