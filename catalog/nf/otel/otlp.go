package otel

// A small OTLP/HTTP exporter (binary protobuf, the protocol's default encoding) for the
// OpenTelemetry SDK. The official otlptracehttp exporter links the generated protobuf
// runtime and, through the OTLP collector package, the whole gRPC stack: about 7 MB of
// a stripped binary. This one writes the few messages a trace export needs by hand
// (ExportTraceServiceRequest and what it contains, opentelemetry-proto v1) and posts
// them with net/http, which every app links anyway; the SDK (batching, sampling,
// resources, OTEL_BSP_* and OTEL_TRACES_SAMPLER) is kept. nf/otel's tests decode its
// output with the official Go types of opentelemetry-proto.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// exporterConfig is the exporter's part of the standard OTEL_EXPORTER_OTLP_* settings.
type exporterConfig struct {
	URL      string
	Headers  map[string]string
	Timeout  time.Duration
	Compress bool
}

// configFromEnv reads the OTLP settings the way the specification says: the traces
// endpoint is used as given, the general one gets /v1/traces appended; headers are
// comma-separated key=value pairs (URL-encoded), the traces ones added over the
// general ones; the timeout is in milliseconds (default 10 s); compression is "gzip"
// or "none".
func configFromEnv(getenv func(string) string) (exporterConfig, error) {
	cfg := exporterConfig{Headers: map[string]string{}, Timeout: 10 * time.Second}
	if ep := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); ep != "" {
		cfg.URL = ep
	} else if ep := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); ep != "" {
		cfg.URL = strings.TrimRight(ep, "/") + "/v1/traces"
	} else {
		return cfg, errors.New("no OTLP endpoint")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("OTLP endpoint %q is not an http(s) URL", cfg.URL)
	}
	if u.Path == "" {
		u.Path = "/"
		cfg.URL = u.String()
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"} {
		for _, pair := range strings.Split(getenv(name), ",") {
			if strings.TrimSpace(pair) == "" {
				continue
			}
			k, v, ok := strings.Cut(pair, "=")
			key, err1 := url.QueryUnescape(strings.TrimSpace(k))
			val, err2 := url.QueryUnescape(strings.TrimSpace(v))
			if !ok || key == "" || err1 != nil || err2 != nil {
				return cfg, fmt.Errorf("%s: %q is not key=value", name, pair)
			}
			cfg.Headers[key] = val
		}
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"} {
		if s := getenv(name); s != "" {
			ms, err := strconv.Atoi(s)
			if err != nil || ms <= 0 {
				return cfg, fmt.Errorf("%s: %q is not a number of milliseconds", name, s)
			}
			cfg.Timeout = time.Duration(ms) * time.Millisecond
		}
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"} {
		switch s := getenv(name); s {
		case "":
		case "gzip":
			cfg.Compress = true
		case "none":
			cfg.Compress = false
		default:
			return cfg, fmt.Errorf("%s: %q is not gzip or none", name, s)
		}
	}
	if p := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"); p != "" && p != "http/protobuf" {
		return cfg, fmt.Errorf("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL %q: only http/protobuf is supported", p)
	} else if p == "" {
		if p := getenv("OTEL_EXPORTER_OTLP_PROTOCOL"); p != "" && p != "http/protobuf" {
			return cfg, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: only http/protobuf is supported", p)
		}
	}
	return cfg, nil
}

// exporter posts batches of spans as OTLP/HTTP protobuf.
type exporter struct {
	cfg    exporterConfig
	client *http.Client
	mu     sync.Mutex
	closed bool
}

func newExporter(cfg exporterConfig) *exporter {
	return &exporter{cfg: cfg, client: &http.Client{Timeout: cfg.Timeout}}
}

// ExportSpans implements sdktrace.SpanExporter. Throttling and unavailable answers
// (429, 502, 503, 504) are retried a few times with backoff within the timeout.
func (e *exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed || len(spans) == 0 {
		return nil
	}
	body := encodeRequest(spans)
	encoding := ""
	if e.cfg.Compress {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body, encoding = buf.Bytes(), "gzip"
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	wait := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		retry, err := e.post(ctx, body, encoding)
		if err == nil || !retry || attempt == 4 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
			wait *= 2
		}
	}
}

