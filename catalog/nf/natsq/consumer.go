package natsq

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"nodeforge.dev/catalog/nf"
)

// Queue is one trigger/queue node: a durable pull consumer shared by every replica of the
// app (JetStream hands each message to one of them), acknowledged only after the
// execution succeeded.
type Queue struct {
	Flow, Trigger string
	Connector     string
	Stream        string // created (work-queue retention, file storage) when missing
	Subject       string // the consumer's filter subject
	Durable       string // the consumer's name, the same in every replica
	DeadLetter    string // where messages go after MaxDeliver failed deliveries ("" drops them)
	MaxDeliver    int
	AckWait       time.Duration   // a replica that dies: its messages come back after this
	Backoff       []time.Duration // the delay before delivery n+1 after n failures (the last one repeats)
	Concurrency   int             // executions at once in this replica (and messages pulled ahead)
	IdemHeader    string          // the header holding the idempotency key (default Nats-Msg-Id)
	Schema        *nf.Schema      // the payload's schema (nil: any JSON)
	// Decode, when set, reads the payload in one pass into the flow's typed value,
	// checking Schema as it goes (a generated, schema-specialised reader: Typed);
	// nil: the payload is parsed into JSON values and validated against Schema.
	Decode func(data []byte) (any, *nf.BadRequest)
	Handle func(ctx context.Context, m *Message) error
}

// Typed is Queue.Decode for a generated reader of the payload's struct.
func Typed[T any](read func(r *nf.Reader, out *T)) func(data []byte) (any, *nf.BadRequest) {
	return func(data []byte) (any, *nf.BadRequest) {
		v, bad := nf.DecodeBody(data, read)
		if bad != nil {
			return nil, bad
		}
		return v, nil
	}
}

// Message is what a trigger/queue node emits.
type Message struct {
	Subject        string
	Payload        any // JSON values, or the typed value Queue.Decode read
	Headers        map[string]string
	IdempotencyKey string
	Delivery       int64
	StreamSequence int64
	Published      string
}

// Service is the queue's consumer as an app service.
func Service(app *nf.App, q Queue) nf.Service {
	if q.MaxDeliver <= 0 {
		q.MaxDeliver = 5
	}
	if q.AckWait <= 0 {
		q.AckWait = 30 * time.Second
	}
	if q.Concurrency <= 0 {
		q.Concurrency = 16
	}
	if q.IdemHeader == "" {
		q.IdemHeader = "Nats-Msg-Id"
	}
	if len(q.Backoff) == 0 {
		q.Backoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}
	}
	return nf.Service{Name: "queue " + q.Flow + "." + q.Trigger, Run: func(ctx context.Context) error {
		return consume(ctx, app, &q)
	}}
}

func consume(ctx context.Context, app *nf.App, q *Queue) error {
	log := app.Log.With("flow", q.Flow, "trigger", q.Trigger, "stream", q.Stream, "consumer", q.Durable)
	if !Configured(q.Connector) {
		// Not a dependency of this process (see Configured; Register said so once).
		log.Debug("queue: not consuming, the connector is not configured", "connector", q.Connector)
		<-ctx.Done()
		return nil
	}
	slots := make(chan struct{}, q.Concurrency)
	var inflight sync.WaitGroup
	defer inflight.Wait() // shutdown: the executions in flight finish and ack
	retry := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Second):
			return true
		}
	}
	for ctx.Err() == nil {
		if !app.WaitReady(ctx) {
			break
		}
		c, err := Connection(q.Connector)
		if err != nil {
			log.Error("queue: no connection", "error", err.Error())
			if !retry() {
				break
			}
			continue
		}
		cons, err := q.ensure(ctx, c)
		if err != nil {
			log.Warn("queue: cannot set up the consumer", "error", err.Error())
			if !retry() {
				break
			}
			continue
		}
		cc, err := cons.Consume(func(m jetstream.Msg) {
			slots <- struct{}{} // at most Concurrency executions at once
			inflight.Add(1)
			go func() {
				defer func() { <-slots; inflight.Done() }()
				q.handle(ctx, app, c, m)
			}()
		},
			jetstream.PullMaxMessages(q.Concurrency),
			jetstream.PullExpiry(5*time.Second),
			jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
				log.Debug("queue: consume", "error", err.Error())
			}))
		if err != nil {
			log.Warn("queue: cannot consume", "error", err.Error())
			if !retry() {
				break
			}
			continue
		}
		log.Info("queue: consuming", "subject", q.Subject, "concurrency", q.Concurrency)
		// Take messages while the app is ready (its databases and NATS answer): a replica
		// that lost a dependency stops pulling, finishes what it holds, and starts again
		// when the dependency is back.
		for ctx.Err() == nil && app.Ready() {
			select {
			case <-ctx.Done():
			case <-app.ReadyChanged():
			}
		}
		cc.Stop()
		if ctx.Err() == nil {
			log.Warn("queue: paused while the app is not ready", "failing", strings.Join(app.Failing(), ","))
		}
	}
	return nil
}

