package portal_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// floatingHarness is a portal whose organization acme holds FLOAT, a
// floating license of n leases, with devices that activated it.
type floatingHarness struct {
	*activationHarness
	acts map[string]portal.Activation // by fingerprint
}

func newFloatingHarness(t *testing.T, n int, devices ...string) *floatingHarness {
	t.Helper()
	h := &floatingHarness{activationHarness: newActivationHarness(t, 1), acts: map[string]portal.Activation{}}
	key := h.portalHarness.key(license.License{ID: "FLOAT", Scheme: license.SchemeFloating, Quantity: n,
		Features: []string{"backup"}, Expiry: day("2027-01-01")})
	if _, err := h.as("acme").AddKey(h.ctx, key, portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, fp := range devices {
		_, a, err := h.p.Activate(h.ctx, portal.ActivationRequest{Key: key, Fingerprint: fp})
		if err != nil {
			t.Fatalf("Activate on %s: %v", fp, err)
		}
		h.acts[fp] = a
	}
	return h
}

func (h *floatingHarness) checkout(fp string) (portal.Lease, error) {
	return h.p.Checkout(h.ctx, h.acts[fp].ID, fp, "FLOAT")
}

// live returns the fingerprints of FLOAT's live leases.
func (h *floatingHarness) live() []string {
	h.tb.Helper()
	leases, err := h.as("acme").Leases(h.ctx, "FLOAT")
	if err != nil {
		h.tb.Fatal(err)
	}
	var fps []string
	for _, l := range leases {
		fps = append(fps, l.Fingerprint)
	}
	return fps
}

// F1, F3: a floating license of quantity 2 lends two leases across
// devices; a third checkout is refused and holds nothing; the same device
// twice holds one lease; a release frees its place at once. Activating a
// floating license takes no seat.
func TestLease_F1_F3_AtMostQuantityAcrossDevices(t *testing.T) {
	h := newFloatingHarness(t, 2, "pc-1", "pc-2", "pc-3")
	keys, err := h.as("acme").Keys(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.License.ID == "FLOAT" && k.Used != 0 {
			t.Errorf("activating a floating license took %d seats", k.Used)
		}
	}
	l1, err := h.checkout("pc-1")
	if err != nil {
		t.Fatal(err)
	}
	now := h.clk.Now().UTC()
	if l1.ID != "FLOAT|pc-1" || l1.License != "FLOAT" || l1.Org != "acme" || l1.Activation != h.acts["pc-1"].ID ||
		!l1.Expires.Equal(now.Add(portal.DefaultLeaseTTL)) {
		t.Errorf("lease %+v", l1)
	}
	if _, err := h.checkout("pc-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.checkout("pc-3"); !errors.Is(err, portal.ErrNoLease) {
		t.Fatalf("third checkout of a license of 2 = %v, want ErrNoLease", err)
	}
	if got := h.live(); fmt.Sprint(got) != "[pc-1 pc-2]" {
		t.Errorf("live leases %v after a refusal, want [pc-1 pc-2]", got)
	}
	h.clk.Add(time.Minute)
	again, err := h.checkout("pc-1")
	if err != nil || again.ID != l1.ID || !again.Expires.Equal(now.Add(time.Minute+portal.DefaultLeaseTTL)) {
		t.Errorf("same device again = %+v, %v; want the same lease, extended", again, err)
	}
	if err := h.p.Release(h.ctx, l1.ID, "pc-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.checkout("pc-3"); err != nil {
		t.Errorf("checkout after a release = %v", err)
	}
	if err := h.p.Release(h.ctx, l1.ID, "pc-1"); !errors.Is(err, portal.ErrNoSuchLease) {
		t.Errorf("releasing again = %v, want ErrNoSuchLease", err)
	}
	acts := h.actions("acme")
	if acts["lease.checkout"] != 3 || acts["lease.release"] != 1 {
		t.Errorf("history %v, want 3 checkouts and 1 release (P5)", acts)
	}
}

// F2: a lease whose TTL passes without a heartbeat is released, and its
// place is free for another device at once; heartbeats keep it.
func TestLease_F2_ExpiresWithoutHeartbeat(t *testing.T) {
	h := newFloatingHarness(t, 1, "pc-1", "pc-2")
	l, err := h.checkout("pc-1")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // 30 minutes, twice the TTL, with heartbeats
		h.clk.Add(10 * time.Minute)
		if l, err = h.p.Heartbeat(h.ctx, l.ID, "pc-1"); err != nil {
			t.Fatal(err)
		}
		if !l.Expires.Equal(h.clk.Now().Add(portal.DefaultLeaseTTL)) {
			t.Errorf("heartbeat: lease expires %v", l.Expires)
		}
	}
	if _, err := h.checkout("pc-2"); !errors.Is(err, portal.ErrNoLease) {
		t.Fatalf("checkout while the lease is kept = %v, want ErrNoLease", err)
	}
	h.clk.Set(l.Expires.Add(-time.Nanosecond))
	if _, err := h.checkout("pc-2"); !errors.Is(err, portal.ErrNoLease) {
		t.Fatalf("checkout 1ns before expiry = %v, want ErrNoLease", err)
	}
	h.clk.Set(l.Expires)
	if got := h.live(); len(got) != 0 {
		t.Errorf("live leases at expiry: %v", got)
	}
	if _, err := h.checkout("pc-2"); err != nil {
		t.Fatalf("checkout at the expiry of the other lease = %v", err)
	}
	if _, err := h.p.Heartbeat(h.ctx, l.ID, "pc-1"); !errors.Is(err, portal.ErrNoSuchLease) {
		t.Errorf("heartbeat of a lease released by expiry = %v, want ErrNoSuchLease", err)
	}
	if n := h.actions("acme")["lease.expire"]; n != 1 {
		t.Errorf("%d expiries in the history, want 1", n)
	}
	// An expired lease nobody looked at: its heartbeat is refused.
	h.clk.Add(time.Hour)
	if _, err := h.p.Heartbeat(h.ctx, "FLOAT|pc-2", "pc-2"); !errors.Is(err, portal.ErrLeaseExpired) {
		t.Errorf("heartbeat after expiry = %v, want ErrLeaseExpired", err)
	}
}

