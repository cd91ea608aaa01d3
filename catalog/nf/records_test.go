package nf

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	_ "nodeforge.dev/catalog/nf/sqlite/driver" // the records store's driver (apps import it through nf/sqlite)
)

// memStore keeps written rows in memory; fail makes write fail.
type memStore struct {
	mu     sync.Mutex
	rows   []recordRow
	fail   error
	pruned []time.Time
	block  chan struct{} // write waits for it when set
}

func (m *memStore) write(rows []recordRow) error {
	if m.block != nil {
		<-m.block
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.rows = append(m.rows, rows...)
	return nil
}

func (m *memStore) prune(before time.Time, keep int) error {
	m.mu.Lock()
	m.pruned = append(m.pruned, before)
	m.mu.Unlock()
	return nil
}

func (m *memStore) close() {}

func (m *memStore) all() []recordRow {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]recordRow(nil), m.rows...)
}

// recordingApp is an app whose records go to store, with the writer running.
func recordingApp(t testing.TB, store recordStore, env map[string]string) *App {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	app := NewApp("t")
	app.rec = newRecorder(app, store)
	go app.rec.run()
	t.Cleanup(app.rec.close)
	return app
}

type quoteIn struct {
	Email string `json:"email"`
	Card  string `json:"card"`
	Qty   int64  `json:"qty"`
}

// runQuote runs a small flow of three nodes (trigger, map, respond); fail makes the map
// node fail with no error output.
func runQuote(app *App, in quoteIn, fail bool) *Exec {
	x := app.NewExec(context.Background(), "quote", "ask", &Captured{})
	x.Run(func() error {
		Input(x, "ask", "http/trigger", "1.0.0", in)
		Enter(x, "price", "data/map", "1.1.0", in)
		if fail {
			return x.Fail("price", NodeError{Message: "no price for " + in.Email, Code: "lookup"})
		}
		out := Out(x, "price", "out", map[string]any{"email": in.Email, "total": float64(in.Qty) * 2.5})
		Enter(x, "answer", "http/respond", "1.0.0", out)
		start := x.Start("answer")
		if err := x.Respond("answer", 200, nil, out); err != nil {
			return err
		}
		x.End("answer", start)
		return nil
	})
	return x
}

func parseNodes(t testing.TB, text string) []map[string]any {
	t.Helper()
	var nodes []map[string]any
	if err := json.Unmarshal([]byte(text), &nodes); err != nil {
		t.Fatalf("nodes %q: %v", text, err)
	}
	return nodes
}

func TestRecordsOneRowPerExecutionWithItsNodeLogs(t *testing.T) {
	store := &memStore{}
	app := recordingApp(t, store, nil)
	ok := runQuote(app, quoteIn{Email: "a@b.c", Qty: 4}, false)
	bad := runQuote(app, quoteIn{Email: "x@y.z", Qty: 1}, true)
	app.rec.close()
	rows := store.all()
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	byID := map[string]recordRow{rows[0].ID: rows[0], rows[1].ID: rows[1]}
	r := byID[ok.ID]
	if r.Status != StatusCompleted || r.TriggerType != "http/trigger" || r.TriggerInfo != `{"via":"run"}` || r.Flow != "quote" {
		t.Fatalf("completed row %+v", r)
	}
	if r.Input != `{"email":"a@b.c","card":"","qty":4}` || r.Output != `{"status":200,"body":{"email":"a@b.c","total":10}}` {
		t.Fatalf("input %s output %s", r.Input, r.Output)
	}
	nodes := parseNodes(t, r.Nodes)
	if len(nodes) != 3 || nodes[0]["node"] != "ask" || nodes[1]["node"] != "price" || nodes[2]["node"] != "answer" {
		t.Fatalf("nodes %s", r.Nodes)
	}
	if nodes[0]["input"] != nil || nodes[0]["output"].(map[string]any)["email"] != "a@b.c" {
		t.Fatalf("trigger log %v", nodes[0])
	}
	if nodes[1]["port"] != "out" || nodes[1]["output"].(map[string]any)["total"] != 10.0 || nodes[1]["seq"] != 1.0 {
		t.Fatalf("map log %v", nodes[1])
	}
	f := byID[bad.ID]
	if f.Status != StatusFailed || f.ErrorNode != "price" || f.ErrorCode != "lookup" || !strings.Contains(f.Error, "no price for x@y.z") {
		t.Fatalf("failed row %+v", f)
	}
	nodes = parseNodes(t, f.Nodes)
	if len(nodes) != 2 || nodes[1]["level"] != "error" || nodes[1]["port"] != "error" || nodes[1]["output"].(map[string]any)["code"] != "lookup" {
		t.Fatalf("failed nodes %s", f.Nodes)
	}
	if !strings.HasPrefix(f.Output, `{"status":500,"body":{"error":"internal error","execution_id":"`+bad.ID) {
		t.Fatalf("a failed execution's answer is recorded: %s", f.Output)
	}
	if app.RecordsWritten() != 2 || app.RecordsDropped() != 0 {
		t.Fatalf("written %d dropped %d", app.RecordsWritten(), app.RecordsDropped())
	}
}

