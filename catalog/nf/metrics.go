package nf

import (
	"net/http"
	"time"
)

// Metrics receives the app's measurements. Generated apps install a Prometheus
// implementation (package nf/metrics, served at GET /metrics); without one, a node pays
// one nil check.
type Metrics interface {
	// Execution counts one finished execution of flow from trigger with status
	// (completed or failed) that took d.
	Execution(flow, trigger, status string, d time.Duration)
	// Node observes one successful run of node that took d.
	Node(flow, node string, d time.Duration)
	// NodeError counts one failure of node.
	NodeError(flow, node string)
	// RecordsDropped counts execution records the writer could not take.
	RecordsDropped(n int)
}

var metrics Metrics

// SetMetrics installs m (nil turns metrics off). Call it before serving.
func SetMetrics(m Metrics) { metrics = m }

// Handle adds an endpoint to the app's server beside the flows' routes (/metrics).
func (a *App) Handle(pattern string, h http.HandlerFunc) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.extra = append(a.extra, Route{Pattern: pattern, Handler: h})
}
