package nf

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Schema is the JSON Schema subset Nodeforge validates request bodies with: type,
// properties, required, additionalProperties, items, enum, const, minimum, maximum,
// exclusiveMinimum, exclusiveMaximum, minLength, maxLength, pattern, minItems, maxItems,
// format (email, date-time, date, uuid, uri) and nullable. Other keywords are ignored.
type Schema struct {
	Types        []string
	Properties   map[string]*Schema
	Required     []string
	Additional   *Schema
	NoAdditional bool
	Items        *Schema
	Enum         []any
	Minimum      *float64
	Maximum      *float64
	ExclMinimum  *float64
	ExclMaximum  *float64
	MinLength    *int
	MaxLength    *int
	MinItems     *int
	MaxItems     *int
	Pattern      *regexp.Regexp
	Format       string
	names        []string // property names, sorted, for deterministic messages
}

// MustSchema parses a schema from its JSON text; generated code calls it at start-up with
// schemas that analysis already checked, so a failure is a generator bug.
func MustSchema(text string) *Schema {
	var raw any
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		panic(fmt.Sprintf("nodeforge: bad schema literal: %v", err))
	}
	return compileSchema(raw)
}

func compileSchema(raw any) *Schema {
	m, ok := raw.(map[string]any)
	if !ok {
		return &Schema{}
	}
	s := &Schema{}
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
	if props, ok := m["properties"].(map[string]any); ok {
		s.Properties = map[string]*Schema{}
		for k, v := range props {
			s.Properties[k] = compileSchema(v)
			s.names = append(s.names, k)
		}
		sort.Strings(s.names)
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
		s.Additional = compileSchema(ap)
	}
	if it, ok := m["items"].(map[string]any); ok {
		s.Items = compileSchema(it)
	}
	if e, ok := m["enum"].([]any); ok {
		s.Enum = e
	}
	if c, ok := m["const"]; ok {
		s.Enum = []any{c}
	}
	s.Minimum = num(m["minimum"])
	s.Maximum = num(m["maximum"])
	s.ExclMinimum = num(m["exclusiveMinimum"])
	s.ExclMaximum = num(m["exclusiveMaximum"])
	s.MinLength = count(m["minLength"])
	s.MaxLength = count(m["maxLength"])
	s.MinItems = count(m["minItems"])
	s.MaxItems = count(m["maxItems"])
	if p, ok := m["pattern"].(string); ok {
		if re, err := regexp.Compile(p); err == nil {
			s.Pattern = re
		}
	}
	if f, ok := m["format"].(string); ok {
		s.Format = f
	}
	return s
}

func num(v any) *float64 {
	if f, ok := v.(float64); ok {
		return &f
	}
	return nil
}

func count(v any) *int {
	if f, ok := v.(float64); ok {
		n := int(f)
		return &n
	}
	return nil
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
func (s *Schema) Accepts(v any) bool { return len(s.Validate(v)) == 0 }

// Validate returns every problem of v (at most 20), in document order of the schema.
func (s *Schema) Validate(v any) []Problem {
	var out []Problem
	s.validate(v, "", &out)
	return out
}

const maxProblems = 20

func (s *Schema) validate(v any, at string, out *[]Problem) {
	if len(*out) >= maxProblems {
		return
	}
	add := func(format string, args ...any) {
		*out = append(*out, Problem{Pointer: at, Message: fmt.Sprintf(format, args...)})
	}
	if len(s.Types) > 0 && !s.typeOK(v) {
		add("expected %s, got %s", strings.Join(s.Types, " or "), Kind(v))
		return
	}
	if s.Enum != nil {
		found := false
		for _, e := range s.Enum {
			if Equal(Normalize(e), v) {
				found = true
				break
			}
		}
		if !found {
			parts := make([]string, len(s.Enum))
			for i, e := range s.Enum {
				b, _ := json.Marshal(e)
				parts[i] = string(b)
			}
			add("must be one of %s", strings.Join(parts, ", "))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for _, r := range s.Required {
			if _, ok := x[r]; !ok {
				*out = append(*out, Problem{Pointer: at + "/" + escapePointer(r), Message: "required field is missing"})
			}
		}
		for _, name := range s.names {
			if fv, ok := x[name]; ok {
				s.Properties[name].validate(fv, at+"/"+escapePointer(name), out)
			}
		}
		if s.NoAdditional || s.Additional != nil {
			extra := make([]string, 0)
			for k := range x {
				if _, ok := s.Properties[k]; !ok {
					extra = append(extra, k)
				}
			}
			sort.Strings(extra)
			for _, k := range extra {
				if s.NoAdditional {
					*out = append(*out, Problem{Pointer: at + "/" + escapePointer(k), Message: "unknown field"})
				} else {
					s.Additional.validate(x[k], at+"/"+escapePointer(k), out)
				}
			}
		}
	case []any:
		if s.MinItems != nil && len(x) < *s.MinItems {
			add("must have at least %d items", *s.MinItems)
		}
		if s.MaxItems != nil && len(x) > *s.MaxItems {
			add("must have at most %d items", *s.MaxItems)
		}
		if s.Items != nil {
			for i, it := range x {
				s.Items.validate(it, at+"/"+strconv.Itoa(i), out)
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
			add("must match the pattern %s", strconv.Quote(s.Pattern.String()))
		}
		if s.Format != "" && !formatOK(s.Format, x) {
			add("must be a valid %s", s.Format)
		}
	case int64:
		s.checkNumber(float64(x), add)
	case float64:
		s.checkNumber(x, add)
	}
}

func (s *Schema) checkNumber(f float64, add func(string, ...any)) {
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
				if n == math.Trunc(n) && !math.IsInf(n, 0) {
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

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func formatOK(format, s string) bool {
	switch format {
	case "email":
		return IsEmail(s)
	case "date-time":
		_, err := time.Parse(time.RFC3339, s)
		return err == nil
	case "date":
		_, err := time.Parse("2006-01-02", s)
		return err == nil
	case "uuid":
		return uuidRE.MatchString(s)
	case "uri":
		return strings.Contains(s, ":")
	}
	return true
}

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// IsEmail reports whether s is an addr-spec with a dot-atom local part and a host name
// domain (RFC 5322 without quoted local parts, comments or domain literals): what
// net/mail accepts for such addresses, without its allocations.
func IsEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 254 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || local[0] == '.' || local[len(local)-1] == '.' {
		return false
	}
	prev := byte(0)
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c == '.' && prev == '.' {
			return false
		}
		if !atext(c) && c != '.' {
			return false
		}
		prev = c
	}
	label := 0
	for i := 0; i <= len(domain); i++ {
		if i == len(domain) || domain[i] == '.' {
			if label == 0 || domain[i-1] == '-' || domain[i-label] == '-' {
				return false
			}
			label = 0
			continue
		}
		c := domain[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') && c < 0x80 {
			return false
		}
		label++
	}
	return true
}

func atext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
