package otel

// The OTLP/HTTP exporter: binary protobuf (the protocol's default encoding) written by
// hand, the few messages a trace export needs (ExportTraceServiceRequest and what it
// contains, opentelemetry-proto v1), posted over HTTP/1.1 by a small client of its own (post.go). The tests decode its output
// with the official Go types of opentelemetry-proto.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
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

// exporter posts encoded requests.
type exporter struct {
	cfg    exporterConfig
	client poster
}

func newExporter(cfg exporterConfig) *exporter {
	return &exporter{cfg: cfg}
}

// export posts one request body. Throttling and unavailable answers (429, 502, 503,
// 504) and connection failures are retried a few times with backoff within the timeout.
func (e *exporter) export(ctx context.Context, body []byte) error {
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
	a, err := e.client.do(ctx, req)
	if err != nil {
		return true, fmt.Errorf("OTLP export: %w", err)
	}
	switch code := a.code; {
	case code >= 200 && code < 300:
		return false, nil
	case code == 429 || code == 502 || code == 503 || code == 504:
		return true, fmt.Errorf("OTLP export: %s", a.status)
	default:
		return false, fmt.Errorf("OTLP export: %s: %s", a.status, bytes.TrimSpace(a.body))
	}
}

// encodeRequest is an ExportTraceServiceRequest: one ResourceSpans (the app) with one
// ScopeSpans ("nodeforge") holding spans.
func encodeRequest(resource []attr, spans []*span) []byte {
	var out pbuf
	out.message(1, func(rs *pbuf) { // ResourceSpans
		rs.message(1, func(r *pbuf) { // Resource
			for _, a := range resource {
				r.message(1, func(p *pbuf) { p.keyValue(a) })
			}
		})
		rs.message(2, func(ss *pbuf) { // ScopeSpans
			ss.message(1, func(p *pbuf) { p.str(1, "nodeforge") }) // InstrumentationScope
			for _, s := range spans {
				ss.message(2, func(p *pbuf) { p.span(s) })
			}
		})
	})
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

// keyValue is a KeyValue: key = 1, value = 2 (an AnyValue with string_value = 1).
func (p *pbuf) keyValue(a attr) {
	p.str(1, a.key)
	p.message(2, func(v *pbuf) {
		v.tag(1, 2)
		v.b = binary.AppendUvarint(v.b, uint64(len(a.value)))
		v.b = append(v.b, a.value...)
	})
}

func unixNano(t time.Time) uint64 { return uint64(t.UnixNano()) }

// span is a Span's fields (opentelemetry-proto trace/v1): ids, name, kind INTERNAL,
// times, attributes, an "exception" event and status ERROR when it failed, flags.
func (p *pbuf) span(s *span) {
	p.bytes(1, s.traceID[:])
	p.bytes(2, s.spanID[:])
	if s.parent != ([8]byte{}) {
		p.bytes(4, s.parent[:])
	}
	p.str(5, s.name)
	p.varint(6, 1) // SPAN_KIND_INTERNAL
	p.fixed64(7, unixNano(s.start))
	p.fixed64(8, unixNano(s.end))
	for _, a := range s.attrs {
		p.message(9, func(q *pbuf) { q.keyValue(a) })
	}
	if s.failed {
		p.message(11, func(q *pbuf) { // Event
			q.fixed64(1, unixNano(s.errAt))
			q.str(2, "exception")
			q.message(3, func(r *pbuf) { r.keyValue(attr{"exception.type", s.errType}) })
			q.message(3, func(r *pbuf) { r.keyValue(attr{"exception.message", s.err}) })
		})
		p.message(15, func(q *pbuf) { // Status
			q.str(2, s.err)
			q.varint(3, 2) // STATUS_CODE_ERROR
		})
	}
	// Sampled, and SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK: the parent is never remote.
	p.fixed32(16, 0x01|0x100)
}
