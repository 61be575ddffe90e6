package portal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license/internal/textfield"

	"github.com/licensekit/license"
)

// Portal is the vendor's side of licensing for many customers: their
// organizations, key storage, devices and seats, license groups, wallets,
// activation codes, vouchers, serial numbers, upgrades, delegation to
// partners and history. A license server or a management console wraps
// one; it keeps its data in a [PortalStore].
//
// Every customer operation goes through [Portal.Org], which scopes it to
// one organization for one [Actor]: an actor reaches its own organization,
// or a customer that delegated to the actor's organization (V4); any other
// organization is refused with [ErrNoAccess], whether it exists or not.
// A license never moves between organizations (P4).
//
// Each change of an organization is atomic: it applies whole or not at
// all, and concurrent changes never spend a seat, a code, a voucher or a
// wallet license twice. A Portal is safe for concurrent use.
type Portal struct {
	cfg   PortalConfig
	store PortalStore
	clock license.Clock
}

// PortalConfig configures a [Portal]. Only Signer is required.
type PortalConfig struct {
	// Signer signs the license keys the portal makes from activation
	// codes, vouchers, serial numbers and upgrades. Required.
	Signer *license.SigningKey
	// Verifier checks the keys customers add to their key storage. Nil
	// trusts the Signer's verifying key only.
	Verifier *license.Verifier
	// Store keeps the portal's data. Nil keeps it in memory.
	Store PortalStore
	// Clock is the time source. Nil means the system clock.
	Clock license.Clock
	// Overage is how far, in percent of a license's quantity, usage may
	// go beyond it before new seats are refused (D6): with 10, a license
	// of 20 units takes 22, one of 15 takes 16 (rounded down). Zero
	// allows none.
	Overage int
	// ActivationGrace is how long a subscription's term may run before it
	// must be paid in full with licenses (S7); see [OrgScope.Activate].
	// Zero means the default, 30 days; it must be shorter than
	// [SubscriptionTerm].
	ActivationGrace time.Duration
	// RenewalWindow is how long before its end a license from an
	// activation code may be renewed with [OrgScope.Renew] (N1). Zero
	// means the applications' default Expiring window,
	// license.DefaultPolicy().ExpiringWindow (30 days); set it to at
	// least the ExpiringWindow of the applications' policy.
	RenewalWindow time.Duration
	// CertificateTTL is how long an activation certificate holds after
	// the server issues it (A1): the device checks in before then. Zero
	// means the default, 30 days.
	CertificateTTL time.Duration
	// LeaseTTL is how long a floating license's lease holds without a
	// heartbeat (F2). Zero means the default, 15 minutes.
	LeaseTTL time.Duration
	// Trials are the trials devices may start with [Portal.StartTrial],
	// by product (A6): each a template with Trial set and a Term, which
	// runs from the device's first start of the trial. A template's
	// Product may be empty: it is the map's key. Nil offers no trial.
	Trials map[string]license.License
	// OnEvent receives the portal's events: restriction exceeded (D4) and
	// usage levels (D6). It is called after the change is saved, outside
	// any lock. Nil: events are dropped.
	OnEvent func(license.Event)
}

// Actor is who performs an operation: a person or a service of an
// organization, as the host authenticated it. The portal records it in
// the history (P5) and checks it reaches the organization it acts on.
type Actor struct {
	ID  string `json:"id"`  // the person or service, such as "alice@example.com"
	Org string `json:"org"` // the organization it belongs to: a customer or a partner
}

// Errors of the portal. Every refusal changes nothing.
var (
	// ErrNoAccess: the organization does not exist, or the actor may not
	// reach it. The two are not told apart, so that nobody learns which
	// organizations exist (P4, V4).
	ErrNoAccess = errors.New("license: no such organization")
	// ErrOrgExists: an organization with that ID already exists.
	ErrOrgExists = errors.New("license: organization already exists")
	// ErrOtherOrganization: the license belongs to another organization;
	// licenses never move between organizations (P4).
	ErrOtherOrganization = errors.New("license: license belongs to another organization")
)

