package nf

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Responder receives the answer of an execution.
type Responder interface {
	Respond(status int, headers map[string]string, body any) error
}

// HTTPResponder answers an HTTP request with a JSON body.
type HTTPResponder struct{ W http.ResponseWriter }

var jsonContentType = []string{"application/json"}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Respond writes the status, the headers and body as JSON (nothing for a nil body).
func (h HTTPResponder) Respond(status int, headers map[string]string, body any) error {
	hdr := h.W.Header()
	for k, v := range headers {
		hdr.Set(k, v)
	}
	if body == nil || status == http.StatusNoContent {
		h.W.WriteHeader(status)
		return nil
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if err := MarshalTo(buf, body); err != nil {
		return err
	}
	if _, ok := hdr["Content-Type"]; !ok {
		hdr["Content-Type"] = jsonContentType
	}
	// A known length lets the client have the whole answer at once, while the rest of
	// the flow (after its respond node) goes on.
	hdr["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	h.W.WriteHeader(status)
	_, err := h.W.Write(buf.Bytes())
	if f, ok := h.W.(http.Flusher); ok {
		f.Flush()
	}
	return err
}

// MarshalTo writes v as compact JSON followed by a newline, without escaping HTML.
func MarshalTo(buf *bytes.Buffer, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*EvalError)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	buf.Write(AppendAny(buf.AvailableBuffer(), v))
	buf.WriteByte('\n')
	return nil
}

// Captured is the answer of an execution run from the command line (`app run`).
type Captured struct {
	Status    int               `json:"status"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      json.RawMessage   `json:"body,omitempty"`
	Execution string            `json:"execution_id"`
	Error     string            `json:"error,omitempty"`
}

// Respond records the answer.
func (c *Captured) Respond(status int, headers map[string]string, body any) error {
	c.Status = status
	c.Headers = headers
	if body != nil {
		var buf bytes.Buffer
		if err := MarshalTo(&buf, body); err != nil {
			return err
		}
		c.Body = bytes.TrimSpace(buf.Bytes())
	}
	return nil
}

// MaxBody is the largest request body read (NODEFORGE_MAX_BODY_BYTES, default 1 MiB).
var MaxBody = int64(Atoi(os.Getenv("NODEFORGE_MAX_BODY_BYTES"), 1<<20))

// BadRequest is a request body that is not JSON or does not match the trigger's schema.
type BadRequest struct {
	Title    string    `json:"title"`
	Status   int       `json:"status"`
	Problems []Problem `json:"errors"`
}

func (b *BadRequest) Error() string {
	if len(b.Problems) == 0 {
		return b.Title
	}
	return b.Title + ": " + b.Problems[0].String()
}

// ReadBody reads the JSON body of r (bounded by MaxBody) and validates it against schema.
// An empty body reads as null... unless the schema wants something else, then it is a 400.
func ReadBody(r *http.Request, schema *Schema) (any, *BadRequest) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &BadRequest{Title: "Request body too large", Status: http.StatusRequestEntityTooLarge,
				Problems: []Problem{{Pointer: "", Message: "the body is larger than the limit"}}}
		}
		return nil, &BadRequest{Title: "Cannot read the request body", Status: 400}
	}
	return CheckBody(data, schema)
}

// ObjectBody is the body schema of an HTTP trigger without one: any JSON object, an
// empty body reading as {}.
var ObjectBody = MustSchema(`{"type":"object"}`)

// CheckBody parses data as JSON and validates it against schema.
func CheckBody(data []byte, schema *Schema) (any, *BadRequest) {
	var v any
	if len(bytes.TrimSpace(data)) == 0 {
		if schema == ObjectBody {
			return map[string]any{}, nil
		}
		if schema == nil || schema.Accepts(nil) {
			return nil, nil
		}
		v = nil
		return nil, &BadRequest{Title: "Invalid request body", Status: 400,
			Problems: []Problem{{Pointer: "", Message: "a JSON body is required"}}}
	}
	v, p := ParseJSON(data)
	if p != nil {
		return nil, &BadRequest{Title: "Request body is not valid JSON", Status: 400, Problems: []Problem{*p}}
	}
	if schema != nil {
		if probs := schema.Validate(v); len(probs) > 0 {
			return nil, &BadRequest{Title: "Invalid request body", Status: 400, Problems: probs}
		}
	}
	return v, nil
}

func lineColumn(data []byte, offset int64) (int, int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	if col > 1 {
		col-- // the syntax error offset is just past the bad byte
	}
	return line, col
}

// Reject answers a bad request with a problem+json body carrying the execution id.
func (x *Exec) Reject(b *BadRequest) {
	x.answer.markResponded()
	if x.endExec != nil {
		defer x.endExec(b)
	}
	x.rejected(b)
	if x.resp == nil {
		return
	}
	x.log.Info("request rejected", "flow", x.Flow, "trigger", x.Trigger, "execution", x.ID, "error", b.Error())
	x.resp.Respond(b.Status, map[string]string{"Content-Type": "application/problem+json"}, struct {
		*BadRequest
		Execution string `json:"execution_id"`
	}{b, x.ID})
}

// Query flattens the query string (first value of each name).
func Query(r *http.Request) map[string]string {
	q := r.URL.Query()
	out := make(map[string]string, len(q))
	for k, v := range q {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// Headers flattens the request headers, with lower-cased names.
func Headers(r *http.Request) map[string]string {
	out := make(map[string]string, len(r.Header))
	for k, v := range r.Header {
		if len(v) > 0 {
			out[strings.ToLower(k)] = v[0]
		}
	}
	return out
}

// CheckValue validates a JSON value against schema (flow tests and manual runs, whose
// bodies arrive already parsed).
func CheckValue(v any, schema *Schema) *BadRequest {
	if schema == nil {
		return nil
	}
	if probs := schema.Validate(v); len(probs) > 0 {
		return &BadRequest{Title: "Invalid request body", Status: 400, Problems: probs}
	}
	return nil
}

// PathParams are the titles of the 400 answers to bad path and query parameters.
const (
	PathParams  = "Invalid path parameters"
	QueryParams = "Invalid query parameters"
)

// QueryValues is Query as JSON values (for TypedParams).
func QueryValues(r *http.Request) map[string]any {
	q := r.URL.Query()
	out := make(map[string]any, len(q))
	for k, v := range q {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// TypedParams converts the text values of path or query parameters to the JSON type
// kinds names for them ("integer": an optional minus and decimal digits within int64;
// "number": a JSON number, finite; "boolean": true or false). A value that does not
// convert, or is not text, is left as it is, for the schema to report. The simulator
// converts alike (sandbox/schemacheck.typed_params).
func TypedParams(raw map[string]any, kinds map[string]string) map[string]any {
	out := make(map[string]any, len(raw))
	for k, v := range raw {
		out[k] = v
		s, ok := v.(string)
		if !ok {
			continue
		}
		switch kinds[k] {
		case "integer":
			if isDigits(s) {
				if n, err := strconv.ParseInt(s, 10, 64); err == nil {
					out[k] = n
				}
			}
		case "number":
			if isJSONNumber(s) {
				if f, err := strconv.ParseFloat(s, 64); err == nil {
					out[k] = f
				}
			}
		case "boolean":
			if s == "true" || s == "false" {
				out[k] = s == "true"
			}
		}
	}
	return out
}

func isDigits(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isJSONNumber is JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(s string) bool {
	i, n := 0, len(s)
	digits := func() int {
		start := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < n && s[i] == '-' {
		i++
	}
	if i < n && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < n && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == n
}

// Params converts path or query parameters (TypedParams, when v is an object) and checks
// them against schema; title says which (PathParams, QueryParams).
func Params(v any, kinds map[string]string, schema *Schema, title string) (any, *BadRequest) {
	if m, ok := v.(map[string]any); ok {
		v = TypedParams(m, kinds)
	}
	if probs := schema.Validate(v); len(probs) > 0 {
		return nil, &BadRequest{Title: title, Status: 400, Problems: probs}
	}
	return v, nil
}
