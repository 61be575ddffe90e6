package portal_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// tkVendorCtx names carol as the vendor's actor.
func tkVendorCtx(h *wlHarness) context.Context {
	return portal.WithVendorActor(h.ctx, "carol@vendor.example")
}

// tkAlice is a member of acme.
var tkAlice = portal.Principal{Actor: portal.Actor{ID: "alice@acme.example", Org: "acme"}}

// srvState is what a refused operation of a license server's must leave
// as it was: the tokens, webhooks and activation codes, acme's key
// storage, and the histories of the vendor and of acme.
type srvState struct {
	Tokens   []portal.Token
	Webhooks []portal.Webhook
	Codes    []portal.ActivationCode
	Keys     []string
	Vendor   []portal.HistoryEntry
	Acme     []portal.HistoryEntry
}

func srvSnapshot(t *testing.T, h *wlHarness) srvState {
	t.Helper()
	s := srvState{Keys: h.keyIDs("acme")}
	var err error
	s.Tokens, _, err = h.p.Tokens(h.ctx, "", portal.MaxPage)
	require.NoError(t, err)
	s.Webhooks, err = h.p.Webhooks(h.ctx)
	require.NoError(t, err)
	s.Codes, _, err = h.p.ActivationCodes(h.ctx, "", portal.MaxPage)
	require.NoError(t, err)
	s.Vendor, _, err = h.p.VendorHistory(h.ctx, 0, portal.MaxPage)
	require.NoError(t, err)
	s.Acme, _, err = h.as("acme").History(h.ctx, 0, portal.MaxPage)
	require.NoError(t, err)
	return s
}

// W2: a token authenticates the principal it was made for, the vendor or
// an organization's actor; the portal keeps the SHA-256 of its secret,
// never the secret; a revoked token authenticates nobody, and revoking it
// again changes nothing.
func TestToken_W2_CreateAuthenticateRevoke(t *testing.T) {
	h := newWLHarness(t)
	ctx := tkVendorCtx(h)
	vendor := portal.Principal{Vendor: true, Actor: portal.Actor{ID: "deploy-bot"}}

	vs, vt, err := h.p.CreateToken(ctx, vendor, "deployment")
	require.NoError(t, err)
	as, at, err := h.p.CreateToken(ctx, tkAlice, "alice's laptop")
	require.NoError(t, err)

	for _, c := range []struct {
		secret string
		tok    portal.Token
		who    portal.Principal
	}{{vs, vt, vendor}, {as, at, tkAlice}} {
		assert.True(t, strings.HasPrefix(c.secret, "lk_"+c.tok.ID+"_"), "the secret %q carries the ID %q", c.secret, c.tok.ID)
		sum := sha256.Sum256([]byte(c.secret))
		assert.Equal(t, hex.EncodeToString(sum[:]), c.tok.Hash)
		assert.Equal(t, c.who, c.tok.Principal)
		assert.Equal(t, h.clk.Now().UTC(), c.tok.Created)
		assert.True(t, c.tok.Revoked.IsZero())
		got, err := h.p.Authenticate(h.ctx, c.secret)
		require.NoError(t, err)
		assert.Equal(t, c.who, got)
	}
	assert.NotEqual(t, vt.ID, at.ID)

	// The store holds no secret.
	tokens, next, err := h.p.Tokens(h.ctx, "", 10)
	require.NoError(t, err)
	assert.Empty(t, next)
	require.Len(t, tokens, 2)
	doc, err := json.Marshal(tokens)
	require.NoError(t, err)
	for _, s := range []string{vs, as} {
		assert.NotContains(t, string(doc), s[len(s)-43:], "the listing holds a secret")
	}

	revokedAt := h.clk.Now().UTC()
	require.NoError(t, h.p.RevokeToken(ctx, at.ID))
	_, err = h.p.Authenticate(h.ctx, as)
	assert.ErrorIs(t, err, portal.ErrBadToken)
	got, err := h.p.Authenticate(h.ctx, vs)
	require.NoError(t, err, "revoking one token leaves the others")
	assert.Equal(t, vendor, got)

	h.clk.Add(license.Day)
	before := srvSnapshot(t, h)
	require.NoError(t, h.p.RevokeToken(ctx, at.ID), "revoking again")
	assert.Equal(t, before, srvSnapshot(t, h), "revoking again changes nothing")
	for _, tok := range before.Tokens {
		if tok.ID == at.ID {
			assert.Equal(t, revokedAt, tok.Revoked, "revoked stays revoked, from the first revocation")
		}
	}
	_, err = h.p.Authenticate(h.ctx, as)
	assert.ErrorIs(t, err, portal.ErrBadToken)

	err = h.p.RevokeToken(ctx, "0123456789abcdef")
	assert.ErrorIs(t, err, license.ErrNotFound)
	assert.ErrorIs(t, h.p.RevokeToken(ctx, ""), license.ErrInvalidInput)
	assert.Equal(t, before, srvSnapshot(t, h))
}

