package nf

import (
	"context"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// Readiness: an app is ready to take work when every dependency it registered (the SQL
// connectors it opened, its NATS connections) answers, and it is not shutting down.
// /healthz is liveness (the process answers: a restart would not help a replica whose
// database is down), /readyz is readiness (503 while a dependency is down or the app
// drains). Queue consumers stop taking messages while the app is not ready and start
// again when it is.

// health holds the app's dependency checks and their last results.
type health struct {
	mu       sync.Mutex
	checks   map[string]func(context.Context) error
	failing  map[string]string // check name -> last error
	draining bool
	changed  chan struct{} // closed and replaced at every change of Ready
	ready    bool
}

func newHealth() *health {
	return &health{checks: map[string]func(context.Context) error{}, failing: map[string]string{}, changed: make(chan struct{}), ready: true}
}

// AddCheck registers a dependency check (name: "connector shopdb", "nats events"). It is
// run every NODEFORGE_HEALTH_INTERVAL (default 1s) while the app serves; an error makes
// the app not ready until the check passes again. A check is run once at once, so an app
// that starts without its dependency starts not ready.
func (a *App) AddCheck(name string, check func(context.Context) error) {
	h := a.health
	h.mu.Lock()
	h.checks[name] = check
	h.mu.Unlock()
	a.runCheck(name, check)
}

// Ready reports whether every dependency answered at its last check and the app is not
// draining.
func (a *App) Ready() bool {
	h := a.health
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ready
}

// ReadyChanged returns a channel closed at the next change of Ready.
func (a *App) ReadyChanged() <-chan struct{} {
	h := a.health
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// Failing lists the checks that failed at their last run, sorted.
func (a *App) Failing() []string {
	h := a.health
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.failing))
	for name := range h.failing {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Drain marks the app as shutting down: it stops being ready for good.
func (a *App) Drain() {
	h := a.health
	h.mu.Lock()
	h.draining = true
	a.updateLocked()
	h.mu.Unlock()
}

func (a *App) runCheck(name string, check func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	err := check(ctx)
	cancel()
	h := a.health
	h.mu.Lock()
	defer h.mu.Unlock()
	prev, wasFailing := h.failing[name]
	if err != nil {
		msg := err.Error()
		h.failing[name] = msg
		if !wasFailing || prev != msg {
			a.Log.Warn("dependency down", "check", name, "error", msg)
		}
	} else if wasFailing {
		delete(h.failing, name)
		a.Log.Info("dependency back", "check", name)
	}
	a.updateLocked()
}

// updateLocked recomputes Ready and wakes the waiters on a change; h.mu is held.
func (a *App) updateLocked() {
	h := a.health
	ready := !h.draining && len(h.failing) == 0
	if ready != h.ready {
		h.ready = ready
		close(h.changed)
		h.changed = make(chan struct{})
		if ready {
			a.Log.Info("ready")
		} else {
			a.Log.Warn("not ready", "failing", strings.Join(sortedKeys(h.failing), ","), "draining", h.draining)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

const healthTimeout = 2 * time.Second

// watchHealth runs the checks every interval until ctx ends.
func (a *App) watchHealth(ctx context.Context) {
	interval := time.Second
	if s := os.Getenv("NODEFORGE_HEALTH_INTERVAL"); s != "" {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			interval = d
		}
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h := a.health
		h.mu.Lock()
		names := make([]string, 0, len(h.checks))
		for name := range h.checks {
			names = append(names, name)
		}
		h.mu.Unlock()
		sort.Strings(names)
		for _, name := range names {
			h.mu.Lock()
			check := h.checks[name]
			h.mu.Unlock()
			a.runCheck(name, check)
		}
	}
}

// WaitReady blocks until the app is ready (true) or ctx ends (false).
func (a *App) WaitReady(ctx context.Context) bool {
	for {
		changed := a.ReadyChanged()
		if a.Ready() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-changed:
		}
	}
}

// Service is a long-running part of the app besides HTTP and schedules (a queue
// consumer). Run works until ctx ends, then finishes its executions in flight and returns.
type Service struct {
	Name string
	Run  func(ctx context.Context) error
}

// ServiceFlow is a flow with services (queue triggers).
type ServiceFlow interface {
	Services() []Service
}

// Leases decides which replica runs a scheduled tick: Claim reports whether this replica
// won key (one key per schedule and tick). Without leases every replica runs every tick.
type Leases interface {
	Claim(ctx context.Context, key string) (bool, error)
}

// SetLeases makes the schedules of the app run once across replicas (see Leases).
func (a *App) SetLeases(l Leases) { a.leases = l }
