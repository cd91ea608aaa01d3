// Package sqlquery is the executor of sql/query 1.0.0: a read query whose rows are scanned
// into the typed rows the flow's row_schema describes.
package sqlquery

import (
	"database/sql"
	"fmt"

	"nodeforge.dev/catalog/nf"
)

// MaxRows bounds the rows one query reads; past it the node fails (code "too_many_rows").
const MaxRows = 100_000

// Run runs query with args (always bound parameters, never spliced into the SQL) and
// scans each row into a Row through dest, which returns the scan targets of the row's
// fields for the result's column names.
func Run[Row any](x *nf.Exec, db *sql.DB, query string, args []any, dest func(row *Row, cols []string) []any) ([]Row, error) {
	stmt, err := nf.Prepared(x.Context(), db, query)
	if err != nil {
		return nil, Classify(err)
	}
	rows, err := stmt.QueryContext(x.Context(), args...)
	if err != nil {
		return nil, Classify(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, Classify(err)
	}
	out := make([]Row, 0, 8)
	for rows.Next() {
		if len(out) >= MaxRows {
			return nil, nf.NodeError{Message: fmt.Sprintf("the query returned more than %d rows", MaxRows), Code: "too_many_rows"}
		}
		out = append(out, *new(Row))
		row := &out[len(out)-1]
		if err := rows.Scan(dest(row, cols)...); err != nil {
			return nil, nf.NodeError{Message: "scanning a row: " + err.Error(), Code: "scan"}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, Classify(err)
	}
	return out, nil
}

// MapDest scans rows whose schema is unknown into maps of JSON values.
func MapDest(row *map[string]any, cols []string) []any {
	vals := make([]any, len(cols))
	*row = make(map[string]any, len(cols))
	targets := make([]any, len(cols))
	for i := range cols {
		targets[i] = &scanInto{m: *row, name: cols[i], v: &vals[i]}
	}
	return targets
}

type scanInto struct {
	m    map[string]any
	name string
	v    *any
}

// Scan implements sql.Scanner.
func (s *scanInto) Scan(src any) error {
	switch v := src.(type) {
	case []byte:
		s.m[s.name] = string(v)
	case int:
		s.m[s.name] = int64(v)
	case int32:
		s.m[s.name] = int64(v)
	case float32:
		s.m[s.name] = float64(v)
	default:
		s.m[s.name] = v
	}
	return nil
}

// Discard is the scan target of columns the row schema does not name.
var Discard = new(discard)

type discard struct{}

func (*discard) Scan(any) error { return nil }

// Classify turns a driver error into the node's error (nf.SQLError: portable codes for
// constraint violations, retryable lock and connection errors).
func Classify(err error) error { return nf.SQLError(err) }
