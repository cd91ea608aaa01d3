package nf

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Reader is the JSON reader that generated, schema-specialised decoders use: it reads a
// request body straight into typed structs while checking the body's schema, with no
// intermediate map[string]any and no reflection. Problems are those Schema.Validate
// reports (same pointers and messages); a syntax error stops the read.
type Reader struct {
	data    []byte
	pos     int
	path    []pathElem
	probs   []Problem
	syntax  *Problem
	pathBuf [8]pathElem
	// The keys of the objects being read, innermost last, to reject duplicate keys:
	// frames[i] is where object i's keys start in keys; big objects get a set.
	keys   []string
	frames []keyFrame
	depth  int
	// The last scalar read had the wrong type (or an integer out of range): the checks
	// of its value (length, pattern, bounds...) are not reported, only that problem.
	typeErr bool
}

type keyFrame struct {
	start int
	set   map[string]struct{}
}

// maxDepth bounds the nesting of a JSON value (encoding/json's limit).
const maxDepth = 10000

type pathElem struct {
	key   string
	index int // -1 for object keys
}

var readerPool = sync.Pool{New: func() any { return new(Reader) }}

// NewReader reads data.
func NewReader(data []byte) *Reader {
	r := &Reader{data: data}
	r.path = r.pathBuf[:0]
	return r
}

// ReadRequest reads the body of req (bounded by MaxBody) and decodes it with read; a
// body that is not JSON, or does not match, is a BadRequest.
func ReadRequest[T any](req *http.Request, read func(r *Reader, out *T)) (T, *BadRequest) {
	var out T
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, req.Body, MaxBody)); err != nil {
		if _, ok := err.(*http.MaxBytesError); ok {
			return out, &BadRequest{Title: "Request body too large", Status: http.StatusRequestEntityTooLarge,
				Problems: []Problem{{Message: "the body is larger than the limit"}}}
		}
		if err != io.EOF {
			return out, &BadRequest{Title: "Cannot read the request body", Status: 400}
		}
	}
	return DecodeBody(buf.Bytes(), read)
}

// DecodeBody decodes data with read.
func DecodeBody[T any](data []byte, read func(r *Reader, out *T)) (T, *BadRequest) {
	var out T
	r := readerPool.Get().(*Reader)
	*r = Reader{data: data}
	r.path = r.pathBuf[:0]
	defer func() {
		r.data, r.probs, r.syntax = nil, nil, nil
		readerPool.Put(r)
	}()
	r.skipSpace()
	if r.pos >= len(r.data) {
		return out, &BadRequest{Title: "Invalid request body", Status: 400,
			Problems: []Problem{{Pointer: "", Message: "a JSON body is required"}}}
	}
	read(r, &out)
	if r.syntax == nil {
		r.skipSpace()
		if r.pos < len(r.data) {
			r.fail("unexpected data after the JSON value")
		}
	}
	if r.syntax != nil {
		return out, &BadRequest{Title: "Request body is not valid JSON", Status: 400, Problems: []Problem{*r.syntax}}
	}
	if len(r.probs) > 0 {
		return out, &BadRequest{Title: "Invalid request body", Status: 400, Problems: r.probs}
	}
	return out, nil
}

// OK reports whether reading can go on (no syntax error so far).
func (r *Reader) OK() bool { return r.syntax == nil }

func (r *Reader) fail(msg string) {
	if r.syntax != nil {
		return
	}
	line, col := lineColumn(r.data, int64(r.pos)+1)
	r.syntax = &Problem{Message: msg, Line: line, Column: col}
	r.pos = len(r.data)
}

func (r *Reader) pointer() string {
	var b []byte
	for _, e := range r.path {
		b = append(b, '/')
		if e.index >= 0 {
			b = strconv.AppendInt(b, int64(e.index), 10)
		} else {
			b = append(b, escapePointer(e.key)...)
		}
	}
	return string(b)
}