// NewPortal returns a portal over cfg.Store.
func NewPortal(cfg PortalConfig) (p *Portal, err error) {
	if cfg.Signer == nil {
		return nil, fmt.Errorf("%w: NewPortal needs a Signer", license.ErrInvalidInput)
	}
	if cfg.Overage < 0 {
		return nil, fmt.Errorf("%w: negative overage %d", license.ErrInvalidInput, cfg.Overage)
	}
	if cfg.ActivationGrace < 0 || cfg.ActivationGrace >= SubscriptionTerm {
		return nil, fmt.Errorf("%w: activation grace %v, want 0 to %v", license.ErrInvalidInput, cfg.ActivationGrace, SubscriptionTerm)
	}
	if cfg.RenewalWindow < 0 {
		return nil, fmt.Errorf("%w: negative renewal window %v", license.ErrInvalidInput, cfg.RenewalWindow)
	}
	if cfg.RenewalWindow == 0 {
		cfg.RenewalWindow = license.DefaultPolicy().ExpiringWindow
	}
	if cfg.CertificateTTL < 0 || cfg.LeaseTTL < 0 {
		return nil, fmt.Errorf("%w: negative certificate TTL %v or lease TTL %v", license.ErrInvalidInput, cfg.CertificateTTL, cfg.LeaseTTL)
	}
	cfg.CertificateTTL = cmp.Or(cfg.CertificateTTL, DefaultCertificateTTL)
	cfg.LeaseTTL = cmp.Or(cfg.LeaseTTL, DefaultLeaseTTL)
	if cfg.Verifier == nil {
		v, err := license.NewVerifier(cfg.Signer.VerifyingKey())
		if err != nil {
			return nil, err
		}
		cfg.Verifier = v
	}
	p = &Portal{cfg: cfg, store: cfg.Store, clock: cfg.Clock}
	if p.store == nil {
		p.store = NewMemoryPortalStore()
	}
	if p.clock == nil {
		p.clock = clock.New()
	}
	if p.cfg.Trials, err = checkTrials(cfg.Trials, p.now()); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Portal) now() time.Time { return p.clock.Now().UTC() }

// CreateOrganization creates an organization: a customer, or a partner
// that customers can delegate to. It is a vendor operation, with no
// actor's scope: it is recorded in the organization's history and the
// vendor's (P5), under the actor named with [WithVendorActor], and
// [Portal.Organizations] lists it. It fails with ErrOrgExists or
// ErrInvalidInput.
func (p *Portal) CreateOrganization(ctx context.Context, id, name string) error {
	if _, err := textfield.Check(id, true); err != nil {
		return fmt.Errorf("%w: organization ID: %w", license.ErrInvalidInput, err)
	}
	a := vendorActor(ctx)
	o := newOrganization(id, name, p.now())
	o.record(a, o.Created, "organization.create", id, name)
	if err := p.store.CreateOrganization(ctx, o); err != nil {
		return err
	}
	return p.store.UpdateVendor(ctx, func(v *Vendor) error {
		v.Organizations.Put(id, OrgSummary{ID: id, Name: name, Created: o.Created})
		v.record(a, o.Created, "organization.create", id, name)
		return nil
	})
}

// OrgScope is the operations one actor may perform on one organization.
// Get it with [Portal.Org]; every method checks the actor's access again,
// so a delegation withdrawn takes effect at once.
type OrgScope struct {
	p     *Portal
	actor Actor
	org   string
}

// Org returns the operations actor may perform on organization org.
func (p *Portal) Org(actor Actor, org string) *OrgScope {
	return &OrgScope{p: p, actor: actor, org: org}
}

// ID returns the organization's ID.
func (s *OrgScope) ID() string { return s.org }

// update runs fn on the organization, atomically, after checking access.
// fn returns the events to deliver once the change is saved. On error
// nothing changes.
func (s *OrgScope) update(ctx context.Context, fn func(o *Organization, now time.Time) ([]license.Event, error)) error {
	return s.updateAhead(ctx, ReadAhead{}, fn)
}

