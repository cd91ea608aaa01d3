package nf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// CallCode runs the Run function of a code/go node with typed values: the generated
// code converts the flow's input to the node's Input and its Output back field by field
// (no JSON between them). Run gets a context with the node's deadline, whose timer is
// only armed if Run asks for Done (most code never waits on it); a panic in the user's
// code becomes the node's error (code "panic") instead of ending the app; an error with
// a Code() string method keeps that code. Run is called on the caller's goroutine, so
// code that ignores its context is not interrupted: when it returns after the deadline
// its result is dropped and the node fails with code "timeout" all the same.
func CallCode[I, O any](x *Exec, timeout time.Duration, in I, run func(context.Context, I) (O, error)) (O, error) {
	started := time.Now()
	ctx := &codeContext{parent: x.Context(), deadline: started.Add(timeout)}
	out, err := callCode(ctx, in, run)
	if err == nil && time.Since(started) >= timeout {
		err = fmt.Errorf("ran past its timeout (%s)", timeout)
	}
	if err != nil {
		err = codeError(ctx, err)
	}
	ctx.release()
	if err != nil {
		var zero O
		return zero, err
	}
	return out, nil
}

// RunCode is CallCode for inputs or outputs the generator cannot convert field by field
// (JSON values of unknown shape, unions): the input reaches Input through JSON, as in
// the sandbox's node test, and the output comes back as a JSON value for the flow's
// decoder of the out port.
func RunCode[I, O any](x *Exec, node string, timeout time.Duration, input any, run func(context.Context, I) (O, error)) (any, error) {
	var in I
	data, err := json.Marshal(input)
	if err == nil {
		err = json.Unmarshal(data, &in)
	}
	if err != nil {
		return nil, NodeError{Message: "input does not match the node's input_schema: " + err.Error(), Code: "input"}
	}
	out, err := CallCode(x, timeout, in, run)
	if err != nil {
		return nil, err
	}
	data, err = json.Marshal(out)
	if err != nil {
		return nil, NodeError{Message: "output is not JSON: " + err.Error(), Code: "output"}
	}
	v, err := DecodeJSON(data)
	if err != nil {
		return nil, NodeError{Message: "output is not JSON: " + err.Error(), Code: "output"}
	}
	return v, nil
}

// codeError is the node's error for err returned by (or raised in) the user's code.
func codeError(ctx context.Context, err error) error {
	if ne, ok := err.(NodeError); ok && ne.Code == "panic" {
		return ne
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return NodeError{Message: err.Error(), Code: "timeout", Retryable: true}
	}
	if c, ok := err.(interface{ Code() string }); ok {
		return NodeError{Message: err.Error(), Code: c.Code()}
	}
	return err
}

// codeContext is the context a code/go node runs with: its parent's values and
// cancellation plus the node's deadline. Unlike context.WithTimeout it arms no timer and
// registers nothing with its parent until someone asks for Done; Err compares the clock
// with the deadline.
type codeContext struct {
	parent   context.Context
	deadline time.Time
	mu       sync.Mutex
	done     chan struct{}
	closed   bool
	err      error
	stop     func()
}

func (c *codeContext) Deadline() (time.Time, bool) {
	if d, ok := c.parent.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

func (c *codeContext) Value(key any) any { return c.parent.Value(key) }

func (c *codeContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		if err := c.parent.Err(); err != nil {
			c.cancelLocked(err)
		} else if !time.Now().Before(c.deadline) {
			c.cancelLocked(context.DeadlineExceeded)
		}
	}
	return c.err
}

func (c *codeContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err != nil {
			c.closed = true
			close(c.done)
			return c.done
		}
		timer := time.AfterFunc(time.Until(c.deadline), func() { c.cancel(context.DeadlineExceeded) })
		stopParent := context.AfterFunc(c.parent, func() { c.cancel(c.parent.Err()) })
		c.stop = func() { timer.Stop(); stopParent() }
	}
	return c.done
}

func (c *codeContext) cancel(err error) {
	c.mu.Lock()
	c.cancelLocked(err)
	c.mu.Unlock()
}

func (c *codeContext) cancelLocked(err error) {
	if c.err == nil {
		c.err = err
	}
	if c.done != nil && !c.closed {
		c.closed = true
		close(c.done)
	}
}

// release cancels the context once Run has returned (as the cancel function of
// context.WithTimeout would: goroutines the code left behind see Done), and stops the
// timer and the parent's watch if Done armed them.
func (c *codeContext) release() {
	c.mu.Lock()
	stop := c.stop
	c.stop = nil
	c.cancelLocked(context.Canceled)
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
}

func callCode[I, O any](ctx context.Context, in I, run func(context.Context, I) (O, error)) (out O, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = NodeError{Message: fmt.Sprintf("panic: %v", r), Code: "panic"}
		}
	}()
	return run(ctx, in)
}
