// Package sqlite links a SQLite driver (see package driver: C SQLite with cgo, pure Go
// without) into an app; generated apps import it when a flow uses a sqlite connector or
// keeps its execution records in SQLite.
package sqlite

import (
	"nodeforge.dev/catalog/nf"
	"nodeforge.dev/catalog/nf/sqlite/driver"
)

func init() { nf.SQLiteDSN = driver.DSN }
