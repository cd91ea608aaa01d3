package queuepublish

import (
	"errors"
	"testing"

	"nodeforge.dev/catalog/nf"
)

func TestCheckRefusesBadSubjectsAndHeaders(t *testing.T) {
	bad := []Message{
		{Subject: ""},
		{Subject: "orders placed"},
		{Subject: "orders.*"},
		{Subject: "orders.>"},
		{Subject: ".orders"},
		{Subject: "orders."},
		{Subject: "orders..placed"},
		{Subject: "orders", Headers: map[string]string{"X-A": "one\r\ntwo"}},
		{Subject: "orders", Headers: map[string]string{"X A": "v"}},
		{Subject: "orders", ID: "a\nb"},
	}
	for _, m := range bad {
		err := check(m)
		var ne nf.NodeError
		if !errors.As(err, &ne) || ne.Code != "invalid" {
			t.Errorf("check(%+v) = %v, want an invalid node error", m, err)
		}
	}
	good := Message{Subject: "orders.placed.eu-1", Headers: map[string]string{"Trace-Id": "abc"}, ID: "order-42"}
	if err := check(good); err != nil {
		t.Errorf("check(%+v) = %v", good, err)
	}
}

func TestContentTypeIsJSONUnlessGiven(t *testing.T) {
	if h := withContentType(nil); h["Content-Type"] != "application/json" {
		t.Errorf("got %v", h)
	}
	if h := withContentType(map[string]string{"Content-Type": "application/cloudevents+json"}); h["Content-Type"] != "application/cloudevents+json" {
		t.Errorf("got %v", h)
	}
}

func TestRunWithoutConnectorSettingsIsAConfigError(t *testing.T) {
	t.Setenv("NODEFORGE_CONNECTOR_NOWHERE_URL", "")
	x := nf.NewApp("test").NewExec(t.Context(), "f", "t", nil)
	_, err := Run(x, "nowhere", Message{Subject: "orders.placed", Payload: map[string]any{"a": 1}})
	var ne nf.NodeError
	if !errors.As(err, &ne) || ne.Code != "config" {
		t.Fatalf("got %v, want a config node error", err)
	}
}
