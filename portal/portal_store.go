package portal

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/licensekit/license"
)

// PortalStore keeps a [Portal]'s data: one document per organization and
// one for the vendor's codes, vouchers, serial numbers, upgrades and
// license ownership. Each update of a document is atomic and isolated from
// the other updates of the same document, also across processes sharing
// the store: it sees the latest saved state and saves all of its changes
// or none. Methods return an error wrapping ErrInvalidInput for an empty
// ID, and ErrCorrupt rather than damaged data. Implementations must be
// safe for concurrent use; the package storetest checks one.
type PortalStore interface {
	// CreateOrganization saves a new organization. Returns ErrOrgExists
	// if one with that ID exists.
	CreateOrganization(ctx context.Context, o *Organization) error
	// UpdateOrganization runs fn on the organization with that ID and
	// saves what it leaves, unless fn returns an error, which is
	// returned. Returns ErrNotFound if there is no such organization.
	// fn must not change the organization's ID, nor call the store for
	// the same organization, which it holds.
	UpdateOrganization(ctx context.Context, id string, fn func(*Organization) error) error
	// ViewOrganization runs fn on the organization with that ID; fn must
	// not change it. Returns ErrNotFound if there is none.
	ViewOrganization(ctx context.Context, id string, fn func(*Organization) error) error
	// UpdateVendor runs fn on the vendor's document and saves what it
	// leaves, unless fn returns an error, which is returned.
	UpdateVendor(ctx context.Context, fn func(*Vendor) error) error
	// ViewVendor runs fn on the vendor's document; fn must not change it.
	ViewVendor(ctx context.Context, fn func(*Vendor) error) error
}

// ReadAheadStore is a [PortalStore] that reads each record from a
// database as an update asks for it, and that can, told which records an
// update is about to read, read them with the organization instead, in
// one round trip: a seat's assignment then costs two round trips, the
// reads and the writes, rather than one per record. The portal calls it
// for its most frequent operations; it calls UpdateOrganization for the
// others.
type ReadAheadStore interface {
	PortalStore
	// UpdateOrganizationAhead is UpdateOrganization, told what fn is
	// about to read. It is a hint: fn may read other records, or fewer,
	// and the update does exactly what UpdateOrganization would; records
	// read ahead are locked as fn's reads would lock them. IDs the store
	// would refuse are not read ahead.
	UpdateOrganizationAhead(ctx context.Context, id string, ahead ReadAhead, fn func(*Organization) error) error
}

// ReadAhead names records of an organization that an update is about to
// read (see [ReadAheadStore]).
type ReadAhead struct {
	// Keys are the IDs of licenses whose keys the update reads, and
	// with each its usage level and its seats (a store reads a license's
	// seats along with its key when they are few).
	Keys []string
	// Devices are the fingerprints of the devices the update reads.
	Devices []string
}

func (a ReadAhead) empty() bool { return len(a.Keys) == 0 && len(a.Devices) == 0 }

// HistoryStore is a [PortalStore] that keeps the histories apart from the
// documents, so that no operation but reading the history reads them
// (P5). The organization or vendor document that UpdateOrganization,
// UpdateVendor and their views give fn holds, in History, one entry
// numbered as the newest (its other fields may be empty), so that entries
// appended after it are numbered on; the store saves those. The portal reads and prunes the histories through these
// methods. An empty org names the vendor's own history.
type HistoryStore interface {
	PortalStore
	// HistoryPage returns at most limit entries, newest first, those
	// numbered below before, or the newest when before is 0, and the
	// before of the next page, 0 when there is none. Returns ErrNotFound
	// if there is no such organization.
	HistoryPage(ctx context.Context, org string, before int64, limit int) ([]HistoryEntry, int64, error)
	// PruneHistory writes the entries recorded before instant before to
	// w as JSON Lines, oldest first, up to the first entry recorded at or
	// after it, then removes them; nothing is removed if writing fails.
	// It returns how many it removed and the numbers of the first and
	// last of them. Returns ErrNotFound if there is no such organization.
	PruneHistory(ctx context.Context, org string, before time.Time, w io.Writer) (n int, first, last int64, err error)
}

