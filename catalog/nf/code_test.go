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

func TestCallCodeTyped(t *testing.T) {
	x := TestExec()
	out, err := CallCode(x, time.Second, codeIn{Name: "Ada"}, func(ctx context.Context, in codeIn) (codeOut, error) {
		if d, ok := ctx.Deadline(); !ok || time.Until(d) > time.Second {
			t.Errorf("deadline %v %v", d, ok)
		}
		return codeOut{Greeting: "hi " + in.Name}, nil
	})
	if err != nil || out.Greeting != "hi Ada" {
		t.Fatalf("%#v %v", out, err)
	}
}

type codedErr struct{}

func (codedErr) Error() string { return "out of stock" }
func (codedErr) Code() string  { return "stock" }

func TestCallCodeErrors(t *testing.T) {
	x := TestExec()
	cases := []struct {
		name string
		run  func(context.Context, codeIn) (codeOut, error)
		code string
	}{
		{"plain error", func(context.Context, codeIn) (codeOut, error) { return codeOut{}, errors.New("no") }, "internal"},
		{"coded error", func(context.Context, codeIn) (codeOut, error) { return codeOut{}, codedErr{} }, "stock"},
		{"panic", func(context.Context, codeIn) (codeOut, error) {
			var m map[string]int
			m["x"] = 1
			return codeOut{}, nil
		}, "panic"},
		{"waits on its context", func(ctx context.Context, _ codeIn) (codeOut, error) { <-ctx.Done(); return codeOut{}, ctx.Err() }, "timeout"},
		{"sleeps past the timeout, ignoring its context", func(context.Context, codeIn) (codeOut, error) {
			time.Sleep(40 * time.Millisecond)
			return codeOut{Greeting: "late"}, nil
		}, "timeout"},
		{"checks Err after the deadline", func(ctx context.Context, _ codeIn) (codeOut, error) {
			time.Sleep(40 * time.Millisecond)
			return codeOut{}, ctx.Err()
		}, "timeout"},
	}
	for _, c := range cases {
		out, err := CallCode(x, 20*time.Millisecond, codeIn{}, c.run)
		ne := AsNodeError(err)
		if ne.Code != c.code {
			t.Errorf("%s: code %q, want %q (%v)", c.name, ne.Code, c.code, err)
		}
		if out != (codeOut{}) {
			t.Errorf("%s: output %v kept after an error", c.name, out)
		}
		if c.code == "timeout" && !ne.Retryable {
			t.Errorf("%s: a timeout is retryable", c.name)
		}
	}
}

func TestCallCodeContextIsCancelledAfterRun(t *testing.T) {
	x := TestExec()
	var kept context.Context
	_, err := CallCode(x, time.Minute, codeIn{}, func(ctx context.Context, _ codeIn) (codeOut, error) {
		kept = ctx
		if ctx.Err() != nil {
			t.Error("cancelled too early")
		}
		return codeOut{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-kept.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a goroutine left behind is never told the node ended")
	}
	if !errors.Is(kept.Err(), context.Canceled) {
		t.Fatalf("err %v", kept.Err())
	}
}

func TestCallCodeArmsNoTimerUnlessAsked(t *testing.T) {
	x := TestExec()
	run := func(_ context.Context, in codeIn) (codeOut, error) { return codeOut{Greeting: in.Name}, nil }
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = CallCode(x, time.Second, codeIn{Name: "a"}, run)
	})
	if allocs > 1 {
		t.Fatalf("%.0f allocations per call, want at most 1 (the node's context)", allocs)
	}
}