func TestRecordsPanicFailsTheNodeThatWasRunning(t *testing.T) {
	store := &memStore{}
	app := recordingApp(t, store, nil)
	x := app.NewExec(context.Background(), "quote", "ask", &Captured{})
	x.Run(func() error {
		Input(x, "ask", "http/trigger", "1.0.0", "in")
		Enter(x, "price", "data/map", "1.1.0", "in")
		panic(&EvalError{Message: "division by zero"})
	})
	app.rec.close()
	rows := store.all()
	if len(rows) != 1 || rows[0].ErrorNode != "price" || rows[0].Status != StatusFailed {
		t.Fatalf("rows %+v", rows)
	}
	nodes := parseNodes(t, rows[0].Nodes)
	if nodes[1]["level"] != "error" || nodes[1]["message"] != "division by zero" {
		t.Fatalf("nodes %s", rows[0].Nodes)
	}
}

func TestRecordsFullQueueDropsAndCounts(t *testing.T) {
	store := &memStore{block: make(chan struct{})}
	app := recordingApp(t, store, map[string]string{"NODEFORGE_RECORDS_QUEUE": "4", "NODEFORGE_RECORDS_BATCH": "1", "NODEFORGE_RECORDS_FLUSH": "1ms"})
	// The writer takes the first record and waits in write: 4 more fill the queue, and
	// every execution after them is not recorded at all.
	first := runQuote(app, quoteIn{Email: "first"}, false)
	deadline := time.Now().Add(10 * time.Second)
	for len(app.rec.queue) != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	var kept []*Exec
	for i := 0; i < 10; i++ {
		x := runQuote(app, quoteIn{Email: fmt.Sprint(i)}, false)
		if i < 4 {
			if !x.Recording() {
				t.Fatalf("execution %d not recorded while the queue had room", i)
			}
			kept = append(kept, x)
		} else if x.Recording() {
			t.Fatalf("execution %d recorded while the queue was full", i)
		}
	}
	if got := app.RecordsDropped(); got != 6 {
		t.Fatalf("dropped %d, want 6", got)
	}
	close(store.block)
	app.rec.close()
	rows := store.all()
	if len(rows) != 5 || rows[0].ID != first.ID || rows[4].ID != kept[3].ID {
		t.Fatalf("%d rows written", len(rows))
	}
}

func TestRecordsStoreFailureCountsDrops(t *testing.T) {
	store := &memStore{fail: errors.New("disk full")}
	app := recordingApp(t, store, nil)
	for i := 0; i < 3; i++ {
		runQuote(app, quoteIn{Email: "e"}, false)
	}
	app.rec.close()
	if app.RecordsDropped() != 3 || app.RecordsWritten() != 0 {
		t.Fatalf("dropped %d written %d", app.RecordsDropped(), app.RecordsWritten())
	}
}

