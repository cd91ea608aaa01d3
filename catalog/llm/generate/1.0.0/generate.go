// Package llmgenerate is the executor of llm/generate 1.0.0: one chat completion from an
// OpenAI-compatible API (POST {url}/chat/completions).
//
// Connector settings (environment): NODEFORGE_CONNECTOR_<NAME>_URL (default
// https://api.openai.com/v1), _API_KEY, _MODEL (when the node names none).
package llmgenerate

import (
	"context"
	"strings"
	"time"

	"nodeforge.dev/catalog/nf"
)

// Request is one completion.
type Request struct {
	Model, System, Prompt string
	Temperature           float64
	MaxTokens             int64
}

// Result is the generated text and the tokens used.
type Result struct {
	Text                      string
	InputTokens, OutputTokens int64
}

// Run asks the connector's model.
func Run(x *nf.Exec, connector string, req Request) (Result, error) {
	model := req.Model
	if model == "" {
		model = nf.Setting(connector, "model")
	}
	msgs := []map[string]string{}
	if req.System != "" {
		msgs = append(msgs, map[string]string{"role": "system", "content": req.System})
	}
	msgs = append(msgs, map[string]string{"role": "user", "content": req.Prompt})
	body := map[string]any{"model": model, "messages": msgs, "temperature": req.Temperature, "max_tokens": req.MaxTokens}
	return Chat(x.Context(), connector, body)
}

// Chat posts a chat completion request body and reads the first choice.
func Chat(ctx context.Context, connector string, body map[string]any) (Result, error) {
	url := nf.Setting(connector, "url")
	if url == "" {
		url = "https://api.openai.com/v1"
	}
	headers := map[string]string{}
	if key := nf.Setting(connector, "api_key"); key != "" {
		headers["Authorization"] = "Bearer " + key
	}
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	reply, err := nf.Retry(ctx, 2, func() (nf.Reply, error) {
		return nf.DoJSON(ctx, "POST", strings.TrimRight(url, "/")+"/chat/completions", headers, body)
	})
	if err != nil {
		return Result{}, err
	}
	m, _ := reply.Body.(map[string]any)
	choices, _ := m["choices"].([]any)
	if len(choices) == 0 {
		return Result{}, nf.NodeError{Message: "the model answered no choices", Code: "llm"}
	}
	first, _ := choices[0].(map[string]any)
	msg, _ := first["message"].(map[string]any)
	text, _ := msg["content"].(string)
	var r Result
	r.Text = text
	if usage, ok := m["usage"].(map[string]any); ok {
		r.InputTokens, _ = usage["prompt_tokens"].(int64)
		r.OutputTokens, _ = usage["completion_tokens"].(int64)
	}
	return r, nil
}
