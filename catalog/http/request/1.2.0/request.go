// Package httprequest is the executor of http/request 1.2.0: one HTTP call with a JSON
// body, a timeout, retries of retryable failures, and a choice of port for 4xx answers.
package httprequest

import (
	"context"
	"time"

	"nodeforge.dev/catalog/nf"
)

// Request is the call to make.
type Request struct {
	Method  string
	URL     string
	Headers map[string]string
	Body    any // nil: no body
	Timeout time.Duration
	Retries int
	// ClientErrorsOut sends a 4xx answer through `out` (client_errors "out") instead of
	// `error`.
	ClientErrorsOut bool
}

// Run makes the call; the decoded JSON body comes back as JSON values for the generated
// code to convert to the node's response_schema type.
func Run(x *nf.Exec, req Request) (nf.Reply, error) {
	reply, err := nf.Retry(x.Context(), req.Retries, func() (nf.Reply, error) {
		ctx, cancel := context.WithTimeout(x.Context(), req.Timeout)
		defer cancel()
		return nf.DoJSON(ctx, req.Method, req.URL, req.Headers, req.Body)
	})
	return req.settle(reply, err)
}

// Call is Run, or the node's pinned reply when the execution has one (app run --fixtures,
// flow tests), which takes the port a live reply with its status takes.
func Call(x *nf.Exec, node string, req Request) (nf.Reply, error) {
	if v, ok := x.Fixture(node); ok {
		reply, err := nf.PinnedReply(node, v, req.Method, req.URL)
		return req.settle(reply, err)
	}
	return Run(x, req)
}

// settle keeps a 4xx answer's error, or drops it when 4xx answers leave through `out`.
func (req Request) settle(reply nf.Reply, err error) (nf.Reply, error) {
	if err != nil && req.ClientErrorsOut && reply.Status >= 400 && reply.Status < 500 {
		return reply, nil
	}
	return reply, err
}
