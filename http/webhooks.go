package http

import (
	"context"
	"net/url"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// Webhooks: the vendor's only. A webhook's secret, with which its
// deliveries are signed, travels once, in the answer that registers it,
// as Stripe's and GitHub's webhooks do: the listing leaves it out, so that
// what reads the list (a console, a script, its logs), or a vendor's token
// stolen later, cannot forge deliveries that the receivers would take for
// the server's. A receiver that lost its secret gets a new one by removing
// the webhook and adding it again, which is also how a secret is rotated.
// A password in a webhook's URL is a secret too: the listing masks it.

// webhookRecord is portal.Webhook without its secret.
type webhookRecord struct {
	ID      string              `json:"id"`
	URL     string              `json:"url"`
	Events  []license.EventKind `json:"events,omitempty"`
	Created time.Time           `json:"created"`
}

type addWebhookRequest struct {
	URL string `json:"url"`
	// Events are the kinds of event the webhook receives; none means all.
	Events []license.EventKind `json:"events,omitempty"`
}

func addWebhook(c *call, in *addWebhookRequest) (portal.Webhook, error) {
	return c.s.portal.AddWebhook(c.ctx(), in.URL, in.Events)
}

// webhookRecordOf returns w without its secret, nor the password of its
// URL.
func webhookRecordOf(w portal.Webhook) webhookRecord {
	return webhookRecord{ID: w.ID, URL: maskPassword(w.URL), Events: w.Events, Created: w.Created}
}

// maskPassword returns the URL s with its password, if it has one,
// replaced by "xxxxx"; any other URL as it is.
func maskPassword(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); !ok {
		return s
	}
	return u.Redacted()
}

// webhook returns the record as a portal.Webhook, whose Secret is empty.
func (r webhookRecord) webhook() portal.Webhook {
	return portal.Webhook{ID: r.ID, URL: r.URL, Events: r.Events, Created: r.Created}
}

func listWebhooks(c *call, _ *none) ([]webhookRecord, error) {
	ws, err := c.s.portal.Webhooks(c.ctx())
	return convert(ws, webhookRecordOf), err
}

func removeWebhook(c *call, _ *none) (none, error) {
	return none{}, c.s.portal.RemoveWebhook(c.ctx(), c.path("webhook"))
}

// AddWebhook registers a webhook for the events of the kinds given, or
// for all if none is, as portal.Portal.AddWebhook does, and returns it
// with its secret: keep the secret where the receiver verifies deliveries,
// as no other answer gives it. The vendor's only.
func (c *Client) AddWebhook(ctx context.Context, rawURL string, events []license.EventKind) (portal.Webhook, error) {
	return do[portal.Webhook](ctx, c, "AddWebhook", addWebhookRequest{URL: rawURL, Events: events}, nil)
}

// Webhooks lists the registered webhooks, by ID, as
// portal.Portal.Webhooks does, but each without its Secret, and with the
// password of its URL, if any, masked. The vendor's only.
func (c *Client) Webhooks(ctx context.Context) ([]portal.Webhook, error) {
	recs, err := do[[]webhookRecord](ctx, c, "ListWebhooks", nil, nil)
	return convert(recs, webhookRecord.webhook), err
}

// RemoveWebhook removes the webhook with that ID, as
// portal.Portal.RemoveWebhook does: nothing is posted to it from then on.
// The vendor's only.
func (c *Client) RemoveWebhook(ctx context.Context, id string) error {
	return call0(ctx, c, "RemoveWebhook", nil, id)
}
