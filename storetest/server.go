package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/go-cmp/cmp"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// Server runs the conformance suite for the records a license server
// keeps in a portal.PortalStore, beside the vendor's: bearer tokens (W2),
// webhooks and the licenses issued from activation codes, which renew
// through the portal (R5). It drives a portal.Portal over the store.
//
// newStore is called once per subtest and must return a new, empty store.
// reopen returns the store that opening s's data again gives (a new
// connection to the same file or schema), so that the suite checks what
// survives a restart; it is nil for a store whose data ends with it, such
// as one in memory, and that case is skipped.
func Server(t *testing.T, newStore func(t *testing.T) portal.PortalStore, reopen func(t *testing.T, s portal.PortalStore) portal.PortalStore) {
	t.Helper()
	ctx := context.Background()
	t.Run("RecordsRoundTrip", func(t *testing.T) {
		s := newStore(t)
		tok := portal.Token{ID: "0123456789abcdef", Name: "deploy", Hash: "ab12",
			Principal: portal.Principal{Actor: portal.Actor{ID: "alice", Org: "acme"}}, Created: t0, Revoked: t0.Add(time.Hour)}
		hook := portal.Webhook{ID: "fedcba9876543210", URL: "https://hooks.example/x", Secret: "whsec_s",
			Events: []license.EventKind{license.EventRenewed}, Created: t0}
		cl := portal.CodeLicense{Code: "C", Org: "acme", Key: "LK1.k", Start: t0, Renews: "ACT-1", Renewal: "ACT-3"}
		if err := s.UpdateVendor(ctx, func(v *portal.Vendor) error {
			v.Tokens.Put(tok.ID, tok)
			v.Webhooks.Put(hook.ID, hook)
			v.CodeLicenses.Put("ACT-2", cl)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		_ = s.ViewVendor(ctx, func(v *portal.Vendor) error {
			got, _ := v.Tokens.Get(tok.ID)
			if diff := cmp.Diff(tok, got, equate); diff != "" {
				t.Errorf("token (-put +stored):\n%s", diff)
			}
			gotHook, _ := v.Webhooks.Get(hook.ID)
			if diff := cmp.Diff(hook, gotHook, equate); diff != "" {
				t.Errorf("webhook (-put +stored):\n%s", diff)
			}
			gotCL, _ := v.CodeLicenses.Get("ACT-2")
			if diff := cmp.Diff(cl, gotCL, equate); diff != "" {
				t.Errorf("code license (-put +stored):\n%s", diff)
			}
			return nil
		})
		// A failed update keeps none of its changes.
		refused := errors.New("refused")
		err := s.UpdateVendor(ctx, func(v *portal.Vendor) error {
			v.Tokens.Delete(tok.ID)
			v.Tokens.Put("other", portal.Token{ID: "other"})
			v.Webhooks.Delete(hook.ID)
			v.CodeLicenses.Put("ACT-2", portal.CodeLicense{})
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("UpdateVendor = %v, want fn's error", err)
		}
		_ = s.ViewVendor(ctx, func(v *portal.Vendor) error {
			if v.Tokens.Len() != 1 || !v.Tokens.Has(tok.ID) || !v.Webhooks.Has(hook.ID) || v.CodeLicenses.Peek("ACT-2").Key != cl.Key {
				t.Errorf("a refused update changed the server's records: tokens %v, webhooks %v, code license %+v",
					v.Tokens.IDs(), v.Webhooks.IDs(), v.CodeLicenses.Peek("ACT-2"))
			}
			return nil
		})
	})
	t.Run("SurviveReopen", func(t *testing.T) {
		if reopen == nil {
			t.Skip("the store's data ends with it")
		}
		s := newStore(t)
		sv := newServerPortal(t, s, nil)
		live, liveTok := sv.token(portal.Principal{Actor: portal.Actor{ID: "alice", Org: "acme"}})
		revoked, revokedTok := sv.token(portal.Principal{Vendor: true, Actor: portal.Actor{ID: "ops"}})
		if err := sv.p.RevokeToken(ctx, revokedTok.ID); err != nil {
			t.Fatal(err)
		}
		hook, err := sv.p.AddWebhook(ctx, "https://hooks.example/x", []license.EventKind{license.EventRenewed})
		if err != nil {
			t.Fatal(err)
		}
		codeLicense := sv.redeem()
		tokens := sv.tokens()

		again := newServerPortal(t, reopen(t, s), sv)
		if p, err := again.p.Authenticate(ctx, live); err != nil || p != liveTok.Principal {
			t.Errorf("after reopening, the live token authenticates %+v, %v; want %+v", p, err, liveTok.Principal)
		}
		if _, err := again.p.Authenticate(ctx, revoked); !errors.Is(err, portal.ErrBadToken) {
			t.Errorf("after reopening, the revoked token gives %v; want ErrBadToken", err)
		}
		if diff := cmp.Diff(tokens, again.tokens(), equate); diff != "" {
			t.Errorf("tokens after reopening (-before +after):\n%s", diff)
		}
		hooks, err := again.p.Webhooks(ctx)
		if err != nil || len(hooks) != 1 || !cmp.Equal(hooks[0], hook, equate) {
			t.Errorf("webhooks after reopening = %+v, %v; want %+v", hooks, err, hook)
		}
		again.clk.Add(360 * license.Day)
		if _, err := again.acme().Renew(ctx, license.RenewalRequest{LicenseID: codeLicense}); err != nil {
			t.Errorf("after reopening, renewing the license of an activation code = %v", err)
		}
	})
	t.Run("TokensIsolated", func(t *testing.T) {
		a := newServerPortal(t, newStore(t), nil)
		b := newServerPortal(t, newStore(t), nil)
		alice := portal.Principal{Actor: portal.Actor{ID: "alice", Org: "acme"}}
		gina := portal.Principal{Actor: portal.Actor{ID: "gina", Org: "globex"}}
		aliceSecret, aliceTok := a.token(alice)
		ginaSecret, _ := a.token(gina)
		if _, err := b.p.Authenticate(ctx, aliceSecret); !errors.Is(err, portal.ErrBadToken) {
			t.Errorf("another store's token gives %v; want ErrBadToken", err)
		}
		if err := a.p.RevokeToken(ctx, aliceTok.ID); err != nil {
			t.Fatal(err)
		}
		if p, err := a.p.Authenticate(ctx, ginaSecret); err != nil || p != gina {
			t.Errorf("revoking acme's token: globex's authenticates %+v, %v; want %+v", p, err, gina)
		}
		if _, err := a.p.Authenticate(ctx, aliceSecret); !errors.Is(err, portal.ErrBadToken) {
			t.Errorf("the revoked token gives %v; want ErrBadToken", err)
		}
	})
	t.Run("RevokedStaysRevoked", func(t *testing.T) {
		sv := newServerPortal(t, newStore(t), nil)
		secret, tok := sv.token(portal.Principal{Actor: portal.Actor{ID: "alice", Org: "acme"}})
		if err := sv.p.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		first := sv.tokens()
		sv.clk.Add(time.Hour)
		// Other changes of the vendor's records, and revoking again.
		for range 3 {
			sv.token(portal.Principal{Vendor: true, Actor: portal.Actor{ID: "ops"}})
			if _, err := sv.p.AddWebhook(ctx, "https://hooks.example/x", nil); err != nil {
				t.Fatal(err)
			}
			if err := sv.p.RevokeToken(ctx, tok.ID); err != nil {
				t.Fatalf("revoking again = %v", err)
			}
		}
		if _, err := sv.p.Authenticate(ctx, secret); !errors.Is(err, portal.ErrBadToken) {
			t.Errorf("the revoked token gives %v; want ErrBadToken", err)
		}
		for _, got := range sv.tokens() {
			if got.ID == tok.ID && !got.Revoked.Equal(first[0].Revoked) {
				t.Errorf("the token's revocation moved from %s to %s", first[0].Revoked, got.Revoked)
			}
		}
	})
	t.Run("ConcurrentCreateToken", func(t *testing.T) {
		sv := newServerPortal(t, newStore(t), nil)
		const writers, each = 8, 5
		var mu sync.Mutex
		secrets := map[string]string{} // ID → secret
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					who := portal.Principal{Actor: portal.Actor{ID: fmt.Sprintf("w%d-%d", w, i), Org: "acme"}}
					secret, tok, err := sv.p.CreateToken(ctx, who, "")
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if _, dup := secrets[tok.ID]; dup {
						t.Errorf("token ID %s given twice", tok.ID)
					}
					secrets[tok.ID] = secret
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(secrets) != writers*each || len(sv.tokens()) != writers*each {
			t.Fatalf("%d distinct IDs, %d tokens stored; want %d", len(secrets), len(sv.tokens()), writers*each)
		}
		for id, secret := range secrets {
			if _, err := sv.p.Authenticate(ctx, secret); err != nil {
				t.Errorf("token %s: %v", id, err)
			}
		}
	})
}

// serverPortal is a portal over a store under test, on a mock clock, with
// the organizations acme and globex.
type serverPortal struct {
	t   *testing.T
	p   *portal.Portal
	clk *clock.Mock
	sk  *license.SigningKey
}

// newServerPortal returns a portal over s. With like, it is the same
// vendor, at the same instant, over a store that already holds its data.
func newServerPortal(t *testing.T, s portal.PortalStore, like *serverPortal) *serverPortal {
	t.Helper()
	sv := &serverPortal{t: t, clk: clock.NewMock()}
	sv.clk.Set(t0)
	if like != nil {
		sv.clk.Set(like.clk.Now())
		sv.sk = like.sk
	} else {
		var err error
		if sv.sk, err = license.GenerateSigningKey("vendor", nil); err != nil {
			t.Fatal(err)
		}
	}
	p, err := portal.NewPortal(portal.PortalConfig{Signer: sv.sk, Store: s, Clock: sv.clk})
	if err != nil {
		t.Fatal(err)
	}
	sv.p = p
	if like == nil {
		for _, org := range []string{"acme", "globex"} {
			if err := p.CreateOrganization(context.Background(), org, org); err != nil {
				t.Fatal(err)
			}
		}
	}
	return sv
}

func (sv *serverPortal) token(who portal.Principal) (string, portal.Token) {
	sv.t.Helper()
	secret, tok, err := sv.p.CreateToken(context.Background(), who, "")
	if err != nil {
		sv.t.Fatal(err)
	}
	return secret, tok
}

func (sv *serverPortal) tokens() []portal.Token {
	sv.t.Helper()
	tokens, _, err := sv.p.Tokens(context.Background(), "", portal.MaxPage)
	if err != nil {
		sv.t.Fatal(err)
	}
	return tokens
}

func (sv *serverPortal) acme() *portal.OrgScope {
	return sv.p.Org(portal.Actor{ID: "alice", Org: "acme"}, "acme")
}

// redeem has acme redeem an activation code for a yearly license and
// returns the license's ID.
func (sv *serverPortal) redeem() string {
	sv.t.Helper()
	codes, err := sv.p.IssueActivationCodes(context.Background(), license.License{ID: "ACT", Product: "acme-backup",
		Scheme: license.SchemePerDevice, Quantity: 5, Term: 365 * license.Day}, 1, 1)
	if err != nil {
		sv.t.Fatal(err)
	}
	_, l, err := sv.acme().RedeemCode(context.Background(), codes[0], "pc-1")
	if err != nil {
		sv.t.Fatal(err)
	}
	return l.ID
}
