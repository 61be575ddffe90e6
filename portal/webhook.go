package portal

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/textfield"
)

// Webhook is a URL to which a license server posts the events it sees,
// signed with Secret so that the receiver can tell them from forgeries.
type Webhook struct {
	ID     string `json:"id"`
	URL    string `json:"url"` // absolute, http or https
	Secret string `json:"secret"`
	// Events are the kinds of event it receives; empty means all.
	Events  []license.EventKind `json:"events,omitempty"`
	Created time.Time           `json:"created"`
}

func (w Webhook) clone() Webhook {
	w.Events = slices.Clone(w.Events)
	return w
}

// LogValue logs the webhook without its secret, nor a password in its URL.
func (w Webhook) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", w.ID), slog.String("url", redactedURL(w.URL)),
		slog.Any("events", w.Events), slog.Time("created", w.Created), slog.String("secret", "REDACTED"))
}

// Limits of webhooks.
const (
	// MaxWebhooks is the most webhooks a portal registers.
	MaxWebhooks = 100
	// MaxWebhookURL is the longest webhook URL, in bytes.
	MaxWebhookURL = 2048
	// webhookSecretPrefix starts every webhook's secret, so that a leaked
	// one is easy to recognize.
	webhookSecretPrefix = "whsec_"
)

// AddWebhook registers a webhook for the events of the kinds given, or
// for all if none is (see [Webhook]), and returns it with its secret, 32
// random bytes in unpadded base64url after "whsec_", with which deliveries
// are signed.
//
// It is a vendor operation, recorded in the vendor's history (P5). It
// returns an error wrapping ErrInvalidInput for a URL that is not an
// absolute http or https URL of at most [MaxWebhookURL] bytes with a host,
// for an empty, malformed or repeated event kind, or when [MaxWebhooks]
// are registered; or a store's error. On error it registers nothing.
func (p *Portal) AddWebhook(ctx context.Context, rawURL string, events []license.EventKind) (Webhook, error) {
	if err := checkWebhookURL(rawURL); err != nil {
		return Webhook{}, err
	}
	kinds := make([]string, len(events))
	for i, e := range events {
		if detail, err := textfield.Check(string(e), true); err != nil {
			return Webhook{}, invalidField("event kind", err, detail)
		}
		kinds[i] = string(e)
	}
	if dup, ok := textfield.Duplicate(kinds); ok {
		return Webhook{}, fmt.Errorf("%w: event kind %s given twice", license.ErrInvalidInput, textfield.QuoteShort(dup))
	}
	raw := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, raw); err != nil {
		return Webhook{}, err
	}
	now := p.now()
	w := Webhook{URL: rawURL, Secret: webhookSecretPrefix + base64.RawURLEncoding.EncodeToString(raw),
		Events: slices.Clone(events), Created: now}
	err := p.store.UpdateVendor(ctx, func(v *Vendor) error {
		if n := v.Webhooks.Len(); n >= MaxWebhooks {
			return fmt.Errorf("%w: %d webhooks registered, at most %d", license.ErrInvalidInput, n, MaxWebhooks)
		}
		id, err := randomID(v.Webhooks.Has)
		if err != nil {
			return err
		}
		w.ID = id
		v.Webhooks.Put(id, w.clone())
		v.record(vendorActor(ctx), now, "webhook.add", id, webhookDetail(w))
		return nil
	})
	if err != nil {
		return Webhook{}, err
	}
	return w, nil
}

// checkWebhookURL reports whether s can be a webhook's URL.
func checkWebhookURL(s string) error {
	if len(s) > MaxWebhookURL {
		return fmt.Errorf("%w: webhook URL of %d bytes, at most %d", license.ErrInvalidInput, len(s), MaxWebhookURL)
	}
	u, err := url.Parse(s)
	switch {
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: webhook URL: not valid UTF-8", license.ErrInvalidInput)
	case err != nil:
		return fmt.Errorf("%w: webhook URL: %w", license.ErrInvalidInput, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%w: webhook URL %s: want http or https", license.ErrInvalidInput, textfield.QuoteShort(s))
	case u.Host == "" || u.Opaque != "":
		return fmt.Errorf("%w: webhook URL %s: want an absolute URL with a host", license.ErrInvalidInput, textfield.QuoteShort(s))
	}
	return nil
}

// redactedURL returns s with the password it may hold replaced, for logs
// and histories.
func redactedURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// webhookDetail describes w for the history, without a password.
func webhookDetail(w Webhook) string {
	if len(w.Events) == 0 {
		return redactedURL(w.URL) + ", all events"
	}
	kinds := make([]string, len(w.Events))
	for i, e := range w.Events {
		kinds[i] = string(e)
	}
	return redactedURL(w.URL) + ", " + strings.Join(kinds, ", ")
}

// RemoveWebhook removes the webhook with that ID: nothing is posted to it
// from then on. It is a vendor operation, recorded in the vendor's
// history (P5). It returns an error wrapping ErrInvalidInput for a bad ID,
// license.ErrNotFound if no webhook has that ID, or a store's error.
func (p *Portal) RemoveWebhook(ctx context.Context, id string) error {
	if err := checkArgs("webhook ID", id); err != nil {
		return err
	}
	now := p.now()
	return p.store.UpdateVendor(ctx, func(v *Vendor) error {
		w, ok := v.Webhooks.Get(id)
		if !ok {
			return fmt.Errorf("%w: webhook %s", license.ErrNotFound, textfield.QuoteShort(id))
		}
		v.Webhooks.Delete(id)
		v.record(vendorActor(ctx), now, "webhook.remove", id, redactedURL(w.URL))
		return nil
	})
}

// Webhooks returns the registered webhooks, by ID, with their secrets:
// what a server needs to deliver events. It returns a store's error.
func (p *Portal) Webhooks(ctx context.Context) ([]Webhook, error) {
	var out []Webhook
	err := p.store.ViewVendor(ctx, func(v *Vendor) error {
		ids := v.Webhooks.IDs()
		out = make([]Webhook, 0, len(ids))
		for _, id := range ids {
			w, _ := v.Webhooks.Get(id)
			out = append(out, w)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
