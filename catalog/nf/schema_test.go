package nf

import "testing"

// The runtime's side of docs/schemas.md; tests/test_standards_schema.py compares all of
// it with the simulator's.
func TestSchemaKeywords(t *testing.T) {
	cases := []struct {
		schema, data string
		valid        bool
	}{
		{`{"type":"integer"}`, `99999999999999999999`, false},
		{`{"type":"integer"}`, `1.0`, true},
		{`{"multipleOf":0.0001}`, `0.0075`, true},
		{`{"multipleOf":0.123456789}`, `1e308`, false},
		{`{"uniqueItems":true}`, `[1, 1.0]`, false},
		{`{"minProperties":1}`, `{}`, false},
		{`{"patternProperties":{"^x-":{"type":"string"}},"additionalProperties":false}`, `{"x-a":"b"}`, true},
		{`{"patternProperties":{"^x-":{"type":"string"}},"additionalProperties":false}`, `{"y":"b"}`, false},
		{`{"oneOf":[{"type":"integer"},{"minimum":2}]}`, `3`, false},
		{`{"not":{"type":"string"}}`, `"a"`, false},
		{`{"if":{"const":1},"then":{"type":"string"},"else":{"type":"integer"}}`, `2`, true},
		{`{"$defs":{"p":{"type":"string"}},"items":{"$ref":"#/$defs/p"}}`, `["a", 1]`, false},
		{`false`, `null`, false},
		{`{"required":["z"],"properties":{"a":{}}}`, `{"a":1}`, false},
		{`{"pattern":"^a$"}`, `"a\n"`, false},
		{`{"format":"date-time"}`, `"1998-12-31T23:59:60Z"`, true},
		{`{"format":"date-time"}`, `"1990-12-31T15:59:59-24:00"`, false},
		{`{"format":"date"}`, `"2020-1\u0663-01"`, false},
		{`{"format":"uuid"}`, `"2eb8aa08-aa98-11ea-b4aa-73b441d16380\n"`, false},
		{`{"format":"uri"}`, `"bar,baz:foo"`, false},
		{`{"format":"email"}`, `"\"joe bloggs\"@example.com"`, true},
	}
	for _, c := range cases {
		s, err := CompileSchema([]byte(c.schema))
		if err != nil {
			t.Fatalf("%s: %v", c.schema, err)
		}
		v, p := ParseJSON([]byte(c.data))
		if p != nil {
			t.Fatalf("%s: %v", c.data, p)
		}
		if got := s.Accepts(v); got != c.valid {
			t.Errorf("%s with %s: valid=%v, want %v (%v)", c.schema, c.data, got, c.valid, s.Validate(v))
		}
	}
}

func TestDuplicateKeysAreRefused(t *testing.T) {
	for _, text := range []string{`{"a":1,"a":2}`, `[{"b":{"c":1,"c":2}}]`, `{"a":1,"\u0061":2}`} {
		if _, p := ParseJSON([]byte(text)); p == nil {
			t.Errorf("%s: accepted", text)
		}
	}
	if _, err := CompileSchema([]byte(`{"pattern":"(?!a)"}`)); err == nil {
		t.Error("a pattern RE2 refuses compiled")
	}
}