// Problem records a validation problem at the current path.
func (r *Reader) Problem(msg string) {
	if len(r.probs) < maxProblems {
		r.probs = append(r.probs, Problem{Pointer: r.pointer(), Message: msg})
	}
}

// Push enters object member key; Pop leaves it.
func (r *Reader) Push(key string) { r.path = append(r.path, pathElem{key: key, index: -1}) }

// PushIndex enters list element i.
func (r *Reader) PushIndex(i int) { r.path = append(r.path, pathElem{index: i}) }

// Pop leaves the current member or element.
func (r *Reader) Pop() { r.path = r.path[:len(r.path)-1] }

// Missing records that a required member is missing.
func (r *Reader) Missing(key string) {
	r.Push(key)
	r.Problem("required field is missing")
	r.Pop()
}

// Unknown records a member that the schema does not allow; the value was skipped.
func (r *Reader) Unknown(key []byte) {
	r.Push(string(key))
	r.Problem("unknown field")
	r.Pop()
}

func (r *Reader) skipSpace() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

func (r *Reader) peek() byte {
	r.skipSpace()
	if r.pos >= len(r.data) {
		return 0
	}
	return r.data[r.pos]
}

func (r *Reader) kindAt() string {
	switch r.peek() {
	case '{':
		return "map"
	case '[':
		return "list"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	// a number: integer or not
	start := r.pos
	end := start
	for end < len(r.data) && bytes.IndexByte([]byte("+-0123456789.eE"), r.data[end]) >= 0 {
		end++
	}
	if bytes.ContainsAny(r.data[start:end], ".eE") {
		if f, err := strconv.ParseFloat(string(r.data[start:end]), 64); err == nil && f == math.Trunc(f) && !math.IsInf(f, 0) {
			return "number"
		}
		return "number"
	}
	return "integer"
}

func (r *Reader) wrongType(expected string) {
	r.typeErr = true
	r.Problem("expected " + expected + ", got " + r.kindAt())
	r.Skip()
}

// BeginObject starts reading an object; false (with a problem recorded and the value
// skipped) when the value is not one.
func (r *Reader) BeginObject() bool {
	if r.peek() != '{' {
		if r.syntax == nil {
			r.wrongType("object")
		}
		return false
	}
	r.pos++
	r.openObject()
	return true
}

func (r *Reader) openObject() {
	r.frames = append(r.frames, keyFrame{start: len(r.keys)})
}

func (r *Reader) closeObject() {
	if n := len(r.frames); n > 0 {
		r.keys = r.keys[:r.frames[n-1].start]
		r.frames = r.frames[:n-1]
	}
}

// seen records key in the innermost object; false when it was there already.
func (r *Reader) seen(key []byte) bool {
	n := len(r.frames)
	if n == 0 {
		return true
	}
	f := &r.frames[n-1]
	if f.set != nil {
		if _, dup := f.set[string(key)]; dup {
			return false
		}
		f.set[string(key)] = struct{}{}
		return true
	}
	for _, k := range r.keys[f.start:] {
		if k == string(key) {
			return false
		}
	}
	r.keys = append(r.keys, string(key))
	if len(r.keys)-f.start > 32 {
		f.set = make(map[string]struct{}, 64)
		for _, k := range r.keys[f.start:] {
			f.set[k] = struct{}{}
		}
	}
	return true
}

// NextKey reads the next member's key of the object being read; false at its end.
func (r *Reader) NextKey(first *bool) ([]byte, bool) {
	c := r.peek()
	if c == '}' {
		r.pos++
		r.closeObject()
		return nil, false
	}
	if !*first {
		if c != ',' {
			r.fail("expected , or } after an object member")
			return nil, false
		}
		r.pos++
		c = r.peek()
	}
	*first = false
	if c != '"' {
		r.fail("expected a string key")
		return nil, false
	}
	keyAt := r.pos
	key, ok := r.rawString()
	if !ok {
		return nil, false
	}
	if !r.seen(key) {
		r.pos = keyAt
		r.fail("duplicate key " + JSONText(string(bytes.ToValidUTF8(key, []byte("\uFFFD")))))
		return nil, false
	}
	if r.peek() != ':' {
		r.fail("expected : after an object key")
		return nil, false
	}
	r.pos++
	return key, true
}

// BeginList starts reading a list; false (problem recorded, value skipped) otherwise.
func (r *Reader) BeginList() bool {
	if r.peek() != '[' {
		if r.syntax == nil {
			r.wrongType("array")
		}
		return false
	}
	r.pos++
	return true
}

// NextItem moves to the next element of the list being read; false at its end.
func (r *Reader) NextItem(first *bool) bool {
	c := r.peek()
	if c == ']' {
		r.pos++
		return false
	}
	if !*first {
		if c != ',' {
			r.fail("expected , or ] after a list element")
			return false
		}
		r.pos++
	}
	*first = false
	return r.syntax == nil
}

// rawString reads a string token and returns its decoded bytes (aliasing the input when
// it has no escapes).
func (r *Reader) rawString() ([]byte, bool) {
	r.pos++ // opening quote
	start := r.pos
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		if c == '"' {
			s := r.data[start:r.pos]
			r.pos++
			return s, true
		}
		if c == '\\' {
			return r.escapedString(start)
		}
		if c < 0x20 {
			r.fail("invalid character in string literal")
			return nil, false
		}
		r.pos++
	}
	r.fail("unexpected end of JSON input")
	return nil, false
}

