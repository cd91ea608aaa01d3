package nf

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LLMRequest is one chat request of an LLM node, in neutral terms; LLMChat speaks the
// connector's wire format (NODEFORGE_CONNECTOR_<NAME>_PROVIDER: openai (default),
// azure, anthropic, gemini, or a local OpenAI-compatible server: ollama, vllm, llamacpp,
// lmstudio).
type LLMRequest struct {
	Model       string // empty: the connector's model
	System      string
	Prompt      string
	Temperature float64
	MaxTokens   int64 // 0: the provider's default (Anthropic, which needs one: 1024)
	// JSON asks for a JSON answer: OpenAI-compatible response_format json_object,
	// Gemini responseMimeType application/json; for Anthropic the instructions ask, and
	// with an object Schema a forced tool call carries the answer.
	JSON   bool
	Schema map[string]any
	// CacheTTL > 0 keeps the answer in the app's memory for that long: the same request
	// (connector, provider, URL, model, body) is answered from there, costing nothing.
	CacheTTL time.Duration
	Timeout  time.Duration // 0: 120 s
}

// LLMResult is the model's answer and the tokens it used.
type LLMResult struct {
	Text                      string
	Data                      any // a tool call's input (Anthropic with Schema), else nil
	InputTokens, OutputTokens int64
	Provider, Model           string
	Cached                    bool
}

// LLMOption adjusts an LLMRequest (the executors' optional arguments).
type LLMOption func(*LLMRequest)

// LLMCacheTTL caches the node's answers for seconds (0: no cache).
func LLMCacheTTL(seconds int64) LLMOption {
	return func(r *LLMRequest) { r.CacheTTL = time.Duration(seconds) * time.Second }
}

// LLMRetries is how often a request is retried on 429, 5xx, 529 and transport errors.
const LLMRetries = 2

// llmMaxRetryAfter caps a server's Retry-After: a longer wait fails the node instead.
const llmMaxRetryAfter = 30 * time.Second

var llmDefaultURLs = map[string]string{
	"openai":    "https://api.openai.com/v1",
	"anthropic": "https://api.anthropic.com",
	"gemini":    "https://generativelanguage.googleapis.com",
	"ollama":    "http://localhost:11434/v1",
	"vllm":      "http://localhost:8000/v1",
	"llamacpp":  "http://localhost:8080/v1",
	"lmstudio":  "http://localhost:1234/v1",
	"azure":     "",
}

// LLMChat asks connector's model: builds the provider's request, retries transient
// failures (honouring Retry-After), reads the answer, and records the token usage in
// the execution's log (message "llm usage") and in a span "llm <provider>" carrying the
// gen_ai.* attributes.
func LLMChat(x *Exec, connector string, req LLMRequest, opts ...LLMOption) (LLMResult, error) {
	for _, o := range opts {
		o(&req)
	}
	provider := Setting(connector, "provider")
	if provider == "" {
		provider = "openai"
	}
	base, known := llmDefaultURLs[provider]
	if !known {
		return LLMResult{}, NodeError{Message: "unknown llm provider " + Quote(provider), Code: "llm_config"}
	}
	if u := Setting(connector, "url"); u != "" {
		base = u
	}
	if base == "" {
		return LLMResult{}, NodeError{Message: "the " + provider + " connector " + Quote(connector) + " has no url", Code: "llm_config"}
	}
	model := req.Model
	if model == "" {
		model = Setting(connector, "model")
	}
	if model == "" && (provider == "azure" || provider == "gemini") {
		// (the others get the empty name: a local server with one model takes it)
		return LLMResult{}, NodeError{Message: "no model: set the node's model or the connector's", Code: "llm_config"}
	}
	wire := llmWire{provider: provider, base: strings.TrimRight(base, "/"), key: Setting(connector, "api_key"),
		version: Setting(connector, "api_version")}
	endpoint, headers, body := wire.request(model, req)
	var key string
	if req.CacheTTL > 0 {
		key = llmCacheKey(connector, provider, endpoint, body)
		if hit, ok := llmCache.get(key); ok {
			hit.Cached, hit.InputTokens, hit.OutputTokens = true, 0, 0
			x.llmRecord(connector, hit, 0)
			return hit, nil
		}
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = 120 * time.Second
	}
	ctx, cancel := context.WithTimeout(x.Context(), timeout)
	defer cancel()
	started := time.Now()
	_, end := x.llmSpan(provider, model)
	reply, err := llmPost(ctx, endpoint, headers, body)
	var res LLMResult
	if err == nil {
		res, err = wire.parse(reply.Body, req)
		if res.Model == "" {
			res.Model = model
		}
		res.Provider = provider
	}
	end(err, res)
	if err != nil {
		return LLMResult{}, err
	}
	x.llmRecord(connector, res, time.Since(started))
	if key != "" {
		llmCache.put(key, res, req.CacheTTL)
	}
	return res, nil
}

