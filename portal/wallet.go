package portal

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/licensekit/license/internal/textfield"

	"github.com/licensekit/license"

	"github.com/licensekit/license/internal/wording"
)

// SubscriptionTerm is the length of a subscription's term: a year of 365
// days (P3, S7). Instants are UTC and a day is 24 hours, so a term that
// spans 29 February ends on the calendar day before its start's
// anniversary.
const SubscriptionTerm = 365 * license.Day

// Errors of the wallet and subscriptions. Every refusal changes nothing.
var (
	// ErrKeyRedeemed: the organization already redeemed that license key
	// into its wallet (P1), or added it to its key storage after
	// redeeming it.
	ErrKeyRedeemed = errors.New("license: the license key was already redeemed")
	// ErrNoSubscription: the organization has no subscription with that
	// ID, or none for that product.
	ErrNoSubscription = errors.New("license: no such subscription")
	// ErrSubscriptionExists: the product's subscription is already
	// running; only a lapsed one can be activated again.
	ErrSubscriptionExists = errors.New("license: the subscription is already active")
	// ErrSubscriptionLapsed: the subscription lost its license (S7);
	// activate it again before paying for it.
	ErrSubscriptionLapsed = errors.New("license: the subscription has lapsed")
	// ErrWalletShort: the wallet holds fewer licenses than asked for.
	ErrWalletShort = errors.New("license: not enough licenses in the wallet")
	// ErrExceedsUsage: more licenses than the current term still needs
	// for current usage.
	ErrExceedsUsage = errors.New("license: more licenses than current usage needs")
)

// Wallet event kinds, beside the lifecycle's and the portal's. A lapse is
// reported with [license.EventUnlicensed] (S7).
const (
	// EventSubscriptionRenewed: a subscription's new term started and
	// its licenses came from the wallet (P3).
	EventSubscriptionRenewed license.EventKind = "subscription-renewed"
	// EventSubscriptionUnpaid: a subscription's term started (at
	// activation or at its due date) and the wallet held too few
	// licenses: they must be redeemed within the activation grace (S7).
	EventSubscriptionUnpaid license.EventKind = "subscription-unpaid"
)

// WalletRedemption is a license key redeemed into an organization's wallet
// (P1), as [OrgScope.Redeem] returns it and the organization keeps it.
type WalletRedemption struct {
	License      string    `json:"license"`                // the key's license ID
	Product      string    `json:"product"`                // the product its licenses are for
	Quantity     int       `json:"quantity"`               // the licenses the key holds
	Consumed     int       `json:"consumed"`               // consumed at once for current usage
	Wallet       int       `json:"wallet"`                 // put in the wallet: Quantity − Consumed
	Subscription string    `json:"subscription,omitempty"` // the subscription consumed for, if any
	At           time.Time `json:"at"`
	By           string    `json:"by"`               // the actor's ID
	Revoked      time.Time `json:"revoked,omitzero"` // when the vendor revoked the license (C1)
}

// walletActor is who the history names for what time does to a
// subscription: renewals from the wallet and lapses.
func walletActor(org string) Actor { return Actor{ID: "wallet", Org: org} }

// activationGrace is how long a subscription's term may run unpaid (S7).
func (p *Portal) activationGrace() time.Duration {
	if p.cfg.ActivationGrace > 0 {
		return p.cfg.ActivationGrace
	}
	return license.DefaultPolicy().ActivationGrace
}