// ensure finds or creates the stream, the dead-letter stream and the durable consumer.
func (q *Queue) ensure(ctx context.Context, c *Conn) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := findOrCreateStream(ctx, c.JS, jetstream.StreamConfig{
		Name:       q.Stream,
		Subjects:   []string{q.Subject},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", q.Stream, err)
	}
	if q.DeadLetter != "" {
		if _, err := c.JS.StreamNameBySubject(ctx, q.DeadLetter); err != nil {
			if !errors.Is(err, jetstream.ErrStreamNotFound) {
				return nil, fmt.Errorf("dead-letter subject %s: %w", q.DeadLetter, err)
			}
			if _, err := findOrCreateStream(ctx, c.JS, jetstream.StreamConfig{
				Name:       q.Stream + "_DEAD",
				Subjects:   []string{q.DeadLetter},
				Storage:    jetstream.FileStorage,
				Duplicates: 2 * time.Minute,
			}); err != nil {
				return nil, fmt.Errorf("dead-letter stream: %w", err)
			}
		}
	}
	return s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       q.Durable,
		Description:   "nodeforge " + q.Flow + "." + q.Trigger,
		FilterSubject: q.Subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.AckWait,
		// One delivery more than the flow's limit: that one goes to the dead-letter
		// subject without running (the delivery before it may have died with its replica).
		MaxDeliver:    q.MaxDeliver + 1,
		MaxAckPending: max(1024, 64*q.Concurrency),
	})
}

func findOrCreateStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := js.Stream(ctx, cfg.Name)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, err
	}
	s, err = js.CreateStream(ctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return js.Stream(ctx, cfg.Name) // another replica made it first
	}
	return s, err
}

// handle runs one delivery: ack after success, a delayed redelivery after a failure, the
// dead-letter subject after the last allowed delivery or for a payload that can never
// run (not JSON, or against the schema).
func (q *Queue) handle(ctx context.Context, app *nf.App, c *Conn, m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		app.Log.Warn("queue: message without metadata", "flow", q.Flow, "trigger", q.Trigger, "error", err.Error())
		_ = m.Term()
		return
	}
	delivery := int(md.NumDelivered)
	if delivery > q.MaxDeliver {
		q.deadLetter(ctx, app, c, m, md, fmt.Sprintf("no successful execution in %d deliveries", q.MaxDeliver))
		return
	}
	var payload any
	var bad *nf.BadRequest
	if q.Decode != nil {
		payload, bad = q.Decode(m.Data())
	} else {
		payload, bad = nf.CheckBody(m.Data(), q.Schema)
	}
	if bad != nil {
		q.deadLetter(ctx, app, c, m, md, "payload: "+bad.Error())
		return
	}
	headers := map[string]string{}
	for k, v := range m.Headers() {
		if len(v) > 0 {
			headers[strings.ToLower(k)] = v[0]
		}
	}
	key := m.Headers().Get(q.IdemHeader)
	if key == "" {
		key = md.Stream + ":" + strconv.FormatUint(md.Sequence.Stream, 10)
	}
	msg := &Message{
		Subject:        m.Subject(),
		Payload:        payload,
		Headers:        headers,
		IdempotencyKey: key,
		Delivery:       int64(delivery),
		StreamSequence: int64(md.Sequence.Stream),
		Published:      md.Timestamp.UTC().Format(time.RFC3339Nano),
	}
	done := app.Track()
	err = q.Handle(context.WithoutCancel(ctx), msg)
	done()
	if err == nil {
		if err := m.Ack(); err != nil {
			app.Log.Warn("queue: ack lost, the message will be delivered again", "flow", q.Flow, "trigger", q.Trigger, "idempotency_key", key, "error", err.Error())
		}
		return
	}
	if delivery >= q.MaxDeliver {
		q.deadLetter(ctx, app, c, m, md, err.Error())
		return
	}
	delay := q.Backoff[min(delivery, len(q.Backoff))-1]
	if err := m.NakWithDelay(delay); err != nil {
		app.Log.Warn("queue: nak lost, the message comes back after the ack wait", "flow", q.Flow, "trigger", q.Trigger, "error", err.Error())
	}
}

var headerValue = regexp.MustCompile(`[\r\n]+`)

func (q *Queue) deadLetter(ctx context.Context, app *nf.App, c *Conn, m jetstream.Msg, md *jetstream.MsgMetadata, reason string) {
	log := app.Log.With("flow", q.Flow, "trigger", q.Trigger, "stream_sequence", md.Sequence.Stream, "deliveries", md.NumDelivered)
	if q.DeadLetter == "" {
		log.Error("queue: message dropped", "reason", reason)
		_ = m.TermWithReason(reason)
		return
	}
	out := nats.NewMsg(q.DeadLetter)
	for k, v := range m.Headers() {
		out.Header[k] = v
	}
	out.Header.Set("Nodeforge-Error", headerValue.ReplaceAllString(reason, " "))
	out.Header.Set("Nodeforge-Subject", m.Subject())
	out.Header.Set("Nodeforge-Stream", md.Stream)
	out.Header.Set("Nodeforge-Stream-Sequence", strconv.FormatUint(md.Sequence.Stream, 10))
	out.Header.Set("Nodeforge-Deliveries", strconv.FormatUint(md.NumDelivered, 10))
	out.Data = m.Data()
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// The same dead letter published twice (a redelivery after a lost ack) is deduplicated:
	// by the message's own Nats-Msg-Id, kept, or by its place in the stream.
	id := m.Headers().Get("Nats-Msg-Id")
	if id == "" {
		id = "dead:" + md.Stream + ":" + strconv.FormatUint(md.Sequence.Stream, 10)
	}
	if _, err := c.JS.PublishMsg(pctx, out, jetstream.WithMsgID(id)); err != nil {
		log.Warn("queue: cannot publish to the dead-letter subject, retrying later", "error", err.Error())
		_ = m.NakWithDelay(q.Backoff[len(q.Backoff)-1])
		return
	}
	log.Error("queue: message sent to the dead-letter subject", "subject", q.DeadLetter, "reason", reason)
	_ = m.TermWithReason("dead letter: " + reason)
}
