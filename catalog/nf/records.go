package nf

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Execution records: one record per execution (its flow and the flow's history version,
// trigger, status, times, input, answer or error with the failing node) and a log per
// node (type and version, time, duration, level, message, input and output). Generated
// code calls Input, Enter and Out around every node; the values are encoded (redacted,
// capped) on the request path, and the records are written by one goroutine in batches
// from a bounded queue: a full queue drops the record and counts it, a request never
// waits for the store. The store is the app's SQLite file by default, or a connector's
// database (nodeforge.toml [records]); see records_store.go.

// RecordsConfig says where the app's records go: Connector "" is the default SQLite file
// (NODEFORGE_RECORDS_PATH), otherwise the named connector's database of Kind "sqlite" or
// "postgres".
type RecordsConfig struct {
	Connector string
	Kind      string
}

// Record statuses.
const (
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
)

// execRecord is one execution's record. Exec's forks share it (mu guards Nodes).
type execRecord struct {
	ID          string
	Flow        string
	Version     string
	Trigger     string
	TriggerType string
	TriggerInfo map[string]any
	Status      string
	Started     time.Time
	Ended       time.Time
	Input       string
	Output      string
	Error       string
	ErrorNode   string
	ErrorCode   string
	TraceID     string
	Parent      string
	ParentNode  string

	mu    sync.Mutex
	Nodes []*nodeLog
	// failNode is the node whose unhandled error failed the execution.
	failNode string
}

// nodeLog is one node's run inside an execution.
type nodeLog struct {
	Seq      int
	Node     string
	Type     string
	Version  string
	Started  time.Time
	Duration time.Duration
	Level    string
	Message  string
	Port     string
	Input    string
	Output   string
	ended    bool
}

func (r *execRecord) add(l *nodeLog) {
	r.mu.Lock()
	l.Seq = len(r.Nodes)
	r.Nodes = append(r.Nodes, l)
	r.mu.Unlock()
}

// Recording reports whether this execution is recorded node by node.
func (x *Exec) Recording() bool { return x.rec != nil }

// Input records the trigger node's output as the execution's input (the trigger runs
// first, with no input of its own). Generated code calls it in every trigger method.
func Input[T any](x *Exec, node, typ, version string, out T) T {
	if x.rec != nil {
		x.recordInput(node, typ, version, any(out))
	}
	return out
}

// Enter records that node (of type typ at version) starts with input.
func Enter[T any](x *Exec, node, typ, version string, input T) {
	if x.rec != nil {
		x.enter(node, typ, version, any(input))
	}
}

// Out records the value node emits on port and returns it.
func Out[T any](x *Exec, node, port string, v T) T {
	if x.rec != nil {
		x.recordOut(node, port, any(v))
	}
	return v
}

func (x *Exec) recordInput(node, typ, version string, out any) {
	now := time.Now()
	text := x.recorder.encode(out)
	x.rec.mu.Lock()
	x.rec.Input = text
	x.rec.TriggerType = typ
	x.rec.mu.Unlock()
	x.rec.add(&nodeLog{Node: node, Type: typ, Version: version, Started: now, Level: "info", Port: "out", Output: text, ended: true})
}

func (x *Exec) enter(node, typ, version string, input any) {
	l := &nodeLog{Node: node, Type: typ, Version: version, Started: time.Now(), Level: "info", Input: x.recorder.encode(input)}
	x.rec.add(l)
	x.mu.Lock()
	if x.open == nil {
		x.open = map[string]*nodeLog{}
	}
	x.open[node] = l
	x.mu.Unlock()
}

// openLog is node's current log entry in this fork of the execution.
func (x *Exec) openLog(node string) *nodeLog {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.open[node]
}

func (x *Exec) recordOut(node, port string, v any) {
	l := x.openLog(node)
	if l == nil {
		return
	}
	text := x.recorder.encode(v)
	x.rec.mu.Lock()
	l.Port, l.Output = port, text
	if !l.ended {
		l.Duration, l.ended = time.Since(l.Started), true
	}
	x.rec.mu.Unlock()
}

func (x *Exec) recordEnd(node string) {
	if l := x.openLog(node); l != nil {
		x.rec.mu.Lock()
		if !l.ended {
			l.Duration, l.ended = time.Since(l.Started), true
		}
		x.rec.mu.Unlock()
	}
}

func (x *Exec) recordFailed(node string, ne NodeError) {
	l := x.openLog(node)
	if l == nil {
		return
	}
	x.rec.mu.Lock()
	if !l.ended {
		l.Duration, l.ended = time.Since(l.Started), true
	}
	l.Level = "error"
	l.Message = x.recorder.redact(ne.Message)
	l.Port = "error"
	l.Output = x.recorder.encode(ne)
	x.rec.mu.Unlock()
}

// recordRespond keeps what the execution answered as its output.
func (x *Exec) recordRespond(status int, body any) {
	text := x.recorder.encode(struct {
		Status int `json:"status"`
		Body   any `json:"body"`
	}{status, body})
	x.rec.mu.Lock()
	if x.rec.Output == "" {
		x.rec.Output = text
	}
	x.rec.mu.Unlock()
}

// recordFinish completes the record and queues it. err is the execution's error (nil:
// completed); code names what kind of failure it was.
func (x *Exec) recordFinish(err error, code string) {
	r := x.rec
	r.mu.Lock()
	r.Ended = time.Now()
	if err == nil {
		r.Status = StatusCompleted
	} else {
		r.Status = StatusFailed
		r.Error = x.recorder.redact(err.Error())
		r.ErrorCode = code
		node := r.failNode
		if node == "" {
			// A panic (an expression error): the node that started last and has not
			// finished is the one that failed.
			for i := len(r.Nodes) - 1; i >= 0; i-- {
				if l := r.Nodes[i]; !l.ended {
					node = l.Node
					l.Level, l.Message = "error", r.Error
					l.Duration, l.ended = r.Ended.Sub(l.Started), true
					break
				}
			}
		}
		if node == "" {
			node = r.Trigger
		}
		r.ErrorNode = node
	}
	for _, l := range r.Nodes {
		if !l.ended { // left without output (e.g. a filter that stopped)
			l.Duration, l.ended = r.Ended.Sub(l.Started), true
		}
	}
	r.mu.Unlock()
	x.recorder.push(r)
}

// -- the recorder ------------------------------------------------------------------------

// recorder owns the queue and the writer of an app's records.
type recorder struct {
	app       *App
	store     recordStore
	queue     chan *execRecord
	sample    float64
	maxValue  int
	retention time.Duration
	keep      int
	batch     int
	flush     time.Duration

	dropped atomic.Int64
	written atomic.Int64
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// Dropped is how many records the writer could not take (a full queue or a store error).
func (r *recorder) Dropped() int64 {
	if r == nil {
		return 0
	}
	return r.dropped.Load()
}

// RecordsDropped is the number of execution records dropped so far (0 without records).
func (a *App) RecordsDropped() int64 { return a.rec.Dropped() }

func envFloat(name string, def float64) float64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	var f float64
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		return def
	}
	return f
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	if s := os.Getenv(name); strings.HasSuffix(s, "d") {
		if n := Atoi(strings.TrimSuffix(s, "d"), -1); n >= 0 {
			return time.Duration(n) * 24 * time.Hour
		}
	}
	return def
}