func TestRecordsSampleZeroRecordsNothing(t *testing.T) {
	store := &memStore{}
	app := recordingApp(t, store, map[string]string{"NODEFORGE_RECORDS_SAMPLE": "0"})
	if x := runQuote(app, quoteIn{}, false); x.Recording() {
		t.Fatal("recorded with sample 0")
	}
	app.rec.close()
	if len(store.all()) != 0 || app.RecordsDropped() != 0 {
		t.Fatal("an unsampled execution is neither written nor dropped")
	}
}

func TestRecordsRedactSecretsAndSensitiveFields(t *testing.T) {
	t.Setenv("NODEFORGE_CONNECTOR_SHOP_DSN", "postgres://app:hunter2secret@db:5432/shop")
	t.Setenv("NODEFORGE_CONNECTOR_SHOP_PORT", "5432")
	t.Setenv("NODEFORGE_CONNECTOR_SHOP_API_KEY", "k-\"quoted\"-key")
	collectConnectorSecrets()
	noteEnv("TOKEN", "tok_live_777")
	saved := sensitiveNames
	Sensitive("card")
	t.Cleanup(func() { sensitiveNames = saved })
	store := &memStore{}
	app := recordingApp(t, store, nil)
	runQuote(app, quoteIn{Email: "hunter2secret and tok_live_777", Card: "4111111111111111", Qty: 5432}, false)
	runQuote(app, quoteIn{Email: `k-"quoted"-key`}, true)
	app.rec.close()
	rows := store.all()
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		all := strings.Join([]string{r.Input, r.Output, r.Nodes, r.Error}, "\n")
		for _, secret := range []string{"hunter2secret", "tok_live_777", "4111111111111111", `k-\"quoted\"-key`, `k-"quoted"-key`} {
			if strings.Contains(all, secret) {
				t.Fatalf("secret %q in the record:\n%s", secret, all)
			}
		}
		if !strings.Contains(all, Redacted) {
			t.Fatalf("nothing redacted:\n%s", all)
		}
	}
	// A port is no secret: ordinary data that equals it stays.
	if !strings.Contains(rows[0].Input, `"qty":5432`) || !strings.Contains(rows[0].Input, `"card":"[redacted]"`) {
		t.Fatalf("input %s", rows[0].Input)
	}
}

func TestRecordsCapLongValues(t *testing.T) {
	store := &memStore{}
	app := recordingApp(t, store, map[string]string{"NODEFORGE_RECORDS_MAX_VALUE": "300"})
	long := strings.Repeat("é", 400) // 800 bytes: cut at a rune boundary
	runQuote(app, quoteIn{Email: long}, false)
	app.rec.close()
	r := store.all()[0]
	var in map[string]any
	if err := json.Unmarshal([]byte(r.Input), &in); err != nil {
		t.Fatalf("capped input is not JSON: %v\n%s", err, r.Input)
	}
	head, _ := in["head"].(string)
	if in["$truncated"] != float64(len(`{"email":"`+long+`","card":"","qty":0}`)) || len(head) > 150 || !strings.HasPrefix(head, `{"email":"éé`) {
		t.Fatalf("capped input %s", r.Input)
	}
	if strings.ContainsRune(head, '\uFFFD') {
		t.Fatal("cut inside a rune")
	}
	for _, n := range parseNodes(t, r.Nodes) {
		if b, _ := json.Marshal(n["output"]); len(b) > 300 {
			t.Fatalf("node %v output of %d bytes", n["node"], len(b))
		}
	}
}

func openTestStore(t testing.TB) (*sqlRecordStore, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "records.db")
	t.Setenv("NODEFORGE_RECORDS_PATH", path)
	s, err := openRecordStore(NewApp("t"), RecordsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s.(*sqlRecordStore), path
}