// Redeem redeems a license key into the organization's wallet (P1), the
// way AXIS License Manager does: the key's Quantity is the number of
// licenses it holds; consume of them (0 to Quantity) are consumed at once
// to pay the current term of the subscription for the key's product, and
// the rest go into the wallet for later renewals (P3). Consumed licenses
// never go back into the wallet (P2): no method returns them.
//
// The key must verify, hold a counted quantity, be valid now, not be a
// trial and not be made out to another organization. Redeeming claims its
// license for the organization: another organization can then neither
// redeem it nor add it to its key storage (P4). A key is redeemed once; a
// redeemed key cannot also go into the key storage, nor a key that went
// into a key storage, even one removed since, into the wallet; a license
// traded in for an upgrade or revoked is refused too (see [LifeState]).
//
// Redeem returns the errors of [license.Verifier.Verify] and [license.License.ValidAt],
// ErrInvalidInput (not a counted license, a trial, consume out of range),
// ErrOtherOrganization, ErrNoAccess, ErrKeyRedeemed, ErrKeyInStorage,
// ErrLicenseHeld, ErrLicenseReplaced, ErrLicenseRevoked,
// ErrNoSubscription, ErrSubscriptionLapsed or ErrExceedsUsage (consume is
// more than the current term still needs). On error nothing changes,
// except in one case: should the organization change between the checks
// and the redemption so that it is refused then, the license stays
// claimed for the wallet of the organization, which may redeem it again.
func (s *OrgScope) Redeem(ctx context.Context, key string, consume int) (WalletRedemption, error) {
	l, err := s.p.cfg.Verifier.Verify(key)
	if err != nil {
		return WalletRedemption{}, err
	}
	switch {
	case !l.Scheme.Counted() || l.Quantity <= 0:
		return WalletRedemption{}, fmt.Errorf("%w: %s holds no counted licenses", license.ErrInvalidInput, l.ID)
	case l.Trial:
		return WalletRedemption{}, fmt.Errorf("%w: %s is a trial", license.ErrInvalidInput, l.ID)
	case consume < 0 || consume > l.Quantity:
		return WalletRedemption{}, fmt.Errorf("%w: consume %d of the %d licenses of %s", license.ErrInvalidInput, consume, l.Quantity, l.ID)
	case l.Organization != "" && l.Organization != s.org:
		return WalletRedemption{}, fmt.Errorf("%w: %s", ErrOtherOrganization, l.ID)
	}
	now := s.p.now()
	if err := l.ValidAt(now, now); err != nil {
		return WalletRedemption{}, fmt.Errorf("%s: %w", l.ID, err)
	}
	// Check everything against the organization before claiming the
	// license for it, so that a refusal claims nothing; the update checks
	// again, as the organization may have changed meanwhile.
	if err := s.view(ctx, func(o *Organization) error {
		o = o.projection()
		s.p.settle(o, now)
		return o.checkRedeem(l, consume)
	}); err != nil {
		return WalletRedemption{}, err
	}
	if err := s.p.useLicense(ctx, l.ID, s.org, useRedeem); err != nil {
		return WalletRedemption{}, err
	}
	var r WalletRedemption
	err = s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		events := s.p.settle(o, now)
		if err := o.checkRedeem(l, consume); err != nil {
			return nil, err
		}
		r = WalletRedemption{
			License: l.ID, Product: l.Product, Quantity: l.Quantity,
			Consumed: consume, Wallet: l.Quantity - consume, At: now, By: s.actor.ID,
		}
		if consume > 0 {
			sub := o.Subscriptions[l.Product]
			sub.Paid += consume
			o.Subscriptions[sub.ID] = sub
			r.Subscription = sub.ID
		}
		if o.Wallet == nil {
			o.Wallet = map[string]int{}
		}
		o.Wallet[l.Product] += r.Wallet
		o.Redeemed.Put(l.ID, r)
		o.record(s.actor, now, "wallet.redeem", l.ID,
			fmt.Sprintf("%d %s licenses: %d consumed, %d to the wallet", l.Quantity, l.Product, consume, r.Wallet))
		return events, nil
	})
	if err != nil {
		return WalletRedemption{}, err
	}
	return r, nil
}

