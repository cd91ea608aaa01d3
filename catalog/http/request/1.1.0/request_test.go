package httprequest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"nodeforge.dev/catalog/nf"
)

func TestRunRetriesRetryableFailuresAndSendsJSON(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(502)
			return
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("X-Seen", r.Header.Get("X-Token"))
		json.NewEncoder(w).Encode(map[string]any{"echo": body["n"]})
	}))
	defer srv.Close()
	reply, err := Run(nf.TestExec(), Request{
		Method: "POST", URL: srv.URL, Headers: map[string]string{"X-Token": "t"},
		Body: map[string]any{"n": 7}, Timeout: time.Second, Retries: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if reply.Status != 200 || reply.Body.(map[string]any)["echo"] != int64(7) || reply.Headers["x-seen"] != "t" {
		t.Fatalf("%+v", reply)
	}
	if calls.Load() != 3 {
		t.Fatalf("calls %d", calls.Load())
	}
}

func TestRunDoesNotRetryClientErrors(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(404)
	}))
	defer srv.Close()
	_, err := Run(nf.TestExec(), Request{Method: "GET", URL: srv.URL, Timeout: time.Second, Retries: 3})
	if ne := nf.AsNodeError(err); ne.Code != "http_404" || ne.Retryable || calls.Load() != 1 {
		t.Fatalf("%+v calls %d", ne, calls.Load())
	}
}
