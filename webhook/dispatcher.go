package webhook

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
)

// Defaults of Config's zero values.
const (
	// DefaultQueueSize is how many deliveries wait at most.
	DefaultQueueSize = 10_000
	// DefaultConcurrency is how many attempts run at once.
	DefaultConcurrency = 4
)

// defaultBackoff is the wait before each retry when Config.Backoff is
// nil: eight attempts over about 45 hours, so that an endpoint down for a
// weekend day still gets its events.
var defaultBackoff = []time.Duration{
	time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// listRetry is the wait before a round that could not list the
// endpoints is tried again. It counts as no attempt.
const listRetry = time.Minute

// Config configures a Dispatcher. Only Endpoints is required.
type Config struct {
	// Endpoints lists the registered endpoints.
	Endpoints Endpoints
	// Client sends the deliveries. Nil means a client that times out
	// after DefaultTimeout, does not follow redirects and connects only
	// to public addresses (see the package documentation). A client
	// without a timeout can hold a round of attempts forever.
	Client *http.Client
	// Clock is the time source. Nil means the system clock.
	Clock license.Clock
	// Backoff lists the waits before the second attempt, the third, and
	// so on: a delivery is attempted len(Backoff)+1 times at most. Nil
	// means 1m, 5m, 30m, 2h, 6h, 12h and 24h; an empty, non-nil slice
	// means a single attempt.
	Backoff []time.Duration
	// MaxAge, when positive, drops a delivery whose next attempt would
	// fall more than MaxAge after the event was sent. Zero means no limit
	// but the Backoff schedule.
	MaxAge time.Duration
	// QueueSize is how many deliveries may wait, in flight included.
	// Zero means DefaultQueueSize.
	QueueSize int
	// Concurrency is how many attempts run at once. Zero means
	// DefaultConcurrency.
	Concurrency int
	// Logger receives a line for each failed attempt and each delivery
	// dropped. Nil means no logging.
	Logger *slog.Logger
	// OnDrop, if set, is called with the final error of each delivery
	// dropped, so that a server can record it. It must not block.
	OnDrop func(*AttemptError)
}

// Dispatcher delivers events to endpoints over HTTP, at least once:
// Send queues one delivery per endpoint that wants the event, and each
// is attempted, then retried on a network error or a status other than
// 2xx after the waits of Config.Backoff, until it succeeds or its
// attempts run out. Then it is dropped, logged and reported to
// Config.OnDrop.
//
// Each round of attempts asks Config.Endpoints again: a delivery goes to
// its endpoint's current URL, signed with its current secret, and is
// dropped with ErrEndpointGone if the endpoint was removed or no longer
// wants the event's kind.
//
// The queue is bounded by Config.QueueSize. When an event's deliveries
// do not fit, Send refuses them all with ErrQueueFull and counts them in
// Stats.Refused: the caller learns of it at once, where dropping the
// oldest deliveries would lose events that nobody is told about.
//
// The queue is in memory: deliveries still pending when the process
// stops are lost. A caller that must not lose one sends the events again
// at start (events have stable IDs; receivers deduplicate).
//
// Run attempts deliveries as they fall due; DeliverDue does one round, at
// the clock's reading, for tests and for callers with their own loop.
// A Dispatcher is safe for concurrent use. Its zero value is not usable:
// make one with New.
type Dispatcher struct {
	endpoints   Endpoints
	client      *http.Client
	clock       license.Clock
	backoff     []time.Duration
	maxAge      time.Duration
	size        int
	concurrency int
	log         *slog.Logger
	onDrop      func(*AttemptError)
	kick        chan struct{} // wakes Run when Send queues a delivery

	mu       sync.Mutex
	queue    queue                // waiting deliveries, soonest due first
	inFlight int                  // deliveries taken out of queue by a round
	keys     map[deliveryKey]bool // deliveries waiting or in flight
	seq      uint64               // order of queueing, among deliveries due together
	stats    Stats
}

// Stats counts a Dispatcher's deliveries since it was made.
type Stats struct {
	Pending   int   // deliveries waiting or in flight
	Delivered int64 // deliveries that succeeded
	Failed    int64 // attempts that failed
	Dropped   int64 // deliveries given up on
	Refused   int64 // deliveries Send refused because the queue was full
}

// New returns a Dispatcher. It fails with ErrInvalidConfig when Endpoints
// is nil, or a wait, MaxAge, QueueSize or Concurrency is negative.
func New(cfg Config) (*Dispatcher, error) {
	if cfg.Endpoints == nil {
		return nil, fmt.Errorf("%w: no Endpoints", ErrInvalidConfig)
	}
	if cfg.MaxAge < 0 || cfg.QueueSize < 0 || cfg.Concurrency < 0 {
		return nil, fmt.Errorf("%w: negative MaxAge, QueueSize or Concurrency", ErrInvalidConfig)
	}
	for _, w := range cfg.Backoff {
		if w < 0 {
			return nil, fmt.Errorf("%w: negative wait %s in Backoff", ErrInvalidConfig, w)
		}
	}
	d := &Dispatcher{
		endpoints:   cfg.Endpoints,
		client:      cfg.Client,
		clock:       cfg.Clock,
		backoff:     cfg.Backoff,
		maxAge:      cfg.MaxAge,
		size:        cfg.QueueSize,
		concurrency: cfg.Concurrency,
		log:         cfg.Logger,
		onDrop:      cfg.OnDrop,
		kick:        make(chan struct{}, 1),
		keys:        map[deliveryKey]bool{},
	}
	if d.client == nil {
		d.client = defaultClient()
	}
	if d.clock == nil {
		d.clock = clock.New()
	}
	if d.backoff == nil {
		d.backoff = defaultBackoff
	}
	if d.size == 0 {
		d.size = DefaultQueueSize
	}
	if d.concurrency == 0 {
		d.concurrency = DefaultConcurrency
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	return d, nil
}

// Send queues a delivery of e to each endpoint that wants its kind,
// due at once. A delivery of the same event to the same endpoint that is
// still pending is not queued twice.
//
// It fails with ErrInvalidEvent, with the error of Config.Endpoints, or
// with ErrQueueFull; then nothing is queued. An endpoint that fails
// Endpoint.Validate is passed over and its error returned, joined with
// the others': the event is still queued for the valid endpoints.
func (d *Dispatcher) Send(ctx context.Context, e license.Event) error {
	if err := checkEvent(e); err != nil {
		return err
	}
	eps, err := d.endpoints.Endpoints(ctx)
	if err != nil {
		return fmt.Errorf("webhook: listing endpoints: %w", err)
	}
	var targets []string
	var invalid []error
	for _, ep := range eps {
		if !ep.Wants(e.Kind) {
			continue
		}
		if err := ep.Validate(); err != nil {
			d.log.Error("webhook: endpoint passed over", "endpoint", ep, "err", err)
			invalid = append(invalid, err)
			continue
		}
		targets = append(targets, ep.ID)
	}
	now := d.clock.Now()
	d.mu.Lock()
	var fresh []deliveryKey
	for _, id := range targets {
		k := deliveryKey{endpoint: id, event: e.ID}
		if !d.keys[k] && !slices.Contains(fresh, k) {
			fresh = append(fresh, k)
		}
	}
	if len(d.queue)+d.inFlight+len(fresh) > d.size {
		d.stats.Refused += int64(len(fresh))
		d.mu.Unlock()
		return errors.Join(fmt.Errorf("%w: %d deliveries of event %q refused, %d of %d places taken", ErrQueueFull, len(fresh), e.ID, len(d.queue)+d.inFlight, d.size), errors.Join(invalid...))
	}
	for _, k := range fresh {
		d.keys[k] = true
		d.seq++
		heap.Push(&d.queue, &pending{endpoint: k.endpoint, event: e, due: now, sent: now, seq: d.seq})
	}
	d.mu.Unlock()
	if len(fresh) > 0 {
		select {
		case d.kick <- struct{}{}:
		default:
		}
	}
	return errors.Join(invalid...)
}

// checkEvent refuses an event that cannot be delivered: no ID, kind or
// instant (VerifyRequest would refuse it), an ID or kind that cannot be
// a header's value, or a body too large for VerifyRequest.
func checkEvent(e license.Event) error {
	if e.ID == "" || e.Kind == "" || e.At.IsZero() {
		return fmt.Errorf("%w: no ID, kind or instant", ErrInvalidEvent)
	}
	for _, s := range []string{e.ID, string(e.Kind)} {
		if !utf8.ValidString(s) {
			return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidEvent, s)
		}
		for i := 0; i < len(s); i++ {
			if s[i] < ' ' || s[i] == 0x7f {
				return fmt.Errorf("%w: %q holds a control character", ErrInvalidEvent, s)
			}
		}
	}
	// The attempt number adds a few digits at most.
	if b, err := json.Marshal(Delivery{Event: e, Attempt: 1}); err != nil || len(b) > MaxBodySize-16 {
		return fmt.Errorf("%w: the body would exceed %d bytes", ErrInvalidEvent, MaxBodySize)
	}
	return nil
}

// DeliverDue attempts every delivery due at the clock's reading, at most
// Config.Concurrency at once, and returns when all have answered or
// failed. n counts the attempts made; err joins an *AttemptError for each
// that failed (some Final), or is the error of Config.Endpoints, when no
// attempt was made. An attempt cut short by ctx does not count: its
// delivery waits for the next round.
func (d *Dispatcher) DeliverDue(ctx context.Context) (n int, err error) {
	now := d.clock.Now()
	d.mu.Lock()
	var batch []*pending
	for len(d.queue) > 0 && !d.queue[0].due.After(now) {
		batch = append(batch, heap.Pop(&d.queue).(*pending))
	}
	d.inFlight += len(batch)
	d.mu.Unlock()
	if len(batch) == 0 {
		return 0, nil
	}

	eps, err := d.endpoints.Endpoints(ctx)
	if err != nil {
		err = fmt.Errorf("webhook: listing endpoints: %w", err)
		d.log.Error("webhook: round put off", "err", err, "deliveries", len(batch))
		d.mu.Lock()
		for _, p := range batch {
			p.due = now.Add(listRetry)
			heap.Push(&d.queue, p)
		}
		d.inFlight -= len(batch)
		d.mu.Unlock()
		return 0, err
	}
	byID := make(map[string]Endpoint, len(eps))
	for _, ep := range eps {
		if _, dup := byID[ep.ID]; !dup {
			byID[ep.ID] = ep
		}
	}

	results := make([]*AttemptError, len(batch))
	attempted := make([]bool, len(batch))
	sem := make(chan struct{}, d.concurrency)
	var wg sync.WaitGroup
	for i, p := range batch {
		ep, ok := byID[p.endpoint]
		if !ok || !ep.Wants(p.event.Kind) {
			results[i] = &AttemptError{Endpoint: p.endpoint, Event: p.event, Attempt: p.attempts, Final: true, Err: ErrEndpointGone}
			continue
		}
		if err := ep.Validate(); err != nil {
			results[i] = &AttemptError{Endpoint: p.endpoint, Event: p.event, Attempt: p.attempts, Final: true, Err: err}
			continue
		}
		attempted[i] = true
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			status, err := d.attempt(ctx, ep, Delivery{Event: p.event, Attempt: p.attempts + 1})
			if err != nil {
				results[i] = &AttemptError{Endpoint: p.endpoint, Event: p.event, Attempt: p.attempts + 1, Status: status, Err: err}
			}
		}()
	}
	wg.Wait()

	cancelled := ctx.Err() != nil
	var failed []*AttemptError
	d.mu.Lock()
	for i, p := range batch {
		r := results[i]
		switch {
		case attempted[i] && r == nil:
			d.stats.Delivered++
			delete(d.keys, deliveryKey{p.endpoint, p.event.ID})
			n++
			continue
		case attempted[i] && cancelled:
			heap.Push(&d.queue, p) // still due: the next round tries again
			continue
		case attempted[i]:
			n++
			d.stats.Failed++
			p.attempts++
			if p.attempts > len(d.backoff) {
				r.Final = true
			} else if p.due = now.Add(d.backoff[p.attempts-1]); d.maxAge > 0 && p.due.Sub(p.sent) > d.maxAge {
				r.Final, r.Err = true, fmt.Errorf("%w, after: %w", ErrExpired, r.Err)
			}
		}
		failed = append(failed, r)
		if r.Final {
			d.stats.Dropped++
			delete(d.keys, deliveryKey{p.endpoint, p.event.ID})
		} else {
			heap.Push(&d.queue, p)
		}
	}
	d.inFlight -= len(batch)
	d.mu.Unlock()

	errs := make([]error, len(failed))
	for i, r := range failed {
		errs[i] = r
		if !r.Final {
			d.log.Warn("webhook: attempt failed", "endpoint", r.Endpoint, "event", r.Event.ID, "attempt", r.Attempt, "status", r.Status, "err", r.Err)
			continue
		}
		d.log.Error("webhook: delivery dropped", "endpoint", r.Endpoint, "event", r.Event.ID, "attempts", r.Attempt, "err", r.Err)
		if d.onDrop != nil {
			d.onDrop(r)
		}
	}
	return n, errors.Join(errs...)
}