// checkRedeem reports whether o can redeem license l, consuming consume
// of its licenses for the subscription of its product.
func (o *Organization) checkRedeem(l *license.License, consume int) error {
	if _, ok := o.Redeemed.Get(l.ID); ok {
		return fmt.Errorf("%w: %s", ErrKeyRedeemed, l.ID)
	}
	if _, ok := o.Keys.Get(l.ID); ok {
		return fmt.Errorf("%w: %s", ErrKeyInStorage, l.ID)
	}
	if consume == 0 {
		return nil
	}
	sub, ok := o.Subscriptions[l.Product]
	if !ok {
		return fmt.Errorf("%w: none for %s", ErrNoSubscription, l.Product)
	}
	return sub.checkPay(consume)
}

// checkPay reports whether n more licenses can pay sub's current term.
func (sub Subscription) checkPay(n int) error {
	if sub.Lapsed {
		return fmt.Errorf("%w: %s", ErrSubscriptionLapsed, sub.ID)
	}
	if n > sub.Devices-sub.Paid {
		return fmt.Errorf("%w: %s needs %d more licenses this term, not %d", ErrExceedsUsage, sub.ID, sub.Devices-sub.Paid, n)
	}
	return nil
}

// Activate starts the annual subscription of product for devices
// licenses of current usage (S7): its first term runs from now for
// [SubscriptionTerm], and it is due at the term's end. If the wallet holds
// devices licenses of the product, they pay the term at once; otherwise
// it takes none, an [EventSubscriptionUnpaid] is delivered, and the
// organization has the activation grace ([PortalConfig]'s ActivationGrace,
// 30 days by default) to pay the term in full with [OrgScope.Redeem] or
// [OrgScope.Consume]. If the term is still short when the grace ends, and
// the wallet cannot make up the difference, the subscription lapses: the
// software loses its license (see [OrgScope.Advance]).
//
// An organization has one subscription per product, whose ID is the
// product's name. A lapsed subscription can be activated again, with a new
// term from now; licenses consumed for the lapsed term are not returned
// (P2).
//
// Activate returns ErrInvalidInput, ErrNoAccess or ErrSubscriptionExists
// (the product's subscription is running). On error nothing changes.
func (s *OrgScope) Activate(ctx context.Context, product string, devices int) (Subscription, error) {
	if detail, err := textfield.Check(product, true); err != nil {
		return Subscription{}, fmt.Errorf("%w: product: %w %s", license.ErrInvalidInput, err, detail)
	}
	if devices < 1 {
		return Subscription{}, fmt.Errorf("%w: %d devices", license.ErrInvalidInput, devices)
	}
	var sub Subscription
	err := s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		events := s.p.settle(o, now)
		if old, ok := o.Subscriptions[product]; ok && !old.Lapsed {
			return nil, fmt.Errorf("%w: %s", ErrSubscriptionExists, product)
		}
		if o.Subscriptions == nil {
			o.Subscriptions = map[string]Subscription{}
		}
		sub = Subscription{ID: product, Product: product, Devices: devices, Activated: now, Due: now.Add(SubscriptionTerm)}
		o.record(s.actor, now, "subscription.activate", sub.ID, fmt.Sprintf("%d devices, due %s", devices, wording.Instant(sub.Due)))
		sub, events = s.p.startTerm(o, s.actor, now, sub, false, events)
		o.Subscriptions[sub.ID] = sub
		return events, nil
	})
	if err != nil {
		return Subscription{}, err
	}
	return sub, nil
}

