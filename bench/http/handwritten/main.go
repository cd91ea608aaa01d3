// Command handwritten is the quote endpoint of bench/http/quote written by hand in
// idiomatic Go: encoding/json into typed structs, explicit validation, a JSON answer.
// It is the baseline the generated binary is measured against.
package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/mail"
	"os"
	"strings"
)

type quoteRequest struct {
	Customer *struct {
		Email   *string `json:"email"`
		Country *string `json:"country"`
		VIP     *bool   `json:"vip"`
	} `json:"customer"`
	Items []struct {
		SKU       *string  `json:"sku"`
		Qty       *int64   `json:"qty"`
		UnitPrice *float64 `json:"unit_price"`
	} `json:"items"`
}

type quoteResponse struct {
	Email    string  `json:"email"`
	Country  string  `json:"country"`
	Lines    int     `json:"lines"`
	Total    float64 `json:"total"`
	Discount bool    `json:"discount"`
}

type problem struct {
	Pointer string `json:"pointer"`
	Message string `json:"message"`
}

func validate(q *quoteRequest) []problem {
	var ps []problem
	if q.Customer == nil {
		ps = append(ps, problem{"/customer", "required field is missing"})
	} else {
		if q.Customer.Email == nil {
			ps = append(ps, problem{"/customer/email", "required field is missing"})
		} else if a, err := mail.ParseAddress(*q.Customer.Email); err != nil || a.Address != *q.Customer.Email {
			ps = append(ps, problem{"/customer/email", "must be a valid email"})
		}
		if q.Customer.Country == nil {
			ps = append(ps, problem{"/customer/country", "required field is missing"})
		} else if len(*q.Customer.Country) != 2 {
			ps = append(ps, problem{"/customer/country", "must be 2 characters long"})
		}
	}
	if q.Items == nil {
		ps = append(ps, problem{"/items", "required field is missing"})
	} else if len(q.Items) == 0 {
		ps = append(ps, problem{"/items", "must have at least 1 items"})
	}
	for _, it := range q.Items {
		if it.SKU == nil || it.Qty == nil || it.UnitPrice == nil {
			ps = append(ps, problem{"/items", "sku, qty and unit_price are required"})
		} else if *it.Qty < 1 || *it.UnitPrice < 0 {
			ps = append(ps, problem{"/items", "qty must be >= 1 and unit_price >= 0"})
		}
	}
	return ps
}

func quote(w http.ResponseWriter, r *http.Request) {
	var q quoteRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []problem{{"", err.Error()}}})
		return
	}
	if ps := validate(&q); len(ps) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": ps})
		return
	}
	first := q.Items[0]
	res := quoteResponse{
		Email:   strings.ToLower(*q.Customer.Email),
		Country: strings.ToUpper(*q.Customer.Country),
		Lines:   len(q.Items),
		Total:   float64(*first.Qty) * *first.UnitPrice,
	}
	if (q.Customer.VIP != nil && *q.Customer.VIP) || res.Total >= 1000 {
		res.Total *= 0.9
		res.Discount = true
	}
	writeJSON(w, http.StatusOK, res)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8081"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /quote", quote)
	slog.Info("listening", "addr", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		slog.Error("server", "error", err)
		os.Exit(1)
	}
}
