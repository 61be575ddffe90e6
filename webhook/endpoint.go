package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"

	"github.com/licensekit/license"
)

// Endpoint is a URL registered to receive events, with the secret its
// deliveries are signed with.
type Endpoint struct {
	ID     string // stable identity; a delivery follows its endpoint by ID
	URL    string // absolute http or https URL the deliveries are POSTed to
	Secret []byte // shared with the receiver, which verifies with it
	// Events are the kinds the endpoint receives; empty means all.
	Events []license.EventKind
}

// Wants reports whether the endpoint receives events of kind k.
func (ep Endpoint) Wants(k license.EventKind) bool {
	return len(ep.Events) == 0 || slices.Contains(ep.Events, k)
}

// Validate returns an error wrapping ErrInvalidEndpoint when the endpoint
// has no ID, no secret, or a URL that is not absolute http or https.
func (ep Endpoint) Validate() error {
	switch {
	case ep.ID == "":
		return fmt.Errorf("%w: no ID", ErrInvalidEndpoint)
	case len(ep.Secret) == 0:
		return fmt.Errorf("%w: %q has no secret", ErrInvalidEndpoint, ep.ID)
	}
	u, err := url.Parse(ep.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q: URL %q is not absolute http or https", ErrInvalidEndpoint, ep.ID, ep.URL)
	}
	return nil
}

// LogValue logs the endpoint without its secret, nor a password in its
// URL.
func (ep Endpoint) LogValue() slog.Value {
	u := ep.URL
	if p, err := url.Parse(u); err == nil {
		u = p.Redacted()
	}
	return slog.GroupValue(slog.String("id", ep.ID), slog.String("url", u), slog.String("secret", "REDACTED"))
}

// Endpoints lists the registered endpoints. The Dispatcher asks when an
// event is sent, and again before each round of attempts, so that an
// endpoint removed or changed (new URL, new secret) takes effect on the
// deliveries still pending. It returns an error only when it cannot list
// them.
type Endpoints interface {
	Endpoints(ctx context.Context) ([]Endpoint, error)
}

// EndpointsFunc adapts a function to Endpoints, as http.HandlerFunc does
// for handlers: a server wraps its store's registrations in one.
type EndpointsFunc func(ctx context.Context) ([]Endpoint, error)

// Endpoints calls f.
func (f EndpointsFunc) Endpoints(ctx context.Context) ([]Endpoint, error) { return f(ctx) }

// EndpointList is a fixed list of endpoints.
type EndpointList []Endpoint

// Endpoints returns the list.
func (l EndpointList) Endpoints(context.Context) ([]Endpoint, error) { return l, nil }