// W2: text that is not a live token's secret (empty, garbled, truncated,
// lengthened, another token's ID with this one's random part, a revoked
// token) gets ErrBadToken, and changes nothing.
func TestToken_W2_BadSecretsAreRefused(t *testing.T) {
	h := newWLHarness(t)
	ctx := tkVendorCtx(h)
	secret, tok, err := h.p.CreateToken(ctx, tkAlice, "")
	require.NoError(t, err)
	other, otherTok, err := h.p.CreateToken(ctx, tkAlice, "")
	require.NoError(t, err)
	revoked, revokedTok, err := h.p.CreateToken(ctx, tkAlice, "")
	require.NoError(t, err)
	require.NoError(t, h.p.RevokeToken(ctx, revokedTok.ID))
	before := srvSnapshot(t, h)

	bad := []string{
		"", "lk_", "Bearer " + secret, secret + "A", secret + "\n", " " + secret, strings.ToUpper(secret),
		strings.Replace(secret, "lk_", "LK_", 1), "lk-" + secret[3:],
		strings.Replace(secret, tok.ID, otherTok.ID, 1), // another token's ID
		strings.Replace(other, otherTok.ID, tok.ID, 1),  // this ID, another's random part
		revoked, strings.Repeat("x", 1<<20), "lk_" + strings.Repeat("\xff", 60),
	}
	for i := range len(secret) { // every truncation
		bad = append(bad, secret[:i])
	}
	for i := range len(secret) { // every single character changed
		b := []byte(secret)
		b[i] ^= 1
		bad = append(bad, string(b))
	}
	for _, s := range bad {
		p, err := h.p.Authenticate(h.ctx, s)
		if !errors.Is(err, portal.ErrBadToken) {
			t.Errorf("Authenticate(%q) = %+v, %v; want ErrBadToken", s, p, err)
		}
		if err != nil && len(s) > 8 && strings.Contains(err.Error(), s) {
			t.Errorf("the error of Authenticate(%q) repeats the text: %v", s, err)
		}
	}
	assert.Equal(t, before, srvSnapshot(t, h))
	_, err = h.p.Authenticate(h.ctx, secret)
	assert.NoError(t, err, "the good secret still works")
}

// W2: a token is made for a named actor of an organization that exists,
// or for the vendor's named person or service; anything else is refused
// with a typed error, and makes no token and no history entry.
func TestToken_W2_CreateRefusesBadInput(t *testing.T) {
	h := newWLHarness(t)
	ctx := tkVendorCtx(h)
	before := srvSnapshot(t, h)
	for _, c := range []struct {
		name string
		who  portal.Principal
		tok  string
		want error
	}{
		{"no actor", portal.Principal{Actor: portal.Actor{Org: "acme"}}, "", license.ErrInvalidInput},
		{"no organization", portal.Principal{Actor: portal.Actor{ID: "alice"}}, "", license.ErrInvalidInput},
		{"unknown organization", portal.Principal{Actor: portal.Actor{ID: "alice", Org: "initech"}}, "", portal.ErrNoAccess},
		{"vendor with no actor", portal.Principal{Vendor: true}, "", license.ErrInvalidInput},
		{"vendor in an organization", portal.Principal{Vendor: true, Actor: portal.Actor{ID: "bob", Org: "acme"}}, "", license.ErrInvalidInput},
		{"control character in the actor", portal.Principal{Actor: portal.Actor{ID: "al\nice", Org: "acme"}}, "", license.ErrInvalidInput},
		{"bad UTF-8 in the organization", portal.Principal{Actor: portal.Actor{ID: "alice", Org: "ac\xffme"}}, "", license.ErrInvalidInput},
		{"control character in the name", tkAlice, "ci\x00", license.ErrInvalidInput},
		{"name too long", tkAlice, strings.Repeat("n", 256), license.ErrInvalidInput},
	} {
		t.Run(c.name, func(t *testing.T) {
			secret, tok, err := h.p.CreateToken(ctx, c.who, c.tok)
			assert.ErrorIs(t, err, c.want)
			assert.Empty(t, secret)
			assert.Zero(t, tok)
			assert.Equal(t, before, srvSnapshot(t, h))
		})
	}
}

