//go:build unix && !solaris && !aix

package filestore_test

import (
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// BenchmarkFileStoreDurableWrite saves a small installation state: a
// version check and an atomic, durable write (two fsyncs) each time.
func BenchmarkFileStoreDurableWrite(b *testing.B) {
	s := MustOpen(b, b.TempDir())
	st := sampleState()
	b.ReportAllocs()
	for b.Loop() {
		v, err := s.SaveInstallation(ctx, "app", st)
		if err != nil {
			b.Fatal(err)
		}
		st.Version = v
	}
}

// BenchmarkFileStoreSeatAssign assigns a seat of a license to a registered
// device through a Portal over the file store. The device keeps its seat,
// so each iteration is the same durable read-modify-write of the
// organization: read and check the file, decode, the portal's checks,
// encode, write and fsync.
func BenchmarkFileStoreSeatAssign(b *testing.B) {
	sk := MustSigningKey(b, "bench")
	p := MustPortal(b, sk, MustOpen(b, b.TempDir()))
	if err := p.CreateOrganization(ctx, "acme", "Acme Inc."); err != nil {
		b.Fatal(err)
	}
	org := p.Org(portal.Actor{ID: "admin@acme", Org: "acme"}, "acme")
	l := seatLicense("SN-1", 10)
	key, err := sk.Sign(&l)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := org.AddKey(ctx, key, portal.KeyOptions{}); err != nil {
		b.Fatal(err)
	}
	if _, err := org.RegisterDevice(ctx, portal.Device{Fingerprint: "pc-1", OS: license.TypeWorkstation, CPUs: 1, Cores: 4}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := org.AssignSeat(ctx, "SN-1", "pc-1"); err != nil {
			b.Fatal(err)
		}
	}
}
