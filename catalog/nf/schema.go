package nf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Schema is the JSON Schema (draft 2020-12) subset Nodeforge validates with, the same one
// the simulator's nodeforge.sandbox.schemacheck implements (same order, same messages):
//
//   - any value: type, enum, const, allOf, anyOf, oneOf, not, if/then/else, $ref (within the
//     schema: "#" and "#/..." pointers, so into $defs and definitions), boolean schemas,
//     nullable (OpenAPI);
//   - numbers: minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf (exact,
//     on the shortest decimal forms of the values);
//   - strings: minLength, maxLength (code points), pattern (RE2), format (email, date,
//     time, date-time, uuid, uri: enforced, see formats.go);
//   - arrays: items, minItems, maxItems, uniqueItems;
//   - objects: properties, required, additionalProperties, patternProperties,
//     minProperties, maxProperties.
//
// "integer" means a whole number that fits in 64 bits: 1e20 is "integer out of range".
// Analysis reports every other keyword as not enforced, so a schema reaching the runtime
// uses only these.
type Schema struct {
	reject       bool // the boolean schema false
	Types        []string
	Enum         []any
	hasEnum      bool
	Const        any
	hasConst     bool
	Properties   map[string]*Schema
	names        []string // property names, sorted, for deterministic messages
	patternProps []patternProp
	Required     []string
	Additional   *Schema
	NoAdditional bool
	MinProps     *int
	MaxProps     *int
	Items        *Schema
	MinItems     *int
	MaxItems     *int
	UniqueItems  bool
	Minimum      *float64
	Maximum      *float64
	ExclMinimum  *float64
	ExclMaximum  *float64
	multipleOf   *big.Rat
	multipleText string
	MinLength    *int
	MaxLength    *int
	Pattern      *regexp.Regexp
	patternText  string
	Format       string
	ref          *Schema
	allOf        []*Schema
	anyOf        []*Schema
	oneOf        []*Schema
	not          *Schema
	ifS          *Schema
	thenS        *Schema
	elseS        *Schema
}

type patternProp struct {
	re     *regexp.Regexp
	schema *Schema
}

// MustSchema parses a schema from its JSON text; generated code calls it at start-up with
// schemas that analysis already checked, so a failure is a generator bug.
func MustSchema(text string) *Schema {
	s, err := CompileSchema([]byte(text))
	if err != nil {
		panic(fmt.Sprintf("nodeforge: bad schema literal: %v", err))
	}
	return s
}

// CompileSchema compiles a schema from its JSON text. A pattern RE2 cannot compile is an
// error (analysis reports it in the editor first).
func CompileSchema(text []byte) (*Schema, error) {
	var raw any
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	c := &schemaCompiler{root: raw, byPointer: map[string]*Schema{}}
	s := c.compile(raw, "")
	if c.err != nil {
		return nil, c.err
	}
	return s, nil
}

type schemaCompiler struct {
	root      any
	byPointer map[string]*Schema
	err       error
}

func (c *schemaCompiler) compile(raw any, ptr string) *Schema {
	if s, ok := c.byPointer[ptr]; ok {
		return s
	}
	s := &Schema{}
	c.byPointer[ptr] = s
	switch m := raw.(type) {
	case bool:
		s.reject = !m
	case map[string]any:
		c.fill(s, m, ptr)
	}
	return s
}

func (c *schemaCompiler) sub(raw any, ptr string) *Schema {
	switch raw.(type) {
	case bool, map[string]any:
		return c.compile(raw, ptr)
	}
	return nil
}

