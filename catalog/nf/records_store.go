package nf

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The record store: two tables, the same on SQLite and PostgreSQL (times are Unix
// microseconds, values JSON text). `nodeforge runs` reads them.
//
//	nf_executions  one row per execution
//	nf_node_logs   one row per node run, (execution_id, seq) in the order nodes started

// RecordsSchemaVersion is the version of the tables below (nf_records_meta).
const RecordsSchemaVersion = 1

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
	parent_node TEXT NOT NULL
)`,
	`CREATE INDEX IF NOT EXISTS nf_executions_flow ON nf_executions (flow, started_us)`,
	`CREATE INDEX IF NOT EXISTS nf_executions_started ON nf_executions (started_us)`,
	`CREATE TABLE IF NOT EXISTS nf_node_logs (
	execution_id TEXT NOT NULL,
	seq INTEGER NOT NULL,
	node TEXT NOT NULL,
	node_type TEXT NOT NULL,
	node_version TEXT NOT NULL,
	started_us BIGINT NOT NULL,
	duration_us BIGINT NOT NULL,
	level TEXT NOT NULL,
	message TEXT NOT NULL,
	port TEXT NOT NULL,
	input TEXT NOT NULL,
	output TEXT NOT NULL,
	PRIMARY KEY (execution_id, seq)
)`,
}

type recordStore interface {
	write(batch []*execRecord) error
	prune(before time.Time, keep int) error
	close()
}

type sqlRecordStore struct {
	db       *sql.DB
	postgres bool
	own      bool // opened here (the default file), closed here
	app      string
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

func openRecordStore(a *App, c RecordsConfig) (recordStore, error) {
	s := &sqlRecordStore{app: a.Name}
	switch {
	case c.Connector == "":
		db, err := openSQLite(recordsPath(a.Name))
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1) // one writer; `nodeforge runs` reads beside it (WAL)
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

func (s *sqlRecordStore) write(batch []*execRecord) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	upsert, err := tx.PrepareContext(ctx, s.bind(`INSERT INTO nf_executions (id, app, flow, flow_version, trigger_node, trigger_type, trigger_info, status, started_us, ended_us, duration_us, input, output, error, error_node, error_code, trace_id, parent_id, parent_node)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET status = excluded.status, ended_us = excluded.ended_us, duration_us = excluded.duration_us,
input = excluded.input, output = excluded.output, error = excluded.error, error_node = excluded.error_node, error_code = excluded.error_code, trigger_type = excluded.trigger_type`))
	if err != nil {
		return err
	}
	defer upsert.Close()
	insertLog, err := tx.PrepareContext(ctx, s.bind(`INSERT INTO nf_node_logs (execution_id, seq, node, node_type, node_version, started_us, duration_us, level, message, port, input, output)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (execution_id, seq) DO UPDATE SET duration_us = excluded.duration_us, level = excluded.level,
message = excluded.message, port = excluded.port, output = excluded.output`))
	if err != nil {
		return err
	}
	defer insertLog.Close()
	seen := make(map[*execRecord]bool, len(batch))
	for i := len(batch) - 1; i >= 0; i-- { // a record queued twice (start, end) is written once
		r := batch[i]
		if seen[r] {
			continue
		}
		seen[r] = true
		r.mu.Lock()
		info := string(AppendAny(nil, r.TriggerInfo))
		var ended, took int64
		if !r.Ended.IsZero() {
			ended, took = r.Ended.UnixMicro(), r.Ended.Sub(r.Started).Microseconds()
		}
		input := r.Input
		if input == "" {
			input = "null"
		}
		output := r.Output
		if output == "" {
			output = "null"
		}
		_, err := upsert.ExecContext(ctx, r.ID, s.app, r.Flow, r.Version, r.Trigger, r.TriggerType, info, r.Status,
			r.Started.UnixMicro(), ended, took, input, output, r.Error, r.ErrorNode, r.ErrorCode, r.TraceID, r.Parent, r.ParentNode)
		if err == nil {
			for _, l := range r.Nodes {
				in, out := l.Input, l.Output
				if in == "" {
					in = "null"
				}
				if out == "" {
					out = "null"
				}
				if _, err = insertLog.ExecContext(ctx, r.ID, l.Seq, l.Node, l.Type, l.Version, l.Started.UnixMicro(),
					l.Duration.Microseconds(), l.Level, l.Message, l.Port, in, out); err != nil {
					break
				}
			}
		}
		r.mu.Unlock()
		if err != nil {
			return err
		}
	}
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
	if _, err := tx.ExecContext(ctx, s.bind(`DELETE FROM nf_node_logs WHERE execution_id IN (SELECT id FROM nf_executions WHERE `+cond+`)`), arg); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.bind(`DELETE FROM nf_executions WHERE `+cond), arg); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqlRecordStore) close() {
	if s.own {
		s.db.Close()
	}
}