// startRecords opens the record store and starts its writer, unless records are off
// (no [records] in the build, or NODEFORGE_RECORDS=off). Settings:
// NODEFORGE_RECORDS_SAMPLE (0..1, default 1), NODEFORGE_RECORDS_QUEUE (default 4096),
// NODEFORGE_RECORDS_MAX_VALUE (bytes per value, default 16384),
// NODEFORGE_RECORDS_RETENTION (default 7d), NODEFORGE_RECORDS_KEEP (default 100000
// executions), NODEFORGE_RECORDS_BATCH (default 512), NODEFORGE_RECORDS_FLUSH (default
// 200ms).
func (a *App) startRecords() {
	if a.recordsCfg == nil || a.rec != nil {
		return
	}
	switch strings.ToLower(os.Getenv("NODEFORGE_RECORDS")) {
	case "off", "0", "false", "no":
		return
	}
	store, err := openRecordStore(a, *a.recordsCfg)
	if err != nil {
		a.Log.Error("execution records off: cannot open their store", "error", redactSecrets(err.Error()))
		return
	}
	r := &recorder{
		app:       a,
		store:     store,
		queue:     make(chan *execRecord, max(1, Atoi(os.Getenv("NODEFORGE_RECORDS_QUEUE"), 4096))),
		sample:    min(1, max(0, envFloat("NODEFORGE_RECORDS_SAMPLE", 1))),
		maxValue:  max(256, Atoi(os.Getenv("NODEFORGE_RECORDS_MAX_VALUE"), 16<<10)),
		retention: envDuration("NODEFORGE_RECORDS_RETENTION", 7*24*time.Hour),
		keep:      Atoi(os.Getenv("NODEFORGE_RECORDS_KEEP"), 100000),
		batch:     max(1, Atoi(os.Getenv("NODEFORGE_RECORDS_BATCH"), 512)),
		flush:     envDuration("NODEFORGE_RECORDS_FLUSH", 200*time.Millisecond),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	collectConnectorSecrets()
	a.rec = r
	go r.run()
	a.OnClose(r.close)
}

// begin starts the record of x if the execution is sampled.
func (r *recorder) begin(x *Exec) {
	if r == nil || (r.sample < 1 && rand.Float64() >= r.sample) {
		return
	}
	rec := &execRecord{
		ID: x.ID, Flow: x.Flow, Version: r.app.versions[x.Flow], Trigger: x.Trigger,
		Status: StatusRunning, Started: x.started,
	}
	switch x.resp.(type) {
	case HTTPResponder:
		rec.TriggerInfo = map[string]any{"via": "http"}
	case *Captured:
		rec.TriggerInfo = map[string]any{"via": "run"}
	case *returned:
		rec.TriggerInfo = map[string]any{"via": "call"}
	default:
		rec.TriggerInfo = map[string]any{"via": "event"}
	}
	x.rec = rec
	x.recorder = r
	if len(r.queue) < cap(r.queue)/2 {
		// A running row for executions that outlast a flush (never counted as a drop;
		// a fast execution's start and end are written once, in the same batch).
		select {
		case r.queue <- rec:
		default:
		}
	}
}

// push queues a finished record; a full queue drops it (counted).
func (r *recorder) push(rec *execRecord) {
	select {
	case r.queue <- rec:
	default:
		r.dropped.Add(1)
		if m := metrics; m != nil {
			m.RecordsDropped(1)
		}
	}
}

// run is the writer: it takes records in batches (up to batch records, or what arrived
// within flush of the first) and writes each batch in one transaction; it applies the
// retention limits at start and then every minute.
func (r *recorder) run() {
	defer close(r.done)
	r.prune()
	prune := time.NewTicker(time.Minute)
	defer prune.Stop()
	var batch []*execRecord
	write := func() {
		if len(batch) == 0 {
			return
		}
		if err := r.store.write(batch); err != nil {
			r.dropped.Add(int64(len(batch)))
			if m := metrics; m != nil {
				m.RecordsDropped(len(batch))
			}
			r.app.Log.Warn("execution records dropped: the store failed", "records", len(batch), "error", redactSecrets(err.Error()))
		} else {
			r.written.Add(int64(len(batch)))
		}
		batch = batch[:0]
	}
	for {
		select {
		case rec := <-r.queue:
			batch = append(batch, rec)
			deadline := time.NewTimer(r.flush)
		fill:
			for len(batch) < r.batch {
				select {
				case rec := <-r.queue:
					batch = append(batch, rec)
				case <-deadline.C:
					break fill
				case <-r.stop:
					break fill
				}
			}
			deadline.Stop()
			write()
		case <-prune.C:
			r.prune()
		case <-r.stop:
			for {
				select {
				case rec := <-r.queue:
					batch = append(batch, rec)
					if len(batch) >= r.batch {
						write()
					}
				default:
					write()
					return
				}
			}
		}
	}
}

func (r *recorder) prune() {
	var before time.Time
	if r.retention > 0 {
		before = time.Now().Add(-r.retention)
	}
	if err := r.store.prune(before, r.keep); err != nil {
		r.app.Log.Warn("execution records: retention failed", "error", redactSecrets(err.Error()))
	}
}

// close writes what is queued and closes the store (App.Close).
func (r *recorder) close() {
	r.once.Do(func() {
		close(r.stop)
		<-r.done
		if d := r.dropped.Load(); d > 0 {
			r.app.Log.Warn("execution records dropped", "records", d)
		}
		r.store.close()
	})
}

// -- values: encoding, caps, redaction -----------------------------------------------------

// encode is v as JSON text for a record: sensitive fields masked, secrets redacted,
// capped at maxValue bytes (a longer value becomes {"$truncated": size, "head": ...}).
func (r *recorder) encode(v any) (text string) {
	if v == nil {
		return "null"
	}
	defer func() {
		if p := recover(); p != nil { // a value AppendAny cannot encode
			text = `{"$unencodable":true}`
		}
	}()
	b := AppendAny(nil, v)
	b = maskSensitive(b)
	s := redactSecrets(string(b))
	if len(s) > r.maxValue {
		head := s[:r.maxValue/2]
		for len(head) > 0 && head[len(head)-1]&0xc0 == 0x80 { // not in the middle of a rune
			head = head[:len(head)-1]
		}
		if len(head) > 0 && head[len(head)-1] >= 0xc0 {
			head = head[:len(head)-1]
		}
		out := []byte(`{"$truncated":`)
		out = AppendInt(out, int64(len(s)))
		out = append(out, `,"head":`...)
		out = AppendString(out, head)
		out = append(out, '}')
		return string(out)
	}
	return s
}

func (r *recorder) redact(s string) string { return redactSecrets(s) }

// Redacted is what stands for a secret or a sensitive field's value in records.
const Redacted = "[redacted]"

var (
	sensitiveNames map[string]bool // set before serving (Sensitive)
	secretsMu      sync.Mutex
	secretSet      = map[string]bool{}
	secretRepl     atomic.Pointer[strings.Replacer]
	envSeen        sync.Map
)

// Sensitive names the schema properties whose values records never hold (properties
// marked "x-sensitive": true or "writeOnly": true in the flows' schemas). Generated apps
// call it once, before serving.
func Sensitive(names ...string) {
	m := make(map[string]bool, len(sensitiveNames)+len(names))
	for k := range sensitiveNames {
		m[k] = true
	}
	for _, n := range names {
		m[n] = true
	}
	sensitiveNames = m
}

// minSecret is the shortest value treated as a secret: shorter ones ("1", "on") would
// blank ordinary data and protect nothing.
const minSecret = 4

// addSecret makes records redact s wherever it appears (also JSON-escaped).
func addSecret(s string) {
	if len(s) < minSecret {
		return
	}
	secretsMu.Lock()
	defer secretsMu.Unlock()
	if secretSet[s] {
		return
	}
	secretSet[s] = true
	quoted := string(AppendString(nil, s))
	if esc := quoted[1 : len(quoted)-1]; esc != s {
		secretSet[esc] = true
	}
	all := make([]string, 0, len(secretSet))
	for k := range secretSet {
		all = append(all, k)
	}
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(all, func(i, j int) bool {
		return len(all[i]) > len(all[j]) || (len(all[i]) == len(all[j]) && all[i] < all[j])
	})
	pairs := make([]string, 0, 2*len(all))
	for _, k := range all {
		pairs = append(pairs, k, Redacted)
	}
	secretRepl.Store(strings.NewReplacer(pairs...))
}

// noteEnv marks an environment variable read by an expression: its value is a secret
// for records.
func noteEnv(name, value string) {
	if _, seen := envSeen.LoadOrStore(name, true); !seen {
		addSecret(value)
	}
}

func redactSecrets(s string) string {
	if r := secretRepl.Load(); r != nil {
		return r.Replace(s)
	}
	return s
}

// collectConnectorSecrets makes every connector setting a secret for records
// (NODEFORGE_CONNECTOR_*), except ports, paths and schema files; a URL's password is
// one too.
func collectConnectorSecrets() {
	for _, kv := range os.Environ() {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "NODEFORGE_CONNECTOR_") {
			continue
		}
		if strings.HasSuffix(k, "_PORT") || strings.HasSuffix(k, "_PATH") || strings.HasSuffix(k, "_SCHEMA") {
			continue
		}
		addSecret(v)
		if _, rest, ok := strings.Cut(v, "://"); ok {
			if userinfo, _, ok := strings.Cut(rest, "@"); ok {
				if _, pw, ok := strings.Cut(userinfo, ":"); ok {
					addSecret(pw)
				}
			}
		}
		for _, field := range strings.Fields(v) { // key=value DSNs
			if p, ok := strings.CutPrefix(field, "password="); ok {
				addSecret(strings.Trim(p, "'"))
			}
		}
	}
}

