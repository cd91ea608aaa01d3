package sqlexec

import (
	"database/sql"
	"testing"

	"nodeforge.dev/catalog/nf"
	_ "nodeforge.dev/catalog/nf/sqlite"
)

func TestRunReportsRowsAffectedAndConflicts(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	x := nf.TestExec()
	n, err := Run(x, db, "INSERT INTO t (k, v) VALUES (?, ?), (?, ?)", []any{"a", int64(1), "b", int64(2)})
	if err != nil || n != 2 {
		t.Fatalf("%d %v", n, err)
	}
	_, err = Run(x, db, "INSERT INTO t (k, v) VALUES (?, ?)", []any{"a", int64(3)})
	if ne := nf.AsNodeError(err); ne.Code != "conflict" {
		t.Fatalf("%+v", ne)
	}
	n, err = Run(x, db, "UPDATE t SET v = v + 1", nil)
	if err != nil || n != 2 {
		t.Fatalf("%d %v", n, err)
	}
}