// attempt POSTs one delivery to ep and returns the status answered.
func (d *Dispatcher) attempt(ctx context.Context, ep Endpoint, dl Delivery) (int, error) {
	body, err := json.Marshal(dl)
	if err != nil {
		return 0, err // checkEvent marshalled it already: cannot happen
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "licensekit-webhook/1")
	req.Header.Set(EventIDHeader, dl.Event.ID)
	req.Header.Set(EventKindHeader, string(dl.Event.Kind))
	req.Header.Set(SignatureHeader, Sign(ep.Secret, d.clock.Now(), body))
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	// Read a little of the answer so that the connection can be reused;
	// the answer itself means nothing but its status.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, ErrStatus
	}
	return resp.StatusCode, nil
}

// NextDue returns when the soonest waiting delivery falls due, and false
// when none waits.
func (d *Dispatcher) NextDue() (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queue) == 0 {
		return time.Time{}, false
	}
	return d.queue[0].due, true
}

// Stats returns the dispatcher's counts.
func (d *Dispatcher) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.stats
	s.Pending = len(d.queue) + d.inFlight
	return s
}

// Run attempts deliveries as they fall due, waiting on the clock's After
// in between and waking at once when Send queues one, until ctx is done;
// it then returns ctx's error. Failed attempts are logged and retried
// (see Dispatcher); Run itself never stops on them.
func (d *Dispatcher) Run(ctx context.Context) error {
	for {
		// This round sees every delivery queued so far: a kick left
		// from before would only wake Run for nothing.
		select {
		case <-d.kick:
		default:
		}
		_, _ = d.DeliverDue(ctx) // logged in DeliverDue
		var wake <-chan time.Time
		if next, ok := d.NextDue(); ok {
			wake = d.clock.After(max(next.Sub(d.clock.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-d.kick:
		}
	}
}
