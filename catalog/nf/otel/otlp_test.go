package otel

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"nodeforge.dev/catalog/nf"
)

type collector struct {
	mu       sync.Mutex
	bodies   [][]byte
	headers  []http.Header
	failures int // answer 503 this many times first
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures > 0 {
		c.failures--
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		rd = zr
	}
	data, _ := io.ReadAll(rd)
	c.bodies = append(c.bodies, data)
	c.headers = append(c.headers, r.Header.Clone())
}

func withEnv(t *testing.T, env map[string]string) {
	t.Helper()
	old := getenv
	getenv = func(k string) string { return env[k] }
	t.Cleanup(func() { getenv = old; nf.SetTracing(nil) })
}

// decode reads an ExportTraceServiceRequest with the official types: TracesData has
// the same field 1 (repeated ResourceSpans), without the gRPC service package.
func decode(t *testing.T, body []byte) *tracepb.TracesData {
	t.Helper()
	var td tracepb.TracesData
	if err := proto.Unmarshal(body, &td); err != nil {
		t.Fatalf("not an OTLP protobuf request: %v", err)
	}
	return &td
}

func TestExportThroughSetup(t *testing.T) {
	c := &collector{failures: 1}
	srv := httptest.NewServer(c)
	defer srv.Close()
	withEnv(t, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":    srv.URL + "/",
		"OTEL_EXPORTER_OTLP_HEADERS":     "x-token=a%20b,tenant=t1",
		"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
		"OTEL_RESOURCE_ATTRIBUTES":       "deployment.environment=test,service.name=ignored",
		"OTEL_SERVICE_NAME":              "shop",
	})
	app := nf.NewApp("proj")
	stop := Setup(app)
	tr, ok := nf.CurrentTracing().(*tracer)
	if !ok {
		t.Fatal("Setup installed no tracer")
	}
	ctx, endExec := tr.Start(context.Background(), "orders create", map[string]string{"nodeforge.flow": "orders"})
	if id := tr.TraceID(ctx); len(id) != 32 {
		t.Fatalf("trace id %q", id)
	}
	_, endNode := tr.StartWithResult(ctx, "insert", map[string]string{"nodeforge.node": "insert"})
	endNode(errors.New("constraint failed"), map[string]string{"rows": "0"})
	endExec(nil)
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(c.bodies) != 1 {
		t.Fatalf("%d exports, want 1 (after one retried 503)", len(c.bodies))
	}
	if h := c.headers[0]; h.Get("X-Token") != "a b" || h.Get("Tenant") != "t1" || h.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("headers %v", h)
	}
	td := decode(t, c.bodies[0])
	if len(td.ResourceSpans) != 1 {
		t.Fatalf("resource spans %d", len(td.ResourceSpans))
	}
	rs := td.ResourceSpans[0]
	res := map[string]string{}
	for _, kv := range rs.Resource.Attributes {
		res[kv.Key] = kv.Value.GetStringValue()
	}
	if res["service.name"] != "shop" || res["deployment.environment"] != "test" || res["telemetry.sdk.language"] != "go" {
		t.Fatalf("resource %v", res)
	}
	if len(rs.ScopeSpans) != 1 || rs.ScopeSpans[0].Scope.Name != "nodeforge" {
		t.Fatalf("scopes %v", rs.ScopeSpans)
	}
	spans := map[string]*tracepb.Span{}
	for _, s := range rs.ScopeSpans[0].Spans {
		spans[s.Name] = s
	}
	exec, node := spans["orders create"], spans["insert"]
	if exec == nil || node == nil {
		t.Fatalf("spans %v", spans)
	}
	if !bytes.Equal(node.TraceId, exec.TraceId) || !bytes.Equal(node.ParentSpanId, exec.SpanId) || len(exec.ParentSpanId) != 0 {
		t.Fatalf("parentage: exec %x/%x node %x parent %x", exec.TraceId, exec.SpanId, node.TraceId, node.ParentSpanId)
	}
	if len(exec.TraceId) != 16 || len(exec.SpanId) != 8 || bytes.Equal(exec.SpanId, node.SpanId) {
		t.Fatalf("ids %x %x %x", exec.TraceId, exec.SpanId, node.SpanId)
	}
	if node.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || node.Status.Message != "constraint failed" {
		t.Fatalf("status %v", node.Status)
	}
	if exec.Status.GetCode() != tracepb.Status_STATUS_CODE_UNSET {
		t.Fatalf("exec status %v", exec.Status)
	}
	if len(node.Events) != 1 || node.Events[0].Name != "exception" {
		t.Fatalf("events %v", node.Events)
	}
	attrs := map[string]string{}
	for _, kv := range node.Attributes {
		attrs[kv.Key] = kv.Value.GetStringValue()
	}
	if attrs["nodeforge.node"] != "insert" || attrs["rows"] != "0" {
		t.Fatalf("attributes %v", attrs)
	}
	if node.StartTimeUnixNano == 0 || node.EndTimeUnixNano < node.StartTimeUnixNano {
		t.Fatalf("times %d %d", node.StartTimeUnixNano, node.EndTimeUnixNano)
	}
	if node.Kind != tracepb.Span_SPAN_KIND_INTERNAL || node.Flags&1 != 1 {
		t.Fatalf("kind %v flags %x", node.Kind, node.Flags)
	}
}