// W2, P5: creating and revoking a token is recorded in the vendor's
// history and in the history of the token's organization, under the
// vendor's actor.
func TestToken_P5_RecordedInHistories(t *testing.T) {
	h := newWLHarness(t)
	ctx := tkVendorCtx(h)
	_, tok, err := h.p.CreateToken(ctx, tkAlice, "laptop")
	require.NoError(t, err)
	require.NoError(t, h.p.RevokeToken(ctx, tok.ID))
	_, vtok, err := h.p.CreateToken(ctx, portal.Principal{Vendor: true, Actor: portal.Actor{ID: "ops"}}, "")
	require.NoError(t, err)

	actions := func(h []portal.HistoryEntry) (out []string) {
		for _, e := range h {
			if strings.HasPrefix(e.Action, "token.") {
				out = append(out, e.Action+" "+e.Subject+" by "+e.Actor)
			}
		}
		return out
	}
	after := srvSnapshot(t, h)
	assert.Equal(t, []string{
		"token.create " + vtok.ID + " by carol@vendor.example",
		"token.revoke " + tok.ID + " by carol@vendor.example",
		"token.create " + tok.ID + " by carol@vendor.example",
	}, actions(after.Vendor))
	assert.Equal(t, []string{
		"token.revoke " + tok.ID + " by carol@vendor.example",
		"token.create " + tok.ID + " by carol@vendor.example",
	}, actions(after.Acme))
	globex, _, err := h.as("globex").History(h.ctx, 0, 100)
	require.NoError(t, err)
	assert.Empty(t, actions(globex), "another organization's history")
}

// W2: concurrent creations give distinct tokens, each of which
// authenticates its own principal.
func TestToken_W2_ConcurrentCreationsAreDistinct(t *testing.T) {
	h := newWLHarness(t)
	const n = 40
	secrets := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			who := tkAlice
			who.Actor.ID = strings.Repeat("a", i+1)
			s, _, err := h.p.CreateToken(h.ctx, who, "")
			assert.NoError(t, err)
			secrets[i] = s
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, s := range secrets {
		p, err := h.p.Authenticate(h.ctx, s)
		require.NoError(t, err)
		assert.Equal(t, strings.Repeat("a", i+1), p.Actor.ID)
		assert.False(t, seen[s], "secret given twice")
		seen[s] = true
	}
	tokens, _, err := h.p.Tokens(h.ctx, "", portal.MaxPage)
	require.NoError(t, err)
	assert.Len(t, tokens, n)
}

// The vendor lists the tokens a page at a time, by ID, with the cursor of
// the vendor's other listings.
func TestToken_W2_TokensPaged(t *testing.T) {
	h := newWLHarness(t)
	var ids []string
	for range 5 {
		_, tok, err := h.p.CreateToken(h.ctx, tkAlice, "")
		require.NoError(t, err)
		ids = append(ids, tok.ID)
	}
	got := ctWalk(t, 2, func(a string, n int) ([]portal.Token, string, error) { return h.p.Tokens(h.ctx, a, n) },
		func(t portal.Token) string { return t.ID })
	assert.ElementsMatch(t, ids, got)
	assert.IsIncreasing(t, got)
	_, _, err := h.p.Tokens(h.ctx, "", 0)
	assert.ErrorIs(t, err, license.ErrInvalidInput)
}

// A token logs without its hash.
func TestToken_W2_LogValueRedactsTheHash(t *testing.T) {
	h := newWLHarness(t)
	_, tok, err := h.p.CreateToken(h.ctx, tkAlice, "laptop")
	require.NoError(t, err)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("created", "token", tok)
	assert.NotContains(t, buf.String(), tok.Hash)
	assert.Contains(t, buf.String(), "REDACTED")
	assert.Contains(t, buf.String(), tok.ID)
	assert.Contains(t, buf.String(), "alice@acme.example")
}

