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

func TestClientErrorsLeaveThroughOutWhenAsked(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(404)
		w.Write([]byte(`{"error": "no such customer"}`))
	}))
	defer srv.Close()
	req := Request{Method: "GET", URL: srv.URL + "/c/1?k=secret", Timeout: time.Second}
	_, err := Run(nf.TestExec(), req)
	ne := nf.AsNodeError(err)
	if ne.Code != "http_404" || ne.Message != "GET "+srv.URL+"/c/1: HTTP 404: no such customer" {
		t.Fatalf("default: %+v", ne)
	}
	req.ClientErrorsOut = true
	reply, err := Run(nf.TestExec(), req)
	if err != nil || reply.Status != 404 || reply.Body.(map[string]any)["error"] != "no such customer" {
		t.Fatalf("out: %+v %v", reply, err)
	}
}

func TestServerErrorsLeaveThroughErrorEvenWhenClientErrorsGoOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
	}))
	defer srv.Close()
	_, err := Run(nf.TestExec(), Request{Method: "GET", URL: srv.URL, Timeout: time.Second, ClientErrorsOut: true})
	if ne := nf.AsNodeError(err); ne.Code != "http_503" || !ne.Retryable {
		t.Fatalf("%+v", ne)
	}
}

func TestPinnedRepliesTakeTheLivePorts(t *testing.T) {
	pinned := map[string]any{"status": int64(422), "headers": map[string]any{}, "body": map[string]any{"message": "bad sku"}}
	req := Request{Method: "POST", URL: "https://api.example.com/orders?x=1"}
	_, err := req.settle(nf.PinnedReply("n", pinned, req.Method, req.URL))
	if ne := nf.AsNodeError(err); ne.Code != "http_422" || ne.Message != "POST https://api.example.com/orders: HTTP 422: bad sku" || ne.Retryable {
		t.Fatalf("%+v", ne)
	}
	req.ClientErrorsOut = true
	reply, err := req.settle(nf.PinnedReply("n", pinned, req.Method, req.URL))
	if err != nil || reply.Status != 422 {
		t.Fatalf("%+v %v", reply, err)
	}
	pinned["status"] = int64(200)
	req.ClientErrorsOut = false
	if _, err := req.settle(nf.PinnedReply("n", pinned, req.Method, req.URL)); err != nil {
		t.Fatal(err)
	}
}
