package webhook

import (
	"time"

	"github.com/licensekit/license"
)

// pending is one delivery waiting: an event for an endpoint.
type pending struct {
	endpoint string // the endpoint's ID
	event    license.Event
	attempts int       // attempts made
	due      time.Time // when the next attempt falls due
	sent     time.Time // when Send queued it, for Config.MaxAge
	seq      uint64    // first queued, first attempted among those due together
}

// deliveryKey identifies a delivery: an event for an endpoint.
type deliveryKey struct{ endpoint, event string }

// queue is a heap of pending deliveries, soonest due first, for
// container/heap.
type queue []*pending

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*pending)) }
func (q *queue) Pop() any {
	old := *q
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return p
}
