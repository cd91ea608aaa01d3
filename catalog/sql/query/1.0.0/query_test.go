package sqlquery

import (
	"database/sql"
	"testing"

	"nodeforge.dev/catalog/nf"
	_ "nodeforge.dev/catalog/nf/sqlite"
)

type row struct {
	ID   int64
	SKU  string
	Note *string
}

func dest(r *row, cols []string) []any {
	out := make([]any, len(cols))
	for i, c := range cols {
		switch c {
		case "id":
			out[i] = &r.ID
		case "sku":
			out[i] = &r.SKU
		case "note":
			out[i] = &r.Note
		default:
			out[i] = nf.Discard
		}
	}
	return out
}

func open(t *testing.T) *sql.DB {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	_, err = db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, sku TEXT, note TEXT, extra TEXT);
		INSERT INTO t (sku, note, extra) VALUES ('a', NULL, 'x'), ('b', 'hi', 'y');`)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestRunScansTypedRowsWithBoundParameters(t *testing.T) {
	db := open(t)
	rows, err := Run(nf.TestExec(), db, "SELECT * FROM t WHERE sku <> ? ORDER BY id", []any{"'; DROP TABLE t; --"}, dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].SKU != "a" || rows[0].Note != nil || *rows[1].Note != "hi" {
		t.Fatalf("%+v", rows)
	}
}

func TestRunMapsErrorsToNodeErrors(t *testing.T) {
	_, err := Run(nf.TestExec(), open(t), "SELECT nope FROM t", nil, dest)
	if ne := nf.AsNodeError(err); ne.Code != "sql" || ne.Message == "" {
		t.Fatalf("%+v", ne)
	}
}

func TestMapDest(t *testing.T) {
	rows, err := Run(nf.TestExec(), open(t), "SELECT id, sku FROM t ORDER BY id", nil, MapDest)
	if err != nil || len(rows) != 2 || rows[1]["sku"] != "b" || rows[1]["id"] != int64(2) {
		t.Fatalf("%v %v", rows, err)
	}
}