// maskSensitive replaces the values of sensitive properties in the JSON text b.
func maskSensitive(b []byte) []byte {
	names := sensitiveNames
	if len(names) == 0 {
		return b
	}
	found := false
	for n := range names {
		if bytes.Contains(b, AppendString(nil, n)) {
			found = true
			break
		}
	}
	if !found {
		return b
	}
	v, err := DecodeJSON(b)
	if err != nil {
		return b
	}
	return AppendAny(nil, maskValue(v, names))
}

func maskValue(v any, names map[string]bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if names[k] {
				out[k] = Redacted
			} else {
				out[k] = maskValue(e, names)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = maskValue(e, names)
		}
		return out
	}
	return v
}

// rejected records and counts a request whose input the trigger refused (the record's
// output is the problem list; its error code is "validation").
func (x *Exec) rejected(b *BadRequest) {
	if x.answer.markMeasured() {
		return
	}
	if m := metrics; m != nil {
		m.Execution(x.Flow, x.Trigger, StatusFailed, time.Since(x.started))
	}
	if x.rec == nil {
		return
	}
	x.rec.mu.Lock()
	x.rec.Output = x.recorder.encode(struct {
		Status int `json:"status"`
		Body   any `json:"body"`
	}{b.Status, b})
	x.rec.failNode = x.Trigger
	x.rec.mu.Unlock()
	x.recordFinish(b, "validation")
}
