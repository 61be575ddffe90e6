package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/webhook"
)

// An endpoint that fails twice, then succeeds, gets the event once it
// succeeds: each attempt is signed with its secret at the clock's
// instant, carries the same event ID, and waits for the backoff.
func TestDispatcher_RetriesWithBackoffUntilDelivered(t *testing.T) {
	ctx := context.Background()
	clk := newMock()
	rcv := newReceiver(t, 500, 500, 204)
	ep := endpoint("ep-1", rcv)
	d := newDispatcher(t, webhook.Config{Clock: clk, Backoff: []time.Duration{time.Minute, 5 * time.Minute}}, webhook.EndpointList{ep})

	require.NoError(t, d.Send(ctx, graceStarted))
	next, ok := d.NextDue()
	require.True(t, ok)
	assert.Equal(t, sentAt, next, "the first attempt is due at once")

	err := round(t, d, 1)
	var ae *webhook.AttemptError
	require.ErrorAs(t, err, &ae)
	assert.ErrorIs(t, err, webhook.ErrStatus)
	assert.Equal(t, webhook.AttemptError{Endpoint: "ep-1", Event: graceStarted, Attempt: 1, Status: 500, Err: webhook.ErrStatus}, *ae)

	next, _ = d.NextDue()
	assert.Equal(t, sentAt.Add(time.Minute), next)
	clk.Add(time.Minute - time.Second)
	assert.NoError(t, round(t, d, 0), "not due yet")

	clk.Add(time.Second)
	err = round(t, d, 1)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 2, ae.Attempt)
	next, _ = d.NextDue()
	assert.Equal(t, clk.Now().Add(5*time.Minute), next, "the second wait")

	clk.Add(5 * time.Minute)
	require.NoError(t, round(t, d, 1))
	assert.Equal(t, webhook.Stats{Delivered: 1, Failed: 2}, d.Stats())
	_, ok = d.NextDue()
	assert.False(t, ok, "nothing left to deliver")

	got := rcv.requests()
	require.Len(t, got, 3)
	for i, r := range got {
		assert.Equal(t, graceStarted.ID, r.header.Get(webhook.EventIDHeader), "attempt %d", i+1)
		assert.Equal(t, "grace-started", r.header.Get(webhook.EventKindHeader))
		req := httptest.NewRequest("POST", "/", bytesReader(r.body))
		req.Header = r.header
		dl, err := webhook.VerifyRequest(req, ep.Secret, clk.Now(), time.Hour)
		require.NoError(t, err, "attempt %d", i+1)
		assert.Equal(t, webhook.Delivery{Event: graceStarted, Attempt: i + 1}, dl)
	}
	// Each attempt is signed when it is sent: the last one verifies with
	// the default tolerance at the clock's instant, the first no longer.
	last := got[2]
	assert.NoError(t, webhook.Verify(last.header.Get(webhook.SignatureHeader), last.body, ep.Secret, clk.Now(), 0))
	assert.ErrorIs(t, webhook.Verify(got[0].header.Get(webhook.SignatureHeader), got[0].body, ep.Secret, clk.Now(), 0), webhook.ErrTimestamp)
}

// Run follows the mock clock: it wakes after each backoff wait when the
// clock is moved through it, and at once when Send queues a delivery.
func TestDispatcher_RunFollowsTheClock(t *testing.T) {
	clk := watchedClock{Mock: newMock(), waits: make(chan time.Duration, 16)}
	rcv := newReceiver(t, 503, 502, 200, 200)
	d := newDispatcher(t, webhook.Config{Clock: clk}, webhook.EndpointList{endpoint("ep-1", rcv)})

	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, d.Send(ctx, graceStarted))
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	assert.Equal(t, 503, (<-rcv.arrived).status)
	assert.Equal(t, time.Minute, <-clk.waits, "the default schedule's first wait")
	clk.Add(time.Minute)
	assert.Equal(t, 502, (<-rcv.arrived).status)
	assert.Equal(t, 5*time.Minute, <-clk.waits)
	clk.Add(5 * time.Minute)
	assert.Equal(t, 200, (<-rcv.arrived).status)

	// Idle, Run wakes when an event is sent, without the clock moving.
	revoked := license.Event{ID: "revoked/SN-1/2028-01-20T00:00:00Z", Kind: license.EventRevoked, At: sentAt}
	require.NoError(t, d.Send(ctx, revoked))
	assert.Equal(t, revoked.ID, (<-rcv.arrived).header.Get(webhook.EventIDHeader))

	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.Len(t, rcv.requests(), 4)
}

