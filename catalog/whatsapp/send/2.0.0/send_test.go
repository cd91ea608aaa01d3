package whatsappsend

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"nodeforge.dev/catalog/nf"
)

func TestRunPostsACloudAPITextMessage(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v21.0/123/messages" || r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.Write([]byte(`{"messages":[{"id":"wamid.X"}]}`))
	}))
	defer srv.Close()
	os.Setenv("NODEFORGE_CONNECTOR_WA_URL", srv.URL+"/v21.0")
	os.Setenv("NODEFORGE_CONNECTOR_WA_PHONE_NUMBER_ID", "123")
	os.Setenv("NODEFORGE_CONNECTOR_WA_TOKEN", "tok")
	id, err := Run(nf.TestExec(), "wa", "34600", "hello", true)
	if err != nil || id != "wamid.X" {
		t.Fatalf("%q %v", id, err)
	}
	text := got["text"].(map[string]any)
	if got["to"] != "34600" || text["body"] != "hello" || text["preview_url"] != true {
		t.Fatalf("%v", got)
	}
}

func TestRunOutsideTheWindowIsOutsideWindow(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(400)
		w.Write([]byte(`{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047}}`))
	}))
	defer srv.Close()
	os.Setenv("NODEFORGE_CONNECTOR_WA_URL", srv.URL)
	os.Setenv("NODEFORGE_CONNECTOR_WA_PHONE_NUMBER_ID", "123")
	_, err := Run(nf.TestExec(), "wa", "34600", "hello", false)
	ne := nf.AsNodeError(err)
	if ne.Code != "outside_window" || ne.Retryable || calls != 1 || !strings.Contains(ne.Message, "Re-engagement") {
		t.Fatalf("%+v after %d calls", ne, calls)
	}
}

func TestRunOtherAPIErrorsKeepTheirHTTPCode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		w.Write([]byte(`{"error":{"message":"Invalid parameter","type":"OAuthException","code":100}}`))
	}))
	defer srv.Close()
	os.Setenv("NODEFORGE_CONNECTOR_WA_URL", srv.URL)
	os.Setenv("NODEFORGE_CONNECTOR_WA_PHONE_NUMBER_ID", "123")
	_, err := Run(nf.TestExec(), "wa", "34600", "hello", false)
	if ne := nf.AsNodeError(err); ne.Code != "http_400" {
		t.Fatalf("%+v", ne)
	}
}
