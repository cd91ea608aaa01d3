package nf

// Fixtures: pinned outputs of nodes (`app run --fixtures`, flow tests), node id -> JSON.
// A value `{"$sequence": [r1, r2, ...]}` pins one response per call: the node's first
// run takes r1, its second r2, and so on (a node inside a for-each loop runs once per
// item); a call beyond the last response fails the execution. The simulator reads the
// same format with the same messages (nodeforge.analysis.fixtures).

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// fixtureCalls counts the calls of each node whose fixture is a sequence; one per
// execution, shared by its forks (the iterations of a concurrent for-each).
type fixtureCalls struct {
	mu sync.Mutex
	n  map[string]int
}

// next is the 1-based number of node's call being made now.
func (c *fixtureCalls) next(node string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[node]++
	return c.n[node]
}

// fixtureSequence returns the responses of a `{"$sequence": [...]}` fixture, nil for
// any other value, or why the sequence is malformed.
func fixtureSequence(raw json.RawMessage) ([]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || len(obj) != 1 {
		return nil, nil
	}
	seq, ok := obj["$sequence"]
	if !ok {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(seq, &items); err != nil || items == nil {
		return nil, fmt.Errorf("`$sequence` must be a list of responses")
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("`$sequence` is empty: give one response per call")
	}
	for _, item := range items {
		if inner, _ := fixtureSequence(item); inner != nil {
			return nil, fmt.Errorf("a response of `$sequence` cannot be a `$sequence` itself")
		}
	}
	return items, nil
}

// CheckFixtures reports the first malformed fixture (by node id), before a run starts.
func CheckFixtures(fixtures map[string]json.RawMessage) error {
	ids := make([]string, 0, len(fixtures))
	for id := range fixtures {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if _, err := fixtureSequence(fixtures[id]); err != nil {
			return fmt.Errorf("fixture of node `%s`: %v", id, err)
		}
	}
	return nil
}

// pinned is the raw fixture of node's call being made now: the fixture, or the next
// response of its sequence (an expression error past its end, which fails the run).
func (x *Exec) pinned(node string, raw json.RawMessage) json.RawMessage {
	seq, err := fixtureSequence(raw)
	if err != nil {
		panic(Errorf("fixture of node %s: %v", node, err))
	}
	if seq == nil {
		return raw
	}
	call := x.calls.next(node)
	if call > len(seq) {
		plural := "responses"
		if len(seq) == 1 {
			plural = "response"
		}
		panic(Errorf("fixture of node %s: call %d, but its $sequence has %d %s", node, call, len(seq), plural))
	}
	return seq[call-1]
}
