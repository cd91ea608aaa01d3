package nf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// MaxResponse bounds the bytes read from an upstream HTTP response (8 MiB).
const MaxResponse = 8 << 20

// Client is the HTTP client executors share: connection reuse, no global timeout (each
// call carries its own deadline).
var Client = &http.Client{Transport: &http.Transport{
	Proxy:               http.ProxyFromEnvironment,
	DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConnsPerHost: 32,
	IdleConnTimeout:     90 * time.Second,
	TLSHandshakeTimeout: 10 * time.Second,
}}

// Reply is an upstream HTTP response with its JSON body decoded (a body that is not JSON
// is kept as a string).
type Reply struct {
	Status  int
	Headers map[string]string
	Body    any
}

// DoJSON sends body (nil for none; a string as it is; anything else as JSON) and reads the
// reply, bounded by MaxResponse. Statuses >= 400 come back as NodeError with code
// "http_<status>" (retryable for 429 and 5xx); transport failures and timeouts as
// retryable node errors.
func DoJSON(ctx context.Context, method, url string, headers map[string]string, body any) (Reply, error) {
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		contentType = "text/plain; charset=utf-8"
	case []byte:
		rd = bytes.NewReader(b)
		contentType = "application/json"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return Reply{}, NodeError{Message: "encoding the request body: " + err.Error(), Code: "encode"}
		}
		rd = bytes.NewReader(data)
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return Reply{}, NodeError{Message: "bad request: " + err.Error(), Code: "request"}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := Client.Do(req)
	if err != nil {
		code := "connection"
		if errors.Is(err, context.DeadlineExceeded) {
			code = "timeout"
		}
		return Reply{}, NodeError{Message: err.Error(), Code: code, Retryable: true}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, MaxResponse+1))
	if err != nil {
		return Reply{}, NodeError{Message: "reading the response: " + err.Error(), Code: "connection", Retryable: true}
	}
	if len(data) > MaxResponse {
		return Reply{}, NodeError{Message: fmt.Sprintf("the response is larger than %d bytes", MaxResponse), Code: "too_large"}
	}
	reply := Reply{Status: res.StatusCode, Headers: make(map[string]string, len(res.Header))}
	for k, v := range res.Header {
		reply.Headers[strings.ToLower(k)] = v[0]
	}
	if len(bytes.TrimSpace(data)) > 0 {
		if v, err := DecodeJSON(data); err == nil {
			reply.Body = v
		} else {
			reply.Body = string(data)
		}
	}
	return reply, ReplyError(method, url, reply)
}

// ReplyError is the node error of a reply whose status is >= 400: code "http_<status>",
// retryable for 429 and 5xx, the message naming the call (without its query string) and
// the body's error message when it has one. Nil below 400.
func ReplyError(method, url string, reply Reply) error {
	if reply.Status < 400 {
		return nil
	}
	msg := fmt.Sprintf("%s %s: HTTP %d", method, redact(url), reply.Status)
	if m := errorMessage(reply.Body); m != "" {
		msg += ": " + m
	}
	return NodeError{Message: msg, Code: fmt.Sprintf("http_%d", reply.Status),
		Retryable: reply.Status == 429 || reply.Status >= 500}
}

// PinnedReply is the pinned output of an http/request node (a fixture: `status`,
// `headers`, `body`) as the reply and error a live call answered with it gives, so that
// a pinned 4xx or 5xx takes the same port as the real one.
func PinnedReply(node string, v any, method, url string) (Reply, error) {
	m, ok := v.(map[string]any)
	if !ok {
		panic(Errorf("fixture of node %s: expected an object with status, headers and body", node))
	}
	if e, ok := m["$error"].(map[string]any); ok && len(m) == 1 {
		ne := NodeError{Message: "pinned failure", Code: "internal"}
		if s, ok := e["message"].(string); ok {
			ne.Message = s
		}
		if s, ok := e["code"].(string); ok {
			ne.Code = s
		}
		ne.Retryable, _ = e["retryable"].(bool)
		return Reply{}, ne
	}
	status, ok := m["status"].(int64)
	if !ok {
		panic(Errorf("fixture of node %s: status: expected an integer", node))
	}
	reply := Reply{Status: int(status), Headers: map[string]string{}, Body: m["body"]}
	if h, ok := m["headers"].(map[string]any); ok {
		for k, v := range h {
			if s, ok := v.(string); ok {
				reply.Headers[k] = s
			}
		}
	}
	return reply, ReplyError(method, url, reply)
}

func redact(url string) string {
	if i := strings.IndexByte(url, '?'); i >= 0 {
		return url[:i]
	}
	return url
}

func errorMessage(body any) string {
	m, ok := body.(map[string]any)
	if !ok {
		return ""
	}
	switch e := m["error"].(type) {
	case string:
		return e
	case map[string]any:
		if s, ok := e["message"].(string); ok {
			return s
		}
	}
	if s, ok := m["message"].(string); ok {
		return s
	}
	return ""
}

// Retry runs f up to 1+retries times while it fails with a retryable error, waiting
// 100 ms, 200 ms, 400 ms... between tries, and stops when ctx ends.
func Retry[T any](ctx context.Context, retries int, f func() (T, error)) (T, error) {
	var v T
	var err error
	wait := 100 * time.Millisecond
	for try := 0; ; try++ {
		v, err = f()
		if err == nil || try >= retries || !AsNodeError(err).Retryable {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(wait):
		}
		wait *= 2
	}
}
