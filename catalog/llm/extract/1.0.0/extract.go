// Package llmextract is the executor of llm/extract 1.0.0: the model reads a text and
// answers a JSON object matching the node's schema (OpenAI-compatible chat API in JSON
// mode). The answer is validated against the schema; a mismatch is a node error.
// Connector settings as for llm/generate.
package llmextract

import (
	"context"
	"strings"
	"time"

	"nodeforge.dev/catalog/nf"
)

// Run extracts data shaped by schema (its JSON text) from text.
func Run(x *nf.Exec, connector, model, text string, schema *nf.Schema, schemaJSON, instructions string) (any, error) {
	if model == "" {
		model = nf.Setting(connector, "model")
	}
	system := "Extract the data described by this JSON Schema from the user's text and answer " +
		"only with one JSON object that matches it: " + schemaJSON
	if instructions != "" {
		system += "\n" + instructions
	}
	body := map[string]any{
		"model":           model,
		"temperature":     0,
		"response_format": map[string]string{"type": "json_object"},
		"messages": []map[string]string{
			{"role": "system", "content": system},
			{"role": "user", "content": text},
		},
	}
	url := nf.Setting(connector, "url")
	if url == "" {
		url = "https://api.openai.com/v1"
	}
	headers := map[string]string{}
	if key := nf.Setting(connector, "api_key"); key != "" {
		headers["Authorization"] = "Bearer " + key
	}
	ctx, cancel := context.WithTimeout(x.Context(), 120*time.Second)
	defer cancel()
	reply, err := nf.Retry(ctx, 2, func() (nf.Reply, error) {
		return nf.DoJSON(ctx, "POST", strings.TrimRight(url, "/")+"/chat/completions", headers, body)
	})
	if err != nil {
		return nil, err
	}
	m, _ := reply.Body.(map[string]any)
	choices, _ := m["choices"].([]any)
	if len(choices) == 0 {
		return nil, nf.NodeError{Message: "the model answered no choices", Code: "llm"}
	}
	first, _ := choices[0].(map[string]any)
	msg, _ := first["message"].(map[string]any)
	content, _ := msg["content"].(string)
	data, err := nf.DecodeJSON([]byte(content))
	if err != nil {
		return nil, nf.NodeError{Message: "the model did not answer JSON: " + err.Error(), Code: "llm_json"}
	}
	if probs := schema.Validate(data); len(probs) > 0 {
		return nil, nf.NodeError{Message: "the model's answer does not match the schema: " + probs[0].String(), Code: "llm_schema"}
	}
	return data, nil
}
