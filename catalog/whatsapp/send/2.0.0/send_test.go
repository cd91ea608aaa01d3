package whatsappsend

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
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
