package http

import (
	"context"

	"github.com/licensekit/license"
)

// Renewal of the licenses of activation codes (R5, N1–N3): an
// application's license.Manager, whose Renewer is an OrgClient, asks the
// server for the license that renews the one ending.

// The organization's client is what an application's Manager calls to
// renew (R5).
var _ license.Renewer = (*OrgClient)(nil)

// renewal is the key of the license that renews one.
type renewal struct {
	Key string `json:"key"`
}

func renew(c *call, in *license.RenewalRequest) (renewal, error) {
	key, err := c.org().Renew(c.ctx(), *in)
	return renewal{key}, err
}

// Renew asks for the license key that renews license req.LicenseID, as
// portal.OrgScope.Renew does, so that an OrgClient is the
// license.Renewer of an application's Manager (R5). Asking again gives
// the same key. An error, such as a server that cannot be reached, makes
// the Manager send its renewal-failed event: the user then activates by
// hand.
func (o *OrgClient) Renew(ctx context.Context, req license.RenewalRequest) (string, error) {
	out, err := orgDo[renewal](ctx, o, "Renew", req)
	return out.Key, err
}
