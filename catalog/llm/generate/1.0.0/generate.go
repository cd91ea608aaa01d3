// Package llmgenerate is the executor of llm/generate 1.0.0: one chat completion from the
// connector's provider (nf.LLMChat: OpenAI-compatible, Azure OpenAI, Anthropic, Gemini).
//
// Connector settings (environment): NODEFORGE_CONNECTOR_<NAME>_PROVIDER (default
// openai), _URL (default: the provider's), _API_KEY, _MODEL (when the node names none),
// _API_VERSION (Azure).
package llmgenerate

import (
	"nodeforge.dev/catalog/nf"
)

// Request is one completion.
type Request struct {
	Model, System, Prompt string
	Temperature           float64
	MaxTokens             int64
	// CacheTTLSeconds > 0 answers a repeated request from memory for that long.
	CacheTTLSeconds int64
}

// Result is the generated text and the tokens used.
type Result struct {
	Text                      string
	InputTokens, OutputTokens int64
}

// Run asks the connector's model.
func Run(x *nf.Exec, connector string, req Request) (Result, error) {
	res, err := nf.LLMChat(x, connector, nf.LLMRequest{
		Model: req.Model, System: req.System, Prompt: req.Prompt,
		Temperature: req.Temperature, MaxTokens: req.MaxTokens,
	}, nf.LLMCacheTTL(req.CacheTTLSeconds))
	if err != nil {
		return Result{}, err
	}
	return Result{Text: res.Text, InputTokens: res.InputTokens, OutputTokens: res.OutputTokens}, nil
}
