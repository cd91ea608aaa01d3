// Package otel exports the spans of a generated app over OTLP/HTTP (protobuf) when the
// standard OpenTelemetry variables ask for it (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTEL_SERVICE_NAME names the service, default the
// app's name). Without them it installs nothing and tracing costs nothing.
//
// It is a small tracer of its own, not the OpenTelemetry Go SDK: the SDK with its
// otlptracehttp exporter added ~8 MB to a stripped binary (the exporter links gRPC and
// the protobuf runtime), the SDK alone with a hand-written exporter ~1.4 MB; this
// package costs ~0.17 MB (it posts over HTTP/1.1 by itself: net/http's client would
// add ~0.45 MB to an app without http/request nodes). It reads the specification's
// variables a generated app needs: the endpoint, OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT,
// _COMPRESSION (and their _TRACES_ forms), OTEL_RESOURCE_ATTRIBUTES,
// OTEL_TRACES_SAMPLER (always_on, always_off, traceidratio and their parentbased_
// forms) with OTEL_TRACES_SAMPLER_ARG, and the batch processor's OTEL_BSP_SCHEDULE_DELAY,
// OTEL_BSP_MAX_QUEUE_SIZE and OTEL_BSP_MAX_EXPORT_BATCH_SIZE.
package otel

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"nodeforge.dev/catalog/nf"
)

// getenv is os.Getenv, a variable for the tests.
var getenv = os.Getenv

// Setup installs OTLP tracing if configured; the returned function flushes and stops it.
func Setup(app *nf.App) func(context.Context) error {
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return func(context.Context) error { return nil }
	}
	t, err := newTracer(app.Name, getenv)
	if err != nil {
		app.Log.Error("OpenTelemetry exporter", "error", err.Error())
		return func(context.Context) error { return nil }
	}
	t.onError = func(err error) { app.Log.Warn("OpenTelemetry export", "error", err.Error()) }
	go t.loop()
	nf.SetTracing(t)
	app.Log.Info("OpenTelemetry tracing on", "service", t.service)
	return t.shutdown
}

type attr struct{ key, value string }

// span is one finished (or running) span.
type span struct {
	traceID [16]byte
	spanID  [8]byte
	parent  [8]byte // zero: a root span
	name    string
	start   time.Time
	end     time.Time
	attrs   []attr
	err     string // status ERROR with this description, and an exception event
	errType string
	errAt   time.Time
	failed  bool
}

type spanKey struct{}

// sampler decides for root spans; children follow their parent (parentbased_*), or are
// decided again by trace id (traceidratio without parentbased, which gives the same
// answer for the same trace id).
type sampler struct {
	ratio float64 // 1: always, 0: never
}

func (s sampler) sample(tid [16]byte) bool {
	if s.ratio >= 1 {
		return true
	}
	if s.ratio <= 0 {
		return false
	}
	// As the specification's TraceIdRatioBased: the trace id's low 8 bytes against the bound.
	var x uint64
	for _, b := range tid[8:] {
		x = x<<8 | uint64(b)
	}
	return x>>1 < uint64(s.ratio*(1<<63))
}

type tracer struct {
	service  string
	resource []attr
	sampler  sampler
	exporter *exporter

	delay    time.Duration
	maxQueue int
	maxBatch int

	mu      sync.Mutex
	queue   []*span
	dropped int
	closed  bool
	wake    chan struct{}
	flushed chan chan struct{}
	onError func(error)
}

func envInt(getenv func(string) string, name string, def int) (int, error) {
	s := getenv(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive integer", name, s)
	}
	return n, nil
}

func newTracer(appName string, getenv func(string) string) (*tracer, error) {
	cfg, err := configFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	t := &tracer{
		exporter: newExporter(cfg),
		wake:     make(chan struct{}, 1),
		flushed:  make(chan chan struct{}),
		onError:  func(error) {},
	}
	t.service = getenv("OTEL_SERVICE_NAME")
	var res []attr
	for _, pair := range strings.Split(getenv("OTEL_RESOURCE_ATTRIBUTES"), ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		key, err1 := url.PathUnescape(strings.TrimSpace(k))
		val, err2 := url.PathUnescape(strings.TrimSpace(v))
		if !ok || key == "" || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %q is not key=value", pair)
		}
		if key == "service.name" {
			if t.service == "" {
				t.service = val
			}
			continue
		}
		res = append(res, attr{key, val})
	}
	if t.service == "" {
		t.service = appName
	}
	t.resource = append([]attr{
		{"service.name", t.service},
		{"telemetry.sdk.language", "go"},
		{"telemetry.sdk.name", "nodeforge"},
	}, res...)
	arg := getenv("OTEL_TRACES_SAMPLER_ARG")
	switch name := getenv("OTEL_TRACES_SAMPLER"); name {
	case "", "always_on", "parentbased_always_on":
		t.sampler = sampler{1}
	case "always_off", "parentbased_always_off":
		t.sampler = sampler{0}
	case "traceidratio", "parentbased_traceidratio":
		ratio := 1.0
		if arg != "" {
			ratio, err = strconv.ParseFloat(arg, 64)
			if err != nil || math.IsNaN(ratio) || ratio < 0 || ratio > 1 {
				return nil, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG: %q is not a ratio between 0 and 1", arg)
			}
		}
		t.sampler = sampler{ratio}
	default:
		return nil, fmt.Errorf("OTEL_TRACES_SAMPLER: %q is not supported (always_on, always_off, traceidratio, parentbased_*)", name)
	}
	delay, err := envInt(getenv, "OTEL_BSP_SCHEDULE_DELAY", 5000)
	if err != nil {
		return nil, err
	}
	t.delay = time.Duration(delay) * time.Millisecond
	if t.maxQueue, err = envInt(getenv, "OTEL_BSP_MAX_QUEUE_SIZE", 2048); err != nil {
		return nil, err
	}
	if t.maxBatch, err = envInt(getenv, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512); err != nil {
		return nil, err
	}
	t.maxBatch = min(t.maxBatch, t.maxQueue)
	return t, nil
}

