// Package nf is the small runtime that generated Nodeforge apps and node executors share:
// executions (ids, logging, responses), node errors, the values of expressions whose type is
// only known at run time, JSON Schema validation of request bodies, connectors and the server.
//
// It has no dependencies outside the standard library; the SQL drivers live in the
// sub-packages nf/sqlite and nf/postgres, imported by an app only when it uses them.
package nf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Exec is one execution of a flow, from its trigger to its last node.
type Exec struct {
	ID      string
	Flow    string
	Trigger string

	ctx      context.Context
	log      *slog.Logger
	resp     Responder
	fixtures map[string]json.RawMessage
	calls    *fixtureCalls // calls of nodes with a $sequence fixture, shared by forks
	started  time.Time

	answer    *answer // shared with the execution's forks
	mu        sync.Mutex
	endExec   func(error)
	nodeSpans map[string]func(error)

	rec      *execRecord // nil: not recorded (records off or not sampled)
	recorder *recorder   // where rec goes
	fork     uint32      // which fork of the execution this is (0: the execution itself)
}

// answer records whether the execution has answered its HTTP request.
type answer struct {
	mu        sync.Mutex
	responded bool
	measured  bool   // counted and recorded (a rejected request is, before Run ends)
	node      string // the node that started last (shared by forks): where a panic was
}

// entered notes that node started (for the log line of a failed execution).
func (a *answer) entered(node string) {
	a.mu.Lock()
	a.node = node
	a.mu.Unlock()
}

// NodeFailure is the error of an execution ended by a node's error that no error output
// took: it names the node.
type NodeFailure struct {
	Node string
	Err  error
}

func (e *NodeFailure) Error() string { return "node " + e.Node + ": " + e.Err.Error() }
func (e *NodeFailure) Unwrap() error { return e.Err }

// failedAt is the node and error code of a failed execution: the node whose unhandled
// error ended it, or for an expression error (a panic) the node that started last.
func (x *Exec) failedAt(err error) (node, code string) {
	var failure *NodeFailure
	if errors.As(err, &failure) {
		node = failure.Node
	} else {
		x.answer.mu.Lock()
		node = x.answer.node
		x.answer.mu.Unlock()
		if node == "" {
			node = x.Trigger
		}
	}
	return node, AsNodeError(err).Code
}

// Millis is a duration in milliseconds (fractional), for log fields named *_ms: JSON
// handlers would print a time.Duration as a bare number of nanoseconds.
func Millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// markMeasured reports whether the execution was counted and recorded already.
func (a *answer) markMeasured() (already bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	already, a.measured = a.measured, true
	return already
}

// markResponded records an answer and reports whether there was one already.
func (a *answer) markResponded() (already bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	already, a.responded = a.responded, true
	return already
}

// NewExec starts an execution of flow from trigger; resp receives the HTTP answer (nil
// for triggers that answer nobody, such as schedules).
func (a *App) NewExec(ctx context.Context, flow, trigger string, resp Responder) *Exec {
	id := newID()
	if _, ok := resp.(HTTPResponder); ok {
		// An execution runs to its end even when the client leaves: its respond node may
		// have answered already, and the nodes after it still have work to do.
		ctx = context.WithoutCancel(ctx)
	}
	x := &Exec{
		ID:      id,
		Flow:    flow,
		Trigger: trigger,
		ctx:     ctx,
		log:     a.Log,
		resp:    resp,
		started: time.Now(),
		answer:  &answer{},
	}
	x.startExecutionSpan()
	if a.rec != nil {
		a.rec.begin(x)
		if x.rec != nil {
			x.rec.TraceID = traceID(x.ctx)
		}
	}
	return x
}

// Fork is a view of the execution for one of the concurrent iterations of a for-each
// node: the same ids, context, logger, fixtures and answer, but its own node spans, so
// the same node can run in several iterations at once.
func (x *Exec) Fork() *Exec {
	var fork uint32
	if x.rec != nil {
		x.rec.mu.Lock()
		x.rec.forks++
		fork = x.rec.forks
		x.rec.mu.Unlock()
	}
	return &Exec{
		ID:       x.ID,
		Flow:     x.Flow,
		Trigger:  x.Trigger,
		ctx:      x.ctx,
		log:      x.log,
		resp:     x.resp,
		fixtures: x.fixtures,
		calls:    x.calls,
		started:  x.started,
		answer:   x.answer,
		rec:      x.rec,
		recorder: x.recorder,
		fork:     fork,
	}
}