// When its attempts run out, a delivery is dropped, logged and reported
// to OnDrop, and the endpoint hears of it no more.
func TestDispatcher_AttemptsExhaustedDropped(t *testing.T) {
	ctx := context.Background()
	clk := newMock()
	rcv := newReceiver(t, 500)
	var dropped []*webhook.AttemptError
	d := newDispatcher(t, webhook.Config{
		Clock:   clk,
		Backoff: []time.Duration{time.Minute, time.Hour},
		OnDrop:  func(e *webhook.AttemptError) { dropped = append(dropped, e) },
	}, webhook.EndpointList{endpoint("ep-1", rcv)})

	require.NoError(t, d.Send(ctx, graceStarted))
	for _, wait := range []time.Duration{0, time.Minute, time.Hour} {
		clk.Add(wait)
		err := round(t, d, 1)
		assert.ErrorIs(t, err, webhook.ErrStatus)
	}
	require.Len(t, dropped, 1)
	assert.True(t, dropped[0].Final)
	assert.Equal(t, 3, dropped[0].Attempt)
	assert.ErrorIs(t, dropped[0], webhook.ErrStatus)
	assert.Equal(t, webhook.Stats{Failed: 3, Dropped: 1}, d.Stats())
	_, ok := d.NextDue()
	assert.False(t, ok)

	clk.Add(48 * time.Hour)
	assert.NoError(t, round(t, d, 0))
	assert.Len(t, rcv.requests(), 3)
}

// MaxAge drops a delivery whose next attempt would come too late, even
// with attempts left.
func TestDispatcher_MaxAge(t *testing.T) {
	ctx := context.Background()
	clk := newMock()
	rcv := newReceiver(t, 500)
	d := newDispatcher(t, webhook.Config{Clock: clk, MaxAge: 10 * time.Minute}, webhook.EndpointList{endpoint("ep-1", rcv)})

	require.NoError(t, d.Send(ctx, graceStarted))
	_, err := d.DeliverDue(ctx) // next in 1m: kept
	assert.NotErrorIs(t, err, webhook.ErrExpired)
	clk.Add(time.Minute)
	_, err = d.DeliverDue(ctx) // next in 5m, 6m after sending: kept
	assert.NotErrorIs(t, err, webhook.ErrExpired)
	clk.Add(5 * time.Minute)
	_, err = d.DeliverDue(ctx) // next in 30m: too late
	assert.ErrorIs(t, err, webhook.ErrExpired)
	assert.ErrorIs(t, err, webhook.ErrStatus, "the last attempt's error is kept")
	assert.Equal(t, webhook.Stats{Failed: 3, Dropped: 1}, d.Stats())
}

// A network error is retried like a failing status.
func TestDispatcher_NetworkErrorRetried(t *testing.T) {
	ctx := context.Background()
	clk := newMock()
	rcv := newReceiver(t, 204)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	eps := &mutableEndpoints{}
	eps.set(nil, webhook.Endpoint{ID: "ep-1", URL: down.URL, Secret: secret})
	d := newDispatcher(t, webhook.Config{Clock: clk}, eps)

	require.NoError(t, d.Send(ctx, graceStarted))
	_, err := d.DeliverDue(ctx)
	var ae *webhook.AttemptError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 0, ae.Status, "no answer")
	assert.False(t, ae.Final)

	// The endpoint moves to a server that is up: the retry goes there.
	eps.set(nil, webhook.Endpoint{ID: "ep-1", URL: rcv.URL, Secret: secret})
	clk.Add(time.Minute)
	assert.NoError(t, round(t, d, 1))
	assert.Len(t, rcv.requests(), 1)
}