// tkVanishingStore is a store whose organizations vanish between a check
// and an update, as when one is removed meanwhile.
type tkVanishingStore struct{ *portal.MemoryPortalStore }

func (tkVanishingStore) UpdateOrganization(context.Context, string, func(*portal.Organization) error) error {
	return license.ErrNotFound
}

// W2: a token whose organization is gone by the time it would be recorded
// there is revoked: it authenticates nobody, and the call says ErrNoAccess.
func TestToken_W2_OrganizationGoneMeanwhile(t *testing.T) {
	store := portal.NewMemoryPortalStore()
	h := newWLHarness(t, func(c *portal.PortalConfig) { c.Store = tkVanishingStore{store} })
	secret, tok, err := h.p.CreateToken(h.ctx, tkAlice, "")
	assert.ErrorIs(t, err, portal.ErrNoAccess)
	assert.Empty(t, secret)
	assert.Zero(t, tok)
	tokens, _, err := h.p.Tokens(h.ctx, "", 10)
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	assert.False(t, tokens[0].Revoked.IsZero(), "the token made before the organization went is revoked")
}

// tkCountingStore counts what a view of the vendor's document reads: it
// gives fn a document whose tables read, through a source, from the
// memory store's, and records each load.
type tkCountingStore struct {
	*portal.MemoryPortalStore
	mu    sync.Mutex
	loads []string
}

type tkSource[V any] struct {
	s    *tkCountingStore
	name string
	t    *portal.Table[V]
}

func (c tkSource[V]) Load(id string) (V, bool) {
	c.s.mu.Lock()
	c.s.loads = append(c.s.loads, c.name+" "+id)
	c.s.mu.Unlock()
	return c.t.Get(id)
}

func (c tkSource[V]) LoadAll() map[string]V {
	c.s.mu.Lock()
	c.s.loads = append(c.s.loads, c.name+" all")
	c.s.mu.Unlock()
	out := map[string]V{}
	for id, v := range c.t.All() {
		out[id] = v
	}
	return out
}

func tkCount[V any](s *tkCountingStore, name string, dst, src *portal.Table[V]) {
	dst.SetSource(tkSource[V]{s, name, src})
}

func (s *tkCountingStore) ViewVendor(ctx context.Context, fn func(*portal.Vendor) error) error {
	return s.MemoryPortalStore.ViewVendor(ctx, func(v *portal.Vendor) error {
		w := &portal.Vendor{Seq: v.Seq, Customers: v.Customers, History: v.History}
		tkCount(s, "owners", &w.Owners, &v.Owners)
		tkCount(s, "lives", &w.Lives, &v.Lives)
		tkCount(s, "codes", &w.Codes, &v.Codes)
		tkCount(s, "vouchers", &w.Vouchers, &v.Vouchers)
		tkCount(s, "serials", &w.Serials, &v.Serials)
		tkCount(s, "upgrades", &w.Upgrades, &v.Upgrades)
		tkCount(s, "organizations", &w.Organizations, &v.Organizations)
		tkCount(s, "tokens", &w.Tokens, &v.Tokens)
		tkCount(s, "webhooks", &w.Webhooks, &v.Webhooks)
		tkCount(s, "code licenses", &w.CodeLicenses, &v.CodeLicenses)
		return fn(w)
	})
}

// W2: authenticating reads the one token the secret names, and no other
// record, however many tokens there are: it runs on every request.
func TestToken_W2_AuthenticateReadsOnlyItsToken(t *testing.T) {
	store := &tkCountingStore{MemoryPortalStore: portal.NewMemoryPortalStore()}
	h := newWLHarness(t, func(c *portal.PortalConfig) { c.Store = store })
	var secret string
	var tok portal.Token
	for range 20 {
		var err error
		secret, tok, err = h.p.CreateToken(h.ctx, tkAlice, "")
		require.NoError(t, err)
	}
	store.loads = nil
	_, err := h.p.Authenticate(h.ctx, secret)
	require.NoError(t, err)
	assert.Equal(t, []string{"tokens " + tok.ID}, store.loads)

	store.loads = nil
	_, err = h.p.Authenticate(h.ctx, "lk_garbage")
	assert.ErrorIs(t, err, portal.ErrBadToken)
	assert.Empty(t, store.loads, "malformed text reads nothing")
}
