package portal_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// W1, P5: the vendor registers webhooks, each with its own secret and the
// kinds of event it wants, lists them by ID and removes them; each change
// is in the vendor's history.
func TestWebhook_W1_AddListRemove(t *testing.T) {
	h := newWLHarness(t)
	ctx := tkVendorCtx(h)
	all, err := h.p.AddWebhook(ctx, "https://hooks.acme.example/licensekit", nil)
	require.NoError(t, err)
	some, err := h.p.AddWebhook(ctx, "http://127.0.0.1:8080/events?x=1",
		[]license.EventKind{portal.EventRestrictionExceeded, portal.EventSubscriptionRenewed})
	require.NoError(t, err)

	for _, w := range []portal.Webhook{all, some} {
		assert.NotEmpty(t, w.ID)
		assert.True(t, strings.HasPrefix(w.Secret, "whsec_"), w.Secret)
		assert.Len(t, w.Secret, len("whsec_")+43, "32 bytes of base64url")
		assert.Equal(t, h.clk.Now().UTC(), w.Created)
	}
	assert.NotEqual(t, all.ID, some.ID)
	assert.NotEqual(t, all.Secret, some.Secret)
	assert.Empty(t, all.Events, "all events")
	assert.Equal(t, []license.EventKind{portal.EventRestrictionExceeded, portal.EventSubscriptionRenewed}, some.Events)

	list, err := h.p.Webhooks(h.ctx)
	require.NoError(t, err)
	want := []portal.Webhook{all, some}
	if want[0].ID > want[1].ID {
		want[0], want[1] = want[1], want[0]
	}
	assert.Equal(t, want, list)
	list[0].Events = append(list[0].Events, "changed")
	again, err := h.p.Webhooks(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, want, again, "a listing shares nothing with the store")

	require.NoError(t, h.p.RemoveWebhook(ctx, all.ID))
	list, err = h.p.Webhooks(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []portal.Webhook{some}, list)
	assert.ErrorIs(t, h.p.RemoveWebhook(ctx, all.ID), license.ErrNotFound)
	assert.ErrorIs(t, h.p.RemoveWebhook(ctx, ""), license.ErrInvalidInput)

	hist, _, err := h.p.VendorHistory(h.ctx, 0, 10)
	require.NoError(t, err)
	var got []string
	for _, e := range hist {
		if strings.HasPrefix(e.Action, "webhook.") {
			got = append(got, e.Action+" "+e.Subject+" by "+e.Actor)
		}
	}
	assert.Equal(t, []string{
		"webhook.remove " + all.ID + " by carol@vendor.example",
		"webhook.add " + some.ID + " by carol@vendor.example",
		"webhook.add " + all.ID + " by carol@vendor.example",
	}, got)
}

// W4: a URL that is not an absolute http or https URL, and an empty,
// malformed or repeated event kind, are refused with ErrInvalidInput and
// register nothing.
func TestWebhook_W4_BadInputRegistersNothing(t *testing.T) {
	h := newWLHarness(t)
	_, err := h.p.AddWebhook(h.ctx, "https://kept.example/hook", nil)
	require.NoError(t, err)
	before := srvSnapshot(t, h)
	for _, c := range []struct {
		url    string
		events []license.EventKind
	}{
		{"", nil}, {"hooks.example/x", nil}, {"/relative/path", nil}, {"ftp://hooks.example/x", nil},
		{"mailto:ops@acme.example", nil}, {"https://", nil}, {"https:///path", nil}, {"http:opaque", nil},
		{"javascript:alert(1)", nil}, {"https://exa mple.com/", nil}, {"https://hooks.example/\x00", nil}, {"https://hooks.example/\xff", nil},
		{"https://hooks.example/" + strings.Repeat("a", portal.MaxWebhookURL), nil},
		{"https://hooks.example/x", []license.EventKind{""}},
		{"https://hooks.example/x", []license.EventKind{"renewed\n"}},
		{"https://hooks.example/x", []license.EventKind{"renewed", "expiry-notice", "renewed"}},
	} {
		w, err := h.p.AddWebhook(h.ctx, c.url, c.events)
		if !assert.ErrorIs(t, err, license.ErrInvalidInput, "AddWebhook(%q, %q)", c.url, c.events) {
			continue
		}
		assert.Zero(t, w)
	}
	assert.Equal(t, before, srvSnapshot(t, h))
}

// There are at most MaxWebhooks webhooks: one more is refused, and
// removing one makes room.
func TestWebhook_MaxWebhooks(t *testing.T) {
	h := newWLHarness(t)
	var last portal.Webhook
	for range portal.MaxWebhooks {
		var err error
		last, err = h.p.AddWebhook(h.ctx, "https://hooks.example/x", nil)
		require.NoError(t, err)
	}
	_, err := h.p.AddWebhook(h.ctx, "https://hooks.example/x", nil)
	assert.ErrorIs(t, err, license.ErrInvalidInput)
	require.NoError(t, h.p.RemoveWebhook(h.ctx, last.ID))
	_, err = h.p.AddWebhook(h.ctx, "https://hooks.example/x", nil)
	assert.NoError(t, err)
}

// A webhook logs without its secret, and neither its log nor the vendor's
// history shows a password in its URL (P5).
func TestWebhook_LogValueAndHistoryRedactSecrets(t *testing.T) {
	h := newWLHarness(t)
	w, err := h.p.AddWebhook(h.ctx, "https://hooks:hunter2@hooks.example/x", nil)
	require.NoError(t, err)
	require.NoError(t, h.p.RemoveWebhook(h.ctx, w.ID))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("added", "webhook", w)
	assert.NotContains(t, buf.String(), w.Secret[len("whsec_"):])
	assert.NotContains(t, buf.String(), "hunter2")
	assert.Contains(t, buf.String(), "REDACTED")
	assert.Contains(t, buf.String(), "hooks.example/x")
	hist, _, err := h.p.VendorHistory(h.ctx, 0, 10)
	require.NoError(t, err)
	for _, e := range hist {
		assert.NotContains(t, e.Detail, "hunter2", "history entry %s", e.Action)
	}
	assert.Equal(t, "https://hooks:xxxxx@hooks.example/x", hist[0].Detail)
}
