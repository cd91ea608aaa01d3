package llmgenerate

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"nodeforge.dev/catalog/nf"
	"nodeforge.dev/catalog/nf/llmtest"
)

// execWithLog is an execution whose log lines land in buf (JSON).
func execWithLog(buf *bytes.Buffer) *nf.Exec {
	app := nf.NewApp("test")
	app.Log = slog.New(slog.NewJSONHandler(buf, nil))
	return app.NewExec(context.Background(), "f", "t", nil)
}

func TestEveryWireFormat(t *testing.T) {
	for _, provider := range []string{"openai", "azure", "anthropic", "gemini"} {
		t.Run(provider, func(t *testing.T) {
			srv := llmtest.New(t, provider, llmtest.Reply{Text: "Hello!", In: 12, Out: 3})
			srv.Connect(t, "ai")
			var logs bytes.Buffer
			res, err := Run(execWithLog(&logs), "ai", Request{System: "Be brief.", Prompt: "Hi", Temperature: 0.2, MaxTokens: 50})
			if err != nil || res.Text != "Hello!" || res.InputTokens != 12 || res.OutputTokens != 3 {
				t.Fatalf("%+v %v", res, err)
			}
			body := srv.Requests[0].Body
			switch provider {
			case "anthropic":
				if body["system"] != "Be brief." || body["max_tokens"] != float64(50) {
					t.Fatalf("%v", body)
				}
			case "gemini":
				if body["systemInstruction"] == nil || body["generationConfig"].(map[string]any)["maxOutputTokens"] != float64(50) {
					t.Fatalf("%v", body)
				}
			default:
				if body["messages"].([]any)[0].(map[string]any)["role"] != "system" || body["max_tokens"] != float64(50) {
					t.Fatalf("%v", body)
				}
			}
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("log %q: %v", logs.String(), err)
			}
			if line["msg"] != "llm usage" || line["input_tokens"] != float64(12) || line["output_tokens"] != float64(3) ||
				line["provider"] != provider || line["connector"] != "ai" || line["cached"] != false {
				t.Fatalf("%v", line)
			}
			if strings.Contains(logs.String(), llmtest.Key) {
				t.Fatal("the key is in the log")
			}
		})
	}
}

func TestRefusalIsANodeError(t *testing.T) {
	for _, provider := range []string{"openai", "anthropic", "gemini"} {
		srv := llmtest.New(t, provider, llmtest.Reply{Refusal: "No."})
		srv.Connect(t, "ai")
		_, err := Run(nf.TestExec(), "ai", Request{Prompt: "?"})
		if ne := nf.AsNodeError(err); ne.Code != "llm_refused" {
			t.Fatalf("%s: %+v", provider, err)
		}
	}
}

func TestCacheTTL(t *testing.T) {
	srv := llmtest.New(t, "openai", llmtest.Reply{Text: "one", In: 5, Out: 1}, llmtest.Reply{Text: "two", In: 5, Out: 1})
	srv.Connect(t, "ai")
	req := Request{Prompt: "cache me", CacheTTLSeconds: 60}
	var logs bytes.Buffer
	first, err1 := Run(nf.TestExec(), "ai", req)
	second, err2 := Run(execWithLog(&logs), "ai", req)
	if err1 != nil || err2 != nil || first.Text != "one" || second.Text != "one" || srv.Posts() != 1 {
		t.Fatalf("%+v %+v %v %v posts=%d", first, second, err1, err2, srv.Posts())
	}
	if second.InputTokens != 0 || !strings.Contains(logs.String(), `"cached":true`) {
		t.Fatalf("%+v %s", second, logs.String())
	}
	third, _ := Run(nf.TestExec(), "ai", Request{Prompt: "cache me"}) // no cache asked
	if third.Text != "two" || srv.Posts() != 2 {
		t.Fatalf("%+v", third)
	}
}
