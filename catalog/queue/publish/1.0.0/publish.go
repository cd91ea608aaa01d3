// Package queuepublish is the executor of queue/publish 1.0.0: one message published to a
// NATS JetStream subject, acknowledged by the stream that holds it.
//
// Connector settings (environment): those of nf/natsq (NODEFORGE_CONNECTOR_<NAME>_URL,
// credentials, TLS).
package queuepublish

import (
	"strings"
	"time"

	"nodeforge.dev/catalog/nf"
	"nodeforge.dev/catalog/nf/natsq"
)

// Message is what the node publishes.
type Message struct {
	Subject string
	Payload any
	Headers map[string]string
	ID      string // Nats-Msg-Id: the stream drops a second message with the same id
	Timeout time.Duration
}

// Run publishes msg through the connector and returns the stream's acknowledgement.
func Run(x *nf.Exec, connector string, msg Message) (natsq.Published, error) {
	if err := check(msg); err != nil {
		return natsq.Published{}, err
	}
	data := nf.AppendAny(nil, msg.Payload)
	headers := msg.Headers
	if len(headers) > 0 {
		headers = make(map[string]string, len(msg.Headers)+1)
		for k, v := range msg.Headers {
			headers[k] = v
		}
	}
	headers = withContentType(headers)
	return natsq.Publish(x.Context(), connector, msg.Subject, data, headers, msg.ID, msg.Timeout)
}

func withContentType(h map[string]string) map[string]string {
	if h == nil {
		h = map[string]string{}
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = "application/json"
	}
	return h
}

// check refuses what NATS would misread: a subject with spaces or empty tokens, header
// values with line breaks.
func check(msg Message) error {
	s := msg.Subject
	if s == "" || strings.ContainsAny(s, " \t\r\n*>") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return nf.NodeError{Message: "invalid subject " + nf.Quote(s) + " (tokens separated by dots, no spaces or wildcards)", Code: "invalid"}
	}
	for k, v := range msg.Headers {
		if strings.ContainsAny(k, " \t\r\n:") || strings.ContainsAny(v, "\r\n") {
			return nf.NodeError{Message: "header " + nf.Quote(k) + ": names without spaces or colons, values without line breaks", Code: "invalid"}
		}
	}
	if strings.ContainsAny(msg.ID, "\r\n") {
		return nf.NodeError{Message: "message id must not contain line breaks", Code: "invalid"}
	}
	return nil
}
