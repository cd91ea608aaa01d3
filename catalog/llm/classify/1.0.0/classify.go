// Package llmclassify is the executor of llm/classify 1.0.0: the model picks one of the
// node's labels for a text, with its confidence, through an OpenAI-compatible chat API
// in JSON mode. Connector settings as for llm/generate.
package llmclassify

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"nodeforge.dev/catalog/nf"
)

// Run classifies text into one of labels.
func Run(x *nf.Exec, connector, model string, labels []string, text, instructions string) (label string, confidence float64, err error) {
	if model == "" {
		model = nf.Setting(connector, "model")
	}
	quoted, _ := json.Marshal(labels)
	system := "Classify the user's text into exactly one of these labels: " + string(quoted) +
		`. Answer with a JSON object {"label": <one of the labels>, "confidence": <a number from 0 to 1>}.`
	if instructions != "" {
		system += " " + instructions
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
	ctx, cancel := context.WithTimeout(x.Context(), 60*time.Second)
	defer cancel()
	reply, err := nf.Retry(ctx, 2, func() (nf.Reply, error) {
		return nf.DoJSON(ctx, "POST", strings.TrimRight(url, "/")+"/chat/completions", headers, body)
	})
	if err != nil {
		return "", 0, err
	}
	m, _ := reply.Body.(map[string]any)
	choices, _ := m["choices"].([]any)
	if len(choices) == 0 {
		return "", 0, nf.NodeError{Message: "the model answered no choices", Code: "llm"}
	}
	first, _ := choices[0].(map[string]any)
	msg, _ := first["message"].(map[string]any)
	content, _ := msg["content"].(string)
	var answer struct {
		Label      string  `json:"label"`
		Confidence float64 `json:"confidence"`
	}
	if err := json.Unmarshal([]byte(content), &answer); err != nil {
		// Some models answer the bare label.
		answer.Label, answer.Confidence = strings.Trim(strings.TrimSpace(content), `"'.`), 0.5
	}
	for _, l := range labels {
		if strings.EqualFold(l, answer.Label) {
			return l, min(max(answer.Confidence, 0), 1), nil
		}
	}
	return "", 0, nf.NodeError{Message: "the model answered a label that is not one of the node's: " + nf.Quote(answer.Label), Code: "llm_label"}
}