func (c *schemaCompiler) list(raw any, ptr string) []*Schema {
	items, ok := raw.([]any)
	if !ok {
		return nil
	}
	out := make([]*Schema, 0, len(items))
	for i, it := range items {
		if s := c.sub(it, ptr+"/"+strconv.Itoa(i)); s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (c *schemaCompiler) regexp(p string) *regexp.Regexp {
	re, err := CompilePattern(p)
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("pattern %s: %v", JSONText(p), err)
	}
	return re
}

func (c *schemaCompiler) fill(s *Schema, m map[string]any, ptr string) {
	switch t := m["type"].(type) {
	case string:
		s.Types = []string{t}
	case []any:
		for _, x := range t {
			if n, ok := x.(string); ok {
				s.Types = append(s.Types, n)
			}
		}
	}
	if m["nullable"] == true && len(s.Types) > 0 {
		s.Types = append(s.Types, "null")
	}
	if e, ok := m["enum"].([]any); ok {
		s.Enum, s.hasEnum = normalizeAll(e), true
	}
	if v, ok := m["const"]; ok {
		s.Const, s.hasConst = Normalize(v), true
	}
	if props, ok := m["properties"].(map[string]any); ok {
		s.Properties = map[string]*Schema{}
		for k, v := range props {
			if sub := c.sub(v, ptr+"/properties/"+escapePointer(k)); sub != nil {
				s.Properties[k] = sub
				s.names = append(s.names, k)
			}
		}
		sort.Strings(s.names)
	}
	if pp, ok := m["patternProperties"].(map[string]any); ok {
		keys := make([]string, 0, len(pp))
		for k := range pp {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := c.sub(pp[k], ptr+"/patternProperties/"+escapePointer(k))
			if re := c.regexp(k); re != nil && sub != nil {
				s.patternProps = append(s.patternProps, patternProp{re, sub})
			}
		}
	}
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if n, ok := r.(string); ok {
				s.Required = append(s.Required, n)
			}
		}
	}
	switch ap := m["additionalProperties"].(type) {
	case bool:
		s.NoAdditional = !ap
	case map[string]any:
		s.Additional = c.compile(ap, ptr+"/additionalProperties")
	}
	s.MinProps = count(m["minProperties"])
	s.MaxProps = count(m["maxProperties"])
	s.Items = c.sub(m["items"], ptr+"/items")
	s.MinItems = count(m["minItems"])
	s.MaxItems = count(m["maxItems"])
	s.UniqueItems = m["uniqueItems"] == true
	s.Minimum = num(m["minimum"])
	s.Maximum = num(m["maximum"])
	s.ExclMinimum = num(m["exclusiveMinimum"])
	s.ExclMaximum = num(m["exclusiveMaximum"])
	if n, ok := m["multipleOf"].(json.Number); ok {
		if r, ok := new(big.Rat).SetString(string(n)); ok && r.Sign() > 0 {
			f, _ := n.Float64()
			s.multipleOf, s.multipleText = exactRat(f), FormatFloat(f)
		}
	}
	s.MinLength = count(m["minLength"])
	s.MaxLength = count(m["maxLength"])
	if p, ok := m["pattern"].(string); ok {
		s.Pattern, s.patternText = c.regexp(p), p
	}
	if f, ok := m["format"].(string); ok && KnownFormat(f) {
		s.Format = f
	}
	if r, ok := m["$ref"].(string); ok {
		if target, tptr, ok := resolvePointer(c.root, r); ok {
			s.ref = c.compile(target, tptr)
		}
	}
	s.allOf = c.list(m["allOf"], ptr+"/allOf")
	s.anyOf = c.list(m["anyOf"], ptr+"/anyOf")
	s.oneOf = c.list(m["oneOf"], ptr+"/oneOf")
	s.not = c.sub(m["not"], ptr+"/not")
	if _, ok := m["if"]; ok {
		s.ifS = c.sub(m["if"], ptr+"/if")
		s.thenS = c.sub(m["then"], ptr+"/then")
		s.elseS = c.sub(m["else"], ptr+"/else")
	}
}

// resolvePointer finds a $ref's target: "#" or "#/a/b" within the root schema (percent-
// and ~-escapes decoded). Other references resolve to nothing (analysis reports them).
func resolvePointer(root any, ref string) (any, string, bool) {
	if !strings.HasPrefix(ref, "#") {
		return nil, "", false
	}
	frag, err := url.PathUnescape(ref[1:])
	if err != nil {
		return nil, "", false
	}
	if frag == "" {
		return root, "", true
	}
	if !strings.HasPrefix(frag, "/") {
		return nil, "", false
	}
	cur := root
	for _, part := range strings.Split(frag[1:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[part]
			if !ok {
				return nil, "", false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) || strconv.Itoa(i) != part {
				return nil, "", false
			}
			cur = x[i]
		default:
			return nil, "", false
		}
	}
	switch cur.(type) {
	case bool, map[string]any:
		return cur, frag, true
	}
	return nil, "", false
}

func normalizeAll(vs []any) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = Normalize(v)
	}
	return out
}

func num(v any) *float64 {
	if n, ok := v.(json.Number); ok {
		if f, err := n.Float64(); err == nil {
			return &f
		}
	}
	return nil
}

