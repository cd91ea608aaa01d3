//go:build !cgo

package driver

import _ "modernc.org/sqlite" // registers itself as "sqlite"

// pragma is modernc's spelling: _pragma=busy_timeout(5000) (it runs each on every new
// connection).
func pragma(name, value string) string { return "_pragma=" + name + "(" + value + ")" }
