package portal_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// aheadStore is a memory store that reads ahead as a database store
// would, and records what each update was told it would read.
type aheadStore struct {
	*portal.MemoryPortalStore
	mu    sync.Mutex
	hints []portal.ReadAhead
}

func (s *aheadStore) UpdateOrganizationAhead(ctx context.Context, id string, ahead portal.ReadAhead, fn func(*portal.Organization) error) error {
	s.mu.Lock()
	s.hints = append(s.hints, ahead)
	s.mu.Unlock()
	return s.UpdateOrganization(ctx, id, fn)
}

func (s *aheadStore) took() []portal.ReadAhead {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hints
	s.hints = nil
	return h
}

// A seat's assignment and release tell a store that reads ahead the key
// and the device they read, so that each costs a database one round trip
// of reads; the others tell it nothing.
func TestSeats_ReadAheadNamesTheKeyAndTheDevice(t *testing.T) {
	store := &aheadStore{MemoryPortalStore: portal.NewMemoryPortalStore()}
	h := newPortalHarness(t, func(c *portal.PortalConfig) { c.Store = store })
	acme := h.as("acme")
	if _, err := acme.AddKey(h.ctx, h.key(seatsLicense("SN-1", 2)), portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	users := seatsLicense("SN-U", 2)
	users.Scheme = license.SchemePerUser
	if _, err := acme.AddKey(h.ctx, h.key(users), portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := acme.RegisterDevice(h.ctx, portal.Device{Fingerprint: "pc-1", OS: license.TypeWorkstation, CPUs: 1, Cores: 4}); err != nil {
		t.Fatal(err)
	}
	if got := store.took(); len(got) != 0 {
		t.Errorf("adding keys and registering a device read ahead %+v, want nothing", got)
	}
	steps := []struct {
		name string
		do   func() error
		want portal.ReadAhead
	}{
		{"AssignSeat", func() error { _, err := acme.AssignSeat(h.ctx, "SN-1", "pc-1"); return err },
			portal.ReadAhead{Keys: []string{"SN-1"}, Devices: []string{"pc-1"}}},
		{"ReleaseSeat", func() error { return acme.ReleaseSeat(h.ctx, "SN-1", "pc-1") },
			portal.ReadAhead{Keys: []string{"SN-1"}}},
		{"AssignUser", func() error { _, err := acme.AssignUser(h.ctx, "SN-U", "ann@acme.example"); return err },
			portal.ReadAhead{Keys: []string{"SN-U"}}},
		{"ReleaseUser", func() error { return acme.ReleaseUser(h.ctx, "SN-U", "ann@acme.example") },
			portal.ReadAhead{Keys: []string{"SN-U"}}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff([]portal.ReadAhead{s.want}, store.took()); diff != "" {
			t.Errorf("%s read ahead (-want +got):\n%s", s.name, diff)
		}
	}
	// The hint changes nothing of what the operations do.
	if _, err := acme.AssignSeat(h.ctx, "SN-1", "pc-none"); err == nil {
		t.Error("a seat for an unknown device was given")
	}
	keys, err := acme.Keys(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Devices != 0 {
			t.Errorf("%s holds %d seats, want none", k.License.ID, k.Devices)
		}
	}
}