func TestRecordsStoreWritesAndPrunes(t *testing.T) {
	s, path := openTestStore(t)
	now := time.Now()
	var rows []recordRow
	for i := 0; i < 10; i++ {
		started := now.Add(-time.Duration(10-i) * 24 * time.Hour) // 10 days ago .. 1 day ago
		rows = append(rows, recordRow{ID: fmt.Sprintf("%016x", i), Flow: "f", TriggerInfo: `{"via":"http"}`, Status: StatusCompleted,
			Started: started.UnixMicro(), Input: "null", Output: "null", Nodes: `[{"seq":0,"node":"t"}]`})
	}
	if err := s.write(rows); err != nil {
		t.Fatal(err)
	}
	if err := s.write(rows[:1]); err != nil { // written twice: kept once
		t.Fatal(err)
	}
	count := func() (n int) {
		if err := s.db.QueryRow(`SELECT count(*) FROM nf_executions`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 10 {
		t.Fatalf("%d rows", n)
	}
	// By age: older than 7 days goes (3 of them).
	if err := s.prune(now.Add(-7*24*time.Hour-time.Minute), 0); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 7 {
		t.Fatalf("%d rows after the age limit", n)
	}
	// By count: the newest 4 stay.
	if err := s.prune(time.Time{}, 4); err != nil {
		t.Fatal(err)
	}
	var oldest string
	if err := s.db.QueryRow(`SELECT id FROM nf_executions ORDER BY started_us LIMIT 1`).Scan(&oldest); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 4 || oldest != fmt.Sprintf("%016x", 6) {
		t.Fatalf("%d rows after the count limit, oldest %s", n, oldest)
	}
	var nodes string
	if err := s.db.QueryRow(`SELECT nodes FROM nf_executions WHERE id = ?`, fmt.Sprintf("%016x", 9)).Scan(&nodes); err != nil || nodes != `[{"seq":0,"node":"t"}]` {
		t.Fatalf("nodes %q %v", nodes, err)
	}
	_ = path
}

func TestRecordsStoreMigratesVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "records.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE nf_executions (id TEXT PRIMARY KEY, app TEXT NOT NULL, flow TEXT NOT NULL, flow_version TEXT NOT NULL, trigger_node TEXT NOT NULL, trigger_type TEXT NOT NULL, trigger_info TEXT NOT NULL, status TEXT NOT NULL, started_us BIGINT NOT NULL, ended_us BIGINT NOT NULL, duration_us BIGINT NOT NULL, input TEXT NOT NULL, output TEXT NOT NULL, error TEXT NOT NULL, error_node TEXT NOT NULL, error_code TEXT NOT NULL, trace_id TEXT NOT NULL, parent_id TEXT NOT NULL, parent_node TEXT NOT NULL)`,
		`CREATE TABLE nf_node_logs (execution_id TEXT NOT NULL, seq INTEGER NOT NULL, node TEXT NOT NULL, node_type TEXT NOT NULL, node_version TEXT NOT NULL, started_us BIGINT NOT NULL, duration_us BIGINT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL, port TEXT NOT NULL, input TEXT NOT NULL, output TEXT NOT NULL, PRIMARY KEY (execution_id, seq))`,
		`INSERT INTO nf_executions VALUES ('old', 't', 'f', '', 't', 'http/trigger', '{}', 'completed', 1, 2, 1, 'null', 'null', '', '', '', '', '', '')`,
		`INSERT INTO nf_node_logs VALUES ('old', 0, 't', 'http/trigger', '1.0.0', 1, 0, 'info', '', 'out', 'null', 'null')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	t.Setenv("NODEFORGE_RECORDS_PATH", path)
	st, err := openRecordStore(NewApp("t"), RecordsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	s := st.(*sqlRecordStore)
	if !s.legacy {
		t.Fatal("nf_node_logs not seen")
	}
	if err := s.write([]recordRow{{ID: "new", TriggerInfo: "{}", Status: StatusCompleted, Started: 5, Input: "null", Output: "null", Nodes: "[]"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.prune(time.UnixMicro(3), 0); err != nil { // the old one goes, with its node log
		t.Fatal(err)
	}
	var n, logs int
	s.db.QueryRow(`SELECT count(*) FROM nf_executions`).Scan(&n)
	s.db.QueryRow(`SELECT count(*) FROM nf_node_logs`).Scan(&logs)
	if n != 1 || logs != 0 {
		t.Fatalf("%d executions, %d node logs", n, logs)
	}
}

// quoteRecord is a record like the quote benchmark's (four nodes).
func quoteRecord(i int) *execRecord {
	type item struct {
		SKU   string  `json:"sku"`
		Qty   int64   `json:"qty"`
		Price float64 `json:"unit_price"`
	}
	in := map[string]any{"method": "POST", "path": "/quote", "body": map[string]any{
		"customer": map[string]any{"email": "Ana@Example.com", "country": "es", "vip": false},
		"items":    []any{item{"A-1", 3, 12.5}, item{"B-2", 1, 99}},
	}}
	price := map[string]any{"email": "ana@example.com", "country": "ES", "lines": int64(2), "subtotal": 37.5, "vip": false}
	now := time.Now()
	r := &execRecord{ID: fmt.Sprintf("%016x", i), Flow: "quote", Trigger: "ask", TriggerType: "http/trigger", Via: "http",
		Status: StatusCompleted, Started: now, Ended: now, Input: in, HasInput: true, Answer: &recordedAnswer{200, price}}
	r.Nodes = append(r.first[:0],
		nodeLog{Node: "ask", Type: "http/trigger", Version: "1.0.0", Started: now, Port: "out", Output: in, HasOut: true, trigger: true, ended: true},
		nodeLog{Node: "price", Type: "data/map", Version: "1.1.0", Started: now, Port: "out", Input: in, HasInput: true, Output: price, HasOut: true, ended: true},
		nodeLog{Node: "big", Type: "flow/if", Version: "1.0.0", Started: now, Port: "false", Input: price, HasInput: true, Output: price, HasOut: true, ended: true},
		nodeLog{Node: "full", Type: "http/respond", Version: "1.0.0", Started: now, Input: price, HasInput: true, ended: true},
	)
	return r
}

// BenchmarkRecordsWriter is the writer's cost per execution: encoding and the SQLite
// insert, in batches of 512 (go test -bench Records -run ^$ ./nf/).
func BenchmarkRecordsWriter(b *testing.B) {
	s, _ := openTestStore(b)
	enc := recordEncoder{maxValue: 16 << 10}
	recs := make([]*execRecord, 512)
	rows := make([]recordRow, 0, 512)
	b.ResetTimer()
	for n := 0; n < b.N; {
		rows = rows[:0]
		for i := range recs {
			recs[i] = quoteRecord(n + i)
			rows = append(rows, enc.row(recs[i]))
		}
		if err := s.write(rows); err != nil {
			b.Fatal(err)
		}
		n += len(recs)
	}
}

// BenchmarkRecordsEncode is the encoding part alone.
func BenchmarkRecordsEncode(b *testing.B) {
	enc := recordEncoder{maxValue: 16 << 10}
	r := quoteRecord(1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		enc.row(r)
	}
}

func TestRecordsWriterShare(t *testing.T) {
	stat := "cpu  100 0 100 800 0 0 0 0 0 0\n"
	self := "1 (app x) S 1 1 1 0 -1 0 0 0 0 0 50 50 0 0"
	p := &cpuProbe{
		readStat:   func() ([]byte, error) { return []byte(stat), nil },
		readSelf:   func() ([]byte, error) { return []byte(self), nil },
		maxProcs:   func() int { return 2 },
		clockTicks: 100,
	}
	if spare, used := p.sample(); spare != -1 || used != -1 {
		t.Fatal("the first call knows nothing")
	}
	p.at = p.at.Add(-time.Second)
	// A second later: of 200 jiffies, 100 idle (half the machine); the process used 0.5 s.
	stat = "cpu  150 0 150 900 0 0 0 0 0 0\n"
	self = "1 (app x) S 1 1 1 0 -1 0 0 0 0 0 75 75 0 0"
	cores := float64(runtime.NumCPU())
	want := min(cores/2, 2-0.5)
	spare, used := p.sample()
	if spare < want-0.01 || spare > want+0.01 || used < 0.49 || used > 0.51 {
		t.Fatalf("spare %v used %v, want %v and 0.5", spare, used, want)
	}
	p.readStat = func() ([]byte, error) { return nil, errors.New("no /proc") }
	p.at = p.at.Add(-time.Second)
	if spare, _ := p.sample(); spare != -1 {
		t.Fatal("without /proc nothing is known")
	}
	for _, c := range []struct{ spare, used, want float64 }{
		{-1, -1, 0.05}, // unknown: 5% of a core
		{0, 0.4, 0.02}, // a busy machine: 5% of what the app uses
		{0, 0, minWriterShare},
		{1, 0, 0.5},      // an idle app: half of what is spare
		{0.5, 0.4, 0.16}, // an app using a fifth of its 2 processors: (1-0.2)^2 of that
		{0.4, 1.6, 0.08}, // a busy app (0.8 of 2): 5% of what it uses, not 0.2*0.2*0.2
		{4, 0.02, 1},     // plenty spare, a core at most
	} {
		if got := writerShare(c.spare, c.used, 2, 0.05); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Fatalf("writerShare(%v, %v) = %v, want %v", c.spare, c.used, got, c.want)
		}
	}
	if pause(10*time.Millisecond, 0.05) != 190*time.Millisecond || pause(time.Second, 1) != 0 || pause(time.Minute, 0.01) != 2*time.Second {
		t.Fatal("pause")
	}
}

func TestRecordsForksKeepTheirOwnNodeLogs(t *testing.T) {
	store := &memStore{}
	app := recordingApp(t, store, nil)
	x := app.NewExec(context.Background(), "f", "t", &Captured{})
	x.Run(func() error {
		Input(x, "t", "trigger/manual", "1.0.0", "in")
		a, b := x.Fork(), x.Fork()
		// The same node runs in both forks at once; each output goes to its own log.
		Enter(a, "item", "data/map", "1.1.0", int64(1))
		Enter(b, "item", "data/map", "1.1.0", int64(2))
		Out(b, "item", "out", "two")
		Out(a, "item", "out", "one")
		return nil
	})
	app.rec.close()
	nodes := parseNodes(t, store.all()[0].Nodes)
	if len(nodes) != 3 || nodes[1]["input"] != 1.0 || nodes[1]["output"] != "one" || nodes[2]["input"] != 2.0 || nodes[2]["output"] != "two" {
		t.Fatalf("nodes %v", nodes)
	}
}

func TestRecordsOverloadShedsWhileTheWriterRests(t *testing.T) {
	store := &memStore{block: make(chan struct{})}
	t.Setenv("NODEFORGE_RECORDS_QUEUE", "4")
	t.Setenv("NODEFORGE_RECORDS_BATCH", "1")
	t.Setenv("NODEFORGE_RECORDS_FLUSH", "1ms")
	t.Setenv("NODEFORGE_RECORDS_CPU", "0.001")
	app := NewApp("t")
	app.rec = newRecorder(app, store)
	// No /proc: the writer keeps to NODEFORGE_RECORDS_CPU of a core, and rests 999 times
	// as long as it wrote (2 s at most).
	noProc := func() ([]byte, error) { return nil, errors.New("no /proc") }
	app.rec.probe.readStat, app.rec.probe.readSelf = noProc, noProc
	go app.rec.run()
	t.Cleanup(app.rec.close)
	runQuote(app, quoteIn{Email: "first"}, false) // the writer takes it and waits in write
	deadline := time.Now().Add(10 * time.Second)
	for len(app.rec.queue) != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for i := 0; i < 6; i++ { // 4 queued, 2 dropped: an overflow
		runQuote(app, quoteIn{Email: fmt.Sprint(i)}, false)
	}
	time.Sleep(5 * time.Millisecond)
	close(store.block)
	// The queued ones are written before the writer rests...
	for app.RecordsWritten() != 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if app.RecordsWritten() != 5 || len(app.rec.queue) != 0 {
		t.Fatalf("written %d, queued %d", app.RecordsWritten(), len(app.rec.queue))
	}
	// ...and while it rests, executions are not recorded (counted as drops).
	if x := runQuote(app, quoteIn{Email: "resting"}, false); x.Recording() {
		t.Fatal("recorded while the writer rests after an overflow")
	}
	if got := app.RecordsDropped(); got != 3 {
		t.Fatalf("dropped %d, want 3", got)
	}
	app.rec.close()
	if len(store.all()) != 5 {
		t.Fatalf("%d rows", len(store.all()))
	}
}
