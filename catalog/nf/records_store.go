package nf

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// The record store: one table, the same on SQLite and PostgreSQL (times are Unix
// microseconds, values JSON text). `nodeforge runs` reads it.
//
//	nf_executions  one row per execution; its node logs are the JSON array `nodes`
//	               (one object per node run, in the order nodes started)
//
// Version 1 kept the node logs in a table of their own, nf_node_logs (one row per node
// run): a store of version 1 gets the `nodes` column, and its old node logs stay where
// they are (`nodeforge runs` reads them there; retention deletes them with their
// executions).

// RecordsSchemaVersion is the version of the tables below (nf_records_meta).
const RecordsSchemaVersion = 2

var recordsSchema = []string{
	`CREATE TABLE IF NOT EXISTS nf_records_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS nf_executions (
	id TEXT PRIMARY KEY,
	app TEXT NOT NULL,
	flow TEXT NOT NULL,
	flow_version TEXT NOT NULL,
	trigger_node TEXT NOT NULL,
	trigger_type TEXT NOT NULL,
	trigger_info TEXT NOT NULL,
	status TEXT NOT NULL,
	started_us BIGINT NOT NULL,
	ended_us BIGINT NOT NULL,
	duration_us BIGINT NOT NULL,
	input TEXT NOT NULL,
	output TEXT NOT NULL,
	error TEXT NOT NULL,
	error_node TEXT NOT NULL,
	error_code TEXT NOT NULL,
	trace_id TEXT NOT NULL,
	parent_id TEXT NOT NULL,
	parent_node TEXT NOT NULL,
	nodes TEXT NOT NULL DEFAULT '[]'
)`,
	`CREATE INDEX IF NOT EXISTS nf_executions_flow ON nf_executions (flow, started_us)`,
	`CREATE INDEX IF NOT EXISTS nf_executions_started ON nf_executions (started_us)`,
}

type recordStore interface {
	write(rows []recordRow) error
	prune(before time.Time, keep int) error
	close()
}

type sqlRecordStore struct {
	db       *sql.DB
	postgres bool
	own      bool // opened here (the default file), closed here
	app      string
	legacy   bool      // nf_node_logs of version 1 is there
	insert   *sql.Stmt // one execution
	insertN  *sql.Stmt // insertRows executions
}

// insertRows is how many executions one INSERT of a batch writes (the rest of a batch
// goes one by one): fewer statements, less of the driver's work per execution.
const insertRows = 8

// insertSQL is the INSERT of n executions.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO nf_executions (id, app, flow, flow_version, trigger_node, trigger_type, trigger_info, status, started_us, ended_us, duration_us, input, output, error, error_node, error_code, trace_id, parent_id, parent_node, nodes)
VALUES `)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	}
	b.WriteString(` ON CONFLICT (id) DO NOTHING`)
	return b.String()
}

// recordsPath is the default SQLite file: NODEFORGE_RECORDS_PATH, else records.db
// beside the first SQLite connector's file (the app's data), else
// <user cache dir>/nodeforge/<app>/records.db (never the working directory, which may
// be anyone's checkout).
func recordsPath(app string) string {
	if p := os.Getenv("NODEFORGE_RECORDS_PATH"); p != "" {
		return p
	}
	var found []string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "NODEFORGE_CONNECTOR_") && strings.HasSuffix(k, "_PATH") && v != "" {
			found = append(found, v)
		}
	}
	if len(found) > 0 {
		return filepath.Join(filepath.Dir(minString(found)), "records.db")
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "nodeforge", app)
	os.MkdirAll(dir, 0o700)
	return filepath.Join(dir, "records.db")
}

func minString(s []string) string {
	m := s[0]
	for _, v := range s[1:] {
		m = min(m, v)
	}
	return m
}

// openRecordsFile opens the app's own records file: WAL (`nodeforge runs` reads beside
// the writer) with synchronous=NORMAL (a commit is not synced to disk until the next
// checkpoint: a power loss may lose the last records, never corrupt the file) and one
// connection (one writer).
func openRecordsFile(path string) (*sql.DB, error) {
	dsn := SQLiteDSN(path, [][2]string{{"busy_timeout", "5000"}, {"journal_mode", "WAL"}, {"synchronous", "NORMAL"}})
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

func openRecordStore(a *App, c RecordsConfig) (recordStore, error) {
	s := &sqlRecordStore{app: a.Name}
	switch {
	case c.Connector == "":
		db, err := openRecordsFile(recordsPath(a.Name))
		if err != nil {
			return nil, err
		}
		s.db, s.own = db, true
	case c.Kind == "postgres" || c.Kind == "sqlite":
		db, err := a.DB(c.Connector, c.Kind)
		if err != nil {
			return nil, err
		}
		s.db, s.postgres = db, c.Kind == "postgres"
	default:
		return nil, fmt.Errorf("records: connector %s is a %s connector, not sqlite or postgres", c.Connector, c.Kind)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, stmt := range recordsSchema {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			s.close()
			return nil, fmt.Errorf("records: creating the tables: %w", err)
		}
	}
	if _, err := s.db.ExecContext(ctx, s.bind(`INSERT INTO nf_records_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
		"schema_version", fmt.Sprint(RecordsSchemaVersion)); err != nil {
		s.close()
		return nil, fmt.Errorf("records: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.close()
		return nil, fmt.Errorf("records: %w", err)
	}
	var err error
	s.insert, err = s.db.PrepareContext(ctx, s.bind(insertSQL(1)))
	if err == nil {
		s.insertN, err = s.db.PrepareContext(ctx, s.bind(insertSQL(insertRows)))
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("records: %w", err)
	}
	return s, nil
}

