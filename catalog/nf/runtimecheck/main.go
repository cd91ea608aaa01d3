// Command runtimecheck answers, with the runtime's own code, the questions whose answers
// `nodeforge check` and the simulator must share with the app: does a schedule parse
// (nf.ParseCron), does Go's HTTP client take a URL, and what does a schedule trigger give
// for a tick (nf.ScheduleInput). tests/test_runtime_rules.py compares them with
// analysis/schedule.py and analysis/rules/runtime.py. It is not part of generated apps.
//
// Input: one JSON object per line, {"op": "cron", "spec": "...", "tz": "..."},
// {"op": "url", "url": "..."} or {"op": "schedule", "time": "...", "tz": "..."}.
// Output: one JSON object per line, in order: {"ok": bool, "error": "..."} or, for
// "schedule", the trigger's output.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	_ "time/tzdata" // as generated apps with a time zone: the zones do not depend on the machine

	"nodeforge.dev/catalog/nf"
)

type request struct {
	Op   string `json:"op"`
	Spec string `json:"spec"`
	TZ   string `json:"tz"`
	URL  string `json:"url"`
	Time string `json:"time"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var r request
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var answer any
		switch r.Op {
		case "cron":
			answer = result(nf.ParseCron(r.Spec, r.TZ))
		case "url":
			answer = result(urlOK(r.URL))
		case "schedule":
			answer = nf.ScheduleInput(map[string]any{"time": r.Time}, r.TZ)
		default:
			fmt.Fprintf(os.Stderr, "unknown op %q\n", r.Op)
			os.Exit(2)
		}
		enc.Encode(answer)
	}
}

// urlOK reports why Go's HTTP client would refuse to send a request to u, if it would.
func urlOK(u string) (any, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("unsupported protocol scheme %q", req.URL.Scheme)
	}
	if req.URL.Host == "" || req.URL.Hostname() == "" {
		return nil, fmt.Errorf("no Host in request URL")
	}
	return nil, nil
}

func result[T any](_ T, err error) map[string]any {
	if err != nil {
		return map[string]any{"ok": false, "error": err.Error()}
	}
	return map[string]any{"ok": true}
}
