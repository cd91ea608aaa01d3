package nf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// This file holds the operations of expressions on values whose type is only known at
// run time (JSON values: nil, bool, int64, float64, string, []any, map[string]any). Where
// analysis knows the types, generated code uses plain Go operators instead. The semantics
// are those of docs/expressions.md (and of the Python evaluator).

// DecodeJSON parses JSON into JSON values; integers that fit become int64, other numbers
// float64. A duplicate key in an object is an error (the simulator refuses it too).
func DecodeJSON(data []byte) (any, error) {
	v, p := ParseJSON(data)
	if p != nil {
		return nil, fmt.Errorf("%s", p.String())
	}
	return v, nil
}

// ParseJSON is DecodeJSON with a syntax error as a Problem located by line and column.
func ParseJSON(data []byte) (any, *Problem) {
	r := NewReader(data)
	v := r.Value()
	if r.syntax == nil {
		r.skipSpace()
		if r.pos < len(r.data) {
			r.fail("unexpected data after the JSON value")
		}
	}
	if r.syntax != nil {
		return nil, r.syntax
	}
	return v, nil
}

// Normalize converts json.Number and Go numeric types to int64 or float64, deeply.
func Normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f
	case float64:
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case map[string]any:
		for k, e := range x {
			x[k] = Normalize(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = Normalize(e)
		}
		return x
	}
	return v
}

// JSONValue converts any Go value (typed structs included) to JSON values.
func JSONValue(v any) any {
	switch v.(type) {
	case nil, bool, int64, float64, string:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(Errorf("cannot convert %T to JSON: %v", v, err))
	}
	out, err := DecodeJSON(b)
	if err != nil {
		panic(Errorf("cannot convert %T to JSON: %v", v, err))
	}
	return out
}

// Kind names the kind of a JSON value, as messages say it.
func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, int:
		return "integer"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	}
	return fmt.Sprintf("%T", v)
}

// Field is `v.name` on a dynamic value.
func Field(v any, name string) any {
	m, ok := v.(map[string]any)
	if !ok {
		if v != nil {
			v = JSONValue(v)
			m, ok = v.(map[string]any)
		}
		if !ok {
			Fail("cannot select field `%s` of %s", name, Kind(v))
		}
	}
	x, ok := m[name]
	if !ok {
		Missing("no field `%s`", name)
	}
	return x
}

// Has is `has(v.name)` on a dynamic value.
func Has(v any, name string) bool {
	if v == nil {
		return false
	}
	m, ok := v.(map[string]any)
	if !ok {
		m, ok = JSONValue(v).(map[string]any)
		if !ok {
			Fail("`has` expects a field of a map, got %s", Kind(v))
		}
	}
	_, ok = m[name]
	return ok
}

// Index is `v[i]` on dynamic values.
func Index(v any, i any) any {
	switch x := v.(type) {
	case []any:
		return At(x, AsIndex(i))
	case map[string]any:
		k, ok := i.(string)
		if !ok {
			Fail("map key must be a string, got %s", Kind(i))
		}
		e, ok := x[k]
		if !ok {
			Missing("no field `%s`", k)
		}
		return e
	}
	Fail("cannot index %s", Kind(v))
	return nil
}

// AsIndex converts a list index.
func AsIndex(i any) int64 {
	switch n := i.(type) {
	case int64:
		return n
	case float64:
		if n == math.Trunc(n) {
			return int64(n)
		}
	}
	Fail("list index must be an integer, got %s", Kind(i))
	return 0
}

// At is `list[i]` with a range check.
func At[T any](list []T, i int64) T {
	if i < 0 || i >= int64(len(list)) {
		Missing("index %d out of range (list has %d elements)", i, len(list))
	}
	return list[i]
}

// Get is `m[key]` on a typed map.
func Get[T any](m map[string]T, key string) T {
	v, ok := m[key]
	if !ok {
		Missing("no field `%s`", key)
	}
	return v
}

// Deref reads an optional field: absent is a missing-field error.
func Deref[T any](p *T, name string) T {
	if p == nil {
		Missing("no field `%s`", name)
	}
	return *p
}

