// Package metrics serves a generated app's Prometheus metrics at GET /metrics, with
// github.com/VictoriaMetrics/metrics (small, no dependencies beyond two tiny ones; its
// PrometheusHistogram writes standard `le` buckets):
//
//	nodeforge_executions_total{flow,trigger,status}      counter
//	nodeforge_execution_duration_seconds{flow,trigger}   histogram
//	nodeforge_node_duration_seconds{flow,node}           histogram (successful runs)
//	nodeforge_node_errors_total{flow,node}               counter
//	nodeforge_records_dropped_total                      counter
//
// plus the Go runtime and process metrics. NODEFORGE_METRICS=off leaves it out.
package metrics

import (
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	vm "github.com/VictoriaMetrics/metrics"

	"nodeforge.dev/catalog/nf"
)

// Setup installs the metrics and their endpoint on app.
func Setup(app *nf.App) {
	switch strings.ToLower(os.Getenv("NODEFORGE_METRICS")) {
	case "off", "0", "false", "no":
		return
	}
	m := &prom{set: vm.NewSet()}
	m.dropped = m.set.NewCounter("nodeforge_records_dropped_total")
	nf.SetMetrics(m)
	app.Handle("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		m.set.WritePrometheus(w)
		vm.WriteProcessMetrics(w)
	})
}

type execKey struct{ flow, trigger, status string }

type nodeKey struct{ flow, node string }

type prom struct {
	set     *vm.Set
	dropped *vm.Counter
	// Label sets are built once per key: the hot path is one sync.Map lookup.
	execs      sync.Map // execKey -> *vm.Counter
	execTimes  sync.Map // nodeKey{flow, trigger} -> *vm.PrometheusHistogram
	nodeTimes  sync.Map // nodeKey -> *vm.PrometheusHistogram
	nodeErrors sync.Map // nodeKey -> *vm.Counter
}

// label quotes a label value as the exposition format wants.
func label(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func (m *prom) Execution(flow, trigger, status string, d time.Duration) {
	k := execKey{flow, trigger, status}
	c, ok := m.execs.Load(k)
	if !ok {
		c, _ = m.execs.LoadOrStore(k, m.set.GetOrCreateCounter(
			"nodeforge_executions_total{flow="+label(flow)+",trigger="+label(trigger)+",status="+label(status)+"}"))
	}
	c.(*vm.Counter).Inc()
	hk := nodeKey{flow, trigger}
	h, ok := m.execTimes.Load(hk)
	if !ok {
		h, _ = m.execTimes.LoadOrStore(hk, m.set.GetOrCreatePrometheusHistogram(
			"nodeforge_execution_duration_seconds{flow="+label(flow)+",trigger="+label(trigger)+"}"))
	}
	h.(*vm.PrometheusHistogram).Update(d.Seconds())
}

func (m *prom) Node(flow, node string, d time.Duration) {
	k := nodeKey{flow, node}
	h, ok := m.nodeTimes.Load(k)
	if !ok {
		h, _ = m.nodeTimes.LoadOrStore(k, m.set.GetOrCreatePrometheusHistogram(
			"nodeforge_node_duration_seconds{flow="+label(flow)+",node="+label(node)+"}"))
	}
	h.(*vm.PrometheusHistogram).Update(d.Seconds())
}

func (m *prom) NodeError(flow, node string) {
	k := nodeKey{flow, node}
	c, ok := m.nodeErrors.Load(k)
	if !ok {
		c, _ = m.nodeErrors.LoadOrStore(k, m.set.GetOrCreateCounter(
			"nodeforge_node_errors_total{flow="+label(flow)+",node="+label(node)+"}"))
	}
	c.(*vm.Counter).Inc()
}

func (m *prom) RecordsDropped(n int) { m.dropped.Add(n) }