// Vendor is the vendor's document: what is shared by all organizations,
// and what a license server built on the portal keeps (its tokens and
// webhooks).
type Vendor struct {
	Seq    int64         `json:"seq"`    // last number handed out, for IDs
	Owners Table[string] `json:"owners"` // license ID → organization (P4)
	// Lives is where each license is in its one life across the vendor,
	// by license ID: see [LifeState]. Only [Vendor.use] changes it.
	Lives    Table[LicenseLife]    `json:"lives,omitzero"`
	Codes    Table[ActivationCode] `json:"codes"`    // by code, normalized (K5)
	Vouchers Table[Voucher]        `json:"vouchers"` // by voucher ID (K6)
	Serials  Table[Serial]         `json:"serials"`  // by serial number (V1)
	Upgrades Table[UpgradeNotice]  `json:"upgrades"` // by notification ID (V2)
	// Customers indexes, by partner, the customers that delegated to it
	// (V4), sorted. It is only an index: [Portal.Customers] checks each
	// customer's Delegations again, so a stale entry grants nothing.
	Customers map[string][]string `json:"customers,omitempty"`
	// Organizations lists the organizations [Portal.CreateOrganization]
	// created, by ID.
	Organizations Table[OrgSummary] `json:"organizations,omitzero"`
	// Tokens are the bearer tokens of a license server, by token ID
	// (W2): see [Portal.CreateToken].
	Tokens Table[Token] `json:"tokens,omitzero"`
	// Webhooks are the registered webhooks, by ID: see
	// [Portal.AddWebhook].
	Webhooks Table[Webhook] `json:"webhooks,omitzero"`
	// CodeLicenses are the licenses the portal issued from activation
	// codes, by redemption or by renewal, by license ID: what
	// [OrgScope.Renew] needs to renew them (K5, R5).
	CodeLicenses Table[CodeLicense] `json:"code_licenses,omitzero"`
	// Activations are the devices' activations, by activation ID (A1):
	// see [Portal.Activate] and [Portal.StartTrial].
	Activations Table[Activation] `json:"activations,omitzero"`
	// DeviceActivations remembers, by license ID, "|" and fingerprint,
	// each device's activation of a license and when it first activated
	// it (A3), also after a deactivation.
	DeviceActivations Table[ActivationRef] `json:"device_activations,omitzero"`
	// TrialStarts remembers, by product, "|" and fingerprint, the trial
	// each device started (A6).
	TrialStarts Table[ActivationRef] `json:"trial_starts,omitzero"`
	// Revocations are the revoked licenses, activations and signing keys,
	// by kind, ":" and ID (C1): see [Portal.RevocationList].
	Revocations Table[Revocation] `json:"revocations,omitzero"`
	// RevocationCount is the number of revocations so far: the newest
	// revocation list's serial is one more (C2).
	RevocationCount uint64 `json:"revocation_count,omitempty"`
	// History is the vendor's own history: who created, issued or
	// revoked what, and when (P5). Append-only, oldest first.
	History []HistoryEntry `json:"history,omitempty"`
}

func newVendor() *Vendor { return &Vendor{Customers: map[string][]string{}} }

// Clone returns a copy of v that shares nothing the portal changes.
func (v *Vendor) Clone() *Vendor {
	c := *v
	c.Owners = v.Owners.clone()
	c.Lives = v.Lives.clone()
	c.Codes = v.Codes.clone()
	c.Vouchers = v.Vouchers.clone()
	c.Serials = v.Serials.clone()
	c.Upgrades = v.Upgrades.clone()
	c.Customers = cloneCustomers(v.Customers)
	c.Organizations = v.Organizations.clone()
	c.Tokens = v.Tokens.clone()
	c.Webhooks = v.Webhooks.clone()
	c.CodeLicenses = v.CodeLicenses.clone()
	c.Activations = v.Activations.clone()
	c.DeviceActivations = v.DeviceActivations.clone()
	c.TrialStarts = v.TrialStarts.clone()
	c.Revocations = v.Revocations.clone()
	c.History = slices.Clip(v.History)
	return &c
}

// cloneCustomers copies the customers index, never nil, so that the
// portal can add to it.
func cloneCustomers(m map[string][]string) map[string][]string {
	c := make(map[string][]string, len(m))
	for k, cs := range m {
		c[k] = slices.Clone(cs)
	}
	return c
}

// begin starts an update of v in place, as [Organization.begin] does.
func (v *Vendor) begin() (rollback func()) {
	v.Owners.begin()
	v.Lives.begin()
	v.Codes.begin()
	v.Vouchers.begin()
	v.Serials.begin()
	v.Upgrades.begin()
	v.Organizations.begin()
	v.Tokens.begin()
	v.Webhooks.begin()
	v.CodeLicenses.begin()
	v.Activations.begin()
	v.DeviceActivations.begin()
	v.TrialStarts.begin()
	v.Revocations.begin()
	seq, serial, customers, history := v.Seq, v.RevocationCount, v.Customers, v.History
	v.Customers = cloneCustomers(v.Customers)
	return func() {
		v.Owners.rollback(nil)
		v.Lives.rollback(nil)
		v.Codes.rollback(nil)
		v.Vouchers.rollback(nil)
		v.Serials.rollback(nil)
		v.Upgrades.rollback(nil)
		v.Organizations.rollback(nil)
		v.Tokens.rollback(nil)
		v.Webhooks.rollback(nil)
		v.CodeLicenses.rollback(nil)
		v.Activations.rollback(nil)
		v.DeviceActivations.rollback(nil)
		v.TrialStarts.rollback(nil)
		v.Revocations.rollback(nil)
		v.Seq, v.RevocationCount, v.Customers, v.History = seq, serial, customers, history
	}
}

