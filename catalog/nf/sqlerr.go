package nf

import (
	"errors"
	"strings"
)

// SQL error codes of the sql kits (sql/exec, sql/query): the same on SQLite and
// PostgreSQL, so that a flow can answer 409 on a duplicate without reading messages.
const (
	SQLUniqueViolation     = "unique_violation"      // PostgreSQL 23505; SQLite UNIQUE or PRIMARY KEY
	SQLForeignKeyViolation = "foreign_key_violation" // 23503; SQLite FOREIGN KEY
	SQLNotNullViolation    = "not_null_violation"    // 23502; SQLite NOT NULL
	SQLCheckViolation      = "check_violation"       // 23514; SQLite CHECK
	SQLOther               = "sql"                   // any other database error
)

var sqlStates = map[string]string{
	"23505": SQLUniqueViolation,
	"23503": SQLForeignKeyViolation,
	"23502": SQLNotNullViolation,
	"23514": SQLCheckViolation,
}

// SQLite's extended result codes of constraint failures.
var sqliteCodes = map[int]string{
	2067: SQLUniqueViolation, // SQLITE_CONSTRAINT_UNIQUE
	1555: SQLUniqueViolation, // SQLITE_CONSTRAINT_PRIMARYKEY
	787:  SQLForeignKeyViolation,
	1299: SQLNotNullViolation,
	275:  SQLCheckViolation,
}

var sqliteMessages = []struct{ text, code string }{
	{"UNIQUE constraint failed", SQLUniqueViolation},
	{"FOREIGN KEY constraint failed", SQLForeignKeyViolation},
	{"NOT NULL constraint failed", SQLNotNullViolation},
	{"CHECK constraint failed", SQLCheckViolation},
}

var retryableSQL = []string{"database is locked", "SQLITE_BUSY", "connection refused", "connection reset", "broken pipe", "too many clients", "deadlock"}

// SQLCode is the portable code of a database error (see the SQL* constants): from
// PostgreSQL's SQLSTATE, SQLite's extended result code, or SQLite's message.
func SQLCode(err error) string {
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		if code, ok := sqlStates[pg.SQLState()]; ok {
			return code
		}
		return SQLOther
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		if code, ok := sqliteCodes[lite.Code()]; ok {
			return code
		}
	}
	msg := err.Error()
	for _, m := range sqliteMessages {
		if strings.Contains(msg, m.text) {
			return m.code
		}
	}
	return SQLOther
}

// SQLError is the node error of a database error: its portable code (SQLCode), and
// retryable for lock and connection errors.
func SQLError(err error) error {
	msg := err.Error()
	retryable := false
	for _, s := range retryableSQL {
		if strings.Contains(msg, s) {
			retryable = true
		}
	}
	return NodeError{Message: msg, Code: SQLCode(err), Retryable: retryable}
}
