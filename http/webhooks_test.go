package http_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
)

// W4: a webhook whose URL is not an absolute http or https URL with a
// host, or whose event kinds are bad, is refused with 400 invalid_input
// and registers nothing.
func TestServer_W4_BadWebhookIsRefusedAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	before := h.snapshot()
	for _, tc := range []struct{ name, body string }{
		{"NoURL", `{"url":""}`},
		{"Relative", `{"url":"/hooks/licenses"}`},
		{"NoHost", `{"url":"https://"}`},
		{"OtherScheme", `{"url":"ftp://hooks.example/licenses"}`},
		{"Opaque", `{"url":"mailto:ops@vendor.example"}`},
		{"NotAURL", `{"url":"https://hooks.example/%zz"}`},
		{"TooLong", `{"url":"https://hooks.example/` + strings.Repeat("a", 2048) + `"}`},
		{"EmptyEvent", `{"url":"https://hooks.example/licenses","events":[""]}`},
		{"RepeatedEvent", `{"url":"https://hooks.example/licenses","events":["renewed","renewed"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a := h.send("POST", "/v1/webhooks", vendorToken, tc.body); a.Status != http.StatusBadRequest || a.Code != "invalid_input" {
				t.Errorf("POST /v1/webhooks %.60s = %d %s; want 400 invalid_input", tc.body, a.Status, a.Body)
			}
		})
	}
	_, err := h.vendor.AddWebhook(h.ctx, "hooks.example/licenses", nil)
	var herr *lkhttp.Error
	if !errors.Is(err, license.ErrInvalidInput) || !errors.As(err, &herr) || herr.Status != http.StatusBadRequest {
		t.Errorf("AddWebhook of a URL without a scheme: %v; want 400 ErrInvalidInput", err)
	}
	if hooks, err := h.vendor.Webhooks(h.ctx); err != nil || len(hooks) != 0 {
		t.Errorf("Webhooks = %+v, %v; want none", hooks, err)
	}
	if h.snapshot() != before {
		t.Fatal("a refused webhook changed the store")
	}
}

// A webhook's secret comes once, in the answer that registers it; the
// listing gives the webhooks without it. Only the vendor reads or changes
// them.
func TestServer_WebhookSecretIsGivenOnce(t *testing.T) {
	h := newHarness(t)
	hook, err := h.vendor.AddWebhook(h.ctx, "https://hooks.example/licenses", []license.EventKind{license.EventRenewalFailed})
	if err != nil {
		t.Fatalf("AddWebhook: %v", err)
	}
	if !strings.HasPrefix(hook.Secret, "whsec_") || hook.ID == "" || !hook.Created.Equal(h.clk.Now()) {
		t.Fatalf("AddWebhook = %+v; want it with its secret", hook)
	}
	stored, err := h.p.Webhooks(h.ctx)
	if err != nil || len(stored) != 1 || stored[0].Secret != hook.Secret {
		t.Fatalf("the portal's webhooks = %+v, %v; want the one added, with the secret the API gave", stored, err)
	}
	list := h.send("GET", "/v1/webhooks", vendorToken, "")
	if list.Status != http.StatusOK || !strings.Contains(list.Body, hook.ID) ||
		strings.Contains(list.Body, hook.Secret) || strings.Contains(list.Body, `"secret"`) {
		t.Fatalf("GET /v1/webhooks = %d %s; want the webhook without its secret", list.Status, list.Body)
	}
	hooks, err := h.vendor.Webhooks(h.ctx)
	if err != nil || len(hooks) != 1 || hooks[0].URL != hook.URL || hooks[0].Secret != "" ||
		!slices.Equal(hooks[0].Events, hook.Events) || !hooks[0].Created.Equal(hook.Created) {
		t.Fatalf("Webhooks = %+v, %v; want %+v without its secret", hooks, err, hook)
	}

	before := h.snapshot()
	for _, r := range []struct{ method, path string }{{"GET", "/v1/webhooks"}, {"DELETE", "/v1/webhooks/" + hook.ID}} {
		if a := h.send(r.method, r.path, acmeToken, ""); a.Status != http.StatusForbidden || a.Code != "vendor_only" {
			t.Errorf("%s %s with acme's token = %d %s; want 403 vendor_only", r.method, r.path, a.Status, a.Body)
		}
	}
	if err := h.vendor.RemoveWebhook(h.ctx, "0000000000000000"); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("RemoveWebhook of an unknown webhook: %v; want ErrNotFound", err)
	}
	if h.snapshot() != before {
		t.Fatal("a refused request changed the store")
	}
	if err := h.vendor.RemoveWebhook(h.ctx, hook.ID); err != nil {
		t.Fatalf("RemoveWebhook: %v", err)
	}
	if hooks, err := h.vendor.Webhooks(h.ctx); err != nil || len(hooks) != 0 {
		t.Errorf("Webhooks after RemoveWebhook = %+v, %v; want none", hooks, err)
	}

	// A password in the URL is a secret too: the listing masks it.
	basic, err := h.vendor.AddWebhook(h.ctx, "https://lk:hunter2@hooks.example/licenses", nil)
	if err != nil || basic.URL != "https://lk:hunter2@hooks.example/licenses" {
		t.Fatalf("AddWebhook with a password = %+v, %v; want its URL whole", basic, err)
	}
	if list := h.send("GET", "/v1/webhooks", vendorToken, ""); strings.Contains(list.Body, "hunter2") ||
		!strings.Contains(list.Body, "https://lk:xxxxx@hooks.example/licenses") {
		t.Errorf("GET /v1/webhooks = %s; want the URL's password masked", list.Body)
	}
}
