package nf

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

func fixtureExec(t *testing.T, fixtures string) *Exec {
	t.Helper()
	var f map[string]json.RawMessage
	if err := json.Unmarshal([]byte(fixtures), &f); err != nil {
		t.Fatal(err)
	}
	x := NewApp("t").NewExec(context.Background(), "f", "t", &Captured{})
	x.WithFixtures(f)
	return x
}

// evalPanic runs f and returns the message of the expression error it panics with.
func evalPanic(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*EvalError); ok {
				msg = e.Message
				return
			}
			panic(r)
		}
	}()
	f()
	return ""
}

func TestFixtureSequenceOneResponsePerCall(t *testing.T) {
	x := fixtureExec(t, `{"a": {"$sequence": [{"n": 1}, {"n": 2}]}, "b": {"n": 9}, "c": {"$sequence": 3, "x": 1}}`)
	for want := 1; want <= 2; want++ {
		v, ok := x.Fixture("a")
		if !ok || v.(map[string]any)["n"] != int64(want) {
			t.Fatalf("call %d: got %v", want, v)
		}
	}
	msg := evalPanic(func() { x.Fixture("a") })
	if msg != "fixture of node a: call 3, but its $sequence has 2 responses" {
		t.Fatalf("past the end: %q", msg)
	}
	// A plain value answers every call; an object with other keys is a plain value.
	for i := 0; i < 3; i++ {
		if v, _ := x.Fixture("b"); v.(map[string]any)["n"] != int64(9) {
			t.Fatalf("plain fixture: %v", v)
		}
	}
	if v, _ := x.Fixture("c"); v.(map[string]any)["x"] != int64(1) {
		t.Fatalf("object with $sequence and another key: %v", v)
	}
	if _, ok := x.Fixture("none"); ok {
		t.Fatal("no fixture for node none")
	}
}

func TestFixtureSequenceSharedByForks(t *testing.T) {
	x := fixtureExec(t, `{"a": {"$sequence": [1, 2, 3, 4]}}`)
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int64]bool{}
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _ := x.Fork().Fixture("a")
			mu.Lock()
			seen[v.(int64)] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(seen) != 4 {
		t.Fatalf("each fork call takes its own response: %v", seen)
	}
}

func TestCheckFixtures(t *testing.T) {
	cases := map[string]string{
		`{"a": 1, "b": {"$sequence": [1]}}`:          "",
		`{"b": {"$sequence": []}}`:                   "fixture of node `b`: `$sequence` is empty: give one response per call",
		`{"b": {"$sequence": {"x": 1}}}`:             "fixture of node `b`: `$sequence` must be a list of responses",
		`{"b": {"$sequence": null}}`:                 "fixture of node `b`: `$sequence` must be a list of responses",
		`{"b": {"$sequence": [{"$sequence": [1]}]}}`: "fixture of node `b`: a response of `$sequence` cannot be a `$sequence` itself",
	}
	for in, want := range cases {
		var f map[string]json.RawMessage
		if err := json.Unmarshal([]byte(in), &f); err != nil {
			t.Fatal(err)
		}
		err := CheckFixtures(f)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", in, got, want)
		}
		if want != "" && !strings.HasPrefix(got, "fixture of node") {
			t.Errorf("%s: unlocated error %q", in, got)
		}
	}
}