func (x *Exec) llmRecord(connector string, res LLMResult, took time.Duration) {
	x.log.LogAttrs(x.ctx, slog.LevelInfo, "llm usage",
		slog.String("flow", x.Flow), slog.String("execution", x.ID),
		slog.String("connector", connector), slog.String("provider", res.Provider), slog.String("model", res.Model),
		slog.Int64("input_tokens", res.InputTokens), slog.Int64("output_tokens", res.OutputTokens),
		slog.Bool("cached", res.Cached), slog.Float64("took_ms", Millis(took)))
}

// llmSpan opens a span for one model call; the end function adds the usage attributes
// when the tracer supports attributes at the end (ResultTracing).
func (x *Exec) llmSpan(provider, model string) (context.Context, func(error, LLMResult)) {
	if tracing == nil {
		return x.ctx, func(error, LLMResult) {}
	}
	attrs := map[string]string{
		"nodeforge.flow": x.Flow, "nodeforge.execution": x.ID,
		"gen_ai.system": provider, "gen_ai.request.model": model,
	}
	if rt, ok := tracing.(ResultTracing); ok {
		ctx, end := rt.StartWithResult(x.ctx, "llm "+provider, attrs)
		return ctx, func(err error, res LLMResult) {
			end(err, map[string]string{
				"gen_ai.response.model":      res.Model,
				"gen_ai.usage.input_tokens":  strconv.FormatInt(res.InputTokens, 10),
				"gen_ai.usage.output_tokens": strconv.FormatInt(res.OutputTokens, 10),
			})
		}
	}
	ctx, end := tracing.Start(x.ctx, "llm "+provider, attrs)
	return ctx, func(err error, _ LLMResult) { end(err) }
}

// llmPost posts body, retrying transient failures: after the server's Retry-After
// (seconds or an HTTP date, at most 30 s) or 0.5 s, 1 s, ...
func llmPost(ctx context.Context, endpoint string, headers map[string]string, body map[string]any) (Reply, error) {
	wait := 500 * time.Millisecond
	for try := 0; ; try++ {
		reply, err := DoJSON(ctx, "POST", endpoint, headers, body)
		if err == nil {
			return reply, nil
		}
		ne := AsNodeError(err)
		retryable := ne.Retryable || reply.Status == 529 || reply.Status == 408
		if !retryable || try >= LLMRetries {
			return reply, llmError(reply.Status, ne)
		}
		delay := wait
		if d, ok := parseRetryAfter(reply.Headers["retry-after"], time.Now()); ok {
			if d > llmMaxRetryAfter {
				return reply, llmError(reply.Status, ne)
			}
			delay = d
		}
		select {
		case <-ctx.Done():
			return reply, llmError(reply.Status, ne)
		case <-time.After(delay):
		}
		wait *= 2
	}
}

