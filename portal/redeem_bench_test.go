package portal_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// BenchmarkRedeemScale redeems one activation code, on a device of its
// own, in a portal over the memory store that has issued 10 or 1,000,000
// other codes: one op is the whole redemption (the code spent, the key
// signed, stored and seated). The code redeemed is issued outside the
// timer. The goal: 1,000,000 codes cost at most 2× what 10 cost, so that
// a vendor's history of codes never slows a customer's redemption.
func BenchmarkRedeemScale(b *testing.B) {
	for _, n := range []int{10, 1_000_000} {
		b.Run(fmt.Sprintf("codes=%d", n), func(b *testing.B) {
			h := newPortalHarness(b)
			tmpl := license.License{Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 1, Term: 365 * license.Day}
			for left := n; left > 0; left -= 10_000 {
				if _, err := h.p.IssueActivationCodes(h.ctx, tmpl, min(left, 10_000), 1); err != nil {
					b.Fatal(err)
				}
			}
			acme := h.as("acme")
			ctx := context.Background()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				codes, err := h.p.IssueActivationCodes(ctx, tmpl, 1, 1)
				if err != nil {
					b.Fatal(err)
				}
				i++
				b.StartTimer()
				if _, _, err := acme.RedeemCode(ctx, codes[0], fmt.Sprintf("pc-%d", i)); err != nil {
					b.Fatal(err)
				}
			}
			_ = portal.MaxPage
		})
	}
}
