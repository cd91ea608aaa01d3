package whatsappsend

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"nodeforge.dev/catalog/nf"
)

func TestRunOutsideTheWindowIsOutsideWindow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		w.Write([]byte(`{"error":{"message":"(#131047) Re-engagement message","code":131047}}`))
	}))
	defer srv.Close()
	os.Setenv("NODEFORGE_CONNECTOR_WA_URL", srv.URL)
	os.Setenv("NODEFORGE_CONNECTOR_WA_PHONE_NUMBER_ID", "123")
	_, err := Run(nf.TestExec(), "wa", "34600", "hello", false)
	if ne := nf.AsNodeError(err); ne.Code != "outside_window" || ne.Retryable {
		t.Fatalf("%+v", ne)
	}
}
