// Command conformance answers schema, pattern and format questions with the runtime's own
// code (nf.CompileSchema, nf.ParseJSON, Schema.Validate, nf.CompilePattern, nf.FormatOK),
// for the tests that compare the app's answers with the simulator's
// (tests/test_standards_schema.py). It is not part of generated apps.
//
// Input: one JSON object per line, {"op": "validate", "schema": ..., "data": "<JSON text>"},
// {"op": "pattern", "pattern": "..."} or {"op": "format", "format": "...", "value": "..."}.
// Output: one JSON object per line, in order.
package main

import (
	"bufio"
	"encoding/json"
	"os"

	"nodeforge.dev/catalog/nf"
)

type request struct {
	Op      string          `json:"op"`
	Schema  json.RawMessage `json:"schema"`
	Data    string          `json:"data"`
	Pattern string          `json:"pattern"`
	Format  string          `json:"format"`
	Value   string          `json:"value"`
}

type answer struct {
	Problems    []nf.Problem `json:"problems,omitempty"`
	Valid       *bool        `json:"valid,omitempty"`
	JSONError   *nf.Problem  `json:"json_error,omitempty"`
	SchemaError string       `json:"schema_error,omitempty"`
	OK          *bool        `json:"ok,omitempty"`
	Error       string       `json:"error,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			_ = enc.Encode(answer{Error: err.Error()})
			continue
		}
		_ = enc.Encode(handle(req))
	}
}

func handle(req request) answer {
	switch req.Op {
	case "validate":
		s, err := nf.CompileSchema(req.Schema)
		if err != nil {
			return answer{SchemaError: err.Error()}
		}
		v, p := nf.ParseJSON([]byte(req.Data))
		if p != nil {
			return answer{JSONError: p}
		}
		probs := s.Validate(v)
		valid := len(probs) == 0
		return answer{Problems: probs, Valid: &valid}
	case "pattern":
		_, err := nf.CompilePattern(req.Pattern)
		ok := err == nil
		return answer{OK: &ok}
	case "format":
		ok := nf.FormatOK(req.Format, req.Value)
		return answer{OK: &ok}
	}
	return answer{Error: "unknown op " + req.Op}
}
