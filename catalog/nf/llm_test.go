package nf

import (
	"context"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"3": 3 * time.Second, "0": 0, "-2": 0,
		"Fri, 04 Dec 2026 12:00:30 GMT": 30 * time.Second,
		"Fri, 04 Dec 2026 11:00:00 GMT": 0,
	} {
		if got, ok := parseRetryAfter(in, now); !ok || got != want {
			t.Errorf("%q: %v %v", in, got, ok)
		}
	}
	if _, ok := parseRetryAfter("soon", now); ok {
		t.Error("soon parsed")
	}
}

func TestLLMJSON(t *testing.T) {
	for _, text := range []string{`{"a": 1}`, "Sure:\n```json\n{\"a\": 1}\n```", `Answer: {"a": 1} ok`} {
		v, err := LLMJSON(text)
		if m, _ := v.(map[string]any); err != nil || m["a"] != int64(1) {
			t.Errorf("%q: %v %v", text, v, err)
		}
	}
	if _, err := LLMJSON("no json"); err == nil {
		t.Error("no error")
	}
}

type recordingTracer struct{ spans []map[string]string }

func (r *recordingTracer) Start(ctx context.Context, name string, attrs map[string]string) (context.Context, func(error)) {
	return ctx, func(error) {}
}

func (r *recordingTracer) StartWithResult(ctx context.Context, name string, attrs map[string]string) (context.Context, func(error, map[string]string)) {
	span := map[string]string{"name": name}
	for k, v := range attrs {
		span[k] = v
	}
	return ctx, func(_ error, more map[string]string) {
		for k, v := range more {
			span[k] = v
		}
		r.spans = append(r.spans, span)
	}
}

func TestLLMSpanCarriesTokenUsage(t *testing.T) {
	rec := &recordingTracer{}
	SetTracing(rec)
	defer SetTracing(nil)
	x := TestExec()
	_, end := x.llmSpan("anthropic", "claude-x")
	end(nil, LLMResult{Model: "claude-x-1", InputTokens: 7, OutputTokens: 2})
	span := rec.spans[0]
	if span["name"] != "llm anthropic" || span["gen_ai.system"] != "anthropic" || span["gen_ai.usage.input_tokens"] != "7" ||
		span["gen_ai.usage.output_tokens"] != "2" || span["gen_ai.response.model"] != "claude-x-1" {
		t.Fatalf("%v", span)
	}
}

func TestLLMCacheExpiresAndIsBounded(t *testing.T) {
	c := &llmMemo{entries: map[string]llmEntry{}}
	c.put("a", LLMResult{Text: "x"}, time.Hour)
	if r, ok := c.get("a"); !ok || r.Text != "x" {
		t.Fatal("miss")
	}
	c.put("b", LLMResult{Text: "y"}, -time.Second)
	if _, ok := c.get("b"); ok {
		t.Fatal("expired entry served")
	}
	for i := range llmCacheMax + 10 {
		c.put(string(rune('A'+i%26))+time.Duration(i).String(), LLMResult{}, time.Hour)
	}
	if len(c.entries) > llmCacheMax {
		t.Fatalf("%d entries", len(c.entries))
	}
}
