package otel

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func post(t *testing.T, p *poster, u string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, u, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Token", "t")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := p.do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return a.code, string(a.body)
}

func echo(conns *atomic.Int32) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Token")+" "+string(b))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake of TestPosterHTTPS
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	return srv
}

func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

func TestPosterKeepsOneConnection(t *testing.T) {
	var conns atomic.Int32
	srv := echo(&conns)
	srv.Start()
	defer srv.Close()
	p := &poster{proxy: noProxy}
	for i := range 3 {
		code, msg := post(t, p, srv.URL+"/v1/traces", "b"+string(rune('0'+i)))
		if code != http.StatusAccepted || msg != "POST /v1/traces t b"+string(rune('0'+i)) {
			t.Fatalf("%d %q", code, msg)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
	// The server closes the idle connection: the next request reconnects once.
	srv.CloseClientConnections()
	time.Sleep(50 * time.Millisecond)
	if code, msg := post(t, p, srv.URL+"/x", "again"); code != http.StatusAccepted || msg != "POST /x t again" {
		t.Fatalf("%d %q", code, msg)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
	p.closeIdle()
}

func TestPosterHTTPS(t *testing.T) {
	var conns atomic.Int32
	srv := echo(&conns)
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	p := &poster{proxy: noProxy, tls: &tls.Config{RootCAs: pool}}
	if code, msg := post(t, p, srv.URL+"/v1/traces", "secure"); code != http.StatusAccepted || msg != "POST /v1/traces t secure" {
		t.Fatalf("%d %q", code, msg)
	}
	// An unknown authority is refused.
	q := &poster{proxy: noProxy}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("x"))
	if _, err := q.do(context.Background(), req); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err %v", err)
	}
}

// proxy is a forward proxy: CONNECT tunnels and absolute-URI requests.
type proxy struct {
	mu   sync.Mutex
	seen []string
}

func (px *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	px.mu.Lock()
	px.seen = append(px.seen, r.Method+" "+r.RequestURI+" "+r.Header.Get("Proxy-Authorization"))
	px.mu.Unlock()
	if r.Method == http.MethodConnect {
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		conn, buf, _ := http.NewResponseController(w).Hijack()
		go func() { io.Copy(up, buf); up.Close() }()
		io.Copy(conn, up)
		conn.Close()
		return
	}
	r.RequestURI = ""
	r.Header.Del("Proxy-Authorization")
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func TestPosterThroughProxy(t *testing.T) {
	var conns atomic.Int32
	plain := echo(&conns)
	plain.Start()
	defer plain.Close()
	secure := echo(&conns)
	secure.StartTLS()
	defer secure.Close()
	px := &proxy{}
	psrv := httptest.NewServer(px)
	defer psrv.Close()
	pu, _ := url.Parse(psrv.URL)
	pu.User = url.UserPassword("u", "p")
	pool := x509.NewCertPool()
	pool.AddCert(secure.Certificate())
	p := &poster{proxy: func(*http.Request) (*url.URL, error) { return pu, nil }, tls: &tls.Config{RootCAs: pool}}
	if code, msg := post(t, p, plain.URL+"/a", "via"); code != http.StatusAccepted || msg != "POST /a t via" {
		t.Fatalf("%d %q", code, msg)
	}
	if code, msg := post(t, p, secure.URL+"/b", "tunnel"); code != http.StatusAccepted || msg != "POST /b t tunnel" {
		t.Fatalf("%d %q", code, msg)
	}
	auth := "Basic dTpw"
	want := []string{"POST " + plain.URL + "/a " + auth, "CONNECT " + strings.TrimPrefix(secure.URL, "https://") + " " + auth}
	px.mu.Lock()
	defer px.mu.Unlock()
	if strings.Join(px.seen, "\n") != strings.Join(want, "\n") {
		t.Fatalf("proxy saw %q, want %q", px.seen, want)
	}
}

func TestPosterFollowsTemporaryRedirects(t *testing.T) {
	var conns atomic.Int32
	target := echo(&conns)
	target.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, r.URL.Path+" "+r.Header.Get("X-Token")+" ["+r.Header.Get("Authorization")+"] "+string(b))
	})
	target.Start()
	defer target.Close()
	var hops atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hops.Add(1)
		switch r.URL.Path {
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusTemporaryRedirect)
		case "/same":
			http.Redirect(w, r, "/moved", http.StatusPermanentRedirect)
		case "/moved":
			b, _ := io.ReadAll(r.Body)
			io.WriteString(w, "moved ["+r.Header.Get("Authorization")+"] "+string(b))
		default:
			http.Redirect(w, r, target.URL+"/v1/traces", http.StatusTemporaryRedirect)
		}
	}))
	defer front.Close()
	p := &poster{proxy: noProxy}
	send := func(path string) answer {
		req, _ := http.NewRequest(http.MethodPost, front.URL+path, strings.NewReader("spans"))
		req.Header.Set("X-Token", "t")
		req.Header.Set("Authorization", "Bearer s")
		a, err := p.do(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := send("/v1/traces"); a.code != http.StatusOK || string(a.body) != "/v1/traces t [] spans" {
		t.Fatalf("%d %q", a.code, a.body)
	}
	if a := send("/same"); a.code != http.StatusOK || string(a.body) != "moved [Bearer s] spans" {
		t.Fatalf("%d %q", a.code, a.body)
	}
	hops.Store(0)
	if a := send("/loop"); a.code != http.StatusTemporaryRedirect || hops.Load() != maxRedirects+1 {
		t.Fatalf("%d after %d requests", a.code, hops.Load())
	}
}
