package nf

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// App holds what every flow of a generated app shares: the logger, the open connectors and
// the executions in flight (so that shutdown can drain them).
type App struct {
	Name string
	Log  *slog.Logger

	mu       sync.Mutex
	dbs      map[string]*sql.DB
	inflight sync.WaitGroup
	health   *health
	leases   Leases
	closers  []func()

	recordsCfg *RecordsConfig    // execution records, if the build has them
	rec        *recorder         // their writer, once started
	versions   map[string]string // flow id -> history version, set by Main
	extra      []Route           // endpoints beside the flows' (GET /metrics)
}

// UseRecords makes the app record its executions in the store c names (generated
// main.go calls it; NODEFORGE_RECORDS=off turns them off at run time).
func (a *App) UseRecords(c RecordsConfig) { a.recordsCfg = &c }

// NewApp reads its settings from the environment: NODEFORGE_LOG_LEVEL (debug, info, warn,
// error; default info) and NODEFORGE_LOG_FORMAT (json, text; default json).
func NewApp(name string) *App {
	level := slog.LevelInfo
	switch strings.ToLower(os.Getenv("NODEFORGE_LOG_LEVEL")) {
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewJSONHandler(os.Stderr, opts)
	if os.Getenv("NODEFORGE_LOG_FORMAT") == "text" {
		h = slog.NewTextHandler(os.Stderr, opts)
	}
	return &App{Name: name, Log: slog.New(h).With("app", name), dbs: map[string]*sql.DB{}, health: newHealth()}
}

// Setting is the connector's setting from the environment:
// NODEFORGE_CONNECTOR_<NAME>_<KEY>, e.g. NODEFORGE_CONNECTOR_SHOPDB_PATH.
func Setting(connector, key string) string {
	return os.Getenv(SettingName(connector, key))
}

// SettingName is the environment variable of a connector setting.
func SettingName(connector, key string) string {
	return "NODEFORGE_CONNECTOR_" + strings.ToUpper(connector) + "_" + strings.ToUpper(key)
}

// DB returns the connector's database, opened on first use. Drivers register themselves
// as "sqlite" (nf/sqlite) and "pgx" (nf/postgres). SQLite reads the file from
// NODEFORGE_CONNECTOR_<NAME>_PATH (default <name>.db); PostgreSQL reads
// NODEFORGE_CONNECTOR_<NAME>_DSN. A file named by NODEFORGE_CONNECTOR_<NAME>_SCHEMA is
// executed once when the database opens (CREATE TABLE IF NOT EXISTS ...).
func (a *App) DB(connector, kind string) (*sql.DB, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if db, ok := a.dbs[connector]; ok {
		return db, nil
	}
	var db *sql.DB
	var err error
	switch kind {
	case "sqlite":
		path := Setting(connector, "path")
		if path == "" {
			path = connector + ".db"
		}
		db, err = openSQLite(path)
	case "postgres":
		dsn := Setting(connector, "dsn")
		if dsn == "" {
			return nil, fmt.Errorf("connector %s: set %s", connector, SettingName(connector, "dsn"))
		}
		db, err = sql.Open("pgx", dsn)
		if err == nil {
			db.SetMaxOpenConns(16)
			db.SetMaxIdleConns(16) // database/sql keeps 2 by default: reconnects under load
		}
	default:
		return nil, fmt.Errorf("connector %s: %s is not a SQL connector", connector, kind)
	}
	if err != nil {
		return nil, fmt.Errorf("connector %s: %w", connector, err)
	}
	if schema := Setting(connector, "schema"); schema != "" {
		text, err := os.ReadFile(schema)
		if err != nil {
			return nil, fmt.Errorf("connector %s: schema: %w", connector, err)
		}
		if _, err := db.Exec(string(text)); err != nil {
			return nil, fmt.Errorf("connector %s: schema %s: %w", connector, schema, err)
		}
	}
	a.dbs[connector] = db
	if kind == "postgres" {
		// A server that goes away makes the app not ready until it is back (the first
		// check runs now: an app started without its database starts not ready).
		a.AddCheck("connector "+connector, db.PingContext)
	}
	return db, nil
}

// SQLiteDSN spells a file's data source name with the pragmas every new connection runs,
// for the SQLite driver linked in; nf/sqlite sets it (each driver has its own spelling).
var SQLiteDSN = func(path string, pragmas [][2]string) string {
	panic("nf: no SQLite driver linked: import nodeforge.dev/catalog/nf/sqlite")
}

func openSQLite(path string) (*sql.DB, error) {
	// WAL and a busy timeout let concurrent requests share the file; one writer at a time.
	dsn := SQLiteDSN(path, [][2]string{{"busy_timeout", "5000"}, {"journal_mode", "WAL"}, {"foreign_keys", "1"}})
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	// Keep them all: database/sql's default of 2 idle connections would close and reopen
	// (and re-run the pragmas of) a connection on most requests under concurrent load.
	db.SetMaxIdleConns(8)
	return db, nil
}

// WriteDB returns the database handle for the connector's writes (sql/exec nodes). For
// SQLite it is a second pool of one connection on the same file: SQLite takes one writer
// at a time, and a writer that finds the lock taken sleeps in its busy handler (up to
// 100 ms a nap), so concurrent writers through the shared pool pile up tail latency.
// Queued on one connection, they wait in Go and start the moment the previous write
// ends; reads keep their own pool (WAL lets them run beside the writer). Other kinds
// write through DB.
func (a *App) WriteDB(connector, kind string) (*sql.DB, error) {
	if kind != "sqlite" {
		return a.DB(connector, kind)
	}
	if _, err := a.DB(connector, kind); err != nil { // opens the file and runs its schema
		return nil, err
	}
	key := connector + " (writes)"
	a.mu.Lock()
	defer a.mu.Unlock()
	if db, ok := a.dbs[key]; ok {
		return db, nil
	}
	path := Setting(connector, "path")
	if path == "" {
		path = connector + ".db"
	}
	db, err := openSQLite(path)
	if err != nil {
		return nil, fmt.Errorf("connector %s: %w", connector, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	a.dbs[key] = db
	return db, nil
}

// MustDB is DB for start-up: it logs and exits when the connector cannot open.
func (a *App) MustDB(connector, kind string) *sql.DB {
	db, err := a.DB(connector, kind)
	if err != nil {
		a.Log.Error("cannot open connector", "connector", connector, "error", err.Error())
		os.Exit(1)
	}
	return db
}

// OnClose registers f to run when the app closes its connectors (once per f).
func (a *App) OnClose(f func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closers = append(a.closers, f)
}

// Close closes the connectors.
func (a *App) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, f := range a.closers {
		f()
	}
	a.closers = nil
	for name, db := range a.dbs {
		ForgetPrepared(db)
		if err := db.Close(); err != nil {
			a.Log.Warn("closing connector", "connector", name, "error", err.Error())
		}
	}
}

// Track counts an execution in flight until done is called; shutdown waits for them.
func (a *App) Track() (done func()) {
	a.inflight.Add(1)
	return a.inflight.Done
}

// Route is one HTTP endpoint of a flow.
type Route struct {
	Pattern string // "POST /orders"
	Handler http.HandlerFunc
}

// Job is a scheduled trigger. Generated apps give the schedule as text (Spec, TimeZone);
// PrepareJobs parses it at start-up into Cron, so that a bad schedule stops the app with
// a message naming the flow and trigger instead of a panic.
type Job struct {
	Flow, Trigger  string
	Spec, TimeZone string
	Cron           *Cron // parsed from Spec and TimeZone when nil
	// Run runs the tick due at `at`, given in the schedule's time zone.
	Run func(ctx context.Context, at time.Time)
}

// PrepareJobs parses the schedule of every job that has none parsed yet; the error names
// each bad one (flow, trigger and why).
func PrepareJobs(jobs []Job) error {
	var problems []error
	for i := range jobs {
		j := &jobs[i]
		if j.Cron != nil {
			continue
		}
		c, err := ParseCron(j.Spec, j.TimeZone)
		if err != nil {
			problems = append(problems, fmt.Errorf("flow %s, trigger %s: %w", j.Flow, j.Trigger, err))
			continue
		}
		j.Cron = c
	}
	return errors.Join(problems...)
}

// Serve answers the routes on NODEFORGE_ADDR (default :8080, or :$PORT) with /healthz
// (liveness) and /readyz (readiness: dependencies up, not draining), runs the jobs and the
// services (queue consumers), and on SIGTERM or SIGINT stops being ready, waits
// NODEFORGE_DRAIN_DELAY (default 0; the Kubernetes manifests set a few seconds so that
// endpoints stop sending traffic first), stops accepting and taking messages, drains
// requests and executions in flight (NODEFORGE_SHUTDOWN_TIMEOUT, default 10s) and returns.
func (a *App) Serve(routes []Route, jobs []Job, services ...Service) error {
	if err := PrepareJobs(jobs); err != nil {
		return fmt.Errorf("invalid schedule: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /readyz", a.serveReady)
	for _, rt := range routes {
		mux.HandleFunc(rt.Pattern, rt.Handler)
	}
	a.mu.Lock()
	extra := a.extra
	a.mu.Unlock()
	for _, rt := range extra {
		mux.HandleFunc(rt.Pattern, rt.Handler)
	}
	mux.HandleFunc("/", RouteNotFound(mux)) // 404 and 405 as problem+json
	addr := os.Getenv("NODEFORGE_ADDR")
	if addr == "" {
		port := os.Getenv("PORT")
		if port == "" {
			port = "8080"
		}
		addr = ":" + port
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	a.Log.Info("listening", "addr", ln.Addr().String(), "routes", len(routes), "schedules", len(jobs), "services", len(services))
	healthCtx, stopHealth := context.WithCancel(context.Background())
	defer stopHealth()
	go a.watchHealth(healthCtx)
	var servicesDone sync.WaitGroup
	for _, s := range services {
		servicesDone.Add(1)
		go func() {
			defer servicesDone.Done()
			if err := s.Run(ctx); err != nil {
				a.Log.Error("service stopped", "service", s.Name, "error", err.Error())
			}
		}()
	}
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		a.runJobs(ctx, jobs)
	}()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	timeout := 10 * time.Second
	if s := os.Getenv("NODEFORGE_SHUTDOWN_TIMEOUT"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			timeout = d
		}
	}
	a.Drain()
	if s := os.Getenv("NODEFORGE_DRAIN_DELAY"); s != "" {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			a.Log.Info("draining: not ready", "delay", d.String())
			time.Sleep(d)
		}
	}
	a.Log.Info("shutting down", "drain_timeout", timeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-jobsDone
	servicesStopped := make(chan struct{})
	go func() { servicesDone.Wait(); close(servicesStopped) }()
	select {
	case <-servicesStopped:
	case <-sctx.Done():
		a.Log.Warn("drain timeout: queue executions still running")
	}
	waited := make(chan struct{})
	go func() { a.inflight.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-sctx.Done():
		a.Log.Warn("drain timeout: executions still running")
	}
	a.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	a.Log.Info("stopped")
	return err
}

func (a *App) runJobs(ctx context.Context, jobs []Job) {
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next := j.Cron.Next(time.Now())
				t := time.NewTimer(time.Until(next))
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C: // fires at or after the tick: the tick's own time is given
					if !a.claimTick(ctx, j, next) {
						continue
					}
					done := a.Track()
					j.Run(context.WithoutCancel(ctx), next.In(j.Cron.Location()))
					done()
				}
			}
		}()
	}
	wg.Wait()
}

