// Package httprequest is the executor of http/request 1.0.0: one HTTP call with a JSON
// body and a fixed 30 s timeout (1.1.0 makes it configurable and adds retries).
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
	Body    any
}

// Run makes the call.
func Run(x *nf.Exec, req Request) (nf.Reply, error) {
	ctx, cancel := context.WithTimeout(x.Context(), 30*time.Second)
	defer cancel()
	return nf.DoJSON(ctx, req.Method, req.URL, req.Headers, req.Body)
}

// Call is Run, or the node's pinned reply when the execution has one (app run --fixtures,
// flow tests): a pinned status >= 400 leaves through `error` as a live one does.
func Call(x *nf.Exec, node string, req Request) (nf.Reply, error) {
	if v, ok := x.Fixture(node); ok {
		return nf.PinnedReply(node, v, req.Method, req.URL)
	}
	return Run(x, req)
}