// PresentList reads an optional list field (nil when absent): absent is a missing-field
// error.
func PresentList[T any](v []T, name string) []T {
	if v == nil {
		Missing("no field `%s`", name)
	}
	return v
}

// PresentMap reads an optional map field (nil when absent): absent is a missing-field
// error.
func PresentMap[T any](v map[string]T, name string) map[string]T {
	if v == nil {
		Missing("no field `%s`", name)
	}
	return v
}

// Or is `coalesce(p, def)` for an optional field.
func Or[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// Ptr returns a pointer to v (optional fields of typed structs).
func Ptr[T any](v T) *T { return &v }

// Coalesce returns the first argument that is not nil.
func Coalesce(vs ...any) any {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

// Try evaluates f, turning a missing-field error into (zero, false): coalesce and has use
// it around sub-expressions that may be missing.
func Try[T any](f func() T) (v T, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if e, isEval := r.(*EvalError); isEval && e.Missing {
				ok = false
				return
			}
			panic(r)
		}
	}()
	return f(), true
}

// Bool converts a dynamic value used as a condition.
func Bool(v any) bool {
	b, ok := v.(bool)
	if !ok {
		Fail("expected a boolean, got %s", Kind(v))
	}
	return b
}

// Int converts a dynamic value known to be an integer.
func Int(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		if n == math.Trunc(n) && n >= -9.223372036854775808e18 && n < 9.223372036854775808e18 {
			return int64(n)
		}
	case int:
		return int64(n)
	}
	Fail("expected an integer, got %s", Kind(v))
	return 0
}

// Float converts a dynamic number.
func Float(v any) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	case int:
		return float64(n)
	}
	Fail("expected a number, got %s", Kind(v))
	return 0
}

// Str converts a dynamic value known to be a string.
func Str(v any) string {
	s, ok := v.(string)
	if !ok {
		Fail("expected a string, got %s", Kind(v))
	}
	return s
}

// Equal is `==`: numbers compare by value across integer and double; other kinds must
// match; lists and maps compare deeply.
func Equal(a, b any) bool {
	a, b = JSONValue(a), JSONValue(b)
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case float64:
			return float64(x) == y
		}
		return false
	case float64:
		switch y := b.(type) {
		case int64:
			return x == float64(y)
		case float64:
			return x == y
		}
		return false
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	}
	return false
}

// Compare is `<` `<=` `>` `>=` on dynamic values: -1, 0 or 1.
func Compare(a, b any) int {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp3(x, y)
		case float64:
			return cmpFloat(float64(x), y)
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return cmpFloat(x, float64(y))
		case float64:
			return cmpFloat(x, y)
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			if x == y {
				return 0
			}
			if !x {
				return -1
			}
			return 1
		}
	}
	Fail("cannot compare %s with %s", Kind(a), Kind(b))
	return 0
}

// Less is a < b with the comparison semantics of expressions (NaN is never less).
func Less(a, b any) bool { return compareOp(a, b, "<") }

// LessEq is a <= b.
func LessEq(a, b any) bool { return compareOp(a, b, "<=") }

// Greater is a > b.
func Greater(a, b any) bool { return compareOp(a, b, ">") }

// GreaterEq is a >= b.
func GreaterEq(a, b any) bool { return compareOp(a, b, ">=") }