func (e *exporter) post(ctx context.Context, body []byte, encoding string) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	for k, v := range e.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("OTLP export: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == 429 || resp.StatusCode == 502 || resp.StatusCode == 503 || resp.StatusCode == 504:
		return true, fmt.Errorf("OTLP export: %s", resp.Status)
	default:
		return false, fmt.Errorf("OTLP export: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
}

// Shutdown implements sdktrace.SpanExporter: later exports are dropped.
func (e *exporter) Shutdown(context.Context) error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.client.CloseIdleConnections()
	return nil
}

// encodeRequest is an ExportTraceServiceRequest holding spans, grouped by resource and
// instrumentation scope in the order they first appear.
func encodeRequest(spans []sdktrace.ReadOnlySpan) []byte {
	type scopeKey struct {
		res   *resource.Resource
		scope instrumentation.Scope
	}
	var resources []*resource.Resource
	scopes := map[*resource.Resource][]instrumentation.Scope{}
	byScope := map[scopeKey][]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		res, sc := s.Resource(), s.InstrumentationScope()
		sc.Attributes = attribute.NewSet() // compared by name, version and schema only
		k := scopeKey{res, sc}
		if _, ok := scopes[res]; !ok {
			resources = append(resources, res)
			scopes[res] = nil
		}
		if _, ok := byScope[k]; !ok {
			scopes[res] = append(scopes[res], sc)
		}
		byScope[k] = append(byScope[k], s)
	}
	var out pbuf
	for _, res := range resources {
		out.message(1, func(rs *pbuf) { // ResourceSpans
			rs.message(1, func(r *pbuf) { // Resource
				if res != nil {
					for _, kv := range res.Attributes() {
						r.message(1, func(p *pbuf) { p.keyValue(kv) })
					}
				}
			})
			for _, sc := range scopes[res] {
				list := byScope[scopeKey{res, sc}]
				rs.message(2, func(ss *pbuf) { // ScopeSpans
					ss.message(1, func(p *pbuf) { // InstrumentationScope
						p.str(1, sc.Name)
						p.str(2, sc.Version)
						if attrs := list[0].InstrumentationScope().Attributes; attrs.Len() > 0 {
							for _, kv := range attrs.ToSlice() {
								p.message(3, func(q *pbuf) { q.keyValue(kv) })
							}
						}
					})
					for _, s := range list {
						ss.message(2, func(p *pbuf) { p.span(s) })
					}
					ss.str(3, sc.SchemaURL)
				})
			}
			if res != nil {
				rs.str(3, res.SchemaURL())
			}
		})
	}
	return out.b
}

// pbuf appends protobuf wire format.
type pbuf struct{ b []byte }

func (p *pbuf) tag(field, wire int) { p.b = binary.AppendUvarint(p.b, uint64(field<<3|wire)) }

func (p *pbuf) varint(field int, v uint64) {
	if v != 0 {
		p.tag(field, 0)
		p.b = binary.AppendUvarint(p.b, v)
	}
}

func (p *pbuf) fixed64(field int, v uint64) {
	if v != 0 {
		p.tag(field, 1)
		p.b = binary.LittleEndian.AppendUint64(p.b, v)
	}
}

func (p *pbuf) fixed32(field int, v uint32) {
	if v != 0 {
		p.tag(field, 5)
		p.b = binary.LittleEndian.AppendUint32(p.b, v)
	}
}

func (p *pbuf) bytes(field int, v []byte) {
	if len(v) != 0 {
		p.tag(field, 2)
		p.b = binary.AppendUvarint(p.b, uint64(len(v)))
		p.b = append(p.b, v...)
	}
}

func (p *pbuf) str(field int, v string) {
	if v != "" {
		p.tag(field, 2)
		p.b = binary.AppendUvarint(p.b, uint64(len(v)))
		p.b = append(p.b, v...)
	}
}

// message appends a length-delimited sub-message written by fill (always present, even
// when empty: a oneof or a required sub-message must be there).
func (p *pbuf) message(field int, fill func(*pbuf)) {
	var sub pbuf
	fill(&sub)
	p.tag(field, 2)
	p.b = binary.AppendUvarint(p.b, uint64(len(sub.b)))
	p.b = append(p.b, sub.b...)
}

// keyValue is a KeyValue's fields: key = 1, value = 2 (AnyValue).
func (p *pbuf) keyValue(kv attribute.KeyValue) {
	p.str(1, string(kv.Key))
	p.message(2, func(a *pbuf) { a.anyValue(kv.Value) })
}

