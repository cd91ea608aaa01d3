// Package llmclassify is the executor of llm/classify 1.0.0: the model picks one of the
// node's labels for a text, with its confidence, in JSON (nf.LLMChat: any provider of
// the connector). Connector settings as for llm/generate.
package llmclassify

import (
	"encoding/json"
	"strings"

	"nodeforge.dev/catalog/nf"
)

// Run classifies text into one of labels. opts: nf.LLMCacheTTL.
func Run(x *nf.Exec, connector, model string, labels []string, text, instructions string, opts ...nf.LLMOption) (label string, confidence float64, err error) {
	quoted, _ := json.Marshal(labels)
	system := "Classify the user's text into exactly one of these labels: " + string(quoted) +
		`. Answer with a JSON object {"label": <one of the labels>, "confidence": <a number from 0 to 1>}.`
	if instructions != "" {
		system += " " + instructions
	}
	res, err := nf.LLMChat(x, connector, nf.LLMRequest{Model: model, System: system, Prompt: text, JSON: true}, opts...)
	if err != nil {
		return "", 0, err
	}
	var answer struct {
		Label      string  `json:"label"`
		Confidence float64 `json:"confidence"`
	}
	decoded, jerr := nf.LLMJSON(res.Text)
	obj, _ := decoded.(map[string]any)
	if jerr == nil && obj != nil {
		answer.Label, _ = obj["label"].(string)
		switch c := obj["confidence"].(type) {
		case float64:
			answer.Confidence = c
		case int64:
			answer.Confidence = float64(c)
		}
	} else {
		// Some models answer the bare label.
		answer.Label, answer.Confidence = strings.Trim(strings.TrimSpace(res.Text), `"'.`), 0.5
	}
	for _, l := range labels {
		if strings.EqualFold(l, answer.Label) {
			return l, min(max(answer.Confidence, 0), 1), nil
		}
	}
	return "", 0, nf.NodeError{Message: "the model answered a label that is not one of the node's: " + nf.Quote(answer.Label), Code: "llm_label"}
}