func compareOp(a, b any, op string) bool {
	fa, aNum := numOf(a)
	fb, bNum := numOf(b)
	if aNum && bNum && (math.IsNaN(fa) || math.IsNaN(fb)) {
		return false
	}
	c := Compare(a, b)
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func numOf(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func cmp3(x, y int64) int {
	if x < y {
		return -1
	}
	if x > y {
		return 1
	}
	return 0
}

func cmpFloat(x, y float64) int {
	if x < y {
		return -1
	}
	if x > y {
		return 1
	}
	return 0
}

// In is `a in b` on dynamic values.
func In(a, b any) bool {
	switch y := JSONValue(b).(type) {
	case []any:
		for _, e := range y {
			if Equal(a, e) {
				return true
			}
		}
		return false
	case map[string]any:
		k, ok := a.(string)
		if !ok {
			Fail("map keys are strings, got %s", Kind(a))
		}
		_, ok = y[k]
		return ok
	}
	Fail("`in` expects a list or a map, got %s", Kind(b))
	return false
}

// Contains is `a in list` for a typed list.
func Contains[T comparable](list []T, v T) bool {
	for _, e := range list {
		if e == v {
			return true
		}
	}
	return false
}

// Arith is `+ - * / %` on dynamic values.
func Arith(op string, a, b any) any {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			switch op {
			case "+":
				return AddInt(x, y)
			case "-":
				return SubInt(x, y)
			case "*":
				return MulInt(x, y)
			case "/":
				return DivInt(x, y)
			case "%":
				return ModInt(x, y)
			}
		case float64:
			return floatArith(op, float64(x), y)
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return floatArith(op, x, float64(y))
		case float64:
			return floatArith(op, x, y)
		}
	case string:
		if y, ok := b.(string); ok && op == "+" {
			return x + y
		}
	case []any:
		if y, ok := b.([]any); ok && op == "+" {
			return append(append(make([]any, 0, len(x)+len(y)), x...), y...)
		}
	}
	if op == "+" {
		Fail("cannot add %s and %s", Kind(a), Kind(b))
	}
	Fail("cannot apply `%s` to %s and %s", op, Kind(a), Kind(b))
	return nil
}

func floatArith(op string, x, y float64) float64 {
	switch op {
	case "+":
		return x + y
	case "-":
		return x - y
	case "*":
		return x * y
	case "/":
		return x / y
	}
	Fail("`%%` needs integers")
	return 0
}

// Neg is unary minus on a dynamic value.
func Neg(v any) any {
	switch n := v.(type) {
	case int64:
		return SubInt(0, n)
	case float64:
		return -n
	}
	Fail("cannot negate %s", Kind(v))
	return nil
}

// AddInt is + on integers; overflow is an error.
func AddInt(a, b int64) int64 {
	c := a + b
	if (c > a) != (b > 0) {
		Fail("integer overflow")
	}
	return c
}

// SubInt is - on integers; overflow is an error.
func SubInt(a, b int64) int64 {
	c := a - b
	if (c < a) != (b > 0) {
		Fail("integer overflow")
	}
	return c
}

// MulInt is * on integers; overflow is an error.
func MulInt(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	c := a * b
	if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		Fail("integer overflow")
	}
	return c
}

// DivInt is / on integers (truncating); division by zero is an error.
func DivInt(a, b int64) int64 {
	if b == 0 {
		Fail("division by zero")
	}
	if a == math.MinInt64 && b == -1 {
		Fail("integer overflow")
	}
	return a / b
}

// ModInt is % on integers (the sign of the dividend); modulus by zero is an error.
func ModInt(a, b int64) int64 {
	if b == 0 {
		Fail("modulus by zero")
	}
	if b == -1 {
		return 0
	}
	return a % b
}

// Size is size() on a dynamic value.
func Size(v any) int64 {
	switch x := v.(type) {
	case string:
		return int64(utf8.RuneCountInString(x))
	case []any:
		return int64(len(x))
	case map[string]any:
		return int64(len(x))
	}
	if v != nil { // a typed list, map or struct: its JSON value (a scalar stays one)
		switch x := JSONValue(v).(type) {
		case []any:
			return int64(len(x))
		case map[string]any:
			return int64(len(x))
		}
	}
	Fail("`size` expects a string, list or map, got %s", Kind(v))
	return 0
}

// RuneCount is size() of a string.
func RuneCount(s string) int64 { return int64(utf8.RuneCountInString(s)) }

// ParseInt is int() of a string.
func ParseInt(s string) int64 {
	t := strings.TrimPrefix(s, "+")
	if t == "" || strings.HasPrefix(t, "+") || strings.HasPrefix(t, "-+") {
		Fail("cannot convert %s to an integer", pyQuote(s))
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			Fail("integer overflow")
		}
		Fail("cannot convert %s to an integer", pyQuote(s))
	}
	return n
}

