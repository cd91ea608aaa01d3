package llmclassify

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"nodeforge.dev/catalog/nf"
)

func TestRunPicksOneOfTheLabels(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer k" {
			w.WriteHeader(401)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{
			"message": map[string]any{"content": `{"label": "Complaint", "confidence": 1.7}`}}}})
	}))
	defer srv.Close()
	os.Setenv("NODEFORGE_CONNECTOR_AI_URL", srv.URL+"/v1")
	os.Setenv("NODEFORGE_CONNECTOR_AI_API_KEY", "k")
	label, conf, err := Run(nf.TestExec(), "ai", "m", []string{"question", "complaint"}, "broken!", "")
	if err != nil || label != "complaint" || conf != 1 {
		t.Fatalf("%q %v %v", label, conf, err)
	}
}
