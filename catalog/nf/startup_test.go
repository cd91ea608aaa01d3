package nf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestPrepareJobsNamesEveryBadSchedule(t *testing.T) {
	run := func(context.Context, time.Time) {}
	jobs := []Job{
		{Flow: "report", Trigger: "nightly", Spec: "0 2 * * *", TimeZone: "Europe/Paris", Run: run},
		{Flow: "report", Trigger: "minute", Spec: "61 * * * *", TimeZone: "UTC", Run: run},
		{Flow: "sync", Trigger: "tick", Spec: "@daily", TimeZone: "Europe/Pariss", Run: run},
	}
	err := PrepareJobs(jobs)
	if err == nil {
		t.Fatal("bad schedules accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		"flow report, trigger minute: cron \"61 * * * *\": field 1: \"61\" is out of range 0-59",
		"flow sync, trigger tick: time zone \"Europe/Pariss\" is not in the IANA time zone database",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "nightly") || jobs[0].Cron == nil || jobs[0].Cron.Location().String() != "Europe/Paris" {
		t.Errorf("the good job was not prepared: %q", msg)
	}
}

func TestServeRefusesABadScheduleWithoutPanicking(t *testing.T) {
	app := NewApp("test")
	t.Setenv("NODEFORGE_ADDR", "127.0.0.1:0")
	err := app.Serve(nil, []Job{{Flow: "f", Trigger: "t", Spec: "* * *", Run: func(context.Context, time.Time) {}}})
	if err == nil || !strings.Contains(err.Error(), "invalid schedule: flow f, trigger t: cron \"* * *\": want 5 fields") {
		t.Fatalf("got %v", err)
	}
}

func TestEveryKeepsTheZoneForLocalTimes(t *testing.T) {
	c, err := ParseCron("@every 15m", "Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	next := c.Next(time.Date(2026, 12, 4, 8, 7, 0, 0, time.UTC))
	if !next.Equal(time.Date(2026, 12, 4, 8, 15, 0, 0, time.UTC)) {
		t.Fatalf("ticks moved with the zone: %v", next)
	}
	utc, local, zone := ScheduleTimes(next, c.Location())
	if utc != "2026-12-04T08:15:00Z" || local != "2026-12-04T17:15:00+09:00" || zone != "Asia/Tokyo" {
		t.Fatalf("got %s %s %s", utc, local, zone)
	}
}

func TestScheduleInput(t *testing.T) {
	got := ScheduleInput(map[string]any{"time": "2026-07-04T08:00:00.5Z"}, "Europe/London")
	want := map[string]any{"time": "2026-07-04T08:00:00Z", "local_time": "2026-07-04T09:00:00+01:00", "timezone": "Europe/London"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
	// A zero offset is Z, as RFC 3339 writes it in Go.
	if got := ScheduleInput(map[string]any{"time": "2026-12-04T08:00:00+00:00"}, "Europe/London"); got["local_time"] != "2026-12-04T08:00:00Z" {
		t.Errorf("got %v", got)
	}
	if got := ScheduleInput(map[string]any{"time": "yesterday"}, "UTC"); got["time"] != "yesterday" {
		t.Errorf("an unparsable time is passed on: %v", got)
	}
}

func TestUnroutedRequestsAnswerProblems(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(r.PathValue("id"))) })
	mux.HandleFunc("POST /orders/{id}", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/", RouteNotFound(mux))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cases := []struct {
		method, path string
		status       int
		allow        string
		message      string
	}{
		{"GET", "/nope", 404, "", "no route for GET /nope"},
		{"DELETE", "/orders/7", 405, "GET, HEAD, POST", "/orders/7 answers GET, HEAD, POST, not DELETE"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Title  string `json:"title"`
			Status int    `json:"status"`
			Errors []struct {
				Message string `json:"message"`
			} `json:"errors"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s %s: not JSON: %v", c.method, c.path, err)
		}
		if resp.StatusCode != c.status || body.Status != c.status || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d %+v Allow=%q", c.method, c.path, resp.StatusCode, body, resp.Header.Get("Allow"))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
		}
		if len(body.Errors) != 1 || body.Errors[0].Message != c.message {
			t.Errorf("%s %s: errors %+v", c.method, c.path, body.Errors)
		}
	}
	// Routed requests are the routes' (path values included).
	resp, err := http.Get(srv.URL + "/orders/42")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || buf.String() != "42" {
		t.Fatalf("routed: %d %q", resp.StatusCode, buf.String())
	}
}

func TestFailedExecutionLogNamesNodeAndCode(t *testing.T) {
	var out bytes.Buffer
	app := NewApp("test")
	app.Log = slog.New(slog.NewJSONHandler(&out, nil))
	logLine := func() map[string]any {
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "execution failed" {
				return rec
			}
		}
		t.Fatalf("no 'execution failed' line in %s", out.String())
		return nil
	}

	// A node's unhandled error: that node and its code.
	x := app.NewExec(context.Background(), "orders", "create", nil)
	x.Run(func() error {
		Enter(x, "save", "sql/exec", "1.0.0", 1)
		return x.Fail("save", NodeError{Message: "UNIQUE constraint failed", Code: "sql"})
	})
	rec := logLine()
	if rec["node"] != "save" || rec["code"] != "sql" || rec["trigger"] != "create" {
		t.Errorf("got %v", rec)
	}
	if _, ok := rec["took_ms"].(float64); !ok || rec["took"] != nil {
		t.Errorf("duration without its unit: %v", rec)
	}

	// An expression error (a panic): the node that started last, code "expression".
	out.Reset()
	x = app.NewExec(context.Background(), "orders", "create", nil)
	err := x.Run(func() error {
		Enter(x, "validate", "flow/if", "1.0.0", 1)
		Enter(x, "price", "data/set", "1.0.0", 1)
		Fail("division by zero")
		return nil
	})
	var ee *EvalError
	if !errors.As(err, &ee) {
		t.Fatalf("got %v", err)
	}
	rec = logLine()
	if rec["node"] != "price" || rec["code"] != "expression" {
		t.Errorf("got %v", rec)
	}
}
