// Package llmextract is the executor of llm/extract 1.0.0: the model reads a text and
// answers a JSON object matching the node's schema (nf.LLMChat: JSON mode for
// OpenAI-compatible APIs and Gemini, a forced tool call for Anthropic; JSON in the
// text, fenced or not, is accepted too). The answer is validated against the schema; a
// mismatch is a node error. Connector settings as for llm/generate.
package llmextract

import (
	"encoding/json"

	"nodeforge.dev/catalog/nf"
)

// Run extracts data shaped by schema (its JSON text) from text. opts: nf.LLMCacheTTL.
func Run(x *nf.Exec, connector, model, text string, schema *nf.Schema, schemaJSON, instructions string, opts ...nf.LLMOption) (any, error) {
	system := "Extract the data described by this JSON Schema from the user's text and answer " +
		"only with one JSON object that matches it: " + schemaJSON
	if instructions != "" {
		system += "\n" + instructions
	}
	var toolSchema map[string]any
	_ = json.Unmarshal([]byte(schemaJSON), &toolSchema)
	res, err := nf.LLMChat(x, connector, nf.LLMRequest{Model: model, System: system, Prompt: text, JSON: true, Schema: toolSchema}, opts...)
	if err != nil {
		return nil, err
	}
	data := nf.Normalize(res.Data)
	if res.Data == nil {
		data, err = nf.LLMJSON(res.Text)
		if err != nil {
			return nil, nf.NodeError{Message: "the model did not answer JSON: " + err.Error(), Code: "llm_json"}
		}
	}
	if probs := schema.Validate(data); len(probs) > 0 {
		return nil, nf.NodeError{Message: "the model's answer does not match the schema: " + probs[0].String(), Code: "invalid_output"}
	}
	return data, nil
}