// commit keeps the changes since begin.
func (v *Vendor) commit() {
	v.Owners.commit()
	v.Lives.commit()
	v.Codes.commit()
	v.Vouchers.commit()
	v.Serials.commit()
	v.Upgrades.commit()
	v.Organizations.commit()
	v.Tokens.commit()
	v.Webhooks.commit()
	v.CodeLicenses.commit()
	v.Activations.commit()
	v.DeviceActivations.commit()
	v.TrialStarts.commit()
	v.Revocations.commit()
}

// MemoryPortalStore is a [PortalStore] in memory: for tests, and for
// portals whose data need not outlive the process. Each organization has
// its own lock, so changes to different organizations run in parallel.
type MemoryPortalStore struct {
	mu     sync.Mutex // guards orgs
	orgs   map[string]*memOrg
	vmu    sync.Mutex // guards vendor
	vendor *Vendor
}

type memOrg struct {
	mu sync.Mutex
	o  *Organization
}

// NewMemoryPortalStore returns an empty MemoryPortalStore.
func NewMemoryPortalStore() *MemoryPortalStore {
	return &MemoryPortalStore{orgs: map[string]*memOrg{}, vendor: newVendor()}
}

// CreateOrganization saves a copy of o, or returns ErrOrgExists.
func (s *MemoryPortalStore) CreateOrganization(ctx context.Context, o *Organization) error {
	if err := checkID(ctx, o.ID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[o.ID]; ok {
		return ErrOrgExists
	}
	s.orgs[o.ID] = &memOrg{o: o.Clone()}
	return nil
}

func (s *MemoryPortalStore) org(id string) (*memOrg, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.orgs[id]
	if !ok {
		return nil, license.ErrNotFound
	}
	return m, nil
}

// UpdateOrganization runs fn on a copy of the organization under its lock,
// and keeps the copy if fn succeeds.
func (s *MemoryPortalStore) UpdateOrganization(ctx context.Context, id string, fn func(*Organization) error) error {
	if err := checkID(ctx, id); err != nil {
		return err
	}
	m, err := s.org(id)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// The update runs on the organization itself, which records what
	// it changes and puts it back if fn fails or panics: an update costs
	// what it changes, not what the organization holds. The history
	// grows in place; a failed update's entries are cut off.
	return inPlace(m.o.begin, m.o.commit, func() error { return fn(m.o) })
}

// inPlace runs fn on a document that records its changes from begin on:
// what fn changed is kept with commit if fn returns nil, and put back with
// the rollback begin returned if fn fails or panics.
func inPlace(begin func() (rollback func()), commit func(), fn func() error) error {
	rollback := begin()
	done := false
	defer func() {
		if !done {
			rollback()
		}
	}()
	if err := fn(); err != nil {
		return err
	}
	commit()
	done = true
	return nil
}

// ViewOrganization runs fn on the organization under its lock.
func (s *MemoryPortalStore) ViewOrganization(ctx context.Context, id string, fn func(*Organization) error) error {
	if err := checkID(ctx, id); err != nil {
		return err
	}
	m, err := s.org(id)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return fn(m.o)
}

// UpdateVendor runs fn on the vendor's document under its lock, and keeps
// what fn changed if it succeeds, as UpdateOrganization does.
func (s *MemoryPortalStore) UpdateVendor(ctx context.Context, fn func(*Vendor) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.vmu.Lock()
	defer s.vmu.Unlock()
	return inPlace(s.vendor.begin, s.vendor.commit, func() error { return fn(s.vendor) })
}

// ViewVendor runs fn on the vendor's document under its lock.
func (s *MemoryPortalStore) ViewVendor(ctx context.Context, fn func(*Vendor) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.vmu.Lock()
	defer s.vmu.Unlock()
	return fn(s.vendor)
}

// checkID checks what every PortalStore method receives: a live context
// and an ID.
func checkID(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("%w: empty ID", license.ErrInvalidInput)
	}
	return nil
}