// Each round uses the endpoint as it is now: a new secret signs the
// retries, and an endpoint removed or unsubscribed gets no more.
func TestDispatcher_EndpointChangesApplyToPendingDeliveries(t *testing.T) {
	ctx := context.Background()
	clk := newMock()
	rcv := newReceiver(t, 500, 204)
	eps := &mutableEndpoints{}
	a, b, c := endpoint("a", rcv), endpoint("b", rcv), endpoint("c", rcv)
	eps.set(nil, a, b, c)
	d := newDispatcher(t, webhook.Config{Clock: clk, Backoff: []time.Duration{time.Minute}}, eps)
	require.NoError(t, d.Send(ctx, graceStarted))
	_, err := d.DeliverDue(ctx) // the first fails (500), the other two are delivered
	require.Error(t, err)
	failed := rcv.requests()[0]
	first := map[string]webhook.Endpoint{"a": a, "b": b, "c": c}

	t.Run("ListingFails", func(t *testing.T) {
		eps.set(errors.New("store down"), a, b, c)
		clk.Add(time.Minute)
		err := round(t, d, 0)
		assert.ErrorContains(t, err, "store down")
		assert.Equal(t, 1, d.Stats().Pending, "put off, not dropped")
		next, _ := d.NextDue()
		assert.Equal(t, clk.Now().Add(time.Minute), next)
	})

	// Which endpoint failed depends on the order of the round; change
	// that one's secret, and remove the others.
	var failedID string
	for id, ep := range first {
		if webhook.Verify(failed.header.Get(webhook.SignatureHeader), failed.body, ep.Secret, sentAt, 0) == nil {
			failedID = id
		}
	}
	require.NotEmpty(t, failedID)
	renewed := first[failedID]
	renewed.Secret = []byte("rotated")
	eps.set(nil, renewed)
	clk.Add(time.Minute)
	require.NoError(t, round(t, d, 1))
	last := rcv.requests()[3]
	assert.NoError(t, webhook.Verify(last.header.Get(webhook.SignatureHeader), last.body, []byte("rotated"), clk.Now(), 0))

	t.Run("Removed", func(t *testing.T) {
		eps.set(nil, a)
		revoked := license.Event{ID: "revoked/SN-1/2028-01-21T00:00:00Z", Kind: license.EventRevoked, At: sentAt}
		require.NoError(t, d.Send(ctx, revoked))
		eps.set(nil)
		err := round(t, d, 0)
		var ae *webhook.AttemptError
		require.ErrorAs(t, err, &ae)
		assert.ErrorIs(t, err, webhook.ErrEndpointGone)
		assert.True(t, ae.Final)
		assert.Equal(t, 0, ae.Attempt)
	})
	t.Run("Unsubscribed", func(t *testing.T) {
		eps.set(nil, a)
		revoked := license.Event{ID: "revoked/SN-2/2028-01-21T00:00:00Z", Kind: license.EventRevoked, At: sentAt}
		require.NoError(t, d.Send(ctx, revoked))
		a.Events = []license.EventKind{license.EventGraceStarted}
		eps.set(nil, a)
		_, err := d.DeliverDue(ctx)
		assert.ErrorIs(t, err, webhook.ErrEndpointGone)
	})
	assert.Len(t, rcv.requests(), 4)
	assert.Equal(t, 0, d.Stats().Pending)
}

