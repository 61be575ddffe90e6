package portal_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// portalHarness runs a Portal on a mock clock over a MemoryPortalStore and
// records the events it delivers.
type portalHarness struct {
	tb     testing.TB
	ctx    context.Context
	clk    *clock.Mock
	vendor *license.SigningKey
	p      *portal.Portal
	mu     sync.Mutex
	evs    []license.Event
}

// newPortalHarness starts a Portal at 2026-01-01 with organizations
// "acme" and "globex" (customers) and "reseller" (a partner). configure,
// if given, adjusts the configuration first.
func newPortalHarness(tb testing.TB, configure ...func(*portal.PortalConfig)) *portalHarness {
	tb.Helper()
	h := &portalHarness{tb: tb, ctx: context.Background(), clk: clock.NewMock()}
	h.clk.Set(day("2026-01-01"))
	h.vendor = MustSigningKey(tb, "vendor", "portal")
	cfg := portal.PortalConfig{
		Signer: h.vendor,
		Clock:  h.clk,
		OnEvent: func(e license.Event) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.evs = append(h.evs, e)
		},
	}
	for _, c := range configure {
		c(&cfg)
	}
	p, err := portal.NewPortal(cfg)
	if err != nil {
		tb.Fatalf("NewPortal: %v", err)
	}
	h.p = p
	for _, org := range []string{"acme", "globex", "reseller"} {
		if err := p.CreateOrganization(h.ctx, org, org+" Inc."); err != nil {
			tb.Fatalf("CreateOrganization(%s): %v", org, err)
		}
	}
	return h
}

// as returns the scope of a member of org acting on org.
func (h *portalHarness) as(org string) *portal.OrgScope {
	return h.p.Org(portal.Actor{ID: "admin@" + org, Org: org}, org)
}

// key signs l with the vendor's key, filling in the product
// "acme-backup" and IssuedAt (the clock's now) when empty.
func (h *portalHarness) key(l license.License) string {
	h.tb.Helper()
	if l.Product == "" {
		l.Product = "acme-backup"
	}
	if l.IssuedAt.IsZero() {
		l.IssuedAt = h.clk.Now()
	}
	return MustSign(h.tb, h.vendor, &l)
}

// seats returns a per-device license of n seats valid for a year.
func seatsLicense(id string, n int) license.License {
	return license.License{ID: id, Scheme: license.SchemePerDevice, Quantity: n, Features: []string{"backup"},
		Expiry: day("2027-01-01")}
}

// events returns the events delivered so far and forgets them.
func (h *portalHarness) events() []license.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	evs := h.evs
	h.evs = nil
	return evs
}

// at sets the mock clock.
func (h *portalHarness) at(t time.Time) { h.clk.Set(t) }
