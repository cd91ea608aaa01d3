package nf

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSchemaValidateLocatesEveryProblem(t *testing.T) {
	s := MustSchema(`{"type":"object","required":["sku","qty"],"additionalProperties":false,
		"properties":{"sku":{"type":"string","minLength":2},"qty":{"type":"integer","minimum":1},
		"tags":{"type":"array","items":{"enum":["a","b"]}},"email":{"type":"string","format":"email"}}}`)
	v, err := DecodeJSON([]byte(`{"sku":"x","qty":0.5,"tags":["a","c"],"email":"nope","more":1}`))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range s.Validate(v) {
		got[p.Pointer] = p.Message
	}
	want := map[string]string{
		"/sku":    "must be at least 2 characters long",
		"/qty":    "expected integer, got number",
		"/tags/1": `must be one of "a", "b"`,
		"/email":  "must be a valid email",
		"/more":   "unknown field",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
	ok, _ := DecodeJSON([]byte(`{"sku":"ab","qty":3}`))
	if !s.Accepts(ok) {
		t.Errorf("valid body rejected: %v", s.Validate(ok))
	}
}

func TestCheckBodySyntaxErrorHasLineAndColumn(t *testing.T) {
	_, bad := CheckBody([]byte("{\n  \"a\": 1,,\n}"), nil)
	if bad == nil || bad.Problems[0].Line != 2 {
		t.Fatalf("got %+v", bad)
	}
	_, bad = CheckBody([]byte(`{"a": 1`), nil)
	if bad == nil || bad.Problems[0].Line != 1 || bad.Problems[0].Column == 0 {
		t.Fatalf("truncated body: got %+v", bad)
	}
}

func TestDecodeJSONNumbers(t *testing.T) {
	v, _ := DecodeJSON([]byte(`[1, 1.5, 1e3, 9223372036854775807, 18446744073709551616]`))
	l := v.([]any)
	if l[0] != int64(1) || l[1] != 1.5 || l[2] != 1000.0 || l[3] != int64(9223372036854775807) {
		t.Fatalf("got %#v", l)
	}
	if _, ok := l[4].(float64); !ok {
		t.Fatalf("out of range integer should be a double: %#v", l[4])
	}
}

func expectEvalError(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		r := recover()
		e, ok := r.(*EvalError)
		if !ok || !strings.Contains(e.Message, want) {
			t.Fatalf("want an EvalError containing %q, got %#v", want, r)
		}
	}()
	f()
}

func TestDynamicOperations(t *testing.T) {
	if !Equal(int64(1), 1.0) || Equal(int64(1), true) || !Equal([]any{"a", int64(1)}, []any{"a", 1.0}) {
		t.Error("Equal")
	}
	if !Less(int64(1), 1.5) || Less("b", "a") || Less(1.0, nanValue()) {
		t.Error("Less")
	}
	if Arith("+", "a", "b") != "ab" || Arith("*", int64(3), 0.5) != 1.5 || Arith("%", int64(-7), int64(2)) != int64(-1) {
		t.Error("Arith")
	}
	if !In("a", []any{"b", "a"}) || In("z", map[string]any{"a": 1}) {
		t.Error("In")
	}
	if Size("héllo") != 5 || Size([]any{1, 2}) != 2 {
		t.Error("Size")
	}
	if ToString(2.5) != "2.5" || ToString(int64(42)) != "42" || ToString(nil) != "null" || FormatFloat(1e21) != "1e+21" {
		t.Error("ToString")
	}
	if Text(map[string]any{"a": []any{int64(1)}}) != `{"a":[1]}` || Text(nil) != "" {
		t.Error("Text")
	}
	expectEvalError(t, "division by zero", func() { DivInt(1, 0) })
	expectEvalError(t, "integer overflow", func() { AddInt(9223372036854775807, 1) })
	expectEvalError(t, "integer overflow", func() { MulInt(-9223372036854775808, -1) })
	expectEvalError(t, "cannot convert 'x1' to an integer", func() { ParseInt("x1") })
	expectEvalError(t, "index 3 out of range", func() { At([]int{1}, 3) })
	expectEvalError(t, "no field `b`", func() { Field(map[string]any{"a": 1}, "b") })
	if ParseInt("+12") != 12 || ParseInt("-3") != -3 || TruncInt(-2.7) != -2 {
		t.Error("ParseInt/TruncInt")
	}
	if v, ok := Try(func() any { return Field(map[string]any{}, "x") }); ok || v != nil {
		t.Error("Try should swallow a missing field")
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func TestCronNext(t *testing.T) {
	c := MustCron("0 7 * * *", "Europe/Madrid")
	from := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	next := c.Next(from)
	if next.UTC() != time.Date(2026, 3, 11, 6, 0, 0, 0, time.UTC) {
		t.Fatalf("got %v", next.UTC())
	}
	c = MustCron("*/15 9-17 * * 1-5", "UTC")
	next = c.Next(time.Date(2026, 11, 27, 17, 50, 0, 0, time.UTC)) // a Friday
	if next != time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC) {
		t.Fatalf("got %v", next)
	}
	if _, err := ParseCron("61 * * * *", ""); err == nil {
		t.Fatal("minute 61 accepted")
	}
}

func TestExecRunAnswers500WithTheExecutionID(t *testing.T) {
	app := NewApp("test")
	rec := httptest.NewRecorder()
	x := app.NewExec(context.Background(), "f", "t", HTTPResponder{W: rec})
	err := x.Run(func() error { Fail("boom %d", 1); return nil })
	if err == nil || rec.Code != 500 {
		t.Fatalf("err %v, code %d", err, rec.Code)
	}
	var body map[string]string
	json.Unmarshal(rec.Body.Bytes(), &body)
	if body["execution_id"] != x.ID || body["error"] != "internal error" || strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("body %s", rec.Body.String())
	}
	rec = httptest.NewRecorder()
	x = app.NewExec(context.Background(), "f", "t", HTTPResponder{W: rec})
	x.Run(func() error { return nil })
	if rec.Code != http.StatusNoContent {
		t.Fatalf("no respond node: code %d", rec.Code)
	}
}

func TestDoJSONClassifiesFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(200 * time.Millisecond)
		}
		if r.URL.Path == "/busy" {
			w.WriteHeader(503)
			w.Write([]byte(`{"error":{"message":"try later"}}`))
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	r, err := DoJSON(context.Background(), "GET", srv.URL+"/fine", nil, nil)
	if err != nil || r.Body.(map[string]any)["ok"] != true {
		t.Fatalf("%v %v", r, err)
	}
	_, err = DoJSON(context.Background(), "GET", srv.URL+"/busy", nil, nil)
	ne := AsNodeError(err)
	if ne.Code != "http_503" || !ne.Retryable || !strings.Contains(ne.Message, "try later") {
		t.Fatalf("%+v", ne)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = DoJSON(ctx, "GET", srv.URL+"/slow", nil, nil)
	if ne := AsNodeError(err); ne.Code != "timeout" || !ne.Retryable {
		t.Fatalf("%+v", ne)
	}
}

func TestIsEmail(t *testing.T) {
	for _, ok := range []string{"ana@example.com", "a.b+tag@sub.example.co", "x@localhost", "ñ@dominio.es"} {
		if !IsEmail(ok) {
			t.Errorf("%q rejected", ok)
		}
	}
	for _, bad := range []string{"", "ana", "@x.com", "ana@", "a..b@x.com", ".a@x.com", "a@-x.com", "a@x..com", "a b@x.com", "a@x.com.", "Ana <a@x.com>"} {
		if IsEmail(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestForEachBoundsConcurrency(t *testing.T) {
	var running, peak atomic.Int32
	seen := make([]bool, 20)
	err := ForEach(20, 3, func(i int) error {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		seen[i] = true
		running.Add(-1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if peak.Load() > 3 || peak.Load() < 2 {
		t.Fatalf("peak concurrency %d, want 2..3", peak.Load())
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("index %d not run", i)
		}
	}
}

func TestForEachStopsAtTheFirstError(t *testing.T) {
	var started atomic.Int32
	err := ForEach(100, 2, func(i int) error {
		started.Add(1)
		if i == 3 {
			return errors.New("three")
		}
		time.Sleep(time.Millisecond)
		return nil
	})
	if err == nil || err.Error() != "three" {
		t.Fatalf("err = %v", err)
	}
	if started.Load() > 10 {
		t.Fatalf("%d iterations started after the error", started.Load())
	}
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v", r)
		}
	}()
	ForEach(4, 2, func(i int) error {
		if i == 1 {
			panic("boom")
		}
		return nil
	})
}

func TestForkSharesTheAnswer(t *testing.T) {
	c := &Captured{}
	x := NewApp("t").NewExec(context.Background(), "f", "t", c)
	y := x.Fork()
	y.Respond("a", 201, nil, "first")
	x.Respond("b", 200, nil, "second")
	if c.Status != 201 || !x.Responded() || !y.Responded() {
		t.Fatalf("status %d", c.Status)
	}
}
