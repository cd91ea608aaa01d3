// Command handwritten is the baseline of bench/queue_bench.py: the work of the benchmark's
// queue flow written by hand against the same libraries (nats.go's JetStream pull
// consumer, pgx through database/sql): decode the order, check its fields, insert it
// once, acknowledge. Settings: NATS_URL, PG_DSN, STREAM, SUBJECT, DURABLE, CONCURRENCY.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"log"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

type order struct {
	OrderID string `json:"order_id"`
	SKU     string `json:"sku"`
	Qty     int64  `json:"qty"`
	SentAt  string `json:"sent_at"`
}

func main() {
	concurrency, _ := strconv.Atoi(os.Getenv("CONCURRENCY"))
	if concurrency <= 0 {
		concurrency = 32
	}
	db, err := sql.Open("pgx", os.Getenv("PG_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	nc, err := nats.Connect(os.Getenv("NATS_URL"))
	if err != nil {
		log.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	stream, err := js.Stream(ctx, os.Getenv("STREAM"))
	if err != nil {
		log.Fatal(err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       os.Getenv("DURABLE"),
		FilterSubject: os.Getenv("SUBJECT"),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    6,
		MaxAckPending: max(1024, 64*concurrency),
	})
	if err != nil {
		log.Fatal(err)
	}
	slots := make(chan struct{}, concurrency)
	const insert = "INSERT INTO bench_orders (idempotency_key, order_id, sku, qty, sent_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING"
	cc, err := cons.Consume(func(m jetstream.Msg) {
		slots <- struct{}{}
		go func() {
			defer func() { <-slots }()
			var o order
			if err := json.Unmarshal(m.Data(), &o); err != nil || o.OrderID == "" || o.SKU == "" || o.Qty < 1 {
				_ = m.Term()
				return
			}
			key := m.Headers().Get("Nats-Msg-Id")
			if _, err := db.ExecContext(context.Background(), insert, key, o.OrderID, o.SKU, o.Qty, o.SentAt); err != nil {
				_ = m.NakWithDelay(time.Second)
				return
			}
			_ = m.Ack()
		}()
	}, jetstream.PullMaxMessages(concurrency))
	if err != nil {
		log.Fatal(err)
	}
	os.Stdout.WriteString("consuming\n")
	<-ctx.Done()
	cc.Stop()
	for range concurrency {
		slots <- struct{}{}
	}
	nc.Drain()
}
