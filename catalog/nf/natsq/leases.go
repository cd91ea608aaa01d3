package natsq

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"nodeforge.dev/catalog/nf"
)

// Leases are the schedule leases of an app in a JetStream key-value bucket: one key per
// schedule and tick, created by exactly one replica (kv.Create fails when the key
// exists). Keys expire with the bucket's TTL; a replica that dies holds nothing after
// its tick, so another replica takes the next one.
type Leases struct {
	off       bool // the connector is not configured: every claim wins
	connector string
	bucket    string
	ttl       time.Duration
	holder    []byte

	mu sync.Mutex
	kv jetstream.KeyValue
}

var bucketChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)
var keyChars = regexp.MustCompile(`[^A-Za-z0-9_=.-]+`)

// NewLeases uses the connector's JetStream for app's schedules (bucket
// nodeforge_leases_<app>, keys kept for an hour). When the run time gives the connector
// no settings (Configured), there are no leases: every tick is claimed, as in an app
// without leases (one process on a laptop needs no NATS).
func NewLeases(app *nf.App, connector string) *Leases {
	Register(app, connector)
	host, _ := os.Hostname()
	return &Leases{
		off:       !Configured(connector),
		connector: connector,
		bucket:    "nodeforge_leases_" + bucketChars.ReplaceAllString(app.Name, "_"),
		ttl:       time.Hour,
		holder:    []byte(host + ":" + strconv.Itoa(os.Getpid())),
	}
}

// Claim reports whether this replica won key.
func (l *Leases) Claim(ctx context.Context, key string) (bool, error) {
	if l.off {
		return true, nil
	}
	kv, err := l.store(ctx)
	if err != nil {
		return false, err
	}
	_, err = kv.Create(ctx, keyChars.ReplaceAllString(key, "_"), l.holder)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	return false, err
}

func (l *Leases) store(ctx context.Context) (jetstream.KeyValue, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.kv != nil {
		return l.kv, nil
	}
	c, err := Connection(l.connector)
	if err != nil {
		return nil, err
	}
	kv, err := c.JS.KeyValue(ctx, l.bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = c.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      l.bucket,
			Description: "nodeforge schedule leases",
			TTL:         l.ttl,
			Storage:     jetstream.FileStorage,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = c.JS.KeyValue(ctx, l.bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lease bucket %s: %w", l.bucket, err)
	}
	l.kv = kv
	return kv, nil
}