func (r *Reader) escapedString(start int) ([]byte, bool) {
	out := append([]byte(nil), r.data[start:r.pos]...)
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch {
		case c == '"':
			r.pos++
			return out, true
		case c < 0x20:
			r.fail("invalid character in string literal")
			return nil, false
		case c != '\\':
			out = append(out, c)
			r.pos++
			continue
		}
		if r.pos+1 >= len(r.data) {
			break
		}
		e := r.data[r.pos+1]
		r.pos += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			ru, ok := r.hex4()
			if !ok {
				return nil, false
			}
			if utf16.IsSurrogate(ru) {
				if r.pos+6 <= len(r.data) && r.data[r.pos] == '\\' && r.data[r.pos+1] == 'u' {
					save := r.pos
					r.pos += 2
					lo, ok := r.hex4()
					if ok {
						if dec := utf16.DecodeRune(ru, lo); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							continue
						}
					}
					r.pos = save
				}
				ru = utf8.RuneError
			}
			out = utf8.AppendRune(out, ru)
		default:
			r.fail("invalid escape in string literal")
			return nil, false
		}
	}
	r.fail("unexpected end of JSON input")
	return nil, false
}

func (r *Reader) hex4() (rune, bool) {
	if r.pos+4 > len(r.data) {
		r.fail("unexpected end of JSON input")
		return 0, false
	}
	n, err := strconv.ParseUint(string(r.data[r.pos:r.pos+4]), 16, 32)
	if err != nil {
		r.fail("invalid \\u escape")
		return 0, false
	}
	r.pos += 4
	return rune(n), true
}

// String reads a string (a problem if the value is another kind).
func (r *Reader) String() string {
	r.typeErr = false
	if r.peek() != '"' {
		if r.syntax == nil {
			r.wrongType("string")
		}
		return ""
	}
	b, ok := r.rawString()
	if !ok {
		return ""
	}
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	return string(b)
}

