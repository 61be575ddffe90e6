package postgres

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// combiner lets the goroutines of a process that update one document at
// the same time share transactions. The first to come leads: it runs its
// update in a transaction. The others queue meanwhile, which is cheap in
// the process, where on the row lock in the database it is not; when the
// transaction ends, the first of them leads the next one, which runs the
// updates of all those queued then, up to maxCombined, one after the
// other on the document, and commits them together.
//
// Each update still sees the state that the updates before it left, and
// is saved whole or not at all: one that fails leaves the document as it
// found it, for the next. Its error is returned once the transaction has
// ended, so that nobody is told of a refusal based on a state that was
// not committed. If the transaction fails, every update in it fails with
// the transaction's error. The zero combiner is ready to use.
type combiner struct {
	mu     sync.Mutex
	queues map[string][]*op // by document: those waiting; present while one leads
}

// maxCombined is the most updates that one transaction runs.
const maxCombined = 32

// op is one update of a document.
type op struct {
	ctx  context.Context
	fn   func(doc any) error
	wake chan bool // true: lead a transaction; false: done
	// The result, set before wake is sent false.
	err      error
	panicked any // what fn panicked with, to panic with again in its goroutine
	taken    bool
}

func newOp(ctx context.Context, fn func(doc any) error) *op {
	return &op{ctx: ctx, fn: fn, wake: make(chan bool, 1)}
}

// join queues o for the document key and waits for its turn. It reports
// whether o is to lead a transaction, which it must then run, and
// returns its context's error if that ends before o is taken into one.
func (c *combiner) join(key string, o *op) (lead bool, err error) {
	c.mu.Lock()
	if c.queues == nil {
		c.queues = map[string][]*op{}
	}
	q, running := c.queues[key]
	if !running {
		o.taken = true
		c.queues[key] = nil
		c.mu.Unlock()
		return true, nil
	}
	c.queues[key] = append(q, o)
	c.mu.Unlock()
	select {
	case lead := <-o.wake:
		return lead, nil
	case <-o.ctx.Done():
	}
	c.mu.Lock()
	if !o.taken {
		c.queues[key] = slices.DeleteFunc(c.queues[key], func(x *op) bool { return x == o })
		c.mu.Unlock()
		return false, o.ctx.Err()
	}
	c.mu.Unlock()
	// Taken into a transaction, or to lead one: that goes on.
	return <-o.wake, nil
}

// take returns the updates of the leader's transaction: the leader's, and
// those queued, up to maxCombined. Those whose context is done are
// answered at once, the leader's included, which may leave none.
func (c *combiner) take(key string, leader *op) []*op {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ops []*op
	if err := leader.ctx.Err(); err != nil {
		leader.err = err
	} else {
		ops = append(ops, leader)
	}
	q := c.queues[key]
	for len(q) > 0 && len(ops) < maxCombined {
		o := q[0]
		q = q[1:]
		o.taken = true
		if err := o.ctx.Err(); err != nil {
			o.err = err
			o.wake <- false
			continue
		}
		ops = append(ops, o)
	}
	c.queues[key] = q
	return ops
}

// handOff ends a transaction on the document key: the first update
// queued, if any, leads the next.
func (c *combiner) handOff(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.queues[key]
	if len(q) == 0 {
		delete(c.queues, key)
		return
	}
	q[0].taken = true
	c.queues[key] = q[1:]
	q[0].wake <- true
}

// call runs o's fn on doc, and returns its error, or what it panicked
// with.
func (o *op) call(doc any) (err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return o.fn(doc), nil
}

// batchContext returns the context of a transaction that runs ops: it is
// done when the contexts of all of them are.
func batchContext(ops []*op) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ops[0].ctx))
	var left atomic.Int64
	left.Store(int64(len(ops)))
	stops := make([]func() bool, 0, len(ops))
	for _, o := range ops {
		stops = append(stops, context.AfterFunc(o.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		}))
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}