// TruncInt is int() of a double; like CEL, both ends of the int64 range are range errors
// (-2^63 too: cel-go rejects v <= math.MinInt64).
func TruncInt(f float64) int64 {
	if math.IsNaN(f) || math.IsInf(f, 0) || f <= -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
		Fail("%s is out of the integer range", FormatFloat(f))
	}
	return int64(f)
}

// ToInt is int() of a dynamic value.
func ToInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return TruncInt(x)
	case string:
		return ParseInt(x)
	}
	Fail("`int` expects a number or a string, got %s", Kind(v))
	return 0
}

var floatRE = regexp.MustCompile(`(?i)^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|inf|infinity|nan)$`)

// ParseFloat is double() of a string.
func ParseFloat(s string) float64 {
	if !floatRE.MatchString(s) {
		Fail("cannot convert %s to a number", pyQuote(s))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f
		}
		Fail("cannot convert %s to a number", pyQuote(s))
	}
	return f
}

// ToFloat is double() of a dynamic value.
func ToFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case string:
		return ParseFloat(x)
	}
	Fail("`double` expects a number or a string, got %s", Kind(v))
	return 0
}

// FormatFloat is how doubles print: Go's shortest 'g' format.
func FormatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// FormatInt prints an integer.
func FormatInt(n int64) string { return strconv.FormatInt(n, 10) }

// FormatBool prints a boolean.
func FormatBool(b bool) string { return strconv.FormatBool(b) }

// ToString is string() of a dynamic scalar.
func ToString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return FormatFloat(x)
	}
	Fail("string() expects a scalar, got %s", Kind(v))
	return ""
}

// Text is how a template hole prints a value: scalars like string(), null as nothing,
// lists and maps (and typed structs) as compact JSON.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool, int64, float64:
		return ToString(x)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		Fail("cannot print %T: %v", v, err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// Trim is trim(): Go's strings.TrimSpace.
func Trim(s string) string { return strings.TrimSpace(s) }

// Split is split(s, sep): an empty separator splits into characters.
func Split(s, sep string) []string {
	out := strings.Split(s, sep)
	if out == nil {
		return []string{}
	}
	return out
}

// Join is join(list, sep) on a dynamic list.
func Join(v any, sep string) string {
	switch x := v.(type) {
	case []string:
		return strings.Join(x, sep)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				Fail("`join` expects a list of strings")
			}
			parts[i] = s
		}
		return strings.Join(parts, sep)
	}
	Fail("`join` expects a list of strings")
	return ""
}

var (
	regexMu    sync.Mutex
	regexCache = map[string]*regexp.Regexp{}
)

// Matches is s.matches(pattern) (RE2 syntax); compiled patterns are cached.
func Matches(s, pattern string) bool {
	regexMu.Lock()
	re, ok := regexCache[pattern]
	if !ok {
		var err error
		re, err = regexp.Compile(pattern)
		if err != nil {
			regexMu.Unlock()
			Fail("invalid regular expression: %v", err)
		}
		if len(regexCache) < 1024 {
			regexCache[pattern] = re
		}
	}
	regexMu.Unlock()
	return re.MatchString(s)
}

// Now is now(): the current UTC time, RFC 3339 to the second.
func Now() string { return time.Now().UTC().Format("2006-01-02T15:04:05Z") }

// Keys returns the sorted keys of a map (deterministic iteration).
func Keys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Merge returns a copy of base (a map, or a struct as JSON) with extra's entries set.
func Merge(base any, extra map[string]any) map[string]any {
	out := map[string]any{}
	if m, ok := JSONValue(base).(map[string]any); ok {
		for k, v := range m {
			out[k] = v
		}
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func pyQuote(s string) string {
	// Messages quote like the Python evaluator's repr() for plain ASCII strings.
	if !strings.ContainsAny(s, "'\\") {
		return "'" + s + "'"
	}
	return strconv.Quote(s)
}
