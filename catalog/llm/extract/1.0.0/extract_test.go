package llmextract

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"nodeforge.dev/catalog/nf"
	"nodeforge.dev/catalog/nf/llmtest"
)

func TestRunValidatesTheAnswer(t *testing.T) {
	answer := `{"city": "Madrid", "guests": 2}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"content": answer}}}})
	}))
	defer srv.Close()
	os.Setenv("NODEFORGE_CONNECTOR_EX_URL", srv.URL)
	text := `{"type":"object","required":["city","guests"],"properties":{"city":{"type":"string"},"guests":{"type":"integer"}}}`
	s := nf.MustSchema(text)
	v, err := Run(nf.TestExec(), "ex", "m", "two of us to Madrid", s, text, "")
	if err != nil || v.(map[string]any)["guests"] != int64(2) {
		t.Fatalf("%v %v", v, err)
	}
	answer = `{"city": "Madrid"}`
	_, err = Run(nf.TestExec(), "ex", "m", "to Madrid", s, text, "")
	if ne := nf.AsNodeError(err); ne.Code != "invalid_output" {
		t.Fatalf("%+v", ne)
	}
}

func TestRunOverEveryWireFormat(t *testing.T) {
	text := `{"type":"object","required":["city"],"properties":{"city":{"type":"string"}}}`
	s := nf.MustSchema(text)
	for _, provider := range []string{"openai", "azure", "anthropic", "gemini"} {
		srv := llmtest.New(t, provider, llmtest.Reply{Text: `Here: {"city": "Lyon"} done`, Data: map[string]any{"city": "Lyon"}})
		srv.Connect(t, "ex")
		v, err := Run(nf.TestExec(), "ex", "", "to Lyon", s, text, "")
		if err != nil || v.(map[string]any)["city"] != "Lyon" {
			t.Fatalf("%s: %v %v", provider, v, err)
		}
		if provider == "anthropic" {
			tools, _ := srv.Requests[0].Body["tools"].([]any)
			if len(tools) != 1 || srv.Requests[0].Body["tool_choice"] == nil {
				t.Fatalf("no forced tool: %v", srv.Requests[0].Body)
			}
		}
	}
}

func TestRetryAfterThenSuccess(t *testing.T) {
	text := `{"type":"object"}`
	srv := llmtest.New(t, "anthropic", llmtest.Reply{Status: 429, RetryAfter: "0"}, llmtest.Reply{Status: 529},
		llmtest.Reply{Text: `{"ok": true}`})
	srv.Connect(t, "ex")
	v, err := Run(nf.TestExec(), "ex", "", "x", nf.MustSchema(text), text, "")
	if err != nil || v.(map[string]any)["ok"] != true || srv.Posts() != 3 {
		t.Fatalf("%v %v posts=%d", v, err, srv.Posts())
	}
	srv = llmtest.New(t, "gemini", llmtest.Reply{Status: 401})
	srv.Connect(t, "ex")
	if _, err := Run(nf.TestExec(), "ex", "", "x", nf.MustSchema(text), text, ""); nf.AsNodeError(err).Code != "llm_auth" {
		t.Fatalf("%+v", err)
	}
}
