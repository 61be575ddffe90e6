package webhook_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/webhook"
)

// received is one request an endpoint got.
type received struct {
	header http.Header
	body   []byte
	status int // what the endpoint answered
}

// receiver is an endpoint on loopback that answers with the statuses it
// is given, one a request, then with the last one.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []received
	arrived  chan received
}

func newReceiver(t testing.TB, statuses ...int) *receiver {
	t.Helper()
	r := &receiver{statuses: statuses, arrived: make(chan received, 1000)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := r.statuses[min(len(r.got), len(r.statuses)-1)]
		rec := received{header: req.Header.Clone(), body: b, status: status}
		r.got = append(r.got, rec)
		r.mu.Unlock()
		r.arrived <- rec
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

// requests returns what the endpoint got so far.
func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// newMock returns a mock clock set to sentAt.
func newMock() *clock.Mock {
	clk := clock.NewMock()
	clk.Set(sentAt)
	return clk
}

// newDispatcher returns a dispatcher on clk whose client reaches
// loopback (the default client refuses it).
func newDispatcher(t testing.TB, cfg webhook.Config, eps webhook.Endpoints) *webhook.Dispatcher {
	t.Helper()
	cfg.Endpoints = eps
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	d, err := webhook.New(cfg)
	require.NoError(t, err)
	return d
}

// endpoint returns an endpoint of r that wants the kinds given, or all.
func endpoint(id string, r *receiver, kinds ...license.EventKind) webhook.Endpoint {
	return webhook.Endpoint{ID: id, URL: r.URL, Secret: []byte("secret-of-" + id), Events: kinds}
}

// mutableEndpoints is a list of endpoints that a test changes while
// deliveries are pending.
type mutableEndpoints struct {
	mu   sync.Mutex
	list []webhook.Endpoint
	err  error
}

func (m *mutableEndpoints) Endpoints(context.Context) ([]webhook.Endpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]webhook.Endpoint(nil), m.list...), m.err
}

func (m *mutableEndpoints) set(err error, list ...webhook.Endpoint) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list, m.err = list, err
}

// watchedClock is a mock clock that reports each wait Run arms on it.
type watchedClock struct {
	*clock.Mock
	waits chan time.Duration
}

func (c watchedClock) After(d time.Duration) <-chan time.Time {
	ch := c.Mock.After(d)
	c.waits <- d
	return ch
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// round runs one DeliverDue, checks that it made the attempts expected,
// and returns its error.
func round(t testing.TB, d *webhook.Dispatcher, attempts int) error {
	t.Helper()
	n, err := d.DeliverDue(context.Background())
	assert.Equal(t, attempts, n, "attempts made")
	return err
}