// claimTick reports whether this replica runs the tick of j due at next: always without
// leases; with leases, only the replica that claims the tick's key first. A replica that
// cannot reach the lease store skips the tick (a tick runs at most once).
func (a *App) claimTick(ctx context.Context, j Job, next time.Time) bool {
	if a.leases == nil {
		return true
	}
	key := j.Flow + "." + j.Trigger + "." + strconv.FormatInt(next.Unix(), 10)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	won, err := a.leases.Claim(cctx, key)
	if err != nil {
		a.Log.Warn("schedule tick skipped: cannot claim its lease", "flow", j.Flow, "trigger", j.Trigger, "tick", next.UTC().Format(time.RFC3339), "error", err.Error())
		return false
	}
	if !won {
		a.Log.Debug("schedule tick taken by another replica", "flow", j.Flow, "trigger", j.Trigger, "tick", next.UTC().Format(time.RFC3339))
	}
	return won
}

func (a *App) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if a.Ready() {
		w.Write([]byte(`{"status":"ready"}`))
		return
	}
	h := a.health
	h.mu.Lock()
	draining := h.draining
	h.mu.Unlock()
	status := "not ready"
	if draining {
		status = "draining"
	}
	body, _ := json.Marshal(map[string]any{"status": status, "failing": a.Failing()})
	w.WriteHeader(http.StatusServiceUnavailable)
	w.Write(body)
}

// Atoi parses an integer setting, with a default.
func Atoi(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}
