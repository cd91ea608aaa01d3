package nf

import (
	"context"
	"database/sql"
	"sync"
)

type stmtKey struct {
	db    *sql.DB
	query string
}

var stmts sync.Map // stmtKey -> *sql.Stmt

// Prepared is query prepared on db, once per database and query text for the app's
// life: SQL nodes run the same few statements on every execution, and a driver
// without a statement cache of its own (the SQLite driver) would otherwise parse and
// plan the SQL on each call. database/sql prepares it again on each connection that
// runs it and drops it with the connection. A failed preparation is not kept.
func Prepared(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	key := stmtKey{db, query}
	if s, ok := stmts.Load(key); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := stmts.LoadOrStore(key, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

// ForgetPrepared closes and drops the prepared statements of db (call it before
// closing db).
func ForgetPrepared(db *sql.DB) {
	stmts.Range(func(k, v any) bool {
		if k.(stmtKey).db == db {
			stmts.Delete(k)
			v.(*sql.Stmt).Close()
		}
		return true
	})
}
