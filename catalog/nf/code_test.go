package nf

import (
	"context"
	"errors"
	"testing"
	"time"
)

type codeIn struct {
	Name string `json:"name"`
}

type codeOut struct {
	Greeting string `json:"greeting"`
}

func TestRunCodeConvertsThroughJSON(t *testing.T) {
	x := TestExec()
	out, err := RunCode(x, "n", time.Second, map[string]any{"name": "Ada"}, func(_ context.Context, in codeIn) (codeOut, error) {
		return codeOut{Greeting: "hi " + in.Name}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := out.(map[string]any); !ok || m["greeting"] != "hi Ada" {
		t.Fatalf("out = %#v", out)
	}
}

func TestRunCodeErrors(t *testing.T) {
	x := TestExec()
	cases := []struct {
		name string
		run  func(context.Context, codeIn) (codeOut, error)
		code string
	}{
		{"plain error", func(context.Context, codeIn) (codeOut, error) { return codeOut{}, errors.New("no") }, "internal"},
		{"panic", func(context.Context, codeIn) (codeOut, error) { panic("boom") }, "panic"},
		{"timeout", func(ctx context.Context, _ codeIn) (codeOut, error) { <-ctx.Done(); return codeOut{}, ctx.Err() }, "timeout"},
	}
	for _, c := range cases {
		_, err := RunCode(x, "n", 20*time.Millisecond, map[string]any{}, c.run)
		if got := AsNodeError(err).Code; got != c.code {
			t.Errorf("%s: code %q, want %q (%v)", c.name, got, c.code, err)
		}
	}
	_, err := RunCode(x, "n", time.Second, map[string]any{"name": 3}, func(context.Context, codeIn) (codeOut, error) { return codeOut{}, nil })
	if AsNodeError(err).Code != "input" {
		t.Errorf("bad input: %v", err)
	}
}
