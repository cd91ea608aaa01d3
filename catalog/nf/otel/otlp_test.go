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

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
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
		"OTEL_SERVICE_NAME":              "shop",
	})
	app := nf.NewApp("proj")
	stop := Setup(app)
	tr := tracer{otel.GetTracerProvider().Tracer("nodeforge")}
	ctx, endExec := tr.Start(context.Background(), "orders create", map[string]string{"nodeforge.flow": "orders"})
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
	service := ""
	for _, kv := range rs.Resource.Attributes {
		if kv.Key == "service.name" {
			service = kv.Value.GetStringValue()
		}
	}
	if service != "shop" {
		t.Fatalf("service.name %q", service)
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
	if len(exec.TraceId) != 16 || len(exec.SpanId) != 8 {
		t.Fatalf("id sizes %d %d", len(exec.TraceId), len(exec.SpanId))
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
	if node.Kind != tracepb.Span_SPAN_KIND_INTERNAL {
		t.Fatalf("kind %v", node.Kind)
	}
}

func TestEncodeValues(t *testing.T) {
	var p pbuf
	for _, kv := range []attribute.KeyValue{
		attribute.Bool("b", true), attribute.Bool("f", false), attribute.Int64("i", -7),
		attribute.Float64("d", 1.5), attribute.StringSlice("ss", []string{"x", ""}),
		attribute.Int64Slice("is", []int64{1, 2}),
	} {
		p.message(9, func(q *pbuf) { q.keyValue(kv) })
	}
	var s tracepb.Span
	if err := proto.Unmarshal(p.b, &s); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range s.Attributes {
		got[kv.Key] = kv.Value.String()
	}
	v := func(k string) string { return strings.ReplaceAll(got[k], "  ", " ") }
	for k, want := range map[string]string{
		"b": "bool_value:true", "f": "bool_value:false", "i": "int_value:-7", "d": "double_value:1.5",
	} {
		if v(k) != want {
			t.Errorf("%s: %q, want %q", k, v(k), want)
		}
	}
	if arr := s.Attributes[4].Value.GetArrayValue(); len(arr.Values) != 2 || arr.Values[0].GetStringValue() != "x" {
		t.Errorf("string slice %v", arr)
	}
	if arr := s.Attributes[5].Value.GetArrayValue(); len(arr.Values) != 2 || arr.Values[1].GetIntValue() != 2 {
		t.Errorf("int slice %v", arr)
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
	before := otel.GetTracerProvider()
	if err := Setup(nf.NewApp("p"))(context.Background()); err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() != before {
		t.Fatal("a tracer provider was installed")
	}
}
