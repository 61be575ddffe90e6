package webhook_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/licensekit/license/webhook"
)

// Verify costs one HMAC-SHA256 of the body beyond parsing the header:
// compare it with hashing the body alone, as body size grows.
func BenchmarkVerify(b *testing.B) {
	for _, size := range []int{100, 1_000, 10_000} {
		body := []byte(strings.Repeat("x", size))
		header := webhook.Sign(secret, sentAt, body)
		b.Run(fmt.Sprintf("baseline=sha256/body=%d", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				sha256.Sum256(body)
			}
		})
		b.Run(fmt.Sprintf("body=%d", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := webhook.Verify(header, body, secret, sentAt, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Send and an idle DeliverDue stay cheap however many deliveries wait:
// the queue is a heap, so both grow with the logarithm of its length.
func BenchmarkSend(b *testing.B) {
	ctx := context.Background()
	rcv := newReceiver(b, 204)
	for _, pending := range []int{100, 1_000, 10_000} {
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			clk := newMock()
			d := newDispatcher(b, webhook.Config{Clock: clk, QueueSize: 1 << 30}, webhook.EndpointList{endpoint("a", rcv)})
			e := graceStarted
			for i := range pending {
				e.ID = fmt.Sprintf("old-%d", i)
				if err := d.Send(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
			clk.Add(-time.Hour) // what is queued below is due first: it climbs the whole heap
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				e.ID = fmt.Sprintf("new-%d", i)
				if err := d.Send(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
