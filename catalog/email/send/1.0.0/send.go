// Package emailsend is the executor of email/send 1.0.0: one message over SMTP.
//
// Connector settings (environment): NODEFORGE_CONNECTOR_<NAME>_HOST (required), _PORT
// (default 587), _USERNAME and _PASSWORD (PLAIN auth, only over TLS or to localhost),
// _FROM (the sender when the node sets none).
package emailsend

import (
	"context"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"strings"
	"time"

	"nodeforge.dev/catalog/nf"
)

// Message is what the node sends.
type Message struct {
	From, To, Subject, Body string
	HTML                    bool
}

// Run sends msg through the connector's server and returns the Message-ID.
func Run(x *nf.Exec, connector string, msg Message) (string, error) {
	host := nf.Setting(connector, "host")
	if host == "" {
		return "", nf.NodeError{Message: "connector " + connector + ": set " + nf.SettingName(connector, "host"), Code: "config"}
	}
	port := nf.Setting(connector, "port")
	if port == "" {
		port = "587"
	}
	if msg.From == "" {
		msg.From = nf.Setting(connector, "from")
	}
	for _, h := range []string{msg.From, msg.To, msg.Subject} {
		if strings.ContainsAny(h, "\r\n") {
			return "", nf.NodeError{Message: "header values must not contain line breaks", Code: "invalid"}
		}
	}
	to := splitAddresses(msg.To)
	if msg.From == "" || len(to) == 0 {
		return "", nf.NodeError{Message: "a sender and at least one recipient are required", Code: "invalid"}
	}
	domain := "nodeforge.local"
	if i := strings.LastIndexByte(msg.From, '@'); i >= 0 {
		domain = strings.Trim(msg.From[i+1:], "> ")
	}
	id := fmt.Sprintf("<%s.%d@%s>", x.ID, time.Now().UnixNano(), domain)
	var b strings.Builder
	b.WriteString("From: " + msg.From + "\r\n")
	b.WriteString("To: " + strings.Join(to, ", ") + "\r\n")
	b.WriteString("Subject: " + mime.QEncoding.Encode("utf-8", msg.Subject) + "\r\n")
	b.WriteString("Message-ID: " + id + "\r\n")
	b.WriteString("Date: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	if msg.HTML {
		b.WriteString("Content-Type: text/html; charset=utf-8\r\n")
	} else {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	}
	b.WriteString("Content-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(msg.Body, "\r\n", "\n"), "\n", "\r\n"))
	b.WriteString("\r\n")
	var auth smtp.Auth
	if user := nf.Setting(connector, "username"); user != "" {
		auth = smtp.PlainAuth("", user, nf.Setting(connector, "password"), host)
	}
	done := make(chan error, 1)
	go func() {
		done <- smtp.SendMail(net.JoinHostPort(host, port), auth, bare(msg.From), to, []byte(b.String()))
	}()
	ctx, cancel := context.WithTimeout(x.Context(), 30*time.Second)
	defer cancel()
	select {
	case err := <-done:
		if err != nil {
			return "", nf.NodeError{Message: "smtp: " + err.Error(), Code: "smtp", Retryable: !strings.Contains(err.Error(), "55")}
		}
		return id, nil
	case <-ctx.Done():
		return "", nf.NodeError{Message: "smtp: timed out", Code: "timeout", Retryable: true}
	}
}

func splitAddresses(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, bare(p))
		}
	}
	return out
}

func bare(addr string) string {
	if i := strings.IndexByte(addr, '<'); i >= 0 {
		if j := strings.IndexByte(addr[i:], '>'); j > 0 {
			return addr[i+1 : i+j]
		}
	}
	return strings.TrimSpace(addr)
}
