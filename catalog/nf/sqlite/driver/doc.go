// Package driver registers a SQLite driver as "sqlite" and spells its data source names.
//
// Two drivers, chosen at build time, behind one name and one DSN:
//
//   - with cgo (the default build when a C compiler and a static C library are present):
//     SQLite's own C code (github.com/mattn/go-sqlite3), compiled with -Os and linked
//     statically. It is 2.3 MB smaller than the pure-Go driver and faster.
//   - without cgo (CGO_ENABLED=0): the pure-Go driver (modernc.org/sqlite), which is
//     SQLite's C code transpiled to Go with every extension of the amalgamation.
//
// Both open the same files, return the same Go types for the same column types (int64,
// float64, string, []byte; time.Time for columns declared DATE, DATETIME or TIMESTAMP)
// and carry the same error messages, which nf.SQLCode reads.
package driver

import "strings"

// DSN is a file URI with the pragmas every new connection runs, spelled for this build's
// driver.
func DSN(path string, pragmas [][2]string) string {
	var b strings.Builder
	b.WriteString("file:")
	b.WriteString(path)
	for i, p := range pragmas {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(pragma(p[0], p[1]))
	}
	return b.String()
}
