package console

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// softwareState is one row of the overview (U1): a software's license
// state, when its licenses end, and what to do next.
type softwareState struct {
	Software string
	State    string // a lifecycle word of S: trial, active, expiring, grace, suspended…
	Expires  string // a day, "never", or "" when nothing is held
	Next     string
}

// overview tells, for each software the organization holds licenses of,
// its state at now (U1). The state of a software's key storage is what
// license.Evaluate finds for an installation that holds them all: the
// same rules as the applications (S1–S5, S11), with policy. A term
// license's term is counted from its issue (or start): the key storage
// does not know when each application activated it, and the earliest
// start gives the earliest end, so the console never tells a customer to
// renew too late. A software known only by its wallet subscription (P3,
// S7) is told from the subscription.
func overview(keys []portal.KeyUsage, subs []portal.Subscription, wallet map[string]int, policy license.Policy, now time.Time) []softwareState {
	held := make(map[string][]license.Holding)
	for _, k := range keys {
		l := k.License
		h := license.Holding{License: l, Added: l.IssuedAt}
		if l.Term > 0 {
			h.Activated = l.IssuedAt
			if !l.Start.IsZero() {
				h.Activated = l.Start
			}
		}
		held[l.Product] = append(held[l.Product], h)
	}
	var rows []softwareState
	for _, product := range slices.Sorted(maps.Keys(held)) {
		ev := license.Evaluate(held[product], license.History{}, policy, now)
		rows = append(rows, keysState(product, ev, policy))
	}
	for _, sub := range subs {
		if _, ok := held[sub.Product]; !ok {
			rows = append(rows, subscriptionState(sub, wallet[sub.Product], policy, now))
		}
	}
	slices.SortFunc(rows, func(a, b softwareState) int { return cmp.Compare(a.Software, b.Software) })
	return rows
}

// keysState is the row of a software's licenses, evaluated.
func keysState(product string, ev license.Evaluation, policy license.Policy) softwareState {
	row := softwareState{Software: product, State: ev.State.String(), Expires: date(ev.Expiry)}
	switch ev.State {
	case license.Trial:
		row.Next = "Buy a license before " + date(ev.Expiry)
	case license.Active:
		row.Next = "Nothing to do"
		if !ev.Expiry.IsZero() {
			row.Next = "Renew before " + date(ev.Expiry)
		}
	case license.Expiring:
		row.Next = "Renew before " + date(ev.Expiry)
	case license.Grace:
		row.Next = "Renew now: the software stops on " + date(ev.Expiry.Add(period(policy.Grace)))
	case license.Suspended:
		deleted := ev.Expiry.Add(period(policy.Grace) + period(policy.Suspension))
		if policy.DeleteAfterExpiry > 0 {
			deleted = ev.Expiry.Add(policy.DeleteAfterExpiry)
		}
		row.Next = "Renew now to restore it: its data is deleted on " + date(deleted)
	case license.Pending:
		row.Next = "Nothing to do: it starts on " + date(ev.Next)
	case license.Revoked:
		row.Next = "Ask the vendor: the license was revoked"
	default: // unlicensed, deleted
		row.Next = "Redeem a license key"
	}
	return row
}

// subscriptionState is the row of a software known by its wallet
// subscription: due at its due date, paid from the wallet (P3), with the
// activation grace to pay the current term (S7).
func subscriptionState(sub portal.Subscription, kept int, policy license.Policy, now time.Time) softwareState {
	row := softwareState{Software: sub.Product, Expires: date(sub.Due)}
	switch {
	case sub.Lapsed:
		row.State, row.Expires = license.Unlicensed.String(), ""
		row.Next = "Redeem a license key and activate the subscription again"
	case sub.Paid < sub.Devices:
		row.State = license.Active.String()
		row.Next = "Redeem " + strconv.Itoa(sub.Devices-sub.Paid) + " more licenses for this term"
	default:
		row.State = license.Active.String()
		if sub.Due.Sub(now) < policy.ExpiringWindow {
			row.State = license.Expiring.String()
		}
		row.Next = "Nothing to do: the wallet renews it on " + date(sub.Due)
		if kept < sub.Devices {
			row.Next = "Keep " + strconv.Itoa(sub.Devices-kept) + " more licenses in the wallet before " + date(sub.Due)
		}
	}
	return row
}

// period is a policy's period, zero when it is license.Off.
func period(d time.Duration) time.Duration { return max(d, 0) }

// sortedCounts returns the wallet by product, sorted, and its total.
func sortedCounts(wallet map[string]int) ([]productCount, int) {
	var out []productCount
	total := 0
	for _, p := range slices.Sorted(maps.Keys(wallet)) {
		out = append(out, productCount{Product: p, Count: wallet[p]})
		total += wallet[p]
	}
	return out, total
}
