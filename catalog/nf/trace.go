package nf

import "context"

// Tracing receives spans: one per execution and one per node. Generated apps install an
// OpenTelemetry implementation (package nf/otel) when OTEL_EXPORTER_OTLP_ENDPOINT is
// set; without one, tracing costs one nil check per node.
type Tracing interface {
	// Start opens a span named name under ctx; end closes it, with the error if any.
	Start(ctx context.Context, name string, attrs map[string]string) (context.Context, func(err error))
}

// ResultTracing is a Tracing that can also set attributes when a span ends (an LLM
// call's token usage is known only then). Tracers without it get no end attributes.
type ResultTracing interface {
	StartWithResult(ctx context.Context, name string, attrs map[string]string) (context.Context, func(err error, attrs map[string]string))
}

var tracing Tracing

// SetTracing installs t (nil turns tracing off). Call it before serving.
func SetTracing(t Tracing) { tracing = t }

// CurrentTracing is the installed Tracing, nil when tracing is off.
func CurrentTracing() Tracing { return tracing }

func (x *Exec) startExecutionSpan() {
	if tracing == nil {
		return
	}
	x.ctx, x.endExec = tracing.Start(x.ctx, x.Flow+" "+x.Trigger, map[string]string{
		"nodeforge.flow": x.Flow, "nodeforge.trigger": x.Trigger, "nodeforge.execution": x.ID,
	})
}

func (x *Exec) startNodeSpan(node string) {
	if tracing == nil {
		return
	}
	_, end := tracing.Start(x.ctx, node, map[string]string{
		"nodeforge.flow": x.Flow, "nodeforge.node": node, "nodeforge.execution": x.ID,
	})
	x.mu.Lock()
	if x.nodeSpans == nil {
		x.nodeSpans = map[string]func(error){}
	}
	x.nodeSpans[node] = end
	x.mu.Unlock()
}

func (x *Exec) endNodeSpan(node string, err error) {
	if tracing == nil {
		return
	}
	x.mu.Lock()
	end := x.nodeSpans[node]
	delete(x.nodeSpans, node)
	x.mu.Unlock()
	if end != nil {
		end(err)
	}
}

// TraceIDTracing is a Tracing that can name the trace of a context (execution records
// carry it, so that a record leads to its trace).
type TraceIDTracing interface {
	TraceID(ctx context.Context) string
}

func traceID(ctx context.Context) string {
	if t, ok := tracing.(TraceIDTracing); ok {
		return t.TraceID(ctx)
	}
	return ""
}
