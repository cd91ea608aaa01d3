package nf

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Execution records: one record per execution (its flow and the flow's history version,
// trigger, status, times, input, answer or error with the failing node) and a log per
// node (type and version, time, duration, level, message, input and output). Generated
// code calls Input, Enter and Out around every node.
//
// The request path only keeps the Go values it already has: each hook appends a small
// struct to the execution's record (room for the first few is allocated with it). The
// finished record goes to a bounded queue; one writer goroutine encodes the values
// (masked, redacted, capped) and writes the records in batches, one row per execution
// with its node logs as one JSON column. A full queue drops the record and counts it; an
// execution that starts while the queue is full is not recorded at all (counted too), so
// overload costs the request nothing. A request never waits for the store. The store is
// the app's own SQLite file by default, or a connector's database (nodeforge.toml
// [records]); see records_store.go.

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

// execRecord is one execution's record, filled on the request path with the values as
// they are and encoded by the writer. Exec's forks share it (mu guards it until it is
// queued; the writer owns it after).
type execRecord struct {
	ID          string
	Flow        string
	Version     string
	Trigger     string
	TriggerType string
	Via         string // how it was started: http, run, call or event
	Status      string
	Started     time.Time
	Ended       time.Time
	Input       any  // the trigger's output
	HasInput    bool // false: the trigger did not run (a rejected request)
	Answer      *recordedAnswer
	Error       string
	ErrorNode   string
	ErrorCode   string
	TraceID     string
	Parent      string
	ParentNode  string

	mu    sync.Mutex
	Nodes []nodeLog
	// failNode is the node whose unhandled error failed the execution.
	failNode string
	forks    uint32     // forks made so far (Exec.Fork numbers them)
	first    [6]nodeLog // Nodes' first entries, allocated with the record
}

// recordedAnswer is what an execution answered: {"status", "body"}.
type recordedAnswer struct {
	Status int
	Body   any
}

// nodeLog is one node's run inside an execution.
type nodeLog struct {
	Node     string
	Type     string
	Version  string
	Started  time.Time
	Duration time.Duration
	Failed   bool
	Message  string
	Port     string
	Input    any
	Output   any
	HasInput bool
	HasOut   bool
	trigger  bool   // a trigger's log: its output is the execution's input
	ended    bool   // Duration is set
	fork     uint32 // the fork of the execution it ran in (a for-each runs a node in several)
}

// open is the index of node's latest log entry in fork x (-1: none). Called with r.mu held.
func (r *execRecord) open(x *Exec, node string) int {
	for i := len(r.Nodes) - 1; i >= 0; i-- {
		if l := &r.Nodes[i]; l.fork == x.fork && l.Node == node {
			return i
		}
	}
	return -1
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
	x.answer.entered(node)
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
	r := x.rec
	r.mu.Lock()
	r.Input, r.HasInput, r.TriggerType = out, true, typ
	r.Nodes = append(r.Nodes, nodeLog{Node: node, Type: typ, Version: version, Started: now, Port: "out",
		Output: out, HasOut: true, trigger: true, ended: true, fork: x.fork})
	r.mu.Unlock()
}

func (x *Exec) enter(node, typ, version string, input any) {
	now := time.Now()
	r := x.rec
	r.mu.Lock()
	r.Nodes = append(r.Nodes, nodeLog{Node: node, Type: typ, Version: version, Started: now,
		Input: input, HasInput: true, fork: x.fork})
	r.mu.Unlock()
}

func (x *Exec) recordOut(node, port string, v any) {
	now := time.Now()
	r := x.rec
	r.mu.Lock()
	if i := r.open(x, node); i >= 0 {
		l := &r.Nodes[i]
		l.Port, l.Output, l.HasOut = port, v, true
		if !l.ended {
			l.Duration, l.ended = now.Sub(l.Started), true
		}
	}
	r.mu.Unlock()
}

func (x *Exec) recordEnd(node string) {
	now := time.Now()
	r := x.rec
	r.mu.Lock()
	if i := r.open(x, node); i >= 0 && !r.Nodes[i].ended {
		r.Nodes[i].Duration, r.Nodes[i].ended = now.Sub(r.Nodes[i].Started), true
	}
	r.mu.Unlock()
}

func (x *Exec) recordFailed(node string, ne NodeError) {
	now := time.Now()
	r := x.rec
	r.mu.Lock()
	if i := r.open(x, node); i >= 0 {
		l := &r.Nodes[i]
		if !l.ended {
			l.Duration, l.ended = now.Sub(l.Started), true
		}
		l.Failed, l.Message, l.Port, l.Output, l.HasOut = true, ne.Message, "error", ne, true
	}
	r.mu.Unlock()
}

// recordRespond keeps what the execution answered as its output (the first answer).
func (x *Exec) recordRespond(status int, body any) {
	r := x.rec
	r.mu.Lock()
	if r.Answer == nil {
		r.Answer = &recordedAnswer{status, body}
	}
	r.mu.Unlock()
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
		r.Error = err.Error()
		r.ErrorCode = code
		node := r.failNode
		if node == "" {
			// A panic (an expression error): the node that started last and has not
			// finished is the one that failed.
			for i := len(r.Nodes) - 1; i >= 0; i-- {
				if l := &r.Nodes[i]; !l.ended {
					node = l.Node
					l.Failed, l.Message = true, r.Error
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
	for i := range r.Nodes {
		if l := &r.Nodes[i]; !l.ended { // left without output (e.g. a filter that stopped)
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
	cpu       float64 // the writer's share of the app's CPU while the CPU is taken
	probe     *cpuProbe

	dropped atomic.Int64
	written atomic.Int64
	// overflow: an execution found the queue full since the writer last rested. shed:
	// the writer rests after an overflow, and executions that start meanwhile are not
	// recorded (see run).
	overflow atomic.Bool
	shed     atomic.Bool
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
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

// RecordsWritten is the number of execution records written so far (0 without records).
func (a *App) RecordsWritten() int64 {
	if a.rec == nil {
		return 0
	}
	return a.rec.written.Load()
}

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
// NODEFORGE_RECORDS_SAMPLE (0..1, default 1), NODEFORGE_RECORDS_QUEUE (default 256),
// NODEFORGE_RECORDS_MAX_VALUE (bytes per value, default 16384),
// NODEFORGE_RECORDS_RETENTION (default 7d), NODEFORGE_RECORDS_KEEP (default 100000
// executions), NODEFORGE_RECORDS_BATCH (default 256), NODEFORGE_RECORDS_FLUSH (default
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
	collectConnectorSecrets()
	a.rec = newRecorder(a, store)
	go a.rec.run()
	a.OnClose(a.rec.close)
}

// newRecorder is a recorder writing to store, with the settings of the environment.
func newRecorder(a *App, store recordStore) *recorder {
	return &recorder{
		app:       a,
		store:     store,
		queue:     make(chan *execRecord, max(1, Atoi(os.Getenv("NODEFORGE_RECORDS_QUEUE"), 256))),
		sample:    min(1, max(0, envFloat("NODEFORGE_RECORDS_SAMPLE", 1))),
		maxValue:  max(256, Atoi(os.Getenv("NODEFORGE_RECORDS_MAX_VALUE"), 16<<10)),
		retention: envDuration("NODEFORGE_RECORDS_RETENTION", 7*24*time.Hour),
		keep:      Atoi(os.Getenv("NODEFORGE_RECORDS_KEEP"), 100000),
		batch:     max(1, Atoi(os.Getenv("NODEFORGE_RECORDS_BATCH"), 256)),
		flush:     envDuration("NODEFORGE_RECORDS_FLUSH", 200*time.Millisecond),
		cpu:       min(1, max(0.001, envFloat("NODEFORGE_RECORDS_CPU", 0.02))),
		probe:     newCPUProbe(),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
}

// begin starts the record of x if the execution is sampled. While the queue is full
// the execution is not recorded at all (counted as a drop): overload sheds the records
// before any work is spent on them.
func (r *recorder) begin(x *Exec) {
	if r == nil || (r.sample < 1 && rand.Float64() >= r.sample) {
		return
	}
	if r.shed.Load() {
		r.drop(1)
		return
	}
	if len(r.queue) >= cap(r.queue) {
		r.overflow.Store(true)
		r.drop(1)
		return
	}
	rec := &execRecord{
		ID: x.ID, Flow: x.Flow, Version: r.app.versions[x.Flow], Trigger: x.Trigger,
		Status: StatusRunning, Started: x.started,
	}
	rec.Nodes = rec.first[:0]
	switch x.resp.(type) {
	case HTTPResponder:
		rec.Via = "http"
	case *Captured:
		rec.Via = "run"
	case *returned:
		rec.Via = "call"
	default:
		rec.Via = "event"
	}
	x.rec = rec
	x.recorder = r
}

// push queues a finished record; a full queue drops it (counted).
func (r *recorder) push(rec *execRecord) {
	select {
	case r.queue <- rec:
	default:
		r.drop(1)
	}
}

func (r *recorder) drop(n int) {
	r.dropped.Add(int64(n))
	if m := metrics; m != nil {
		m.RecordsDropped(n)
	}
}

// run is the writer: it takes records in batches (up to batch records, or what arrived
// within flush of the first), encodes them and writes each batch in one transaction,
// then rests to keep to its CPU share (records_cpu.go); it applies the retention limits
// at start and then every minute.
func (r *recorder) run() {
	defer close(r.done)
	r.prune()
	prune := time.NewTicker(time.Minute)
	defer prune.Stop()
	enc := recordEncoder{maxValue: r.maxValue}
	batch := make([]*execRecord, 0, r.batch)
	rows := make([]recordRow, 0, r.batch)
	probe := r.probe
	var busy time.Duration
	write := func() {
		if len(batch) == 0 {
			busy = 0
			return
		}
		start := time.Now()
		defer func() { busy = time.Since(start) }()
		rows = rows[:0]
		for _, rec := range batch {
			rows = append(rows, enc.row(rec))
			runtime.Gosched() // requests waiting for a processor go first
		}
		clear(batch) // the values go with the record
		batch = batch[:0]
		if err := r.store.write(rows); err != nil {
			r.drop(len(rows))
			r.app.Log.Warn("execution records dropped: the store failed", "records", len(rows), "error", redactSecrets(err.Error()))
		} else {
			r.written.Add(int64(len(rows)))
		}
		clear(rows) // and the encoded text with the row: nothing kept between batches
	}
	// drain writes what is queued now, a batch at a time, and says how long that took.
	drain := func() (took time.Duration) {
		for {
			select {
			case rec := <-r.queue:
				batch = append(batch, rec)
				if len(batch) >= r.batch {
					write()
					took += busy
				}
			default:
				write()
				return took + busy
			}
		}
	}
	deadline := time.NewTimer(time.Hour)
	deadline.Stop()
	for {
		select {
		case rec := <-r.queue:
			batch = append(batch, rec)
			deadline.Reset(r.flush)
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
			spare, used := probe.sample()
			share := writerShare(spare, used, float64(probe.maxProcs()), r.cpu)
			d := pause(busy, share)
			if d > 0 && r.overflow.Swap(false) {
				// Overloaded: the queue would refill at once and hold its executions'
				// values through the rest, memory the collector scans on every cycle.
				// Nothing is recorded while the writer rests, and what is queued now is
				// written before it does.
				r.shed.Store(true)
				first := busy // drain sets busy again
				d = pause(first+drain(), share)
			}
			if d > 0 {
				rest := time.NewTimer(d)
				select {
				case <-rest.C:
				case <-r.stop:
					rest.Stop()
				}
			}
			r.shed.Store(false)
		case <-prune.C:
			r.prune()
		case <-r.stop:
			drain()
			return
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

// -- encoding (on the writer) ----------------------------------------------------------------

// recordRow is one execution's row as the store writes it: times in Unix microseconds,
// values as JSON text, the node logs as one JSON array.
type recordRow struct {
	ID, Flow, Version, Trigger, TriggerType, TriggerInfo, Status string
	Started, Ended, Duration                                     int64
	Input, Output, Error, ErrorNode, ErrorCode                   string
	TraceID, Parent, ParentNode, Nodes                           string
}

// recordEncoder turns records into rows; its buffers are reused from one record to the
// next (the writer has one).
type recordEncoder struct {
	maxValue int
	scratch  []byte
	buf      []byte
}

var viaInfo = map[string]string{
	"http": `{"via":"http"}`, "run": `{"via":"run"}`, "call": `{"via":"call"}`, "event": `{"via":"event"}`,
}

// row encodes rec: every value masked, redacted and capped (value), error messages
// redacted.
func (e *recordEncoder) row(rec *execRecord) recordRow {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	row := recordRow{
		ID: rec.ID, Flow: rec.Flow, Version: rec.Version, Trigger: rec.Trigger, TriggerType: rec.TriggerType,
		TriggerInfo: viaInfo[rec.Via], Status: rec.Status, Started: rec.Started.UnixMicro(),
		Error: redactSecrets(rec.Error), ErrorNode: rec.ErrorNode, ErrorCode: rec.ErrorCode,
		TraceID: rec.TraceID, Parent: rec.Parent, ParentNode: rec.ParentNode,
	}
	if !rec.Ended.IsZero() {
		row.Ended, row.Duration = rec.Ended.UnixMicro(), rec.Ended.Sub(rec.Started).Microseconds()
	}
	input := "null"
	if rec.HasInput {
		input = string(e.value(e.buf[:0], rec.Input))
	}
	row.Input = input
	row.Output = "null"
	if a := rec.Answer; a != nil {
		b := append(e.buf[:0], `{"status":`...)
		b = AppendInt(b, int64(a.Status))
		b = append(b, `,"body":`...)
		b = e.appendCapped(b, e.encode(a.Body))
		row.Output = string(append(b, '}'))
	}
	b := append(e.buf[:0], '[')
	for i := range rec.Nodes {
		l := &rec.Nodes[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"seq":`...)
		b = AppendInt(b, int64(i))
		b = append(b, `,"node":`...)
		b = AppendString(b, l.Node)
		b = append(b, `,"type":`...)
		b = AppendString(b, l.Type)
		b = append(b, `,"version":`...)
		b = AppendString(b, l.Version)
		b = append(b, `,"started_us":`...)
		b = AppendInt(b, l.Started.UnixMicro())
		b = append(b, `,"duration_us":`...)
		b = AppendInt(b, l.Duration.Microseconds())
		if l.Failed {
			b = append(b, `,"level":"error","message":`...)
			b = AppendString(b, redactSecrets(l.Message))
		} else {
			b = append(b, `,"level":"info","message":""`...)
		}
		b = append(b, `,"port":`...)
		b = AppendString(b, l.Port)
		b = append(b, `,"input":`...)
		if l.HasInput {
			b = e.value(b, l.Input)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"output":`...)
		switch {
		case l.trigger && l.HasOut:
			b = append(b, input...)
		case l.HasOut:
			b = e.value(b, l.Output)
		default:
			b = append(b, "null"...)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	row.Nodes = string(b)
	e.buf = b[:0]
	return row
}

// value appends v for a record: sensitive fields masked, secrets redacted, capped at
// maxValue bytes (a longer value becomes {"$truncated": size, "head": ...}).
func (e *recordEncoder) value(dst []byte, v any) []byte {
	return e.appendCapped(dst, e.encode(v))
}

// encode is v as JSON text, masked and redacted, in e.scratch.
func (e *recordEncoder) encode(v any) (text []byte) {
	if v == nil {
		return append(e.scratch[:0], "null"...)
	}
	defer func() {
		if p := recover(); p != nil { // a value AppendAny cannot encode
			text = append(e.scratch[:0], `{"$unencodable":true}`...)
		}
	}()
	b := AppendAny(e.scratch[:0], v)
	e.scratch = b
	b = maskSensitive(b)
	if rp := secretRepl.Load(); rp != nil {
		b = []byte(rp.Replace(string(b)))
	}
	return b
}

// appendCapped appends the JSON text s, or a {"$truncated"} stand-in when it is longer
// than maxValue bytes.
func (e *recordEncoder) appendCapped(dst, s []byte) []byte {
	if len(s) <= e.maxValue {
		return append(dst, s...)
	}
	head := s[:e.maxValue/2]
	for len(head) > 0 && head[len(head)-1]&0xc0 == 0x80 { // not in the middle of a rune
		head = head[:len(head)-1]
	}
	if len(head) > 0 && head[len(head)-1] >= 0xc0 {
		head = head[:len(head)-1]
	}
	dst = append(dst, `{"$truncated":`...)
	dst = AppendInt(dst, int64(len(s)))
	dst = append(dst, `,"head":`...)
	dst = AppendString(dst, string(head))
	return append(dst, '}')
}

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
	if x.rec.Answer == nil {
		x.rec.Answer = &recordedAnswer{b.Status, b}
	}
	x.rec.failNode = x.Trigger
	x.rec.mu.Unlock()
	x.recordFinish(b, "validation")
}