func TestBatchesAndSampling(t *testing.T) {
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	tr, err := newTracer("p", func(k string) string {
		return map[string]string{
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": srv.URL + "/v1/traces",
			"OTEL_BSP_MAX_EXPORT_BATCH_SIZE":     "3",
			"OTEL_BSP_MAX_QUEUE_SIZE":            "5",
			"OTEL_BSP_SCHEDULE_DELAY":            "60000",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	var dropped []error
	tr.onError = func(err error) { dropped = append(dropped, err) }
	for range 7 { // 5 queued, 2 dropped (the loop is not running yet)
		_, end := tr.Start(context.Background(), "s", nil)
		end(nil)
	}
	go tr.loop()
	if err := tr.shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(c.bodies) != 2 {
		t.Fatalf("%d exports, want 2 batches (3 + 2)", len(c.bodies))
	}
	n := 0
	for _, b := range c.bodies {
		n += len(decode(t, b).ResourceSpans[0].ScopeSpans[0].Spans)
	}
	if n != 5 || len(dropped) != 1 {
		t.Fatalf("%d spans exported, drops reported %v", n, dropped)
	}

	off, err := newTracer("p", func(k string) string {
		return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_TRACES_SAMPLER": "always_off"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, end := off.Start(context.Background(), "root", nil)
	_, endChild := off.Start(ctx, "child", nil)
	endChild(nil)
	end(nil)
	if len(off.queue) != 0 || off.TraceID(ctx) != "" {
		t.Fatalf("always_off recorded %d spans", len(off.queue))
	}
	half := sampler{0.5}
	kept := 0
	for i := range 1000 {
		var tid [16]byte
		putUint64(tid[8:], uint64(i)*0x9E3779B97F4A7C15)
		if half.sample(tid) {
			kept++
		}
	}
	if kept < 400 || kept > 600 {
		t.Fatalf("ratio 0.5 kept %d of 1000", kept)
	}
	for _, bad := range []string{"OTEL_TRACES_SAMPLER=jaeger_remote", "OTEL_TRACES_SAMPLER_ARG=2", "OTEL_BSP_MAX_QUEUE_SIZE=-1", "OTEL_RESOURCE_ATTRIBUTES=novalue"} {
		k, v, _ := strings.Cut(bad, "=")
		env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", k: v, "OTEL_TRACES_SAMPLER": "traceidratio"}
		if k == "OTEL_TRACES_SAMPLER" {
			env[k] = v
		}
		if _, err := newTracer("p", func(k string) string { return env[k] }); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cfg, err := configFromEnv(env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://col:4318"))
	if err != nil || cfg.URL != "http://col:4318/v1/traces" || cfg.Timeout != 10*time.Second {
		t.Fatalf("%+v %v", cfg, err)
	}
	cfg, err = configFromEnv(env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://col:4318",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://col/custom", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "250"))
	if err != nil || cfg.URL != "https://col/custom" || cfg.Timeout != 250*time.Millisecond {
		t.Fatalf("%+v %v", cfg, err)
	}
	for _, bad := range [][]string{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "col:4318"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c", "OTEL_EXPORTER_OTLP_HEADERS", "novalue"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c", "OTEL_EXPORTER_OTLP_TIMEOUT", "soon"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c", "OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
	} {
		if _, err := configFromEnv(env(bad...)); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}

func TestNoEndpointInstallsNothing(t *testing.T) {
	withEnv(t, map[string]string{})
	if err := Setup(nf.NewApp("p"))(context.Background()); err != nil {
		t.Fatal(err)
	}
	if nf.CurrentTracing() != nil {
		t.Fatal("a tracer was installed")
	}
}
