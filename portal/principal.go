package portal

// Principal is who a bearer token authenticates, as a license server sees
// it: the vendor itself, or one actor of one organization (W2). A server
// runs the vendor's operations for a vendor principal only, and every
// organization's operations through [Portal.Org] with Actor, which the
// portal checks against the organization acted on.
type Principal struct {
	// Vendor is true for the vendor's own principals; Actor.ID then names
	// the vendor's person or service, for the histories.
	Vendor bool `json:"vendor,omitempty"`
	// Actor is the person or service, and the organization it belongs to.
	Actor Actor `json:"actor"`
}
