package nf

import (
	"context"
	"database/sql"
	"testing"

	_ "nodeforge.dev/catalog/nf/sqlite/driver"
)

func TestPreparedIsMadeOncePerDatabaseAndText(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	a, err := Prepared(ctx, db, "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Prepared(ctx, db, "SELECT 1")
	c, _ := Prepared(ctx, db, "SELECT 2")
	if a != b || a == c {
		t.Fatal("one statement per database and text")
	}
	if _, err := Prepared(ctx, db, "SELEC nonsense"); err == nil {
		t.Fatal("bad SQL prepared")
	}
	ForgetPrepared(db)
	d, _ := Prepared(ctx, db, "SELECT 1")
	if d == a {
		t.Fatal("ForgetPrepared kept the statement")
	}
	var n int
	if err := d.QueryRowContext(ctx).Scan(&n); err != nil || n != 1 {
		t.Fatal(n, err)
	}
}
