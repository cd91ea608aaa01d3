package sqlexec

import (
	"database/sql"
	"sync"
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
	if ne := nf.AsNodeError(err); ne.Code != "unique_violation" {
		t.Fatalf("%+v", ne)
	}
	n, err = Run(x, db, "UPDATE t SET v = v + 1", nil)
	if err != nil || n != 2 {
		t.Fatalf("%d %v", n, err)
	}
}

func TestConcurrentWritesThroughTheWritePoolAllLand(t *testing.T) {
	path := t.TempDir() + "/w.db"
	t.Setenv("NODEFORGE_CONNECTOR_W_PATH", path)
	app := nf.NewApp("t")
	defer app.Close()
	reads, err := app.DB("w", "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reads.Exec(`CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	writes, err := app.WriteDB("w", "sqlite")
	if err != nil || writes == reads {
		t.Fatalf("write pool: %v (same as reads: %v)", err, writes == reads)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := Run(nf.TestExec(), writes, "INSERT INTO t (n) VALUES (?)", []any{int64(i)}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var count int
	if err := reads.QueryRow(`SELECT count(*) FROM t`).Scan(&count); err != nil || count != 64 {
		t.Fatalf("count %d, %v", count, err)
	}
	if again, _ := app.WriteDB("w", "sqlite"); again != writes {
		t.Fatal("WriteDB opened a second pool")
	}
}
