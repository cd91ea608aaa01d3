// Command upstream is the local HTTP service the benchmark's HTTP-request and foreach
// scenarios call (bench/http_bench.py): GET /price/{sku} answers a small JSON object at
// once, so the callers' own costs are what is measured.
package main

import (
	"log/slog"
	"net/http"
	"os"
	"strconv"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8090"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /price/{sku}", func(w http.ResponseWriter, r *http.Request) {
		body := `{"sku":` + strconv.Quote(r.PathValue("sku")) + `,"price":12.5,"currency":"EUR"}`
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write([]byte(body))
	})
	if err := http.ListenAndServe(addr, mux); err != nil {
		slog.Error("server", "error", err)
		os.Exit(1)
	}
}