// anyValue is an AnyValue's oneof: string 1, bool 2, int 3, double 4, array 5.
func (p *pbuf) anyValue(v attribute.Value) {
	switch v.Type() {
	case attribute.STRING:
		p.tag(1, 2)
		s := v.AsString()
		p.b = binary.AppendUvarint(p.b, uint64(len(s)))
		p.b = append(p.b, s...)
	case attribute.BOOL:
		p.tag(2, 0)
		if v.AsBool() {
			p.b = append(p.b, 1)
		} else {
			p.b = append(p.b, 0)
		}
	case attribute.INT64:
		p.tag(3, 0)
		p.b = binary.AppendUvarint(p.b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		p.tag(4, 1)
		p.b = binary.LittleEndian.AppendUint64(p.b, math.Float64bits(v.AsFloat64()))
	case attribute.STRINGSLICE:
		p.message(5, func(arr *pbuf) {
			for _, s := range v.AsStringSlice() {
				arr.message(1, func(a *pbuf) { a.anyValue(attribute.StringValue(s)) })
			}
		})
	case attribute.BOOLSLICE:
		p.message(5, func(arr *pbuf) {
			for _, b := range v.AsBoolSlice() {
				arr.message(1, func(a *pbuf) { a.anyValue(attribute.BoolValue(b)) })
			}
		})
	case attribute.INT64SLICE:
		p.message(5, func(arr *pbuf) {
			for _, n := range v.AsInt64Slice() {
				arr.message(1, func(a *pbuf) { a.anyValue(attribute.Int64Value(n)) })
			}
		})
	case attribute.FLOAT64SLICE:
		p.message(5, func(arr *pbuf) {
			for _, f := range v.AsFloat64Slice() {
				arr.message(1, func(a *pbuf) { a.anyValue(attribute.Float64Value(f)) })
			}
		})
	default:
		p.tag(1, 2)
		s := v.Emit()
		p.b = binary.AppendUvarint(p.b, uint64(len(s)))
		p.b = append(p.b, s...)
	}
}

func unixNano(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano())
}

// span is a Span's fields (opentelemetry-proto trace/v1).
func (p *pbuf) span(s sdktrace.ReadOnlySpan) {
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	p.bytes(1, tid[:])
	p.bytes(2, sid[:])
	p.str(3, sc.TraceState().String())
	if parent := s.Parent(); parent.SpanID().IsValid() {
		psid := parent.SpanID()
		p.bytes(4, psid[:])
	}
	p.str(5, s.Name())
	p.varint(6, uint64(s.SpanKind())) // the SDK's kinds use the protocol's numbers
	p.fixed64(7, unixNano(s.StartTime()))
	p.fixed64(8, unixNano(s.EndTime()))
	for _, kv := range s.Attributes() {
		p.message(9, func(q *pbuf) { q.keyValue(kv) })
	}
	p.varint(10, uint64(s.DroppedAttributes()))
	for _, ev := range s.Events() {
		p.message(11, func(q *pbuf) {
			q.fixed64(1, unixNano(ev.Time))
			q.str(2, ev.Name)
			for _, kv := range ev.Attributes {
				q.message(3, func(r *pbuf) { r.keyValue(kv) })
			}
			q.varint(4, uint64(ev.DroppedAttributeCount))
		})
	}
	p.varint(12, uint64(s.DroppedEvents()))
	for _, l := range s.Links() {
		p.message(13, func(q *pbuf) {
			ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
			q.bytes(1, ltid[:])
			q.bytes(2, lsid[:])
			q.str(3, l.SpanContext.TraceState().String())
			for _, kv := range l.Attributes {
				q.message(4, func(r *pbuf) { r.keyValue(kv) })
			}
			q.varint(5, uint64(l.DroppedAttributeCount))
			q.fixed32(6, uint32(l.SpanContext.TraceFlags())|0x100)
		})
	}
	p.varint(14, uint64(s.DroppedLinks()))
	st := s.Status()
	code := uint64(0) // STATUS_CODE_UNSET
	switch st.Code {
	case codes.Ok:
		code = 1
	case codes.Error:
		code = 2
	}
	if code != 0 || st.Description != "" {
		p.message(15, func(q *pbuf) {
			q.str(2, st.Description)
			q.varint(3, code)
		})
	}
	flags := uint32(sc.TraceFlags()) | 0x100 // SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK
	if s.Parent().IsRemote() {
		flags |= 0x200
	}
	p.fixed32(16, flags)
}

// getenv is os.Getenv, a variable for the tests.
var getenv = os.Getenv