// F1, F3: leases are refused for what is not a floating license the
// activation holds, and after a deactivation; a deactivation releases the
// device's lease.
func TestLease_F3_Refusals(t *testing.T) {
	h := newFloatingHarness(t, 1, "pc-1", "pc-2")
	_, seat := h.activate("pc-9")
	if _, err := h.p.Checkout(h.ctx, seat.ID, "pc-9", "SEATS"); !errors.Is(err, portal.ErrNotFloating) {
		t.Errorf("checkout of a per-device license = %v, want ErrNotFloating", err)
	}
	if _, err := h.p.Checkout(h.ctx, seat.ID, "pc-9", "FLOAT"); !errors.Is(err, portal.ErrNotFloating) {
		t.Errorf("checkout of a license the activation does not hold = %v, want ErrNotFloating", err)
	}
	if _, err := h.p.Checkout(h.ctx, h.acts["pc-1"].ID, "pc-2", "FLOAT"); !errors.Is(err, license.ErrWrongDevice) {
		t.Errorf("checkout under another device's activation = %v, want ErrWrongDevice", err)
	}
	if _, err := h.p.Heartbeat(h.ctx, "FLOAT|pc-1", "pc-2"); !errors.Is(err, portal.ErrNoSuchLease) {
		t.Errorf("heartbeat of another device's lease = %v, want ErrNoSuchLease", err)
	}
	if _, err := h.checkout("pc-1"); err != nil {
		t.Fatal(err)
	}
	if err := h.p.Deactivate(h.ctx, h.acts["pc-1"].ID, "pc-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.checkout("pc-1"); !errors.Is(err, portal.ErrDeactivated) {
		t.Errorf("checkout after deactivation = %v, want ErrDeactivated", err)
	}
	if _, err := h.checkout("pc-2"); err != nil {
		t.Errorf("the deactivation did not release the lease: %v", err)
	}
}

// F1: many devices checking out at once never hold more leases than the
// quantity.
func TestLease_F1_ConcurrentCheckouts(t *testing.T) {
	const devices, quantity = 20, 5
	var fps []string
	for i := range devices {
		fps = append(fps, fmt.Sprintf("pc-%02d", i))
	}
	h := newFloatingHarness(t, quantity, fps...)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for _, fp := range fps {
		wg.Go(func() {
			_, err := h.checkout(fp)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				got++
			case !errors.Is(err, portal.ErrNoLease):
				t.Errorf("checkout %s: %v", fp, err)
			}
		})
	}
	wg.Wait()
	if got != quantity || len(h.live()) != quantity {
		t.Errorf("%d checkouts succeeded, %d leases live; want %d", got, len(h.live()), quantity)
	}
}