func newID() string {
	var b [16]byte
	const hex = "0123456789abcdef"
	u1, u2 := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = hex[(u1>>(4*i))&0xf]
		b[i+8] = hex[(u2>>(4*i))&0xf]
	}
	return string(b[:])
}

// Context is the execution's context (it carries the trace span). HTTP executions do not
// end when their client leaves; executors bound their own calls with timeouts.
func (x *Exec) Context() context.Context { return x.ctx }

// Logger is a logger carrying the flow, node and execution ids.
func (x *Exec) Logger(node string) *slog.Logger {
	return x.log.With("flow", x.Flow, "node", node, "execution", x.ID)
}

// WithFixtures pins the output of nodes (id -> JSON) instead of running them: flow tests
// use it to replace real I/O. A `{"$sequence": [...]}` fixture gives one response per
// call (fixtures.go).
func (x *Exec) WithFixtures(f map[string]json.RawMessage) {
	x.fixtures = f
	x.calls = &fixtureCalls{n: map[string]int{}}
}

// Fixture returns the pinned output of node, if the execution has one: for a sequence,
// the response of this call.
func (x *Exec) Fixture(node string) (any, bool) {
	raw, ok := x.fixtures[node]
	if !ok {
		return nil, false
	}
	v, err := DecodeJSON(x.pinned(node, raw))
	if err != nil {
		panic(Errorf("fixture of node %s: %v", node, err))
	}
	return v, true
}

// Start logs that node starts (and opens its span) and returns the time, for End.
func (x *Exec) Start(node string) time.Time {
	x.startNodeSpan(node)
	if x.log.Enabled(x.ctx, slog.LevelDebug) {
		x.log.LogAttrs(x.ctx, slog.LevelDebug, "node start",
			slog.String("flow", x.Flow), slog.String("node", node), slog.String("execution", x.ID))
	}
	return time.Now()
}

// End logs that node finished successfully.
func (x *Exec) End(node string, since time.Time) {
	x.endNodeSpan(node, nil)
	if m := metrics; m != nil {
		m.Node(x.Flow, node, time.Since(since))
	}
	if x.rec != nil {
		x.recordEnd(node)
	}
	if x.log.Enabled(x.ctx, slog.LevelDebug) {
		x.log.LogAttrs(x.ctx, slog.LevelDebug, "node end",
			slog.String("flow", x.Flow), slog.String("node", node), slog.String("execution", x.ID),
			slog.Float64("took_ms", Millis(time.Since(since))))
	}
}

// Failed logs that node failed and returns its error as the node's error output.
func (x *Exec) Failed(node string, err error) NodeError {
	ne := AsNodeError(err)
	x.endNodeSpan(node, err)
	if m := metrics; m != nil {
		m.NodeError(x.Flow, node)
	}
	if x.rec != nil {
		x.recordFailed(node, ne)
	}
	x.log.LogAttrs(x.ctx, slog.LevelWarn, "node error",
		slog.String("flow", x.Flow), slog.String("node", node), slog.String("execution", x.ID),
		slog.String("error", ne.Message), slog.String("code", ne.Code))
	return ne
}

// Respond answers the HTTP request of the execution. Only the first answer counts: a
// later one is logged and ignored.
func (x *Exec) Respond(node string, status int, headers map[string]string, body any) error {
	if x.answer.markResponded() || x.resp == nil {
		x.log.LogAttrs(x.ctx, slog.LevelWarn, "response ignored: the execution has already answered or has no HTTP client",
			slog.String("flow", x.Flow), slog.String("node", node), slog.String("execution", x.ID))
		return nil
	}
	if x.rec != nil {
		x.recordRespond(status, body)
	}
	return x.resp.Respond(status, headers, body)
}

// Responded reports whether the execution has answered its HTTP request.
func (x *Exec) Responded() bool {
	x.answer.mu.Lock()
	defer x.answer.mu.Unlock()
	return x.answer.responded
}

