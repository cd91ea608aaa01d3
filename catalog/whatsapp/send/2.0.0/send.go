// Package whatsappsend is the executor of whatsapp/send 2.0.0: a text message through the
// WhatsApp Business Cloud API (POST {url}/{phone_number_id}/messages).
//
// Connector settings (environment): NODEFORGE_CONNECTOR_<NAME>_URL (default
// https://graph.facebook.com/v21.0), _PHONE_NUMBER_ID, _TOKEN.
package whatsappsend

import (
	"context"
	"strings"
	"time"

	"nodeforge.dev/catalog/nf"
)

// Run sends body to the number to and returns the WhatsApp message id.
func Run(x *nf.Exec, connector, to, body string, previewURL bool) (string, error) {
	url := nf.Setting(connector, "url")
	if url == "" {
		url = "https://graph.facebook.com/v21.0"
	}
	phone := nf.Setting(connector, "phone_number_id")
	if phone == "" {
		return "", nf.NodeError{Message: "connector " + connector + ": set " + nf.SettingName(connector, "phone_number_id"), Code: "config"}
	}
	headers := map[string]string{"Authorization": "Bearer " + nf.Setting(connector, "token")}
	payload := map[string]any{
		"messaging_product": "whatsapp",
		"recipient_type":    "individual",
		"to":                to,
		"type":              "text",
		"text":              map[string]any{"body": body, "preview_url": previewURL},
	}
	ctx, cancel := context.WithTimeout(x.Context(), 30*time.Second)
	defer cancel()
	reply, err := nf.Retry(ctx, 2, func() (nf.Reply, error) {
		return nf.DoJSON(ctx, "POST", strings.TrimRight(url, "/")+"/"+phone+"/messages", headers, payload)
	})
	if err != nil {
		return "", outsideWindow(reply, err)
	}
	m, _ := reply.Body.(map[string]any)
	msgs, _ := m["messages"].([]any)
	if len(msgs) > 0 {
		if first, ok := msgs[0].(map[string]any); ok {
			if id, ok := first["id"].(string); ok {
				return id, nil
			}
		}
	}
	return "", nf.NodeError{Message: "WhatsApp answered no message id", Code: "whatsapp"}
}

// ReEngagementCode is the Graph API's error code for a message sent outside the 24-hour
// customer service window ("Re-engagement message"): only approved templates go out then.
const ReEngagementCode = 131047

// outsideWindow turns the API's refusal of a message outside the 24-hour window into the
// node's error code "outside_window" (not retryable: retrying cannot reopen the window);
// any other error is returned as it is.
func outsideWindow(reply nf.Reply, err error) error {
	m, _ := reply.Body.(map[string]any)
	e, _ := m["error"].(map[string]any)
	switch code := e["code"].(type) {
	case int64:
		if code != ReEngagementCode {
			return err
		}
	case float64:
		if code != ReEngagementCode {
			return err
		}
	default:
		return err
	}
	msg := "outside the 24-hour customer service window: WhatsApp only delivers approved templates"
	if detail, ok := e["message"].(string); ok && detail != "" {
		msg += " (" + detail + ")"
	}
	return nf.NodeError{Message: msg, Code: "outside_window"}
}