func count(v any) *int {
	if n, ok := v.(json.Number); ok {
		if f, err := n.Float64(); err == nil && f >= 0 && f == math.Trunc(f) && f < 1<<31 {
			i := int(f)
			return &i
		}
	}
	return nil
}

// exactRat is the rational of f's shortest decimal form (what Python's repr gives), so
// that multipleOf answers exactly and the same on both sides: 0.0075 is a multiple of 0.0001.
func exactRat(f float64) *big.Rat {
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return r
}

// CompilePattern compiles a schema pattern: RE2 syntax (Go's regexp), unanchored.
func CompilePattern(p string) (*regexp.Regexp, error) {
	return regexp.Compile(p)
}

// Problem is one validation error, located by a JSON pointer (and, for syntax errors, by
// line and column).
type Problem struct {
	Pointer string `json:"pointer"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d, column %d: %s", p.Line, p.Column, p.Message)
	}
	where := p.Pointer
	if where == "" {
		where = "/"
	}
	return where + ": " + p.Message
}

// Accepts reports whether v is valid.
func (s *Schema) Accepts(v any) bool {
	var out []Problem
	s.validate(v, "", &out, 1)
	return len(out) == 0
}

// Validate returns every problem of v (at most 20), in document order of the schema.
func (s *Schema) Validate(v any) []Problem {
	var out []Problem
	s.validate(v, "", &out, maxProblems)
	return out
}

const maxProblems = 20

func (s *Schema) validate(v any, at string, out *[]Problem, limit int) {
	if len(*out) >= limit {
		return
	}
	add := func(format string, args ...any) {
		if len(*out) < limit {
			*out = append(*out, Problem{Pointer: at, Message: fmt.Sprintf(format, args...)})
		}
	}
	if s.reject {
		add("no value is allowed here")
		return
	}
	if s.ref != nil {
		s.ref.validate(v, at, out, limit)
	}
	if len(s.Types) > 0 && !s.typeOK(v) {
		if s.outOfRange(v) {
			add("integer out of range")
		} else {
			add("expected %s, got %s", strings.Join(s.Types, " or "), Kind(v))
		}
		return
	}
	if s.hasEnum {
		found := false
		for _, e := range s.Enum {
			if Equal(e, v) {
				found = true
				break
			}
		}
		if !found {
			parts := make([]string, len(s.Enum))
			for i, e := range s.Enum {
				parts[i] = JSONText(e)
			}
			add("must be one of %s", strings.Join(parts, ", "))
		}
	}
	if s.hasConst && !Equal(s.Const, v) {
		add("must be %s", JSONText(s.Const))
	}
	switch x := v.(type) {
	case map[string]any:
		s.validateObject(x, at, out, limit, add)
	case []any:
		if s.MinItems != nil && len(x) < *s.MinItems {
			add("must have at least %d items", *s.MinItems)
		}
		if s.MaxItems != nil && len(x) > *s.MaxItems {
			add("must have at most %d items", *s.MaxItems)
		}
		if s.UniqueItems {
		unique:
			for i := 1; i < len(x); i++ {
				for j := 0; j < i; j++ {
					if Equal(x[j], x[i]) {
						add("items %d and %d are equal", j, i)
						break unique
					}
				}
			}
		}
		if s.Items != nil {
			for i, it := range x {
				s.Items.validate(it, at+"/"+strconv.Itoa(i), out, limit)
			}
		}
	case string:
		n := utf8.RuneCountInString(x)
		if s.MinLength != nil && n < *s.MinLength {
			add("must be at least %d characters long", *s.MinLength)
		}
		if s.MaxLength != nil && n > *s.MaxLength {
			add("must be at most %d characters long", *s.MaxLength)
		}
		if s.Pattern != nil && !s.Pattern.MatchString(x) {
			add("must match the pattern %s", JSONText(s.patternText))
		}
		if s.Format != "" && !FormatOK(s.Format, x) {
			add("must be a valid %s", s.Format)
		}
	case int64:
		s.checkNumber(v, float64(x), add)
	case float64:
		s.checkNumber(v, x, add)
	}
	for _, sub := range s.allOf {
		sub.validate(v, at, out, limit)
	}
	if len(s.anyOf) > 0 {
		ok := false
		for _, sub := range s.anyOf {
			if sub.Accepts(v) {
				ok = true
				break
			}
		}
		if !ok {
			add("must match at least one schema of anyOf")
		}
	}
	if len(s.oneOf) > 0 {
		n := 0
		for _, sub := range s.oneOf {
			if sub.Accepts(v) {
				n++
			}
		}
		if n != 1 {
			add("must match exactly one schema of oneOf (matches %d)", n)
		}
	}
	if s.not != nil && s.not.Accepts(v) {
		add("must not match the schema of not")
	}
	if s.ifS != nil {
		if s.ifS.Accepts(v) {
			if s.thenS != nil {
				s.thenS.validate(v, at, out, limit)
			}
		} else if s.elseS != nil {
			s.elseS.validate(v, at, out, limit)
		}
	}
}

func (s *Schema) validateObject(x map[string]any, at string, out *[]Problem, limit int, add func(string, ...any)) {
	for _, r := range s.Required {
		if _, ok := x[r]; !ok && len(*out) < limit {
			*out = append(*out, Problem{Pointer: at + "/" + escapePointer(r), Message: "required field is missing"})
		}
	}
	if s.MinProps != nil && len(x) < *s.MinProps {
		add("must have at least %d properties", *s.MinProps)
	}
	if s.MaxProps != nil && len(x) > *s.MaxProps {
		add("must have at most %d properties", *s.MaxProps)
	}
	for _, name := range s.names {
		if fv, ok := x[name]; ok {
			s.Properties[name].validate(fv, at+"/"+escapePointer(name), out, limit)
		}
	}
	if len(s.patternProps) == 0 && !s.NoAdditional && s.Additional == nil {
		return
	}
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		matched := false
		for _, pp := range s.patternProps {
			if pp.re.MatchString(k) {
				matched = true
				pp.schema.validate(x[k], at+"/"+escapePointer(k), out, limit)
			}
		}
		if _, declared := s.Properties[k]; declared || matched {
			continue
		}
		if s.NoAdditional {
			if len(*out) < limit {
				*out = append(*out, Problem{Pointer: at + "/" + escapePointer(k), Message: "unknown field"})
			}
		} else if s.Additional != nil {
			s.Additional.validate(x[k], at+"/"+escapePointer(k), out, limit)
		}
	}
}

func (s *Schema) checkNumber(v any, f float64, add func(string, ...any)) {
	if s.Minimum != nil && f < *s.Minimum {
		add("must be >= %s", FormatFloat(*s.Minimum))
	}
	if s.Maximum != nil && f > *s.Maximum {
		add("must be <= %s", FormatFloat(*s.Maximum))
	}
	if s.ExclMinimum != nil && f <= *s.ExclMinimum {
		add("must be > %s", FormatFloat(*s.ExclMinimum))
	}
	if s.ExclMaximum != nil && f >= *s.ExclMaximum {
		add("must be < %s", FormatFloat(*s.ExclMaximum))
	}
	if s.multipleOf != nil && !isMultiple(v, s.multipleOf) {
		add("must be a multiple of %s", s.multipleText)
	}
}

// isMultiple: v / m is a whole number, computed exactly on the shortest decimal forms.
func isMultiple(v any, m *big.Rat) bool {
	var r *big.Rat
	switch x := v.(type) {
	case int64:
		r = new(big.Rat).SetInt64(x)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return false
		}
		r = exactRat(x)
	default:
		return true
	}
	q := new(big.Rat).Quo(r, m)
	return q.IsInt()
}

func (s *Schema) typeOK(v any) bool {
	for _, t := range s.Types {
		switch t {
		case "null":
			if v == nil {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "integer":
			switch n := v.(type) {
			case int64:
				return true
			case float64:
				if n == math.Trunc(n) && n >= -9.223372036854775808e18 && n < 9.223372036854775808e18 {
					return true
				}
			}
		case "number":
			switch v.(type) {
			case int64, float64:
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		}
	}
	return false
}

// outOfRange: v is a whole number an "integer" type would take but for its size.
func (s *Schema) outOfRange(v any) bool {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.IsInf(f, 0) {
		return false
	}
	for _, t := range s.Types {
		if t == "integer" {
			return true
		}
	}
	return false
}

// JSONText is v as compact JSON with sorted keys and no HTML escaping: how messages quote
// values (the simulator's json_text gives the same text).
func JSONText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