// Run runs the flow body: a panic (an expression error) or an error that no error output
// took becomes the flow's error, answered 500 with the execution id; nothing internal
// leaks to the client. A request that reached no respond node gets 204.
func (x *Exec) Run(body func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			var ee *EvalError
			switch v := r.(type) {
			case *EvalError:
				ee = v
			case error:
				ee = &EvalError{Message: v.Error()}
			default:
				ee = &EvalError{Message: fmt.Sprint(v)}
			}
			err = ee
		}
		x.finish(err)
	}()
	return body()
}

func (x *Exec) finish(err error) {
	took := time.Since(x.started)
	if x.endExec != nil {
		for node := range x.nodeSpans {
			x.endNodeSpan(node, err)
		}
		defer x.endExec(err)
	}
	// Counted and recorded once answered (the record keeps the answer).
	defer x.measure(err, took)
	if err != nil {
		node, code := x.failedAt(err)
		x.log.LogAttrs(x.ctx, slog.LevelError, "execution failed",
			slog.String("flow", x.Flow), slog.String("trigger", x.Trigger), slog.String("execution", x.ID),
			slog.String("node", node), slog.String("code", code),
			slog.String("error", err.Error()), slog.Float64("took_ms", Millis(took)))
		if !x.Responded() && x.resp != nil {
			x.Respond(x.Trigger, 500, nil, map[string]string{
				"error":        "internal error",
				"execution_id": x.ID,
			})
		}
		return
	}
	if x.log.Enabled(x.ctx, slog.LevelDebug) {
		x.log.LogAttrs(x.ctx, slog.LevelDebug, "execution done",
			slog.String("flow", x.Flow), slog.String("trigger", x.Trigger), slog.String("execution", x.ID),
			slog.Float64("took_ms", Millis(took)))
	}
	if !x.Responded() && x.resp != nil {
		x.Respond(x.Trigger, 204, nil, nil)
	}
}

// measure counts the finished execution and completes its record.
func (x *Exec) measure(err error, took time.Duration) {
	if x.answer.markMeasured() {
		return
	}
	if m := metrics; m != nil {
		status := StatusCompleted
		if err != nil {
			status = StatusFailed
		}
		m.Execution(x.Flow, x.Trigger, status, took)
	}
	if x.rec != nil {
		code := ""
		if err != nil {
			code = AsNodeError(err).Code
			var ee *EvalError
			if errors.As(err, &ee) {
				code = "expression"
			}
		}
		x.recordFinish(err, code)
	}
}

// NodeError is what a node's `error` output carries.
type NodeError struct {
	Message   string `json:"message"`
	Code      string `json:"code"`
	Retryable bool   `json:"retryable"`
}

func (e NodeError) Error() string { return e.Message }

// AsNodeError turns any error into a node error (code "internal" unless it carries one).
func AsNodeError(err error) NodeError {
	var ne NodeError
	if errors.As(err, &ne) {
		return ne
	}
	var pe *NodeError
	if errors.As(err, &pe) {
		return *pe
	}
	var ee *EvalError
	if errors.As(err, &ee) {
		return NodeError{Message: ee.Message, Code: "expression"}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return NodeError{Message: err.Error(), Code: "timeout", Retryable: true}
	}
	return NodeError{Message: err.Error(), Code: "internal"}
}

// EvalError is a run-time error of an expression (a missing field, a bad conversion, a
// division by zero). Generated code panics with it; Exec.Run turns it into the flow error.
type EvalError struct {
	Message string
	Missing bool
}

func (e *EvalError) Error() string { return e.Message }

// Errorf panics with an expression error.
func Errorf(format string, args ...any) *EvalError {
	return &EvalError{Message: fmt.Sprintf(format, args...)}
}

// Missing panics with a missing-field expression error.
func Missing(format string, args ...any) {
	panic(&EvalError{Message: fmt.Sprintf(format, args...), Missing: true})
}

// Fail panics with an expression error.
func Fail(format string, args ...any) {
	panic(Errorf(format, args...))
}

// Quote is strconv.Quote, for messages.
func Quote(s string) string { return strconv.Quote(s) }
