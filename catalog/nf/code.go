package nf

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// RunCode runs the Run function of a code/go node. The input reaches the node's own
// Input type through JSON, as in the sandbox's node test; the call gets the node's
// deadline; a panic in the user's code becomes the node's error instead of ending the
// app. The output comes back as a JSON value, for the flow's decoder of the out port.
func RunCode[I, O any](x *Exec, node string, timeout time.Duration, input any, run func(context.Context, I) (O, error)) (any, error) {
	var in I
	data, err := json.Marshal(input)
	if err == nil {
		err = json.Unmarshal(data, &in)
	}
	if err != nil {
		return nil, NodeError{Message: "input does not match the node's input_schema: " + err.Error(), Code: "input"}
	}
	ctx, cancel := context.WithTimeout(x.Context(), timeout)
	defer cancel()
	out, err := callCode(ctx, in, run)
	if err != nil {
		if ctx.Err() != nil {
			return nil, NodeError{Message: err.Error(), Code: "timeout", Retryable: true}
		}
		if c, ok := err.(interface{ Code() string }); ok {
			return nil, NodeError{Message: err.Error(), Code: c.Code()}
		}
		return nil, err
	}
	data, err = json.Marshal(out)
	if err != nil {
		return nil, NodeError{Message: "output is not JSON: " + err.Error(), Code: "output"}
	}
	v, err := DecodeJSON(data)
	if err != nil {
		return nil, NodeError{Message: "output is not JSON: " + err.Error(), Code: "output"}
	}
	return v, nil
}

func callCode[I, O any](ctx context.Context, in I, run func(context.Context, I) (O, error)) (out O, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = NodeError{Message: fmt.Sprintf("panic: %v", r), Code: "panic"}
		}
	}()
	return run(ctx, in)
}