// updateAhead is update, telling a [ReadAheadStore] which records fn is
// about to read.
func (s *OrgScope) updateAhead(ctx context.Context, ahead ReadAhead, fn func(o *Organization, now time.Time) ([]license.Event, error)) error {
	if s.org == "" {
		return ErrNoAccess // no organization has an empty ID
	}
	var events []license.Event
	now := s.p.now()
	run := func(o *Organization) error {
		if !o.reaches(s.actor) {
			return ErrNoAccess
		}
		var err error
		events, err = fn(o, now)
		return err
	}
	var err error
	if ra, ok := s.p.store.(ReadAheadStore); ok && !ahead.empty() {
		err = ra.UpdateOrganizationAhead(ctx, s.org, ahead, run)
	} else {
		err = s.p.store.UpdateOrganization(ctx, s.org, run)
	}
	if errors.Is(err, license.ErrNotFound) {
		err = ErrNoAccess
	}
	if err != nil {
		return err
	}
	s.p.deliver(events)
	return nil
}

// errTrial ends the update of a trial, so that the store puts back what
// it changed.
var errTrial = errors.New("portal: trial")

// trial runs fn on the organization, after checking access, as an update
// that the store then undoes: a way to try an operation before spending
// anything on it, without copying the organization. fn's error is
// returned; nothing fn does is kept, and no event is sent.
func (s *OrgScope) trial(ctx context.Context, fn func(o *Organization) error) error {
	err := s.update(ctx, func(o *Organization, _ time.Time) ([]license.Event, error) {
		if err := fn(o); err != nil {
			return nil, err
		}
		return nil, errTrial
	})
	if errors.Is(err, errTrial) {
		return nil
	}
	return err
}

// view runs fn on a read-only snapshot of the organization, after checking
// access.
func (s *OrgScope) view(ctx context.Context, fn func(o *Organization) error) error {
	if s.org == "" {
		return ErrNoAccess // no organization has an empty ID
	}
	err := s.p.store.ViewOrganization(ctx, s.org, func(o *Organization) error {
		if !o.reaches(s.actor) {
			return ErrNoAccess
		}
		return fn(o)
	})
	if errors.Is(err, license.ErrNotFound) {
		err = ErrNoAccess
	}
	return err
}

func (p *Portal) deliver(events []license.Event) {
	if p.cfg.OnEvent == nil {
		return
	}
	for _, e := range events {
		p.cfg.OnEvent(e)
	}
}

// Organization is everything the portal keeps for one organization. A
// [PortalStore] loads and saves it whole; the portal's methods are the way
// to read and change it.
type Organization struct {
	ID            string                  `json:"id"`
	Name          string                  `json:"name"`
	Created       time.Time               `json:"created"`
	Keys          Table[OrgKey]           `json:"keys"`            // key storage, by license ID (D1)
	Devices       Table[Device]           `json:"devices"`         // by fingerprint (D3)
	Seats         SeatTable               `json:"seats"`           // by seat ID, see seatID
	Groups        Table[Group]            `json:"groups"`          // license groups, by ID (G1)
	Wallet        map[string]int          `json:"wallet"`          // spare licenses, by product (P1)
	Subscriptions map[string]Subscription `json:"subscriptions"`   // by ID (P3)
	Redeemed      Table[WalletRedemption] `json:"redeemed"`        // license keys redeemed into the wallet, by license ID (P1)
	Delegations   map[string]Delegation   `json:"delegations"`     // partners this organization delegated to, by partner ID (V4)
	Levels        Table[string]           `json:"levels"`          // last usage level sent per license (D6)
	Leases        LeaseTable              `json:"leases,omitzero"` // floating licenses' leases, by lease ID (F1)
	History       []HistoryEntry          `json:"history"`         // append-only, oldest first (P5)
}