// bind rewrites ? placeholders to $n for PostgreSQL.
func (s *sqlRecordStore) bind(q string) string {
	if !s.postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// migrate brings a store of version 1 to this version: the `nodes` column is added, and
// the old nf_node_logs table is kept for the records already in it.
func (s *sqlRecordStore) migrate(ctx context.Context) error {
	var n int
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'nf_node_logs'`
	if s.postgres {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'nf_node_logs'`
	}
	if err := s.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return err
	}
	if s.legacy = n > 0; !s.legacy {
		return nil
	}
	q = `SELECT count(*) FROM pragma_table_info('nf_executions') WHERE name = 'nodes'`
	if s.postgres {
		q = `SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'nf_executions' AND column_name = 'nodes'`
	}
	if err := s.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := s.db.ExecContext(ctx, `ALTER TABLE nf_executions ADD COLUMN nodes TEXT NOT NULL DEFAULT '[]'`); err != nil {
			return err
		}
	}
	return nil
}

// write inserts rows in one transaction (insertRows executions a statement, the rest one
// by one; statements prepared once).
func (s *sqlRecordStore) write(rows []recordRow) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	insert, insertN := tx.StmtContext(ctx, s.insert), tx.StmtContext(ctx, s.insertN)
	args := make([]any, 0, 20*insertRows)
	for len(rows) > 0 {
		n, stmt := 1, insert
		if len(rows) >= insertRows {
			n, stmt = insertRows, insertN
		}
		args = args[:0]
		for i := range rows[:n] {
			r := &rows[i]
			args = append(args, r.ID, s.app, r.Flow, r.Version, r.Trigger, r.TriggerType, r.TriggerInfo, r.Status,
				r.Started, r.Ended, r.Duration, r.Input, r.Output, r.Error, r.ErrorNode, r.ErrorCode, r.TraceID, r.Parent, r.ParentNode, r.Nodes)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
		rows = rows[n:]
		runtime.Gosched() // requests waiting for a processor go first
	}
	clear(args)
	return tx.Commit()
}

// prune deletes executions that started before before (zero: none by age) and all but
// the newest keep (0: no count limit), with their node logs.
func (s *sqlRecordStore) prune(before time.Time, keep int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if !before.IsZero() {
		if err := s.deleteWhere(ctx, `started_us < ?`, before.UnixMicro()); err != nil {
			return err
		}
	}
	if keep > 0 {
		var cutoff int64
		err := s.db.QueryRowContext(ctx, s.bind(`SELECT started_us FROM nf_executions ORDER BY started_us DESC LIMIT 1 OFFSET ?`), keep).Scan(&cutoff)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		return s.deleteWhere(ctx, `started_us <= ?`, cutoff)
	}
	return nil
}

func (s *sqlRecordStore) deleteWhere(ctx context.Context, cond string, arg any) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.legacy {
		if _, err := tx.ExecContext(ctx, s.bind(`DELETE FROM nf_node_logs WHERE execution_id IN (SELECT id FROM nf_executions WHERE `+cond+`)`), arg); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, s.bind(`DELETE FROM nf_executions WHERE `+cond), arg); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqlRecordStore) close() {
	if s.insert != nil {
		s.insert.Close()
	}
	if s.insertN != nil {
		s.insertN.Close()
	}
	if s.own {
		s.db.Close()
	}
}
