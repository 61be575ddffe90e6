package postgres_test

import (
	"context"
	"crypto/rand"
	"log"
	"os"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/postgres"
)

// A portal whose organizations live in PostgreSQL, as each instance of a
// license server behind a load balancer would open it.
func ExampleOpen() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), postgres.WithSchema("licensing"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	signer, err := license.GenerateSigningKey("vendor", rand.Reader) // in production, load it
	if err != nil {
		log.Fatal(err)
	}
	portal, err := portal.NewPortal(portal.PortalConfig{Signer: signer, Store: store})
	if err != nil {
		log.Fatal(err)
	}
	if err := portal.CreateOrganization(ctx, "acme", "Acme Inc."); err != nil {
		log.Fatal(err)
	}
}