// An endpoint gets only the kinds it subscribes to; no kinds means all.
func TestDispatcher_EndpointsFilteredByKind(t *testing.T) {
	ctx := context.Background()
	clk := newMock()
	grace, revoked, all := newReceiver(t, 204), newReceiver(t, 204), newReceiver(t, 204)
	d := newDispatcher(t, webhook.Config{Clock: clk}, webhook.EndpointList{
		endpoint("grace", grace, license.EventGraceStarted, license.EventGraceHalfway),
		endpoint("revoked", revoked, license.EventRevoked),
		endpoint("all", all),
	})
	require.NoError(t, d.Send(ctx, graceStarted))
	require.NoError(t, round(t, d, 2))
	assert.Len(t, grace.requests(), 1)
	assert.Empty(t, revoked.requests())
	assert.Len(t, all.requests(), 1)
}

// The same event sent again while its delivery is pending is not queued
// twice; once delivered, it can be sent again.
func TestDispatcher_SendTwiceQueuesOnce(t *testing.T) {
	ctx := context.Background()
	rcv := newReceiver(t, 204)
	d := newDispatcher(t, webhook.Config{Clock: newMock()}, webhook.EndpointList{endpoint("a", rcv), endpoint("a", rcv)})
	require.NoError(t, d.Send(ctx, graceStarted))
	require.NoError(t, d.Send(ctx, graceStarted))
	assert.Equal(t, 1, d.Stats().Pending)
	require.NoError(t, round(t, d, 1))
	require.NoError(t, d.Send(ctx, graceStarted))
	assert.Equal(t, 1, d.Stats().Pending)
}

// A full queue refuses an event's deliveries all together, and says so.
func TestDispatcher_QueueFullRefuses(t *testing.T) {
	ctx := context.Background()
	rcv := newReceiver(t, 204)
	d := newDispatcher(t, webhook.Config{Clock: newMock(), QueueSize: 2}, webhook.EndpointList{endpoint("a", rcv), endpoint("b", rcv)})
	require.NoError(t, d.Send(ctx, graceStarted))
	other := graceStarted
	other.ID = "grace-started/SN-2/2028-01-20T00:00:00Z"
	assert.ErrorIs(t, d.Send(ctx, other), webhook.ErrQueueFull)
	assert.Equal(t, webhook.Stats{Pending: 2, Refused: 2}, d.Stats())
	require.NoError(t, round(t, d, 2))
	assert.NoError(t, d.Send(ctx, other), "room again")
}

func TestDispatcher_SendRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	rcv := newReceiver(t, 204)
	d := newDispatcher(t, webhook.Config{Clock: newMock()}, webhook.EndpointList{endpoint("a", rcv)})
	for name, e := range map[string]license.Event{
		"NoID":             {Kind: license.EventRevoked, At: sentAt},
		"NoKind":           {ID: "x", At: sentAt},
		"NoInstant":        {ID: "x", Kind: license.EventRevoked},
		"ControlCharacter": {ID: "revoked/SN-1\r\nX-Injected: 1", Kind: license.EventRevoked, At: sentAt},
		"InvalidUTF8":      {ID: "revoked/\xff", Kind: license.EventRevoked, At: sentAt},
		"TooLarge":         {ID: "x", Kind: license.EventRevoked, At: sentAt, Detail: string(make([]byte, webhook.MaxBodySize))},
	} {
		t.Run("ErrInvalidEvent/"+name, func(t *testing.T) {
			assert.ErrorIs(t, d.Send(ctx, e), webhook.ErrInvalidEvent)
			assert.Equal(t, 0, d.Stats().Pending, "nothing queued")
		})
	}

	t.Run("ErrInvalidEndpoint/OthersStillQueued", func(t *testing.T) {
		d := newDispatcher(t, webhook.Config{Clock: newMock()}, webhook.EndpointList{
			{ID: "no-secret", URL: rcv.URL},
			{ID: "ftp", URL: "ftp://example.com/", Secret: secret},
			{ID: "relative", URL: "/hooks", Secret: secret},
			{URL: rcv.URL, Secret: secret},
			endpoint("good", rcv),
		})
		err := d.Send(ctx, graceStarted)
		assert.ErrorIs(t, err, webhook.ErrInvalidEndpoint)
		assert.Equal(t, 1, d.Stats().Pending)
	})
	t.Run("ListingFails", func(t *testing.T) {
		d := newDispatcher(t, webhook.Config{Clock: newMock()}, webhook.EndpointsFunc(func(context.Context) ([]webhook.Endpoint, error) {
			return nil, errors.New("store down")
		}))
		assert.ErrorContains(t, d.Send(ctx, graceStarted), "store down")
		assert.Equal(t, 0, d.Stats().Pending)
	})
}

