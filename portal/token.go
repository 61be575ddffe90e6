package portal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/textfield"
)

// ErrBadToken: the bearer token is malformed, unknown or revoked. The
// three are not told apart, so that a caller learns nothing from trying
// tokens (W2).
var ErrBadToken = errors.New("license: unknown or revoked token")

// Token is a bearer token of a license server (W2): it authenticates its
// Principal, the vendor or one actor of one organization. The portal
// keeps only the SHA-256 of the token's secret, which [Portal.CreateToken]
// returns once: a copy of the store gives nobody a working token.
type Token struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"` // for people, such as "CI deployment"
	Principal Principal `json:"principal"`
	// Hash is the SHA-256 of the secret, in hexadecimal: never the
	// secret itself.
	Hash    string    `json:"hash"`
	Created time.Time `json:"created"`
	// Revoked is when [Portal.RevokeToken] revoked it; zero while it is
	// valid.
	Revoked time.Time `json:"revoked,omitzero"`
}

// LogValue logs the token without its hash: a log is read by more people
// than the store.
func (t Token) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("id", t.ID), slog.String("name", t.Name),
		slog.Bool("vendor", t.Principal.Vendor), slog.String("actor", t.Principal.Actor.ID),
		slog.String("org", t.Principal.Actor.Org), slog.Time("created", t.Created),
	}
	if !t.Revoked.IsZero() {
		attrs = append(attrs, slog.Time("revoked", t.Revoked))
	}
	return slog.GroupValue(append(attrs, slog.String("hash", "REDACTED"))...)
}

// The form of a token's secret: "lk_", the token's ID (16 hexadecimal
// digits), "_", and 32 random bytes in unpadded base64url. The ID in the
// text lets [Portal.Authenticate] read that one token; the prefix makes a
// leaked secret easy to recognize, for people and for secret scanners.
const (
	tokenPrefix   = "lk_"
	tokenIDLen    = 16 // hexadecimal digits: 64 random bits
	tokenRandLen  = 32 // bytes of the secret proper
	tokenTextLen  = len(tokenPrefix) + tokenIDLen + 1 + (tokenRandLen*8+5)/6
	randomIDBytes = tokenIDLen / 2
)

// CreateToken makes a bearer token for who (W2) and returns its secret,
// which the portal does not keep: the caller hands it over once, and the
// portal stores its SHA-256 only. [Portal.Authenticate] turns the secret
// back into who. name is free text for people (it may be empty).
//
// A vendor token (who.Vendor) names the vendor's person or service in
// who.Actor.ID and no organization. Any other token names an actor of an
// existing organization, who.Actor.Org; the portal does not check that the
// actor exists, as it keeps no list of people. A server runs what the
// token authenticates through [Portal.Org], which checks the actor's
// access again on every call.
//
// It is a vendor operation, recorded in the vendor's history and, for an
// organization's token, in the organization's (P5), under the actor named
// with [WithVendorActor]. It returns an error wrapping ErrInvalidInput for
// a bad actor, organization or name, ErrNoAccess if the organization does
// not exist, or a store's error; on error it makes no token.
func (p *Portal) CreateToken(ctx context.Context, who Principal, name string) (secret string, tok Token, err error) {
	if err := checkPrincipal(who); err != nil {
		return "", Token{}, err
	}
	if detail, err := textfield.Check(name, false); err != nil {
		return "", Token{}, invalidField("token name", err, detail)
	}
	org := who.Actor.Org
	if !who.Vendor {
		if err := p.store.ViewOrganization(ctx, org, func(*Organization) error { return nil }); err != nil {
			return "", Token{}, noAccess(err)
		}
	}
	raw := make([]byte, tokenRandLen)
	if _, err := io.ReadFull(rand.Reader, raw); err != nil {
		return "", Token{}, err
	}
	a, now := vendorActor(ctx), p.now()
	detail := strings.TrimSpace(name + " for " + principalText(who))
	err = p.store.UpdateVendor(ctx, func(v *Vendor) error {
		id, err := randomID(v.Tokens.Has)
		if err != nil {
			return err
		}
		secret = tokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(raw)
		tok = Token{ID: id, Name: name, Principal: who, Hash: tokenHash(secret), Created: now}
		v.Tokens.Put(id, tok)
		v.record(a, now, "token.create", id, detail)
		return nil
	})
	if err != nil {
		return "", Token{}, err
	}
	if !who.Vendor {
		if err := p.recordIn(ctx, org, a, now, "token.create", tok.ID, detail); err != nil {
			// The organization went meanwhile: the token must not
			// outlive it.
			return "", Token{}, errors.Join(noAccess(err), p.RevokeToken(ctx, tok.ID))
		}
	}
	return secret, tok, nil
}

// checkPrincipal reports whether a token may be made for who.
func checkPrincipal(who Principal) error {
	if detail, err := textfield.Check(who.Actor.ID, true); err != nil {
		return invalidField("actor ID", err, detail)
	}
	if who.Vendor {
		if who.Actor.Org != "" {
			return fmt.Errorf("%w: a vendor principal belongs to no organization, not %s", license.ErrInvalidInput, textfield.QuoteShort(who.Actor.Org))
		}
		return nil
	}
	if detail, err := textfield.Check(who.Actor.Org, true); err != nil {
		return invalidField("actor's organization", err, detail)
	}
	return nil
}

