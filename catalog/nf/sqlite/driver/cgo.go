//go:build cgo

package driver

import (
	"database/sql"

	sqlite3 "github.com/mattn/go-sqlite3"
)

func init() { sql.Register("sqlite", &sqlite3.SQLiteDriver{}) }

// pragma is go-sqlite3's spelling: _busy_timeout=5000 (it runs each on every new
// connection).
func pragma(name, value string) string { return "_" + name + "=" + value }