// Consume takes n licenses from the wallet to pay the current term of the
// subscription with that ID (P1). They never go back to the wallet (P2).
// It returns the subscription as it is then.
//
// Consume returns ErrInvalidInput (n < 1), ErrNoAccess, ErrNoSubscription,
// ErrSubscriptionLapsed, ErrExceedsUsage (more than the term still needs)
// or ErrWalletShort. On error nothing changes: the wallet never goes below
// zero.
func (s *OrgScope) Consume(ctx context.Context, subscriptionID string, n int) (Subscription, error) {
	if n < 1 {
		return Subscription{}, fmt.Errorf("%w: consume %d licenses", license.ErrInvalidInput, n)
	}
	var sub Subscription
	err := s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		events := s.p.settle(o, now)
		var ok bool
		if sub, ok = o.Subscriptions[subscriptionID]; !ok {
			return nil, fmt.Errorf("%w: %q", ErrNoSubscription, subscriptionID)
		}
		if err := sub.checkPay(n); err != nil {
			return nil, err
		}
		if have := o.Wallet[sub.Product]; have < n {
			return nil, fmt.Errorf("%w: %d %s licenses, not %d", ErrWalletShort, have, sub.Product, n)
		}
		o.Wallet[sub.Product] -= n
		sub.Paid += n
		o.Subscriptions[sub.ID] = sub
		o.record(s.actor, now, "wallet.consume", sub.ID, fmt.Sprintf("%d %s licenses, %d of %d paid", n, sub.Product, sub.Paid, sub.Devices))
		return events, nil
	})
	if err != nil {
		return Subscription{}, err
	}
	return sub, nil
}

// Advance brings the organization's subscriptions up to now and delivers
// the events that causes. At each due date the subscription starts a new
// term from the due date, not from now (P3), and takes its Devices
// licenses from the wallet if the wallet holds that many
// ([EventSubscriptionRenewed]); if it holds fewer, it takes none, so that
// a term that may lapse spends nothing, and the term must be paid within
// the activation grace (S7, [EventSubscriptionUnpaid]). When a term's
// grace ends short, the wallet makes up the difference if it can; if it
// cannot, the subscription lapses and an [license.EventUnlicensed] is delivered.
// Each event carries the instant it belongs to, however late Advance
// runs, and is delivered once: the change that causes it is saved.
//
// The other wallet methods bring the subscriptions up to date too, and
// [OrgScope.Subscriptions] and [OrgScope.Wallet] report them as of now:
// Advance is for hosts that want the events on time, from a timer.
// It returns ErrNoAccess.
func (s *OrgScope) Advance(ctx context.Context) error {
	return s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		return s.p.settle(o, now), nil
	})
}

// Subscriptions returns the organization's subscriptions as of now, by
// ID. A subscription is licensed unless Lapsed; Paid < Devices means its
// term is not paid in full yet, and must be by Activated plus the
// activation grace. It returns ErrNoAccess.
func (s *OrgScope) Subscriptions(ctx context.Context) ([]Subscription, error) {
	var out []Subscription
	err := s.projected(ctx, func(o *Organization) {
		for _, id := range slices.Sorted(maps.Keys(o.Subscriptions)) {
			out = append(out, o.Subscriptions[id])
		}
	})
	return out, err
}

// Wallet returns the licenses in the organization's wallet as of now, by
// product; products with none are left out. It returns ErrNoAccess.
func (s *OrgScope) Wallet(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := s.projected(ctx, func(o *Organization) {
		for product, n := range o.Wallet {
			if n > 0 {
				out[product] = n
			}
		}
	})
	return out, err
}

// Redemptions returns the license keys redeemed into the wallet, by
// license ID (P1, P5). It returns ErrNoAccess.
func (s *OrgScope) Redemptions(ctx context.Context) ([]WalletRedemption, error) {
	var out []WalletRedemption
	err := s.view(ctx, func(o *Organization) error {
		for _, id := range o.Redeemed.IDs() {
			out = append(out, o.Redeemed.Peek(id))
		}
		return nil
	})
	return out, err
}

// projected runs fn on a copy of the organization brought up to now, so
// that reading reports what time has done even before anything saves it.
func (s *OrgScope) projected(ctx context.Context, fn func(o *Organization)) error {
	now := s.p.now()
	return s.view(ctx, func(o *Organization) error {
		o = o.projection()
		s.p.settle(o, now)
		fn(o)
		return nil
	})
}

