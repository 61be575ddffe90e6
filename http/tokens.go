package http

import (
	"context"
	"time"

	"github.com/licensekit/license/portal"
)

// Bearer tokens (W2): the vendor's only. The answer that creates a token
// is the one place its secret ever travels; no answer carries the hash the
// portal keeps of it, which would let whoever reads it test guesses
// offline.

// tokenRecord is portal.Token without its hash.
type tokenRecord struct {
	ID        string           `json:"id"`
	Name      string           `json:"name,omitempty"`
	Principal portal.Principal `json:"principal"`
	Created   time.Time        `json:"created"`
	Revoked   time.Time        `json:"revoked,omitzero"`
}

// recordOf returns t without its hash.
func recordOf(t portal.Token) tokenRecord {
	return tokenRecord{ID: t.ID, Name: t.Name, Principal: t.Principal, Created: t.Created, Revoked: t.Revoked}
}

// token returns the record as a portal.Token, whose Hash is empty.
func (r tokenRecord) token() portal.Token {
	return portal.Token{ID: r.ID, Name: r.Name, Principal: r.Principal, Created: r.Created, Revoked: r.Revoked}
}

type createTokenRequest struct {
	Principal portal.Principal `json:"principal"`
	Name      string           `json:"name"`
}

// createdToken is a new token: its secret, given this once, and its
// record.
type createdToken struct {
	Secret string      `json:"secret"`
	Token  tokenRecord `json:"token"`
}

func createToken(c *call, in *createTokenRequest) (createdToken, error) {
	secret, tok, err := c.s.portal.CreateToken(c.ctx(), in.Principal, in.Name)
	if err != nil {
		return createdToken{}, err
	}
	return createdToken{Secret: secret, Token: recordOf(tok)}, nil
}

func listTokens(c *call, in *none) (page[tokenRecord], error) {
	p, err := listing((*portal.Portal).Tokens)(c, in)
	return page[tokenRecord]{Items: convert(p.Items, recordOf), Next: p.Next}, err
}

func revokeToken(c *call, _ *none) (none, error) {
	return none{}, c.s.portal.RevokeToken(c.ctx(), c.path("token"))
}

// CreateToken makes a bearer token for who, as portal.Portal.CreateToken
// does, and returns its secret, which the server does not keep: hand it
// to who, and forget it. The Token has no Hash. The vendor's only.
func (c *Client) CreateToken(ctx context.Context, who portal.Principal, name string) (secret string, tok portal.Token, err error) {
	out, err := do[createdToken](ctx, c, "CreateToken", createTokenRequest{Principal: who, Name: name}, nil)
	return out.Secret, out.Token.token(), err
}

// Tokens lists the bearer tokens, revoked or not, as portal.Portal.Tokens
// does, a page at a time; each without its Hash. The vendor's only.
func (c *Client) Tokens(ctx context.Context, after string, limit int) ([]portal.Token, string, error) {
	recs, next, err := listPage[tokenRecord](ctx, c, "ListTokens", after, limit)
	return convert(recs, tokenRecord.token), next, err
}

// RevokeToken revokes the token with that ID for good, as
// portal.Portal.RevokeToken does: the server refuses it from its next
// request on. The vendor's only.
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	return call0(ctx, c, "RevokeToken", nil, id)
}