// principalText names who for the histories.
func principalText(who Principal) string {
	if who.Vendor {
		return "the vendor's " + who.Actor.ID
	}
	return who.Actor.ID + " of " + who.Actor.Org
}

// noAccess turns a store's not-found into ErrNoAccess.
func noAccess(err error) error {
	if errors.Is(err, license.ErrNotFound) {
		return ErrNoAccess
	}
	return err
}

// recordIn records a vendor operation in organization org's history.
func (p *Portal) recordIn(ctx context.Context, org string, a Actor, now time.Time, action, subject, detail string) error {
	return p.store.UpdateOrganization(ctx, org, func(o *Organization) error {
		o.record(a, now, action, subject, detail)
		return nil
	})
}

// randomID returns 16 random hexadecimal digits for which taken is false.
func randomID(taken func(string) bool) (string, error) {
	b := make([]byte, randomIDBytes)
	for {
		if _, err := io.ReadFull(rand.Reader, b); err != nil {
			return "", err
		}
		if id := hex.EncodeToString(b); !taken(id) {
			return id, nil
		}
	}
}

// tokenHash returns the hash the portal keeps of a token's secret.
func tokenHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// tokenID returns the ID a token's secret carries, or false if the text
// is not of a token's form.
func tokenID(secret string) (string, bool) {
	if len(secret) != tokenTextLen || !strings.HasPrefix(secret, tokenPrefix) {
		return "", false
	}
	rest := secret[len(tokenPrefix):]
	id, random := rest[:tokenIDLen], rest[tokenIDLen:]
	if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id || random[0] != '_' {
		return "", false
	}
	if b, err := base64.RawURLEncoding.Strict().DecodeString(random[1:]); err != nil || len(b) != tokenRandLen {
		return "", false
	}
	return id, true
}

// Authenticate returns the principal of the token whose secret that is
// (W2), or ErrBadToken if the text is not a token's, or the token is
// unknown or revoked. It reads that one token's record, nothing else, so
// that a server may call it on every request; the secret is compared by
// its hash, in constant time. It does not check that a token's
// organization still exists: [Portal.Org] refuses, with ErrNoAccess,
// every operation on one that does not.
func (p *Portal) Authenticate(ctx context.Context, secret string) (Principal, error) {
	id, ok := tokenID(secret)
	if !ok {
		return Principal{}, fmt.Errorf("%w: not a token", ErrBadToken)
	}
	var tok Token
	var found bool
	if err := p.store.ViewVendor(ctx, func(v *Vendor) error {
		tok, found = v.Tokens.Get(id)
		return nil
	}); err != nil {
		return Principal{}, err
	}
	hash := tokenHash(secret)
	if !found || subtle.ConstantTimeCompare([]byte(hash), []byte(tok.Hash)) != 1 || !tok.Revoked.IsZero() {
		return Principal{}, ErrBadToken
	}
	return tok.Principal, nil
}

// RevokeToken revokes the token with that ID for good: [Portal.Authenticate]
// refuses it from then on. Revoking a revoked token changes nothing and
// returns nil, so that a retry is safe; an ID the portal does not know
// gets an error wrapping license.ErrNotFound.
//
// It is a vendor operation, recorded in the vendor's history and, for an
// organization's token, in the organization's (P5). It returns an error
// wrapping ErrInvalidInput for a bad ID, or a store's error.
func (p *Portal) RevokeToken(ctx context.Context, id string) error {
	if err := checkArgs("token ID", id); err != nil {
		return err
	}
	a, now := vendorActor(ctx), p.now()
	var tok Token
	var revoked bool
	err := p.store.UpdateVendor(ctx, func(v *Vendor) error {
		var ok bool
		if tok, ok = v.Tokens.Get(id); !ok {
			return fmt.Errorf("%w: token %s", license.ErrNotFound, textfield.QuoteShort(id))
		}
		if !tok.Revoked.IsZero() {
			return nil
		}
		tok.Revoked, revoked = now, true
		v.Tokens.Put(id, tok)
		v.record(a, now, "token.revoke", id, tok.Name)
		return nil
	})
	if err != nil || !revoked || tok.Principal.Vendor {
		return err
	}
	err = p.recordIn(ctx, tok.Principal.Actor.Org, a, now, "token.revoke", id, tok.Name)
	if errors.Is(err, license.ErrNotFound) {
		return nil // the organization is gone: nobody to tell
	}
	return err
}

// Tokens lists the bearer tokens, by ID, revoked or not, a page at a time
// (see the vendor's tools, with [Portal.Organizations]). Each carries the
// hash of its secret, never the secret.
func (p *Portal) Tokens(ctx context.Context, after string, limit int) ([]Token, string, error) {
	return listVendor(ctx, p, after, limit, func(v *Vendor) *Table[Token] { return &v.Tokens },
		func(t Token) Token { return t })
}
