// Package sqlexec is the executor of sql/exec 1.0.0: a statement that changes data
// (INSERT, UPDATE, DELETE, DDL), with bound parameters.
package sqlexec

import (
	"database/sql"
	"strings"

	"nodeforge.dev/catalog/nf"
)

// Run executes statement with args (always bound, never spliced into the SQL) and returns
// the number of rows it changed.
func Run(x *nf.Exec, db *sql.DB, statement string, args []any) (int64, error) {
	var res sql.Result
	var err error
	if len(args) == 0 {
		// Without parameters the text may be a script of several statements, which a
		// PostgreSQL prepared statement cannot hold: run it as it is.
		res, err = db.ExecContext(x.Context(), statement)
	} else {
		var stmt *sql.Stmt
		if stmt, err = nf.Prepared(x.Context(), db, statement); err == nil {
			res, err = stmt.ExecContext(x.Context(), args...)
		}
	}
	if err != nil {
		return 0, classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, classify(err)
	}
	return n, nil
}

func classify(err error) error {
	msg := err.Error()
	retryable := false
	for _, s := range []string{"database is locked", "SQLITE_BUSY", "connection refused", "connection reset", "broken pipe", "too many clients", "deadlock"} {
		if strings.Contains(msg, s) {
			retryable = true
		}
	}
	code := "sql"
	if strings.Contains(msg, "UNIQUE constraint") || strings.Contains(msg, "duplicate key") {
		code = "conflict"
	}
	return nf.NodeError{Message: msg, Code: code, Retryable: retryable}
}
