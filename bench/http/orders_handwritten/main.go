// Command orders_handwritten is the orders API of examples/orders_api.flow.json written by
// hand in idiomatic Go (database/sql on the same pure-Go SQLite driver, encoding/json into
// typed structs): the twin the generated binary is measured against.
package main

import (
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/mail"
	"os"
	"strconv"

	_ "github.com/mattn/go-sqlite3" // SQLite in C, as the generated app links it where cgo is on
)

type server struct{ db *sql.DB }

type order struct {
	ID     int64  `json:"id"`
	SKU    string `json:"sku"`
	Qty    int64  `json:"qty"`
	Status string `json:"status"`
}

func (s *server) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SKU           *string `json:"sku"`
		Qty           *int64  `json:"qty"`
		CustomerEmail *string `json:"customer_email"`
		Note          *string `json:"note"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeJSON(w, 400, map[string]string{"error": err.Error()})
		return
	}
	if in.SKU == nil || in.Qty == nil || *in.Qty < 1 || in.CustomerEmail == nil {
		writeJSON(w, 400, map[string]string{"error": "sku, qty >= 1 and customer_email are required"})
		return
	}
	if a, err := mail.ParseAddress(*in.CustomerEmail); err != nil || a.Address != *in.CustomerEmail {
		writeJSON(w, 400, map[string]string{"error": "customer_email must be a valid email"})
		return
	}
	res, err := s.db.ExecContext(r.Context(),
		"INSERT INTO orders (sku, qty, customer_email, status) VALUES (?, ?, ?, 'new')",
		*in.SKU, *in.Qty, *in.CustomerEmail)
	if err != nil {
		writeJSON(w, 503, map[string]any{"error": "could not store the order", "retryable": false})
		return
	}
	n, _ := res.RowsAffected()
	writeJSON(w, 201, map[string]any{"created": n == 1, "sku": *in.SKU})
}

func (s *server) get(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, 500, map[string]string{"error": "internal error"})
		return
	}
	var o order
	err = s.db.QueryRowContext(r.Context(), "SELECT id, sku, qty, status FROM orders WHERE id = ?", id).
		Scan(&o.ID, &o.SKU, &o.Qty, &o.Status)
	if errors.Is(err, sql.ErrNoRows) {
		writeJSON(w, 404, map[string]string{"error": "order not found"})
		return
	}
	if err != nil {
		writeJSON(w, 503, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, 200, o)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func main() {
	path := os.Getenv("NODEFORGE_CONNECTOR_SHOPDB_PATH")
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_journal_mode=WAL")
	if err != nil {
		slog.Error("open", "error", err)
		os.Exit(1)
	}
	db.SetMaxOpenConns(8)
	if schema := os.Getenv("NODEFORGE_CONNECTOR_SHOPDB_SCHEMA"); schema != "" {
		text, _ := os.ReadFile(schema)
		if _, err := db.Exec(string(text)); err != nil {
			slog.Error("schema", "error", err)
			os.Exit(1)
		}
	}
	s := &server{db: db}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", s.create)
	mux.HandleFunc("GET /orders/{id}", s.get)
	addr := os.Getenv("NODEFORGE_ADDR")
	slog.Info("listening", "addr", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		slog.Error("server", "error", err)
		os.Exit(1)
	}
}
