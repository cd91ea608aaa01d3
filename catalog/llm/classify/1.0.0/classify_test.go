package llmclassify

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"nodeforge.dev/catalog/nf"
	"nodeforge.dev/catalog/nf/llmtest"
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

func TestRunOverEveryWireFormat(t *testing.T) {
	for _, provider := range []string{"openai", "azure", "anthropic", "gemini"} {
		srv := llmtest.New(t, provider,
			llmtest.Reply{Text: "```json\n{\"label\": \"question\", \"confidence\": 0.8}\n```"},
			llmtest.Reply{Text: "{\"label\": \"question\", \"confidence\": 0.8}"})
		srv.Connect(t, "ai")
		label, conf, err := Run(nf.TestExec(), "ai", "", []string{"question", "complaint"}, "how?", "", nf.LLMCacheTTL(30))
		if err != nil || label != "question" || conf != 0.8 {
			t.Fatalf("%s: %q %v %v", provider, label, conf, err)
		}
		body := srv.Requests[0].Body
		switch provider {
		case "gemini":
			if body["generationConfig"].(map[string]any)["responseMimeType"] != "application/json" {
				t.Fatalf("%v", body)
			}
		case "openai", "azure":
			if body["response_format"].(map[string]any)["type"] != "json_object" {
				t.Fatalf("%v", body)
			}
		}
		// the cached answer: no second request
		if _, _, err := Run(nf.TestExec(), "ai", "", []string{"question", "complaint"}, "how?", "", nf.LLMCacheTTL(30)); err != nil || srv.Posts() != 1 {
			t.Fatalf("%s: %v posts=%d", provider, err, srv.Posts())
		}
	}
}