func TestNew_InvalidConfig(t *testing.T) {
	eps := webhook.EndpointList{}
	for name, cfg := range map[string]webhook.Config{
		"NoEndpoints":         {},
		"NegativeWait":        {Endpoints: eps, Backoff: []time.Duration{time.Minute, -time.Second}},
		"NegativeMaxAge":      {Endpoints: eps, MaxAge: -1},
		"NegativeQueueSize":   {Endpoints: eps, QueueSize: -1},
		"NegativeConcurrency": {Endpoints: eps, Concurrency: -1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := webhook.New(cfg)
			assert.ErrorIs(t, err, webhook.ErrInvalidConfig)
		})
	}
	_, err := webhook.New(webhook.Config{Endpoints: eps})
	assert.NoError(t, err, "every other zero value has a default")
}

// The default client does not post into the server's own network: an
// endpoint registered on loopback gets nothing, and the attempt fails.
func TestDispatcher_DefaultClientRefusesLoopback(t *testing.T) {
	ctx := context.Background()
	rcv := newReceiver(t, 204)
	d, err := webhook.New(webhook.Config{Clock: newMock(), Endpoints: webhook.EndpointList{endpoint("a", rcv)}})
	require.NoError(t, err)
	require.NoError(t, d.Send(ctx, graceStarted))
	assert.ErrorContains(t, round(t, d, 1), "non-public address")
	assert.Empty(t, rcv.requests())
}

// A round cut short by its context counts no attempt: the delivery waits
// for the next round with all its attempts.
func TestDispatcher_CancelledRoundCountsNoAttempt(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	d := newDispatcher(t, webhook.Config{Clock: newMock(), Backoff: []time.Duration{}}, webhook.EndpointList{{ID: "a", URL: srv.URL, Secret: secret}})
	require.NoError(t, d.Send(context.Background(), graceStarted))

	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-entered; cancel() }()
	n, err := d.DeliverDue(ctx)
	assert.Equal(t, 0, n)
	assert.NoError(t, err)
	assert.Equal(t, webhook.Stats{Pending: 1}, d.Stats(), "a single attempt allowed, still not used")
	next, _ := d.NextDue()
	assert.Equal(t, sentAt, next, "still due")
}

// Send, DeliverDue, Stats and NextDue run from many goroutines at once
// (go test -race): every delivery arrives exactly once when nothing fails.
func TestDispatcher_ConcurrentUse(t *testing.T) {
	ctx := context.Background()
	rcv := newReceiver(t, 204)
	eps := webhook.EndpointList{endpoint("a", rcv), endpoint("b", rcv), endpoint("c", rcv)}
	d := newDispatcher(t, webhook.Config{Clock: newMock(), Concurrency: 3}, eps)

	const senders, events = 4, 25
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range events {
				e := graceStarted
				e.ID = fmt.Sprintf("grace-started/SN-%d-%d/2028-01-20T00:00:00Z", s, i)
				assert.NoError(t, d.Send(ctx, e))
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 20 {
				_, err := d.DeliverDue(ctx)
				assert.NoError(t, err)
				d.Stats()
				d.NextDue()
			}
		})
	}
	wg.Wait()
	for d.Stats().Pending > 0 {
		_, err := d.DeliverDue(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, webhook.Stats{Delivered: int64(senders * events * len(eps))}, d.Stats())
	seen := map[string]int{}
	for _, r := range rcv.requests() {
		seen[r.header.Get(webhook.EventIDHeader)]++
	}
	assert.Len(t, seen, senders*events)
	for id, k := range seen {
		assert.Equal(t, len(eps), k, id)
	}
}