// OrgKey is a license key in an organization's key storage (D1).
type OrgKey struct {
	Key            string            `json:"key"`     // the license key text
	License        *license.License  `json:"license"` // the verified license
	Added          time.Time         `json:"added"`
	AddedBy        string            `json:"added_by"`
	AutoDistribute bool              `json:"auto_distribute,omitempty"` // deployed to the devices that need it (D2)
	Group          string            `json:"group,omitempty"`           // the license group it is in (G1)
	Shared         []string          `json:"shared,omitempty"`          // who it is shared with (V3)
	Custom         map[string]string `json:"custom,omitempty"`          // the customer's own data (V3)
}

// Device is a machine of an organization, or a user's mailbox for the
// per-user scheme.
type Device struct {
	Fingerprint string       `json:"fingerprint"`    // stable identity of the machine
	Name        string       `json:"name,omitempty"` // for people
	OS          license.Type `json:"os"`             // server or workstation
	VM          bool         `json:"vm,omitempty"`   // a virtual machine
	CPUs        int          `json:"cpus"`           // physical CPUs
	Cores       int          `json:"cores"`          // CPU cores
	Apps        []string     `json:"apps,omitempty"` // products installed, which need a license (D2)
	Registered  time.Time    `json:"registered"`
	Group       string       `json:"group,omitempty"` // the license group it belongs to (G1)
}

// Seat is one license's use by one device or user.
type Seat struct {
	License  string    `json:"license"`
	Device   string    `json:"device,omitempty"` // the device's fingerprint
	User     string    `json:"user,omitempty"`   // for the per-user scheme
	Units    int       `json:"units"`            // what it counts against the quantity
	Assigned time.Time `json:"assigned"`
}

// Group is a license group: a company or site that holds licenses, whose
// devices the portal places on them (G1, G2). The customer never picks a
// license for a device. Each change of the group ([OrgScope.AddToGroup],
// [OrgScope.RemoveFromGroup], [OrgScope.JoinGroup], [OrgScope.LeaveGroup],
// [OrgScope.Rebalance], and [OrgScope.RemoveKey] of one of its licenses)
// runs the placement at the portal clock's instant, by one deterministic
// rule:
//
//  1. Only the group's licenses valid at that instant take devices. They
//     are ordered by the end of their validity, latest first (a license
//     with no end before all), ties by license ID.
//  2. A device already placed on one of them stays there while the
//     license has room for it, the members taken in the order they joined.
//  3. Every other member, in the order it joined, goes to the first
//     license in that order that counts it (a per-VM license counts only
//     virtual machines) and has room for its units: one per device or
//     virtual machine, its CPUs or its cores under the per-CPU or per-core
//     scheme. A license's room is its quantity, less the seats it holds
//     outside the group: the overage the portal allows (D6) is for seats
//     assigned one by one, never for placement. An unmetered license
//     always has room.
//  4. Members that no license can take stay unplaced, and each run that
//     leaves any raises one [EventRestrictionExceeded] for the group (D4).
//
// Latest end first puts the devices on the licenses that last longest, so
// when the earliest license expires the fewest devices have to move;
// keeping placed devices where they are means a rebalance moves only the
// devices of a license that expired or left; and join order means a
// newcomer never displaces a device already placed: when room runs out,
// the last to join are left out. The same group, key storage and instant
// always give the same placement.
type Group struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Licenses []string          `json:"licenses"` // license IDs
	Devices  []string          `json:"devices"`  // fingerprints, in the order they joined
	Placed   map[string]string `json:"placed"`   // device → license
}

// Subscription is an annual subscription renewed from the wallet (P3,
// S7).
type Subscription struct {
	ID        string    `json:"id"`
	Product   string    `json:"product"`
	Devices   int       `json:"devices"`   // current usage: licenses needed per term
	Paid      int       `json:"paid"`      // licenses consumed for the current term
	Activated time.Time `json:"activated"` // start of the current term
	Due       time.Time `json:"due"`       // next due date
	Lapsed    bool      `json:"lapsed,omitempty"`
}

