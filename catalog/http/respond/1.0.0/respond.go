// Package httprespond is the executor of http/respond 1.0.0: it answers the HTTP request
// that started the execution.
package httprespond

import "nodeforge.dev/catalog/nf"

// Run answers with status, headers and body encoded as JSON. Only the first respond node
// of an execution answers; later ones are logged and ignored.
func Run(x *nf.Exec, node string, status int, headers map[string]string, body any) error {
	return x.Respond(node, status, headers, body)
}
