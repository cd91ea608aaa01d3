// Command families_handwritten is bench/http/families written by hand in idiomatic Go,
// the baseline of the benchmark's node-family scenarios:
//
//	POST /quote        the quote endpoint, the total over all items computed in Go
//	GET  /price/{sku}  one request to the upstream, its JSON decoded into a struct
//	POST /batch        one upstream request per SKU, at most 4 at a time
//
// The upstream's base URL is UPSTREAM_URL; the listen address ADDR.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"os"
	"strings"
	"sync"
	"time"
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
	res := quoteResponse{
		Email:   strings.ToLower(*q.Customer.Email),
		Country: strings.ToUpper(*q.Customer.Country),
		Lines:   len(q.Items),
	}
	for _, it := range q.Items {
		res.Total += float64(*it.Qty) * *it.UnitPrice
	}
	if (q.Customer.VIP != nil && *q.Customer.VIP) || res.Total >= 1000 {
		res.Total *= 0.9
		res.Discount = true
	}
	writeJSON(w, http.StatusOK, res)
}

// client reuses connections to the upstream (idiomatic for a service calling another).
var client = &http.Client{Transport: &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConnsPerHost: 32,
	IdleConnTimeout:     90 * time.Second,
}}

type upstreamPrice struct {
	SKU      *string  `json:"sku"`
	Price    *float64 `json:"price"`
	Currency string   `json:"currency"`
}

var upstream = os.Getenv("UPSTREAM_URL")

func fetchPrice(ctx context.Context, sku string) (upstreamPrice, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, upstream+"/price/"+sku, nil)
	if err != nil {
		return upstreamPrice{}, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return upstreamPrice{}, err
	}
	defer res.Body.Close()
	if res.StatusCode >= 400 {
		return upstreamPrice{}, fmt.Errorf("upstream: HTTP %d", res.StatusCode)
	}
	var p upstreamPrice
	if err := json.NewDecoder(io.LimitReader(res.Body, 8<<20)).Decode(&p); err != nil {
		return upstreamPrice{}, err
	}
	if p.SKU == nil || p.Price == nil {
		return upstreamPrice{}, errors.New("upstream: sku and price are required")
	}
	return p, nil
}

func price(w http.ResponseWriter, r *http.Request) {
	p, err := fetchPrice(r.Context(), r.PathValue("sku"))
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sku": *p.SKU, "price": *p.Price})
}

func batch(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SKUs []string `json:"skus"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || len(body.SKUs) == 0 || len(body.SKUs) > 16 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []problem{{"/skus", "1 to 16 SKUs"}}})
		return
	}
	for _, s := range body.SKUs {
		if s == "" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []problem{{"/skus", "empty SKU"}}})
			return
		}
	}
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var once sync.Once
	var failed error
	for _, sku := range body.SKUs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := fetchPrice(r.Context(), sku); err != nil {
				once.Do(func() { failed = err })
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"count": len(body.SKUs)})
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
	mux.HandleFunc("GET /price/{sku}", price)
	mux.HandleFunc("POST /batch", batch)
	slog.Info("listening", "addr", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		slog.Error("server", "error", err)
		os.Exit(1)
	}
}
