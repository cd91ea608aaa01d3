package llmextract

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"nodeforge.dev/catalog/nf"
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
	if ne := nf.AsNodeError(err); ne.Code != "llm_schema" {
		t.Fatalf("%+v", ne)
	}
}
