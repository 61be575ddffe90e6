package license_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/licensetest"
)

// MustSigningKey returns a signing key named name whose secret is derived
// from seed, so that tests and examples print the same keys every run.
func MustSigningKey(tb testing.TB, name, seed string) *license.SigningKey {
	return licensetest.SigningKey(tb, name, seed)
}

// MustVerifier returns a verifier trusting the verifying keys of sks.
func MustVerifier(tb testing.TB, sks ...*license.SigningKey) *license.Verifier {
	tb.Helper()
	var vks []license.VerifyingKey
	for _, sk := range sks {
		vks = append(vks, sk.VerifyingKey())
	}
	v, err := license.NewVerifier(vks...)
	if err != nil {
		tb.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// MustSign signs l with sk.
func MustSign(tb testing.TB, sk *license.SigningKey, l *license.License) string {
	return licensetest.Sign(tb, sk, l)
}

func day(s string) time.Time { return licensetest.Day(s) }

// fullLicense returns a license that sets every field of L1.
func fullLicense() *license.License {
	return &license.License{
		ID:           "SN-0001-2026",
		Product:      "acme-backup",
		Edition:      "enterprise",
		Type:         license.TypeServer,
		Scheme:       license.SchemePerCore,
		Quantity:     64,
		MinDevices:   5,
		Features:     []string{"dedup", "encryption", "replication"},
		Organization: "org-42",
		IssuedAt:     day("2026-01-01"),
		Start:        day("2026-01-15"),
		Expiry:       day("2027-01-15"),
		Partner:      "reseller-7",
		Custom:       map[string]string{"po": "PO-9931", "note": "multi\nline"},
	}
}

// harness runs a Manager on a mock clock and records the events it
// delivers.
type harness struct {
	tb     testing.TB
	ctx    context.Context
	clk    *clock.Mock
	sk     *license.SigningKey
	cfg    license.ManagerConfig
	m      *license.Manager
	mu     sync.Mutex
	evs    []license.Event
	serial int
}

// newHarness starts a Manager at instant start over a fresh MemoryStore.
// configure, if given, adjusts the configuration first.
func newHarness(tb testing.TB, start time.Time, configure ...func(*license.ManagerConfig)) *harness {
	tb.Helper()
	h := &harness{tb: tb, ctx: context.Background(), clk: clock.NewMock()}
	h.clk.Set(start)
	h.sk = MustSigningKey(tb, "acme", "harness")
	h.cfg = license.ManagerConfig{
		Verifier: MustVerifier(tb, h.sk),
		Store:    license.NewMemoryStore(),
		Clock:    h.clk,
		OnEvent: func(e license.Event) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.evs = append(h.evs, e)
		},
	}
	for _, c := range configure {
		c(&h.cfg)
	}
	h.reopen()
	return h
}

// reopen replaces the Manager with a new one over the same store, as a
// restarted application would.
func (h *harness) reopen() {
	h.tb.Helper()
	m, err := license.NewManager(h.ctx, h.cfg)
	if err != nil {
		h.tb.Fatalf("NewManager: %v", err)
	}
	h.m = m
}

// key signs l, filling in an ID, the product "acme-backup" and IssuedAt
// (the clock's now) when they are empty.
func (h *harness) key(l license.License) string {
	h.tb.Helper()
	if l.ID == "" {
		h.serial++
		l.ID = fmt.Sprintf("SN-%03d", h.serial)
	}
	if l.Product == "" {
		l.Product = "acme-backup"
	}
	if l.IssuedAt.IsZero() {
		l.IssuedAt = h.clk.Now()
	}
	return MustSign(h.tb, h.sk, &l)
}

// add adds the key of l and returns its license.
func (h *harness) add(l license.License) *license.License {
	h.tb.Helper()
	got, err := h.m.AddKey(h.ctx, h.key(l))
	if err != nil {
		h.tb.Fatalf("AddKey: %v", err)
	}
	return got
}

// at moves the clock to t and advances the Manager.
func (h *harness) at(t time.Time) {
	h.tb.Helper()
	h.clk.Set(t)
	if err := h.m.Advance(h.ctx, t); err != nil {
		h.tb.Fatalf("Advance(%s): %v", t, err)
	}
}

// events returns the events delivered so far, as "<instant> <kind>"
// lines, and forgets them.
func (h *harness) events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.evs {
		out = append(out, e.At.Format(time.RFC3339Nano)+" "+string(e.Kind))
	}
	h.evs = nil
	return out
}

// state returns the Manager's state.
func (h *harness) state() license.State { return h.m.Check("").State }
