// Package llmtest is a fake LLM provider for the executors' tests: an httptest server
// answering scripted replies in the OpenAI-compatible, Azure OpenAI, Anthropic or
// Gemini wire format, recording every request. Only tests import it (apps never do).
package llmtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Key is the API key Connect gives the connector; the server refuses any other.
const Key = "test-key-123"

// Reply is one scripted answer.
type Reply struct {
	Text       string // message text
	Data       any    // Anthropic: a tool_use block with this input (when the request has tools)
	Refusal    string // OpenAI refusal, Anthropic stop_reason refusal, Gemini finishReason SAFETY
	Status     int    // an HTTP error instead of an answer
	RetryAfter string // with Status
	In, Out    int64  // token usage
}

// Request is a recorded request.
type Request struct {
	Path    string
	Headers http.Header
	Body    map[string]any
}

// Server is the fake provider.
type Server struct {
	*httptest.Server
	Provider string
	mu       sync.Mutex
	script   []Reply
	Requests []Request
}

// New starts a fake provider of the given wire format with a script; it closes with t.
func New(t *testing.T, provider string, script ...Reply) *Server {
	s := &Server{Provider: provider, script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// Connect points connector's settings (environment) at the server.
func (s *Server) Connect(t *testing.T, connector string) {
	prefix := "NODEFORGE_CONNECTOR_" + strings.ToUpper(connector) + "_"
	t.Setenv(prefix+"PROVIDER", s.Provider)
	base := s.URL
	if s.Provider == "openai" {
		base += "/v1"
	}
	t.Setenv(prefix+"URL", base)
	t.Setenv(prefix+"API_KEY", Key)
	t.Setenv(prefix+"MODEL", "fake-model")
}

// Posts is how many requests arrived.
func (s *Server) Posts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.Requests)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(data, &body)
	s.mu.Lock()
	s.Requests = append(s.Requests, Request{Path: r.URL.RequestURI(), Headers: r.Header.Clone(), Body: body})
	var reply Reply
	ok := len(s.script) > 0
	if ok {
		reply, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()
	send := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	want, path := map[string][2]string{
		"openai":    {"Authorization", "Bearer " + Key},
		"azure":     {"Api-Key", Key},
		"anthropic": {"X-Api-Key", Key},
		"gemini":    {"X-Goog-Api-Key", Key},
	}[s.Provider], map[string]string{
		"openai":    "/v1/chat/completions",
		"azure":     "/openai/deployments/fake-model/chat/completions",
		"anthropic": "/v1/messages",
		"gemini":    "/v1beta/models/fake-model:generateContent",
	}[s.Provider]
	switch {
	case r.URL.Path != path:
		send(404, map[string]any{"error": map[string]any{"message": "no such path " + r.URL.Path}})
		return
	case r.Header.Get(want[0]) != want[1]:
		send(401, map[string]any{"error": map[string]any{"message": "bad key"}})
		return
	case s.Provider == "anthropic" && r.Header.Get("Anthropic-Version") == "":
		send(400, map[string]any{"error": map[string]any{"message": "anthropic-version missing"}})
		return
	case s.Provider == "azure" && r.URL.Query().Get("api-version") == "":
		send(404, map[string]any{"error": map[string]any{"message": "api-version missing"}})
		return
	case !ok:
		send(418, map[string]any{"error": map[string]any{"message": "no scripted reply left"}})
		return
	case reply.Status != 0:
		if reply.RetryAfter != "" {
			w.Header().Set("Retry-After", reply.RetryAfter)
		}
		send(reply.Status, map[string]any{"error": map[string]any{"message": "scripted error"}})
		return
	}
	switch s.Provider {
	case "anthropic":
		content := []any{}
		stop := "end_turn"
		switch {
		case reply.Refusal != "":
			content, stop = append(content, map[string]any{"type": "text", "text": reply.Refusal}), "refusal"
		case reply.Data != nil && body["tools"] != nil:
			content, stop = append(content, map[string]any{"type": "tool_use", "id": "t1", "name": "answer", "input": reply.Data}), "tool_use"
		default:
			content = append(content, map[string]any{"type": "text", "text": reply.Text})
		}
		send(200, map[string]any{"type": "message", "model": "claude-fake", "content": content, "stop_reason": stop,
			"usage": map[string]any{"input_tokens": reply.In, "output_tokens": reply.Out}})
	case "gemini":
		cand := map[string]any{"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": reply.Text}}}, "finishReason": "STOP"}
		if reply.Refusal != "" {
			cand = map[string]any{"finishReason": "SAFETY"}
		}
		send(200, map[string]any{"candidates": []any{cand}, "modelVersion": "gemini-fake",
			"usageMetadata": map[string]any{"promptTokenCount": reply.In, "candidatesTokenCount": reply.Out}})
	default:
		msg := map[string]any{"role": "assistant", "content": reply.Text}
		if reply.Refusal != "" {
			msg = map[string]any{"role": "assistant", "content": nil, "refusal": reply.Refusal}
		}
		send(200, map[string]any{"model": "gpt-fake", "choices": []any{map[string]any{"message": msg, "finish_reason": "stop"}},
			"usage": map[string]any{"prompt_tokens": reply.In, "completion_tokens": reply.Out}})
	}
}
