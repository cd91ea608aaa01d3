// Package httprequest is the executor of http/request 1.1.0: one HTTP call with a JSON
// body, a timeout and retries of retryable failures.
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
}

// Run makes the call; the decoded JSON body comes back as JSON values for the generated
// code to convert to the node's response_schema type.
func Run(x *nf.Exec, req Request) (nf.Reply, error) {
	return nf.Retry(x.Context(), req.Retries, func() (nf.Reply, error) {
		ctx, cancel := context.WithTimeout(x.Context(), req.Timeout)
		defer cancel()
		return nf.DoJSON(ctx, req.Method, req.URL, req.Headers, req.Body)
	})
}

// Call is Run, or the node's pinned reply when the execution has one (app run --fixtures,
// flow tests): a pinned status >= 400 leaves through `error` as a live one does.
func Call(x *nf.Exec, node string, req Request) (nf.Reply, error) {
	if v, ok := x.Fixture(node); ok {
		return nf.PinnedReply(node, v, req.Method, req.URL)
	}
	return Run(x, req)
}
