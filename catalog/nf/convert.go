package nf

// Conversions from JSON values (request bodies, HTTP responses, fixtures, manual inputs) to
// the typed Go values generated code works with. Bodies were validated against their
// schema first; for values that were not (fixtures, upstream APIs), a mismatch is an
// expression error naming the field.

// AsString converts a JSON value to a string.
func AsString(v any, at string) string {
	s, ok := v.(string)
	if !ok {
		Fail("%s: expected a string, got %s", where(at), Kind(v))
	}
	return s
}

// AsInt converts a JSON value to an integer.
func AsInt(v any, at string) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		if n == float64(int64(n)) {
			return int64(n)
		}
	}
	Fail("%s: expected an integer, got %s", where(at), Kind(v))
	return 0
}

// AsFloat converts a JSON value to a double.
func AsFloat(v any, at string) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	}
	Fail("%s: expected a number, got %s", where(at), Kind(v))
	return 0
}

// AsBool converts a JSON value to a boolean.
func AsBool(v any, at string) bool {
	b, ok := v.(bool)
	if !ok {
		Fail("%s: expected a boolean, got %s", where(at), Kind(v))
	}
	return b
}

// AsObject converts a JSON value to a map (nil stays nil).
func AsObject(v any, at string) map[string]any {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		Fail("%s: expected an object, got %s", where(at), Kind(v))
	}
	return m
}

// AsList converts a JSON list with conv for each element.
func AsList[T any](v any, at string, conv func(any, string) T) []T {
	if v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		Fail("%s: expected a list, got %s", where(at), Kind(v))
	}
	out := make([]T, len(l))
	for i, e := range l {
		out[i] = conv(e, at+"/"+FormatInt(int64(i)))
	}
	return out
}

// AsMap converts a JSON object with conv for each value.
func AsMap[T any](v any, at string, conv func(any, string) T) map[string]T {
	m := AsObject(v, at)
	if m == nil {
		return nil
	}
	out := make(map[string]T, len(m))
	for k, e := range m {
		out[k] = conv(e, at+"/"+k)
	}
	return out
}

// AsAny keeps a JSON value as it is.
func AsAny(v any, _ string) any { return v }

// Required reads a required field of a JSON object.
func Required(m map[string]any, name, at string) any {
	v, ok := m[name]
	if !ok {
		Missing("%s: required field `%s` is missing", where(at), name)
	}
	return v
}

func where(at string) string {
	if at == "" {
		return "/"
	}
	return at
}

// AsNodeErrorValue converts a JSON value (a fixture) to a node error.
func AsNodeErrorValue(v any, at string) NodeError {
	m := AsObject(v, at)
	var e NodeError
	if m == nil {
		return e
	}
	if s, ok := m["message"].(string); ok {
		e.Message = s
	}
	if s, ok := m["code"].(string); ok {
		e.Code = s
	}
	if b, ok := m["retryable"].(bool); ok {
		e.Retryable = b
	}
	return e
}

// Convert runs a conversion of data from outside (an upstream response) and turns a
// mismatch into a node error (code "response_schema") instead of a flow error.
func Convert[T any](f func() T) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*EvalError)
			if !ok {
				panic(r)
			}
			err = NodeError{Message: "the response does not match the node's schema: " + e.Message, Code: "response_schema"}
		}
	}()
	return f(), nil
}

// Discard is the scan target of result columns that the row schema does not name.
var Discard any = discardScanner{}

type discardScanner struct{}

func (discardScanner) Scan(any) error { return nil }