// settle brings o's subscriptions up to now, one step at a time in the
// order of their instants (ties in order of ID): a short term whose grace
// is over is paid from the wallet if it holds the difference, or lapses
// (S7); a term that is due is followed by the next, from the due date
// (P3), paid from the wallet if it holds enough. It returns the events,
// each at the instant it belongs to. The history records each step at now,
// when the portal takes it, naming the instant it belongs to.
func (p *Portal) settle(o *Organization, now time.Time) []license.Event {
	grace := p.activationGrace()
	var events []license.Event
	for {
		var id string
		var at time.Time
		for _, sid := range slices.Sorted(maps.Keys(o.Subscriptions)) {
			t, ok := o.Subscriptions[sid].nextStep(grace)
			if ok && !t.After(now) && (id == "" || t.Before(at)) {
				id, at = sid, t
			}
		}
		if id == "" {
			return events
		}
		sub := o.Subscriptions[id]
		a := walletActor(o.ID)
		if short := sub.Devices - sub.Paid; short > 0 {
			if o.Wallet[sub.Product] < short {
				sub.Lapsed = true
				o.record(a, now, "subscription.lapse", sub.ID,
					fmt.Sprintf("%d of %d licenses paid by %s", sub.Paid, sub.Devices, wording.Instant(at)))
				events = append(events, newEvent(license.EventUnlicensed, at, sub.ID,
					fmt.Sprintf("subscription %s lost its license: %d of %d licenses paid by %s",
						sub.ID, sub.Paid, sub.Devices, wording.Instant(at))))
			} else {
				o.Wallet[sub.Product] -= short
				sub.Paid += short
				o.record(a, now, "wallet.consume", sub.ID,
					fmt.Sprintf("%d %s licenses at %s, %d of %d paid", short, sub.Product, wording.Instant(at), sub.Paid, sub.Devices))
			}
		} else {
			next := Subscription{ID: sub.ID, Product: sub.Product, Devices: sub.Devices, Activated: sub.Due, Due: sub.Due.Add(SubscriptionTerm)}
			sub, events = p.startTerm(o, a, now, next, true, events)
		}
		o.Subscriptions[id] = sub
	}
}

// nextStep returns the instant at which sub next changes by itself: the
// end of its grace if its term is short, else its due date; ok is false
// if it lapsed.
func (sub Subscription) nextStep(grace time.Duration) (at time.Time, ok bool) {
	switch {
	case sub.Lapsed:
		return time.Time{}, false
	case sub.Paid < sub.Devices:
		return sub.Activated.Add(grace), true
	}
	return sub.Due, true
}

// startTerm records sub's new term, which starts at sub.Activated, and
// pays it from the wallet if the wallet holds enough: all or nothing, so
// that a term that will lapse spends nothing. A renewal's event says which
// it was; an activation's says so only when the term is unpaid.
func (p *Portal) startTerm(o *Organization, a Actor, now time.Time, sub Subscription, renewal bool, events []license.Event) (Subscription, []license.Event) {
	at := sub.Activated
	if o.Wallet[sub.Product] >= sub.Devices {
		o.Wallet[sub.Product] -= sub.Devices
		sub.Paid = sub.Devices
		o.record(a, now, "wallet.consume", sub.ID,
			fmt.Sprintf("%d %s licenses for the term from %s, due %s", sub.Devices, sub.Product, wording.Instant(at), wording.Instant(sub.Due)))
		if renewal {
			events = append(events, newEvent(EventSubscriptionRenewed, at, sub.ID,
				fmt.Sprintf("subscription %s renewed with %d licenses from the wallet until %s", sub.ID, sub.Devices, wording.Instant(sub.Due))))
		}
		return sub, events
	}
	payBy := at.Add(p.activationGrace())
	if renewal {
		o.record(a, now, "subscription.unpaid", sub.ID,
			fmt.Sprintf("term from %s: %d %s licenses needed by %s", wording.Instant(at), sub.Devices, sub.Product, wording.Instant(payBy)))
	}
	return sub, append(events, newEvent(EventSubscriptionUnpaid, at, sub.ID,
		fmt.Sprintf("subscription %s needs %d licenses by %s; the wallet holds %d", sub.ID, sub.Devices, wording.Instant(payBy), o.Wallet[sub.Product])))
}
