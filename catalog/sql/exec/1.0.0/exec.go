// Package sqlexec is the executor of sql/exec 1.0.0: a statement that changes data
// (INSERT, UPDATE, DELETE, DDL), with bound parameters.
package sqlexec

import (
	"database/sql"

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

// classify turns a driver error into the node's error (nf.SQLError: portable codes
// unique_violation, foreign_key_violation, not_null_violation, check_violation, else sql).
func classify(err error) error { return nf.SQLError(err) }