// Delegation is a customer's delegation of its licenses' management to a
// partner (V4). It starts as an invitation, Pending, that grants nothing
// until the partner accepts it (see [OrgScope.Delegate]).
type Delegation struct {
	Partner  string    `json:"partner"`
	Since    time.Time `json:"since"`             // when the customer invited the partner
	Pending  bool      `json:"pending,omitempty"` // invited, not accepted yet
	Accepted time.Time `json:"accepted,omitzero"` // when the partner accepted
}

// HistoryEntry is one line of an organization's history (P5): who did
// what, to what, and when.
type HistoryEntry struct {
	Seq     int64     `json:"seq"` // 1, 2, 3… within the organization
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Org     string    `json:"org"` // the actor's organization: a partner's, under delegation
	Action  string    `json:"action"`
	Subject string    `json:"subject"`
	Detail  string    `json:"detail,omitempty"`
}

func newOrganization(id, name string, now time.Time) *Organization {
	return &Organization{
		ID: id, Name: name, Created: now,
		Wallet: map[string]int{}, Subscriptions: map[string]Subscription{},
		Delegations: map[string]Delegation{},
	}
}

// reaches reports whether actor may act on o: a member of o, or of a
// partner o delegated to and that accepted (V4).
func (o *Organization) reaches(a Actor) bool {
	if a.Org == o.ID {
		return true
	}
	d, ok := o.Delegations[a.Org]
	return ok && !d.Pending && a.Org != ""
}

// begin starts an update of o in place: its tables record what changes,
// and its small maps are copied, so that rollback can put o back as it
// was. The history is append-only: rollback cuts it back to its length.
func (o *Organization) begin() (rollback func()) {
	o.Keys.begin()
	o.Devices.begin()
	o.Seats.begin()
	o.Groups.begin()
	o.Redeemed.begin()
	o.Levels.begin()
	o.Leases.begin()
	saved := *o
	o.Wallet = maps.Clone(o.Wallet)
	o.Subscriptions = maps.Clone(o.Subscriptions)
	o.Delegations = maps.Clone(o.Delegations)
	return func() {
		o.Keys.rollback(nil)
		o.Devices.rollback(nil)
		o.Seats.rollback()
		o.Groups.rollback(nil)
		o.Redeemed.rollback(nil)
		o.Levels.rollback(nil)
		o.Leases.rollback(nil)
		o.ID, o.Name, o.Created = saved.ID, saved.Name, saved.Created
		o.Wallet, o.Subscriptions = saved.Wallet, saved.Subscriptions
		o.Delegations, o.History = saved.Delegations, saved.History
	}
}

// commit keeps the changes since begin.
func (o *Organization) commit() {
	o.Keys.commit()
	o.Devices.commit()
	o.Seats.commit()
	o.Groups.commit()
	o.Redeemed.commit()
	o.Levels.commit()
	o.Leases.commit()
}

// record appends a history entry (P5).
func (o *Organization) record(a Actor, at time.Time, action, subject, detail string) {
	o.History = appendHistory(o.History, a, at, action, subject, detail)
}

// projection returns a copy of o for working out what time does to its
// wallet and subscriptions (see Portal.settle) without changing o: it
// shares o's tables, which it must not change, and copies the rest.
func (o *Organization) projection() *Organization {
	c := *o
	c.Wallet = maps.Clone(o.Wallet)
	c.Subscriptions = maps.Clone(o.Subscriptions)
	c.History = slices.Clip(o.History)
	return &c
}

// Clone returns a copy of o that shares nothing o's methods change. The
// history is append-only, so the copy shares its entries, but not its
// growth.
func (o *Organization) Clone() *Organization {
	c := *o
	c.Keys = o.Keys.clone()
	c.Devices = o.Devices.clone()
	c.Seats = o.Seats.clone()
	c.Groups = o.Groups.clone()
	c.Wallet = maps.Clone(o.Wallet)
	c.Subscriptions = maps.Clone(o.Subscriptions)
	c.Redeemed = o.Redeemed.clone()
	c.Delegations = maps.Clone(o.Delegations)
	c.Levels = o.Levels.clone()
	c.Leases = o.Leases.clone()
	c.History = slices.Clip(o.History)
	return &c
}