func llmError(status int, ne NodeError) NodeError {
	switch {
	case status == 401 || status == 403:
		ne.Code = "llm_auth"
	case status == 429:
		ne.Code = "llm_rate_limited"
	}
	return ne
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Duration(max(s, 0) * float64(time.Second)), true
	}
	if t, err := time.Parse(time.RFC1123, v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

type llmWire struct{ provider, base, key, version string }

func (w llmWire) request(model string, req LLMRequest) (string, map[string]string, map[string]any) {
	headers := map[string]string{}
	switch w.provider {
	case "anthropic":
		if w.key != "" {
			headers["x-api-key"] = w.key
		}
		headers["anthropic-version"] = "2023-06-01"
		maxTokens := req.MaxTokens
		if maxTokens <= 0 {
			maxTokens = 1024
		}
		body := map[string]any{
			"model": model, "max_tokens": maxTokens, "temperature": req.Temperature,
			"messages": []map[string]string{{"role": "user", "content": req.Prompt}},
		}
		if req.System != "" {
			body["system"] = req.System
		}
		if req.Schema != nil && req.Schema["type"] == "object" {
			body["tools"] = []map[string]any{{"name": "answer", "description": "Give the answer with this tool.", "input_schema": req.Schema}}
			body["tool_choice"] = map[string]string{"type": "tool", "name": "answer"}
		}
		return strings.TrimSuffix(w.base, "/v1") + "/v1/messages", headers, body
	case "gemini":
		if w.key != "" {
			headers["x-goog-api-key"] = w.key
		}
		config := map[string]any{"temperature": req.Temperature}
		if req.MaxTokens > 0 {
			config["maxOutputTokens"] = req.MaxTokens
		}
		if req.JSON {
			config["responseMimeType"] = "application/json"
		}
		body := map[string]any{
			"contents":         []map[string]any{{"role": "user", "parts": []map[string]string{{"text": req.Prompt}}}},
			"generationConfig": config,
		}
		if req.System != "" {
			body["systemInstruction"] = map[string]any{"parts": []map[string]string{{"text": req.System}}}
		}
		base := w.base
		if !geminiVersioned.MatchString(base) {
			base += "/v1beta"
		}
		name := model
		if !strings.HasPrefix(name, "models/") && !strings.HasPrefix(name, "tunedModels/") {
			name = "models/" + name
		}
		return base + "/" + name + ":generateContent", headers, body
	}
	msgs := []map[string]string{}
	if req.System != "" {
		msgs = append(msgs, map[string]string{"role": "system", "content": req.System})
	}
	msgs = append(msgs, map[string]string{"role": "user", "content": req.Prompt})
	body := map[string]any{"model": model, "messages": msgs, "temperature": req.Temperature}
	if req.MaxTokens > 0 {
		body["max_tokens"] = req.MaxTokens
	}
	if req.JSON {
		body["response_format"] = map[string]string{"type": "json_object"}
	}
	if w.provider == "azure" {
		if w.key != "" {
			headers["api-key"] = w.key
		}
		version := w.version
		if version == "" {
			version = "2024-10-21"
		}
		return w.base + "/openai/deployments/" + url.PathEscape(model) + "/chat/completions?api-version=" +
			url.QueryEscape(version), headers, body
	}
	if w.key != "" {
		headers["Authorization"] = "Bearer " + w.key
	}
	return w.base + "/chat/completions", headers, body
}

var geminiVersioned = regexp.MustCompile(`/v\d+(alpha|beta)?\d*$`)

var geminiBlocked = map[string]bool{"SAFETY": true, "RECITATION": true, "BLOCKLIST": true,
	"PROHIBITED_CONTENT": true, "SPII": true, "IMAGE_SAFETY": true}

func refused(why string) NodeError {
	return NodeError{Message: "the model refused: " + why, Code: "llm_refused"}
}

func (w llmWire) parse(body any, req LLMRequest) (LLMResult, error) {
	m, _ := body.(map[string]any)
	var r LLMResult
	switch w.provider {
	case "anthropic":
		blocks, ok := m["content"].([]any)
		if !ok {
			return r, NodeError{Message: "the model answered no content", Code: "llm"}
		}
		var text strings.Builder
		for _, b := range blocks {
			block, _ := b.(map[string]any)
			switch block["type"] {
			case "text":
				s, _ := block["text"].(string)
				text.WriteString(s)
			case "tool_use":
				if r.Data == nil {
					r.Data = block["input"]
				}
			}
		}
		r.Text = text.String()
		if m["stop_reason"] == "refusal" {
			return r, refused(orDefault(r.Text, "it declined to answer"))
		}
		if r.Data != nil && r.Text == "" {
			data, _ := json.Marshal(r.Data)
			r.Text = string(data)
		}
		usage, _ := m["usage"].(map[string]any)
		r.InputTokens, r.OutputTokens = toInt64(usage["input_tokens"]), toInt64(usage["output_tokens"])
		r.Model, _ = m["model"].(string)
		return r, nil
	case "gemini":
		if fb, ok := m["promptFeedback"].(map[string]any); ok && fb["blockReason"] != nil {
			return r, refused("the prompt was blocked (" + toString(fb["blockReason"]) + ")")
		}
		cands, ok := m["candidates"].([]any)
		if !ok || len(cands) == 0 {
			return r, NodeError{Message: "the model answered no candidates", Code: "llm"}
		}
		cand, _ := cands[0].(map[string]any)
		if reason, _ := cand["finishReason"].(string); geminiBlocked[reason] {
			return r, refused("the answer was blocked (" + reason + ")")
		}
		content, _ := cand["content"].(map[string]any)
		parts, _ := content["parts"].([]any)
		var text strings.Builder
		for _, p := range parts {
			part, _ := p.(map[string]any)
			if s, ok := part["text"].(string); ok && part["thought"] != true {
				text.WriteString(s)
			}
		}
		r.Text = text.String()
		usage, _ := m["usageMetadata"].(map[string]any)
		r.InputTokens, r.OutputTokens = toInt64(usage["promptTokenCount"]), toInt64(usage["candidatesTokenCount"])
		r.Model, _ = m["modelVersion"].(string)
		return r, nil
	}
	choices, _ := m["choices"].([]any)
	if len(choices) == 0 {
		return r, NodeError{Message: "the model answered no choices", Code: "llm"}
	}
	first, _ := choices[0].(map[string]any)
	msg, _ := first["message"].(map[string]any)
	if why, ok := msg["refusal"].(string); ok && why != "" {
		return r, refused(why)
	}
	if first["finish_reason"] == "content_filter" {
		return r, refused("the provider's content filter stopped the answer")
	}
	r.Text, _ = msg["content"].(string)
	usage, _ := m["usage"].(map[string]any)
	r.InputTokens, r.OutputTokens = toInt64(usage["prompt_tokens"]), toInt64(usage["completion_tokens"])
	r.Model, _ = m["model"].(string)
	return r, nil
}

// LLMJSON is the JSON value in a model's text: the whole text, else a fenced block, else
// the first complete object in it (models asked for JSON often wrap it in prose).
func LLMJSON(text string) (any, error) {
	s := strings.TrimSpace(text)
	v, err := DecodeJSON([]byte(s))
	if err == nil {
		return v, nil
	}
	if m := fence.FindStringSubmatch(s); m != nil {
		return DecodeJSON([]byte(m[1]))
	}
	if i := strings.IndexByte(s, '{'); i >= 0 {
		dec := json.NewDecoder(strings.NewReader(s[i:]))
		dec.UseNumber()
		var obj any
		if dec.Decode(&obj) == nil {
			return Normalize(obj), nil
		}
	}
	return nil, err
}

var fence = regexp.MustCompile("(?s)```[A-Za-z0-9_-]*[ \t]*\r?\n(.*?)\r?\n?[ \t]*```")

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	return 0
}