func (r *Reader) number() ([]byte, bool) {
	c := r.peek()
	if c != '-' && (c < '0' || c > '9') {
		return nil, false
	}
	start := r.pos
	if r.data[r.pos] == '-' {
		r.pos++
	}
	digits := r.pos
	for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
		r.pos++
	}
	if r.pos == digits || (r.data[digits] == '0' && r.pos-digits > 1) {
		r.fail("invalid number literal")
		return nil, false
	}
	if r.pos < len(r.data) && r.data[r.pos] == '.' {
		r.pos++
		frac := r.pos
		for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
			r.pos++
		}
		if r.pos == frac {
			r.fail("invalid number literal")
			return nil, false
		}
	}
	if r.pos < len(r.data) && (r.data[r.pos] == 'e' || r.data[r.pos] == 'E') {
		r.pos++
		if r.pos < len(r.data) && (r.data[r.pos] == '+' || r.data[r.pos] == '-') {
			r.pos++
		}
		exp := r.pos
		for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
			r.pos++
		}
		if r.pos == exp {
			r.fail("invalid number literal")
			return nil, false
		}
	}
	return r.data[start:r.pos], true
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Int reads an integer (a number with an integral value is accepted, as the schema's
// "integer" type does).
func (r *Reader) Int() int64 {
	r.typeErr = false
	save := r.pos
	lit, ok := r.number()
	if !ok {
		if r.syntax == nil {
			r.pos = save
			r.wrongType("integer")
		}
		return 0
	}
	if n, err := strconv.ParseInt(unsafeString(lit), 10, 64); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(unsafeString(lit), 64)
	if err == nil && f == math.Trunc(f) && f >= -9.223372036854775808e18 && f < 9.223372036854775808e18 {
		return int64(f)
	}
	r.typeErr = true
	if err == nil && f == math.Trunc(f) {
		r.Problem("integer out of range")
		return 0
	}
	r.Problem("expected integer, got number")
	return 0
}

// Float reads a number.
func (r *Reader) Float() float64 {
	r.typeErr = false
	save := r.pos
	lit, ok := r.number()
	if !ok {
		if r.syntax == nil {
			r.pos = save
			r.wrongType("number")
		}
		return 0
	}
	f, _ := strconv.ParseFloat(unsafeString(lit), 64)
	return f
}

// Bool reads a boolean.
func (r *Reader) Bool() bool {
	switch r.peek() {
	case 't':
		return r.literal("true")
	case 'f':
		r.literal("false")
		return false
	}
	if r.syntax == nil {
		r.wrongType("boolean")
	}
	return false
}

func (r *Reader) literal(word string) bool {
	if !bytes.HasPrefix(r.data[r.pos:], []byte(word)) {
		r.fail("invalid literal")
		return false
	}
	r.pos += len(word)
	return true
}

// Null reports (and consumes) a null value.
func (r *Reader) Null() bool {
	if r.peek() == 'n' {
		return r.literal("null")
	}
	return false
}

// Any reads any value as JSON values (validated against s when s is not nil).
func (r *Reader) Any(s *Schema) any {
	v := r.Value()
	if r.syntax != nil {
		return nil
	}
	if s != nil {
		for _, p := range s.Validate(v) {
			if len(r.probs) < maxProblems {
				r.probs = append(r.probs, Problem{Pointer: r.pointer() + p.Pointer, Message: p.Message})
			}
		}
	}
	return v
}

// Value reads any JSON value as JSON values (nil, bool, int64 for integers that fit,
// float64, string, []any, map[string]any); a duplicate key is a syntax error.
func (r *Reader) Value() any {
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxDepth {
		r.fail("exceeded max depth")
		return nil
	}
	switch r.peek() {
	case '{':
		r.pos++
		r.openObject()
		m := map[string]any{}
		for first := true; ; {
			key, ok := r.NextKey(&first)
			if !ok {
				break
			}
			v := r.Value()
			if r.syntax != nil {
				return nil
			}
			if utf8.Valid(key) {
				m[string(key)] = v
			} else {
				m[string(bytes.ToValidUTF8(key, []byte("\uFFFD")))] = v
			}
		}
		if r.syntax != nil {
			return nil
		}
		return m
	case '[':
		r.pos++
		out := []any{}
		for first := true; r.NextItem(&first); {
			v := r.Value()
			if r.syntax != nil {
				return nil
			}
			out = append(out, v)
		}
		if r.syntax != nil {
			return nil
		}
		return out
	case '"':
		return r.String()
	case 't':
		return r.literal("true")
	case 'f':
		r.literal("false")
		return false
	case 'n':
		r.literal("null")
		return nil
	case 0:
		r.fail("unexpected end of JSON input")
		return nil
	}
	lit, ok := r.number()
	if !ok {
		r.fail("invalid character " + strconv.QuoteRune(rune(r.data[r.pos])) + " looking for beginning of value")
		return nil
	}
	text := unsafeString(lit)
	if !bytes.ContainsAny(lit, ".eE") {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n
		}
	}
	f, _ := strconv.ParseFloat(text, 64)
	return f
}