// Start implements nf.Tracing.
func (t *tracer) Start(ctx context.Context, name string, attrs map[string]string) (context.Context, func(error)) {
	ctx, end := t.StartWithResult(ctx, name, attrs)
	return ctx, func(err error) { end(err, nil) }
}

func noEnd(error, map[string]string) {}

// StartWithResult implements nf.ResultTracing: the end also sets attributes.
func (t *tracer) StartWithResult(ctx context.Context, name string, attrs map[string]string) (context.Context, func(error, map[string]string)) {
	s := &span{name: name, start: time.Now()}
	if parent, ok := ctx.Value(spanKey{}).(*span); ok {
		if parent == nil { // an unsampled trace: its children are not recorded either
			return ctx, noEnd
		}
		s.traceID, s.parent = parent.traceID, parent.spanID
	} else {
		putUint64(s.traceID[:8], rand.Uint64())
		putUint64(s.traceID[8:], rand.Uint64()|1)
		if !t.sampler.sample(s.traceID) {
			return context.WithValue(ctx, spanKey{}, (*span)(nil)), noEnd
		}
	}
	putUint64(s.spanID[:], rand.Uint64()|1)
	s.attrs = make([]attr, 0, len(attrs))
	for k, v := range attrs {
		s.attrs = append(s.attrs, attr{k, v})
	}
	return context.WithValue(ctx, spanKey{}, s), func(err error, more map[string]string) {
		for k, v := range more {
			s.attrs = append(s.attrs, attr{k, v})
		}
		s.end = time.Now()
		if err != nil {
			s.failed, s.err, s.errType, s.errAt = true, err.Error(), fmt.Sprintf("%T", err), s.end
		}
		t.enqueue(s)
	}
}

// TraceID implements nf.TraceIDTracing.
func (t *tracer) TraceID(ctx context.Context) string {
	if s, ok := ctx.Value(spanKey{}).(*span); ok && s != nil {
		return hex.EncodeToString(s.traceID[:])
	}
	return ""
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}

func (t *tracer) enqueue(s *span) {
	t.mu.Lock()
	if t.closed || len(t.queue) >= t.maxQueue {
		t.dropped++
		t.mu.Unlock()
		return
	}
	t.queue = append(t.queue, s)
	full := len(t.queue) >= t.maxBatch
	t.mu.Unlock()
	if full {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// loop exports a batch every delay, or as soon as one is full; a flush request drains
// the queue and answers.
func (t *tracer) loop() {
	timer := time.NewTimer(t.delay)
	for {
		var done chan struct{}
		select {
		case <-timer.C:
		case <-t.wake:
		case done = <-t.flushed:
		}
		for t.exportBatch() {
		}
		if done != nil {
			close(done)
			t.mu.Lock()
			closed := t.closed
			t.mu.Unlock()
			if closed {
				timer.Stop()
				return
			}
		}
		timer.Reset(t.delay)
	}
}

// exportBatch exports up to maxBatch queued spans; whether more are waiting.
func (t *tracer) exportBatch() bool {
	t.mu.Lock()
	n := min(len(t.queue), t.maxBatch)
	batch := t.queue[:n:n]
	t.queue = t.queue[n:]
	more := len(t.queue) > 0
	dropped := t.dropped
	t.dropped = 0
	t.mu.Unlock()
	if dropped > 0 {
		t.onError(fmt.Errorf("%d spans dropped: the export queue (OTEL_BSP_MAX_QUEUE_SIZE %d) was full", dropped, t.maxQueue))
	}
	if n == 0 {
		return false
	}
	if err := t.exporter.export(context.Background(), encodeRequest(t.resource, batch)); err != nil {
		t.onError(err)
	}
	return more
}

// shutdown exports what is queued and stops; later spans are dropped.
func (t *tracer) shutdown(ctx context.Context) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	done := make(chan struct{})
	select {
	case t.flushed <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		t.exporter.client.closeIdle()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
