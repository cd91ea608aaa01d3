package nf

import (
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"nodeforge.dev/catalog/nf/sqlite/driver"
)

// The same statements break the same constraints on SQLite and PostgreSQL
// (NODEFORGE_TEST_PG_DSN) and get the same portable codes.
func TestSQLCodesArePortable(t *testing.T) {
	dbs := map[string]func(t *testing.T) (*sql.DB, string){
		"sqlite": func(t *testing.T) (*sql.DB, string) {
			db, err := sql.Open("sqlite", driver.DSN(t.TempDir()+"/c.db", [][2]string{{"foreign_keys", "1"}}))
			if err != nil {
				t.Fatal(err)
			}
			return db, ""
		},
		"postgres": func(t *testing.T) (*sql.DB, string) {
			dsn := os.Getenv("NODEFORGE_TEST_PG_DSN")
			if dsn == "" {
				t.Skip("NODEFORGE_TEST_PG_DSN is not set")
			}
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			schema := fmt.Sprintf("nf_sqlerr_%d", time.Now().UnixNano())
			if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
				t.Skip("PostgreSQL not reachable: ", err)
			}
			t.Cleanup(func() { db.Exec("DROP SCHEMA " + schema + " CASCADE") })
			return db, schema + "."
		},
	}
	for name, open := range dbs {
		t.Run(name, func(t *testing.T) {
			db, s := open(t)
			defer db.Close()
			db.SetMaxOpenConns(1)
			for _, stmt := range []string{
				"CREATE TABLE " + s + "parent (id INTEGER PRIMARY KEY)",
				"CREATE TABLE " + s + "child (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, qty INTEGER CHECK (qty > 0), parent INTEGER REFERENCES " + s + "parent(id))",
				"INSERT INTO " + s + "parent (id) VALUES (1)",
				"INSERT INTO " + s + "child (id, sku, qty, parent) VALUES (1, 'a', 1, 1)",
			} {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatal(stmt, err)
				}
			}
			cases := map[string]string{
				"INSERT INTO " + s + "child (id, sku, qty) VALUES (2, 'a', 1)":            SQLUniqueViolation,
				"INSERT INTO " + s + "child (id, sku, qty) VALUES (1, 'b', 1)":            SQLUniqueViolation,
				"INSERT INTO " + s + "child (id, sku, qty, parent) VALUES (3, 'c', 1, 9)": SQLForeignKeyViolation,
				"INSERT INTO " + s + "child (id, sku, qty) VALUES (4, NULL, 1)":           SQLNotNullViolation,
				"INSERT INTO " + s + "child (id, sku, qty) VALUES (5, 'e', 0)":            SQLCheckViolation,
				"INSERT INTO " + s + "nowhere (id) VALUES (1)":                            SQLOther,
			}
			for stmt, want := range cases {
				_, err := db.Exec(stmt)
				if err == nil {
					t.Fatalf("%s: no error", stmt)
				}
				ne := AsNodeError(SQLError(err))
				if ne.Code != want {
					t.Errorf("%s: code %q, want %q (%v)", stmt, ne.Code, want, err)
				}
			}
		})
	}
}