// Skip skips one value.
func (r *Reader) Skip() {
	switch r.peek() {
	case '{':
		r.pos++
		r.openObject()
		first := true
		for {
			if _, ok := r.NextKey(&first); !ok {
				return
			}
			r.Skip()
			if r.syntax != nil {
				return
			}
		}
	case '[':
		r.pos++
		first := true
		for r.NextItem(&first) {
			r.Skip()
		}
	case '"':
		r.rawString()
	case 't':
		r.literal("true")
	case 'f':
		r.literal("false")
	case 'n':
		r.literal("null")
	case 0:
		r.fail("unexpected end of JSON input")
	default:
		if _, ok := r.number(); !ok && r.syntax == nil {
			r.fail("invalid character " + strconv.QuoteRune(rune(r.data[r.pos])) + " looking for beginning of value")
		}
	}
}

// Checks that generated decoders call after reading a value; messages are Schema's.

// CheckMinLength and the other Check functions record a problem when v breaks the rule.
func (r *Reader) CheckMinLength(s string, n int) {
	if r.typeErr {
		return
	}
	if utf8.RuneCountInString(s) < n {
		r.Problem("must be at least " + strconv.Itoa(n) + " characters long")
	}
}

// CheckMaxLength: at most n characters.
func (r *Reader) CheckMaxLength(s string, n int) {
	if r.typeErr {
		return
	}
	if utf8.RuneCountInString(s) > n {
		r.Problem("must be at most " + strconv.Itoa(n) + " characters long")
	}
}

// CheckPattern: the regular expression matches.
func (r *Reader) CheckPattern(s string, re *regexp.Regexp) {
	if r.typeErr {
		return
	}
	if !re.MatchString(s) {
		r.Problem("must match the pattern " + JSONText(re.String()))
	}
}

// CheckFormat: a known string format.
func (r *Reader) CheckFormat(s, format string) {
	if r.typeErr {
		return
	}
	if !FormatOK(format, s) {
		r.Problem("must be a valid " + format)
	}
}

// CheckEnum: one of the allowed strings (quoted as JSON in the message).
func (r *Reader) CheckEnum(s string, allowed []string, message string) {
	if r.typeErr {
		return
	}
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	r.Problem(message)
}

// CheckNumber: the bounds that are set (NaN for unset).
func (r *Reader) CheckNumber(f, min, max, exclMin, exclMax float64) {
	if r.typeErr {
		return
	}
	if !math.IsNaN(min) && f < min {
		r.Problem("must be >= " + FormatFloat(min))
	}
	if !math.IsNaN(max) && f > max {
		r.Problem("must be <= " + FormatFloat(max))
	}
	if !math.IsNaN(exclMin) && f <= exclMin {
		r.Problem("must be > " + FormatFloat(exclMin))
	}
	if !math.IsNaN(exclMax) && f >= exclMax {
		r.Problem("must be < " + FormatFloat(exclMax))
	}
}

// CheckItems: the list length bounds that are set (-1 for unset).
func (r *Reader) CheckItems(n, min, max int) {
	if min >= 0 && n < min {
		r.Problem("must have at least " + strconv.Itoa(min) + " items")
	}
	if max >= 0 && n > max {
		r.Problem("must have at most " + strconv.Itoa(max) + " items")
	}
}
