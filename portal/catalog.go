package portal

import (
	"context"
	"maps"
	"slices"
	"sort"
	"time"
)

// The vendor's tools: what the vendor created and issued, listed one page
// at a time, and the vendor's own history.
//
// Every listing takes the same cursor: after, the ID the previous page
// ended with ("" for the first page), and limit, 1 to [MaxPage]. It
// returns the entries in ascending order of ID and next, the after of the
// following page, or "" when there is none:
//
//	var after string
//	for {
//		page, next, err := p.Organizations(ctx, after, 100)
//		if err != nil {
//			return err
//		}
//		show(page)
//		if next == "" {
//			break
//		}
//		after = next
//	}
//
// A listing reads one consistent state of the vendor's document; pages
// read at different times may miss what was added meanwhile before the
// cursor, but never repeat or skip what was there all along. Each
// returns an error wrapping ErrInvalidInput for a limit out of range, or
// a store's error.

// vendorActorKey is the context key of the vendor's actor.
type vendorActorKey struct{}

// WithVendorActor returns a context that names id (a person or a service
// of the vendor, as the host authenticated it) as the author of the
// vendor's operations run with it: [Portal.CreateOrganization], the Issue
// methods and [Portal.Revoke] record it in the vendor's history (P5) and
// in the history of the organization they touch. Without it they record
// "vendor".
func WithVendorActor(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, vendorActorKey{}, id)
}

// vendorActor returns the author of a vendor operation run with ctx.
func vendorActor(ctx context.Context) Actor {
	if id, ok := ctx.Value(vendorActorKey{}).(string); ok && id != "" {
		return Actor{ID: id}
	}
	return Actor{ID: "vendor"}
}

// record appends an entry to the vendor's history (P5).
func (v *Vendor) record(a Actor, at time.Time, action, subject, detail string) {
	v.History = appendHistory(v.History, a, at, action, subject, detail)
}

// OrgSummary is an organization as the vendor lists it.
type OrgSummary struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// Organizations lists the organizations, by ID, a page at a time (see the
// vendor's tools above).
func (p *Portal) Organizations(ctx context.Context, after string, limit int) ([]OrgSummary, string, error) {
	return listVendor(ctx, p, after, limit, func(v *Vendor) *Table[OrgSummary] { return &v.Organizations },
		func(o OrgSummary) OrgSummary { return o })
}

// ActivationCodes lists the activation codes, by code, each with its
// redemptions (K5), a page at a time (see the vendor's tools above).
func (p *Portal) ActivationCodes(ctx context.Context, after string, limit int) ([]ActivationCode, string, error) {
	return listVendor(ctx, p, after, limit, func(v *Vendor) *Table[ActivationCode] { return &v.Codes },
		func(c ActivationCode) ActivationCode {
			c.Template = c.Template.Clone()
			c.Redemptions = maps.Clone(c.Redemptions)
			return c
		})
}

// Vouchers lists the vouchers, by ID, converted or not (K6), a page at a
// time (see the vendor's tools above).
func (p *Portal) Vouchers(ctx context.Context, after string, limit int) ([]Voucher, string, error) {
	return listVendor(ctx, p, after, limit, func(v *Vendor) *Table[Voucher] { return &v.Vouchers },
		func(vc Voucher) Voucher { vc.Template = vc.Template.Clone(); return vc })
}

// Serials lists the serial numbers, by serial number, registered or not
// (V1), a page at a time (see the vendor's tools above).
func (p *Portal) Serials(ctx context.Context, after string, limit int) ([]Serial, string, error) {
	return listVendor(ctx, p, after, limit, func(v *Vendor) *Table[Serial] { return &v.Serials },
		func(s Serial) Serial { s.Template = s.Template.Clone(); return s })
}

// UpgradeNotices lists the upgrade notices, by notification ID, used or
// not (V2), a page at a time (see the vendor's tools above).
func (p *Portal) UpgradeNotices(ctx context.Context, after string, limit int) ([]UpgradeNotice, string, error) {
	return listVendor(ctx, p, after, limit, func(v *Vendor) *Table[UpgradeNotice] { return &v.Upgrades },
		func(u UpgradeNotice) UpgradeNotice { u.Products = slices.Clone(u.Products); return u })
}

// VendorHistory lists the vendor's history (P5), newest first, a page at a
// time, with the cursor of [OrgScope.History]: who created an
// organization, issued codes, vouchers, serial numbers or an upgrade, or
// revoked a license, and when. Its entries carry the actor named with
// [WithVendorActor]. It returns an error wrapping ErrInvalidInput when
// before is negative or limit is not between 1 and [MaxPage].
func (p *Portal) VendorHistory(ctx context.Context, before int64, limit int) (entries []HistoryEntry, next int64, err error) {
	if err := checkHistoryPage(before, limit); err != nil {
		return nil, 0, err
	}
	if hs, ok := p.store.(HistoryStore); ok {
		return hs.HistoryPage(ctx, "", before, limit)
	}
	err = p.store.ViewVendor(ctx, func(v *Vendor) error {
		entries, next = historyPage(v.History, before, limit)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return entries, next, nil
}

// listVendor returns a page of the map of the vendor's document that of
// selects, as the vendor's tools document it, each entry copied by clone
// so that the caller shares nothing with the store.
func listVendor[T any](ctx context.Context, p *Portal, after string, limit int, of func(*Vendor) *Table[T], clone func(T) T) ([]T, string, error) {
	if err := checkPageSize(limit); err != nil {
		return nil, "", err
	}
	var out []T
	var next string
	err := p.store.ViewVendor(ctx, func(v *Vendor) error {
		t := of(v)
		ids := t.IDs()
		i := sort.SearchStrings(ids, after)
		if i < len(ids) && ids[i] == after {
			i++
		}
		end := min(i+limit, len(ids))
		out = make([]T, 0, end-i)
		for _, id := range ids[i:end] {
			out = append(out, clone(t.Peek(id)))
		}
		if end < len(ids) {
			next = ids[end-1]
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}
