// Package natsq connects generated apps to NATS JetStream: the connections of `nats`
// connectors (with the app's readiness following them), the durable consumers of
// trigger/queue nodes, publishing for queue/publish nodes, and the leases that make
// schedules fire once across replicas.
//
// Connector settings (environment, NODEFORGE_CONNECTOR_<NAME>_<KEY>): URL (required; a
// comma-separated list of servers), credentials as USER and PASSWORD, or TOKEN, or CREDS
// (a .creds file), and TLS as TLS_CA (a CA bundle file), TLS_CERT and TLS_KEY (a client
// certificate), TLS ("true": require TLS even for nats:// URLs). Secrets arrive only
// through the environment; nothing of them is logged.
package natsq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"nodeforge.dev/catalog/nf"
)

// Conn is the connection of one `nats` connector.
type Conn struct {
	Name string
	NC   *nats.Conn
	JS   jetstream.JetStream
}

type entry struct {
	conn *Conn
	err  error // a configuration error: the connection is never made
}

var (
	mu    sync.Mutex
	conns = map[string]*entry{}
)

// settingKeys are the settings of a `nats` connector.
var settingKeys = []string{"url", "user", "password", "token", "creds", "tls_ca", "tls_cert", "tls_key", "tls"}

// Configured reports whether the run time provides any setting of the connector. A
// connector without settings is not a dependency of this process: nothing connects to
// it, readiness does not wait for it, its queue triggers do not consume and schedules run
// without leases (a workspace may declare a nats connector for its deployments and still
// be run on a laptop without NATS). A connector with some settings but no URL is
// configured, and wrongly: readiness reports it.
func Configured(connector string) bool {
	for _, k := range settingKeys {
		if nf.Setting(connector, k) != "" {
			return true
		}
	}
	return false
}

var (
	noticeMu sync.Mutex
	noticed  = map[string]bool{}
)

// notConfigured logs, once per connector and process, that the connector is left out.
func notConfigured(log *slog.Logger, connector string) {
	noticeMu.Lock()
	defer noticeMu.Unlock()
	if noticed[connector] {
		return
	}
	noticed[connector] = true
	log.Warn("nats connector not configured: its queue triggers do not consume and schedules run in every replica (no leases)",
		"connector", connector, "set", nf.SettingName(connector, "url"))
}

// Register opens the connector's connection for app (once; later calls return at once):
// the app is not ready while the connection is down, and the client reconnects forever.
// A server that cannot be reached at start-up is not an error (the app starts not ready
// and connects when the server comes); a missing URL or an unreadable file is, and is
// reported by readiness and by every use of the connection, not by Register, so that
// `app run` with pinned outputs needs no NATS. A connector without any setting
// (Configured) is not registered: it is not a dependency of this process.
func Register(app *nf.App, connector string) {
	if !Configured(connector) {
		notConfigured(app.Log, connector)
		return
	}
	e := open(app.Log, connector)
	app.OnClose(Close)
	app.AddCheck("nats "+connector, func(context.Context) error {
		if e.err != nil {
			return e.err
		}
		if !e.conn.NC.IsConnected() {
			return fmt.Errorf("nats %s: %s", connector, strings.ToLower(e.conn.NC.Status().String()))
		}
		return nil
	})
}

// Connection returns the connector's connection, opened on first use.
func Connection(connector string) (*Conn, error) {
	e := open(slog.Default(), connector)
	return e.conn, e.err
}

func open(log *slog.Logger, connector string) *entry {
	mu.Lock()
	defer mu.Unlock()
	if e, ok := conns[connector]; ok {
		return e
	}
	e := &entry{}
	e.conn, e.err = connect(log, connector)
	conns[connector] = e
	return e
}

func connect(log *slog.Logger, connector string) (*Conn, error) {
	url := nf.Setting(connector, "url")
	if url == "" {
		return nil, fmt.Errorf("connector %s: set %s", connector, nf.SettingName(connector, "url"))
	}
	opts := []nats.Option{
		nats.Name(connector),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.Timeout(2 * time.Second),
		nats.PingInterval(5 * time.Second),
		nats.MaxPingsOutstanding(2),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			msg := "closed"
			if err != nil {
				msg = err.Error()
			}
			log.Warn("nats disconnected", "connector", connector, "error", msg)
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("nats reconnected", "connector", connector) }),
	}
	user, token, creds := nf.Setting(connector, "user"), nf.Setting(connector, "token"), nf.Setting(connector, "creds")
	switch {
	case creds != "":
		if _, err := os.Stat(creds); err != nil {
			return nil, fmt.Errorf("connector %s: credentials file: %w", connector, err)
		}
		opts = append(opts, nats.UserCredentials(creds))
	case token != "":
		opts = append(opts, nats.Token(token))
	case user != "":
		opts = append(opts, nats.UserInfo(user, nf.Setting(connector, "password")))
	}
	if ca := nf.Setting(connector, "tls_ca"); ca != "" {
		if _, err := os.Stat(ca); err != nil {
			return nil, fmt.Errorf("connector %s: TLS CA file: %w", connector, err)
		}
		opts = append(opts, nats.RootCAs(ca))
	}
	if cert, key := nf.Setting(connector, "tls_cert"), nf.Setting(connector, "tls_key"); cert != "" || key != "" {
		if cert == "" || key == "" {
			return nil, fmt.Errorf("connector %s: set both %s and %s", connector, nf.SettingName(connector, "tls_cert"), nf.SettingName(connector, "tls_key"))
		}
		opts = append(opts, nats.ClientCert(cert, key))
	}
	if strings.EqualFold(nf.Setting(connector, "tls"), "true") {
		opts = append(opts, nats.Secure())
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connector %s: %w", connector, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("connector %s: %w", connector, err)
	}
	return &Conn{Name: connector, NC: nc, JS: js}, nil
}

// Close drains and closes every connection (at the end of shutdown).
func Close() {
	mu.Lock()
	defer mu.Unlock()
	for name, e := range conns {
		if e.conn != nil {
			if err := e.conn.NC.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
				e.conn.NC.Close()
			}
		}
		delete(conns, name)
	}
}
