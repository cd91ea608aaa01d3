package otel

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// poster sends the exporter's requests over HTTP/1.1 on one kept-alive connection,
// directly or through the proxy of HTTP_PROXY/HTTPS_PROXY/NO_PROXY (an http:// or
// https:// proxy; https endpoints are tunnelled with CONNECT), as net/http's client
// would. It is not net/http's Transport: the Transport and its HTTP/2 client add about
// 0.45 MB to a stripped app that makes no other outgoing HTTP call, and an exporter
// posting one request every few seconds to one collector needs neither HTTP/2 nor a
// connection pool. The request and response are written and read by net/http
// (Request.Write, ReadResponse), which the app's server links anyway.
type poster struct {
	proxy func(*http.Request) (*url.URL, error) // http.ProxyFromEnvironment
	tls   *tls.Config                           // nil: the defaults (tests set RootCAs)

	mu    sync.Mutex
	conn  net.Conn
	br    *bufio.Reader
	key   string // the endpoint and proxy conn was opened for
	viaHP bool   // conn goes to an http proxy, not tunnelled: absolute request URIs
}

// maxKeptBody is the largest response body read to keep the connection for the next
// request; a longer answer closes it.
const maxKeptBody = 64 << 10

// answer is what the exporter needs of a response: the status and the first 512
// bytes of the body.
type answer struct {
	code     int
	status   string // the status line's text, "503 Service Unavailable"
	body     []byte
	location string
}

// maxRedirects is how many 307/308 redirects a request follows, as net/http's client
// would (an OTLP POST follows no other redirect: 301-303 would turn it into a GET).
const maxRedirects = 5

// do sends req, following 307 and 308 redirects (a request to another host loses its
// Authorization and Cookie headers, as with net/http's client).
func (p *poster) do(ctx context.Context, req *http.Request) (answer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for redirects := 0; ; redirects++ {
		a, err := p.send(ctx, req)
		if err != nil || (a.code != http.StatusTemporaryRedirect && a.code != http.StatusPermanentRedirect) ||
			a.location == "" || redirects == maxRedirects {
			return a, err
		}
		u, err := req.URL.Parse(a.location)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return a, nil // the redirect is the answer
		}
		next := req.Clone(ctx)
		next.URL, next.Host = u, ""
		if u.Host != req.URL.Host {
			for _, h := range []string{"Authorization", "Www-Authenticate", "Cookie", "Cookie2"} {
				next.Header.Del(h)
			}
		}
		if req.GetBody != nil {
			if next.Body, err = req.GetBody(); err != nil {
				return a, err
			}
		}
		req = next
	}
}

// send sends req once; a kept connection the server closed meanwhile is replaced once.
func (p *poster) send(ctx context.Context, req *http.Request) (answer, error) {
	for attempt := 0; ; attempt++ {
		reused := p.conn != nil
		a, err := p.roundTrip(ctx, req)
		if err == nil || !reused || attempt > 0 || ctx.Err() != nil {
			return a, err
		}
		if req.GetBody != nil { // a fresh body for the new connection
			if req.Body, err = req.GetBody(); err != nil {
				return answer{}, err
			}
		}
	}
}

func (p *poster) roundTrip(ctx context.Context, req *http.Request) (answer, error) {
	proxy := p.proxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	pu, err := proxy(req)
	if err != nil {
		return answer{}, err
	}
	key := req.URL.Scheme + "://" + req.URL.Host
	if pu != nil {
		key += " via " + pu.String()
	}
	if p.conn != nil && p.key != key {
		p.closeLocked()
	}
	if p.conn == nil {
		if err := p.dial(ctx, req.URL, pu); err != nil {
			return answer{}, err
		}
		p.key = key
	}
	conn := p.conn
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	} else {
		conn.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	fail := func(err error) (answer, error) {
		p.closeLocked()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return answer{}, err
	}
	w := bufio.NewWriter(conn)
	if p.viaHP {
		if pu.User != nil {
			req.Header.Set("Proxy-Authorization", basicAuth(pu.User))
		}
		err = req.WriteProxy(w)
		req.Header.Del("Proxy-Authorization")
	} else {
		err = req.Write(w)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return fail(err)
	}
	resp, err := http.ReadResponse(p.br, req)
	if err != nil {
		return fail(err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeptBody+1))
	resp.Body.Close()
	if err != nil || len(body) > maxKeptBody || resp.Close {
		p.closeLocked()
	}
	if len(body) > 512 {
		body = body[:512]
	}
	return answer{resp.StatusCode, resp.Status, body, resp.Header.Get("Location")}, nil
}

// dial connects to the endpoint u, through the proxy pu if not nil.
func (p *poster) dial(ctx context.Context, u, pu *url.URL) error {
	target := hostPort(u)
	addr := target
	if pu != nil {
		if pu.Scheme != "http" && pu.Scheme != "https" {
			return fmt.Errorf("proxy %s: only http:// and https:// proxies are supported", pu.Redacted())
		}
		addr = hostPort(pu)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	if pu != nil && pu.Scheme == "https" {
		if conn, err = p.handshake(ctx, conn, pu.Hostname()); err != nil {
			return err
		}
	}
	br := bufio.NewReader(conn)
	p.viaHP = pu != nil && u.Scheme == "http"
	if pu != nil && u.Scheme == "https" { // a tunnel to the endpoint
		connect := &http.Request{
			Method: http.MethodConnect,
			URL:    &url.URL{Opaque: target},
			Host:   target,
			Header: http.Header{},
		}
		if pu.User != nil {
			connect.Header.Set("Proxy-Authorization", basicAuth(pu.User))
		}
		if d, ok := ctx.Deadline(); ok {
			conn.SetDeadline(d)
		}
		err := connect.Write(conn)
		var resp *http.Response
		if err == nil {
			resp, err = http.ReadResponse(br, connect)
		}
		if err == nil && resp.StatusCode != http.StatusOK { // (the body of a 200 is the tunnel)
			err = fmt.Errorf("proxy %s: CONNECT %s: %s", pu.Redacted(), target, resp.Status)
		}
		if err != nil {
			conn.Close()
			return err
		}
		if br.Buffered() > 0 {
			conn.Close()
			return fmt.Errorf("proxy %s: data after the CONNECT answer", pu.Redacted())
		}
	}
	if u.Scheme == "https" {
		if conn, err = p.handshake(ctx, conn, u.Hostname()); err != nil {
			return err
		}
		br = bufio.NewReader(conn)
	}
	p.conn, p.br = conn, br
	return nil
}

func (p *poster) handshake(ctx context.Context, conn net.Conn, host string) (net.Conn, error) {
	cfg := &tls.Config{}
	if p.tls != nil {
		cfg = p.tls.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

func (p *poster) closeLocked() {
	if p.conn != nil {
		p.conn.Close()
	}
	p.conn, p.br, p.key = nil, nil, ""
}

// closeIdle closes the kept connection.
func (p *poster) closeIdle() {
	p.mu.Lock()
	p.closeLocked()
	p.mu.Unlock()
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func basicAuth(u *url.Userinfo) string {
	pw, _ := u.Password()
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw))
}
