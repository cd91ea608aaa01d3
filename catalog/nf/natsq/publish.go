package natsq

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"nodeforge.dev/catalog/nf"
)

// Published is the stream's acknowledgement of a message.
type Published struct {
	Stream    string
	Sequence  int64
	Duplicate bool // the stream already had a message with this Nats-Msg-Id
}

// Publish stores data on subject through JetStream (the subject must belong to a
// stream) and waits for the stream's acknowledgement; msgID, when set, is the
// Nats-Msg-Id header the stream deduplicates on (within its duplicate window).
func Publish(ctx context.Context, connector, subject string, data []byte, headers map[string]string, msgID string, timeout time.Duration) (Published, error) {
	c, err := Connection(connector)
	if err != nil {
		return Published{}, nf.NodeError{Message: err.Error(), Code: "config"}
	}
	m := nats.NewMsg(subject)
	for k, v := range headers {
		m.Header.Set(k, v)
	}
	m.Data = data
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ack, err := c.JS.PublishMsg(ctx, m, opts...)
	if err != nil {
		code, retryable := "publish", true
		if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
			code = "no_stream"
		}
		return Published{}, nf.NodeError{Message: "publish to " + subject + ": " + err.Error(), Code: code, Retryable: retryable}
	}
	return Published{Stream: ack.Stream, Sequence: int64(ack.Sequence), Duplicate: ack.Duplicate}, nil
}
