package nf

import (
	"errors"
	"strings"
	"testing"
)

func TestCallFlowReturnsTheAnswer(t *testing.T) {
	app := NewApp("t")
	parent := TestExec()
	got, err := app.CallFlow(parent, "call", "child", "start", func(x *Exec) error {
		return x.Respond("done", 200, nil, map[string]any{"n": int64(2)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := got.(map[string]any); !ok || m["n"] != int64(2) {
		t.Fatalf("got %#v", got)
	}
	got, err = app.CallFlow(parent, "call", "child", "start", func(*Exec) error { return nil })
	if err != nil || got != nil {
		t.Fatalf("no answer: %#v, %v", got, err)
	}
	got, err = app.CallFlow(parent, "call", "child", "start", func(x *Exec) error {
		return x.Respond("empty", 204, nil, map[string]any{"ignored": true})
	})
	if err != nil || got != nil {
		t.Fatalf("204: %#v, %v", got, err)
	}
}

func TestCallFlowErrors(t *testing.T) {
	app := NewApp("t")
	parent := TestExec()
	_, err := app.CallFlow(parent, "call", "child", "start", func(*Exec) error { return errors.New("db down") })
	if ne := AsNodeError(err); ne.Code != "subflow" || !strings.Contains(ne.Message, "db down") {
		t.Fatalf("failure: %#v", ne)
	}
	_, err = app.CallFlow(parent, "call", "child", "start", func(x *Exec) error {
		return x.Respond("bad", 422, nil, map[string]any{"error": "no customer"})
	})
	if ne := AsNodeError(err); ne.Code != "subflow_status" || !strings.Contains(ne.Message, "422") || !strings.Contains(ne.Message, "no customer") {
		t.Fatalf("status: %#v", ne)
	}
}
