package nf

import (
	"bytes"
	"fmt"
)

// returned captures what a called flow's respond node answers.
type returned struct {
	status int
	body   any
	set    bool
}

func (r *returned) Respond(status int, _ map[string]string, body any) error {
	r.status, r.body, r.set = status, body, true
	return nil
}

// CallFlow runs flow from trigger as a sub-execution of parent, for parent's flow/subflow
// node: it shares parent's context (so its trace span nests under the node's), has its
// own execution id (its logs name parent's as parent_execution), and what its respond
// node answers is returned instead of being sent to a client: the body as a JSON value,
// nil when the flow ends without answering. A failed execution, or an answer with a
// status of 400 or more, is the node's error.
func (a *App) CallFlow(parent *Exec, node, flow, trigger string, body func(x *Exec) error) (any, error) {
	ret := &returned{}
	x := a.NewExec(parent.ctx, flow, trigger, ret)
	x.log = x.log.With("parent_execution", parent.ID, "parent_node", node)
	if x.rec != nil {
		x.rec.Parent, x.rec.ParentNode = parent.ID, node
	}
	if err := x.Run(func() error { return body(x) }); err != nil {
		return nil, NodeError{Message: fmt.Sprintf("flow %s failed: %v (execution %s)", flow, err, x.ID), Code: "subflow"}
	}
	if ret.status == 204 {
		ret.body = nil // as over HTTP: 204 carries no body
	}
	value, err := jsonValueOf(ret.body)
	if err != nil {
		return nil, NodeError{Message: fmt.Sprintf("flow %s answered a body that is not JSON: %v", flow, err), Code: "subflow"}
	}
	if ret.set && ret.status >= 400 {
		text, _ := marshalText(value)
		if len(text) > 512 {
			text = text[:512] + "..."
		}
		return nil, NodeError{Message: fmt.Sprintf("flow %s answered %d: %s", flow, ret.status, text), Code: "subflow_status"}
	}
	return value, nil
}

// jsonValueOf converts a typed Go value (a generated struct) to a JSON value without
// panicking: nil stays nil.
func jsonValueOf(v any) (any, error) {
	switch v.(type) {
	case nil, bool, int64, float64, string:
		return v, nil
	}
	text, err := marshalText(v)
	if err != nil {
		return nil, err
	}
	return DecodeJSON([]byte(text))
}

func marshalText(v any) (string, error) {
	var buf bytes.Buffer
	if err := MarshalTo(&buf, v); err != nil {
		return "", err
	}
	return string(bytes.TrimSpace(buf.Bytes())), nil
}