func toString(v any) string {
	s, ok := v.(string)
	if !ok {
		data, _ := json.Marshal(v)
		return string(data)
	}
	return s
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// -- the response cache --------------------------------------------------------------

// llmCacheMax bounds the cached answers kept in memory (the oldest go first).
const llmCacheMax = 1024

type llmEntry struct {
	res     LLMResult
	expires time.Time
	stored  time.Time
}

type llmMemo struct {
	mu      sync.Mutex
	entries map[string]llmEntry
}

var llmCache = &llmMemo{entries: map[string]llmEntry{}}

func llmCacheKey(connector, provider, endpoint string, body map[string]any) string {
	data, _ := json.Marshal(body) // map keys are sorted: the same body, the same bytes
	h := sha256.New()
	for _, part := range []string{connector, provider, endpoint} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func (c *llmMemo) get(key string) (LLMResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return LLMResult{}, false
	}
	if time.Now().After(e.expires) {
		delete(c.entries, key)
		return LLMResult{}, false
	}
	return e.res, true
}

func (c *llmMemo) put(key string, res LLMResult, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if len(c.entries) >= llmCacheMax {
		oldest, when := "", now
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
				continue
			}
			if e.stored.Before(when) {
				oldest, when = k, e.stored
			}
		}
		if len(c.entries) >= llmCacheMax && oldest != "" {
			delete(c.entries, oldest)
		}
	}
	c.entries[key] = llmEntry{res: res, expires: now.Add(ttl), stored: now}
}
