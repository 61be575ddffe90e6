package license_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
)

// fakeServer is a license server as a device sees it: it activates a
// device, remembering the first activation instant of each fingerprint
// (A3), and answers check-ins with a certificate valid for ttl, unless it
// is down. It implements license.CheckInner.
type fakeServer struct {
	tb  testing.TB
	clk *clock.Mock
	sk  *license.SigningKey

	mu        sync.Mutex
	ttl       time.Duration
	licenses  []*license.License
	activated map[string]time.Time // by fingerprint
	down      bool
	list      string // the revocation list it publishes, if any
	serial    uint64
	reqs      []license.CheckInRequest
}

func newFakeServer(tb testing.TB, clk *clock.Mock, sk *license.SigningKey, ls ...license.License) *fakeServer {
	s := &fakeServer{tb: tb, clk: clk, sk: sk, ttl: 30 * license.Day, activated: map[string]time.Time{}}
	for _, l := range ls {
		if l.Product == "" {
			l.Product = "acme-backup"
		}
		if l.IssuedAt.IsZero() {
			l.IssuedAt = clk.Now()
		}
		s.licenses = append(s.licenses, &l)
	}
	return s
}

// activate activates the device fp and returns its certificate.
func (s *fakeServer) activate(fp string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issue(fp)
}

// issue returns a fresh certificate of the activation of fp. It needs
// s.mu held.
func (s *fakeServer) issue(fp string) string {
	s.tb.Helper()
	now := s.clk.Now().UTC()
	first, ok := s.activated[fp]
	if !ok {
		first = now
		s.activated[fp] = now
	}
	text, err := s.sk.SignCertificate(&license.Certificate{
		ID: "act-" + fp, Licenses: s.licenses, Fingerprint: fp,
		Activated: first, Issued: now, NotAfter: now.Add(s.ttl), RevocationSerial: s.serial,
	})
	if err != nil {
		s.tb.Fatalf("SignCertificate: %v", err)
	}
	return text
}

func (s *fakeServer) CheckIn(ctx context.Context, req license.CheckInRequest) (license.CheckInResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, req)
	if s.down {
		return license.CheckInResponse{}, errors.New("license server unreachable")
	}
	if req.ActivationID != "act-"+req.Fingerprint {
		return license.CheckInResponse{}, license.ErrWrongDevice
	}
	resp := license.CheckInResponse{Certificate: s.issue(req.Fingerprint)}
	if req.RevocationSerial < s.serial {
		resp.RevocationList = s.list
	}
	return resp, nil
}

// revoke publishes revocation list n.
func (s *fakeServer) revoke(n uint64, r license.RevocationList) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list, s.serial = mustList(s.tb, s.sk, n, r), n
	return s.list
}

func (s *fakeServer) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *fakeServer) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// device returns a harness whose Manager runs on device "pc-1" and checks
// in with a fake server holding a one-year term license "CL-1", and the
// server.
func device(t *testing.T, start time.Time, configure ...func(*license.ManagerConfig)) (*harness, *fakeServer) {
	t.Helper()
	var srv *fakeServer
	h := newHarness(t, start, append([]func(*license.ManagerConfig){func(c *license.ManagerConfig) {
		c.Fingerprint = "pc-1"
		srv = newFakeServer(t, c.Clock.(*clock.Mock), MustSigningKey(t, "acme", "harness"),
			license.License{ID: "CL-1", Features: []string{"backup"}, Term: 365 * license.Day})
		c.CheckIn = srv
	}}, configure...)...)
	return h, srv
}

// accept adds certificate text to h's Manager.
func (h *harness) accept(text string) *license.Certificate {
	h.tb.Helper()
	c, err := h.m.AddCertificate(h.ctx, text)
	if err != nil {
		h.tb.Fatalf("AddCertificate: %v", err)
	}
	return c
}

// checkIn runs the Manager's due check-ins at instant t.
func (h *harness) checkIn(t time.Time) error {
	h.tb.Helper()
	h.at(t)
	return h.m.CheckIn(h.ctx)
}

func allowed(h *harness) bool { return h.m.Check("backup").Allowed }

// A2: a certificate is accepted only on the device it names. Elsewhere
// AddCertificate fails with ErrWrongDevice and changes nothing; and an
// installation's state copied to another device, certificate included,
// grants nothing there.
func TestManager_A2_CopiedToAnotherFingerprintGrantsNothing(t *testing.T) {
	h, srv := device(t, day("2026-03-01"))
	cert := srv.activate("pc-1")
	h.accept(cert)
	require.True(t, allowed(h))

	other := license.ManagerConfig{Verifier: h.cfg.Verifier, Store: license.NewMemoryStore(), Clock: h.clk, Fingerprint: "pc-2"}
	m2, err := license.NewManager(h.ctx, other)
	require.NoError(t, err)
	st, err := other.Store.LoadInstallation(h.ctx, "default")
	require.NoError(t, err)
	_, err = m2.AddCertificate(h.ctx, cert)
	assert.ErrorIs(t, err, license.ErrWrongDevice)
	after, err := other.Store.LoadInstallation(h.ctx, "default")
	require.NoError(t, err)
	assert.Equal(t, st.Version, after.Version, "a refused certificate saved something")
	assert.False(t, m2.Check("backup").Allowed)

	// The whole state, copied to pc-2.
	copied := h.cfg
	copied.Fingerprint, copied.OnEvent = "pc-2", nil
	m3, err := license.NewManager(h.ctx, copied)
	require.NoError(t, err)
	assert.False(t, m3.Check("backup").Allowed, "a certificate for pc-1 granted on pc-2")
	assert.Empty(t, m3.Keys())

	// Without a fingerprint configured, no certificate is accepted.
	none := license.ManagerConfig{Verifier: h.cfg.Verifier, Clock: h.clk}
	m4, err := license.NewManager(h.ctx, none)
	require.NoError(t, err)
	_, err = m4.AddCertificate(h.ctx, cert)
	assert.ErrorIs(t, err, license.ErrWrongDevice)
}

// A3: the term of a license runs from the certificate's Activated, the
// server's instant. Deleting the local state and activating again on
// 2026-06-01 gets a certificate that still says 2026-03-01, and the
// one-year term ends on 2027-03-01, not 2027-06-01.
func TestManager_A3_ActivatedAgainKeepsFirstActivation(t *testing.T) {
	h, srv := device(t, day("2026-03-01"))
	h.accept(srv.activate("pc-1"))

	h.clk.Set(day("2026-06-01"))
	h.cfg.Store = license.NewMemoryStore() // the local state is deleted
	h.reopen()
	require.False(t, allowed(h))
	c := h.accept(srv.activate("pc-1"))
	assert.Equal(t, day("2026-03-01"), c.Activated)
	ks := h.m.Keys()
	require.Len(t, ks, 1)
	assert.Equal(t, "CL-1", ks[0].License.ID)
	assert.Equal(t, "act-pc-1", ks[0].Activation)
	assert.Equal(t, day("2026-03-01"), ks[0].Activated, "the term starts at the server's activation instant")
	assert.Equal(t, day("2026-07-01"), ks[0].NotAfter)

	// Checked in until the end: the term ends a year after 2026-03-01.
	require.NoError(t, h.checkIn(day("2027-02-20")))
	assert.True(t, allowed(h))
	assert.Equal(t, day("2027-03-01"), h.m.Status().Expiry)
	h.at(day("2027-03-01"))
	assert.Equal(t, license.Grace, h.state(), "the term ended: grace (S3), whatever the check-ins")
}

// A4: a check-in falls due CheckInWindow before NotAfter and brings a
// fresh certificate. While the server is away the Manager retries with a
// growing backoff, each failure an event; the certificate grants until
// NotAfter, then through the check-in grace (an event at its start), then
// nothing (an event, ErrCheckInLapsed); the first check-in that succeeds
// grants again.
func TestManager_A4_CheckInsRefreshAndOutageLapsesThenRecovers(t *testing.T) {
	h, srv := device(t, day("2026-03-01"))
	h.accept(srv.activate("pc-1")) // NotAfter 2026-03-31

	require.NoError(t, h.checkIn(day("2026-03-24").Add(-time.Nanosecond)))
	assert.Equal(t, 0, srv.calls(), "checked in before the window")
	require.NoError(t, h.checkIn(day("2026-03-24")))
	require.Equal(t, 1, srv.calls())
	assert.Equal(t, license.CheckInRequest{ActivationID: "act-pc-1", Fingerprint: "pc-1"}, srv.reqs[0])
	assert.Equal(t, day("2026-04-23"), h.m.Keys()[0].NotAfter)

	srv.setDown(true)
	due := day("2026-04-16")
	assert.Error(t, h.checkIn(due))
	require.NoError(t, h.checkIn(due.Add(59*time.Second)))
	assert.Equal(t, 2, srv.calls(), "retried within the first minute")
	assert.Error(t, h.checkIn(due.Add(time.Minute)))
	require.NoError(t, h.checkIn(due.Add(time.Minute+119*time.Second)))
	assert.Equal(t, 3, srv.calls(), "retried within two minutes of the second failure")

	h.at(day("2026-04-23").Add(-time.Nanosecond))
	assert.True(t, allowed(h))
	h.at(day("2026-04-23")) // NotAfter
	assert.True(t, allowed(h), "the check-in grace")
	h.at(day("2026-04-30").Add(-time.Nanosecond))
	assert.True(t, allowed(h), "the check-in grace")
	h.at(day("2026-04-30")) // NotAfter + 7 days
	d := h.m.Check("backup")
	assert.False(t, d.Allowed, "granted after the check-in grace")
	assert.ErrorIs(t, d.Reason, license.ErrCheckInLapsed)
	assert.Equal(t, license.Unlicensed, d.State)

	srv.setDown(false)
	require.NoError(t, h.m.CheckIn(h.ctx))
	assert.True(t, allowed(h), "a successful check-in grants again")
	assert.Equal(t, []string{
		"2026-03-01T00:00:00Z activated",
		"2026-03-24T00:00:00Z activation-refreshed",
		"2026-04-16T00:00:00Z checkin-failed",
		"2026-04-16T00:01:00Z checkin-failed",
		"2026-04-23T00:00:00Z checkin-grace-started",
		"2026-04-30T00:00:00Z checkin-lapsed",
		"2026-04-30T00:00:00Z activation-refreshed",
	}, h.events())
}

// A4: the events of the check-in grace are sent once, also across a
// restart, and a Manager restarted during the grace still grants.
func TestManager_A4_CheckInGraceEventsOnceAcrossRestarts(t *testing.T) {
	h, srv := device(t, day("2026-03-01"))
	h.accept(srv.activate("pc-1"))
	walk(h, day("2026-04-02"))
	h.reopen()
	assert.True(t, allowed(h))
	walk(h, day("2026-04-10"))
	h.reopen()
	walk(h, day("2026-04-12"))
	assert.False(t, allowed(h))
	assert.Equal(t, []string{
		"2026-03-01T00:00:00Z activated",
		"2026-03-31T00:00:00Z checkin-grace-started",
		"2026-04-07T00:00:00Z checkin-lapsed",
	}, h.events())
}

// A4: a certificate that lives less than twice the window is checked in
// half way through its life; the policy sets the window and the grace.
func TestManager_A4_ShortCertificateChecksInAtHalfLife(t *testing.T) {
	h, srv := device(t, day("2026-03-01"), func(c *license.ManagerConfig) {
		c.Policy.CheckInWindow = 3 * license.Day
		c.Policy.CheckInGrace = license.Off
	})
	srv.ttl = 4 * license.Day
	h.accept(srv.activate("pc-1"))
	require.NoError(t, h.checkIn(day("2026-03-03").Add(-time.Nanosecond)))
	assert.Equal(t, 0, srv.calls())
	require.NoError(t, h.checkIn(day("2026-03-03")))
	assert.Equal(t, 1, srv.calls())
	srv.setDown(true)
	h.at(day("2026-03-07").Add(-time.Nanosecond))
	assert.True(t, allowed(h))
	h.at(day("2026-03-07"))
	assert.False(t, allowed(h), "no check-in grace: the certificate lapses at NotAfter")
}

// A4: Run checks in when a check-in falls due, on the mock clock's
// timers, and a failure does not stop it.
func TestManager_A4_RunChecksIn(t *testing.T) {
	got := make(chan license.Event, 100)
	armed := make(chan struct{}, 1)
	var timers atomic.Int64
	h, srv := device(t, day("2026-03-01"), func(c *license.ManagerConfig) {
		c.OnEvent = func(e license.Event) { got <- e }
		c.Clock = armingClock{Mock: c.Clock.(*clock.Mock), armed: armed, calls: &timers}
	})
	h.accept(srv.activate("pc-1"))
	require.Equal(t, license.EventActivated, (<-got).Kind)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.m.Run(ctx) }()
	<-armed
	h.clk.Set(day("2026-03-24"))
	e := <-got
	assert.Equal(t, license.EventActivationRefreshed, e.Kind)
	assert.Equal(t, "act-pc-1", e.Activation)

	srv.setDown(true)
	<-armed
	h.clk.Set(day("2026-04-16"))
	assert.Equal(t, license.EventCheckInFailed, (<-got).Kind)
	srv.setDown(false)
	<-armed
	h.clk.Add(time.Minute)
	assert.Equal(t, license.EventActivationRefreshed, (<-got).Kind)
	assert.Equal(t, 3, srv.calls())
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

// A5: after the device was deactivated, RemoveCertificate stops its
// licenses at once, with an event, and no check-in is attempted for it
// any more. An unknown activation is refused with its own error.
func TestManager_A5_RemoveCertificate(t *testing.T) {
	h, srv := device(t, day("2026-03-01"))
	h.accept(srv.activate("pc-1"))
	h.at(day("2026-03-10"))
	require.NoError(t, h.m.RemoveCertificate(h.ctx, "act-pc-1"))
	assert.False(t, allowed(h))
	assert.Empty(t, h.m.Keys())
	assert.ErrorIs(t, h.m.RemoveCertificate(h.ctx, "act-pc-1"), license.ErrUnknownActivation)
	assert.ErrorIs(t, h.m.RemoveCertificate(h.ctx, "act-nope"), license.ErrUnknownActivation)
	require.NoError(t, h.checkIn(day("2026-03-30")))
	assert.Equal(t, 0, srv.calls())
	assert.Equal(t, []string{"2026-03-01T00:00:00Z activated", "2026-03-10T00:00:00Z key-removed"}, h.events())
}

// Bad certificates are refused with typed errors and change nothing: not
// a certificate, signed by another key, older than the one held, past its
// check-in grace, for another product.
func TestManager_AddCertificateRefusesBadInput(t *testing.T) {
	h, srv := device(t, day("2026-03-01"), func(c *license.ManagerConfig) { c.Product = "acme-backup" })
	old := srv.activate("pc-1")
	h.clk.Set(day("2026-03-05"))
	h.accept(srv.activate("pc-1"))
	st, err := h.cfg.Store.LoadInstallation(h.ctx, "default")
	require.NoError(t, err)

	impostor := newFakeServer(t, h.clk, MustSigningKey(t, "acme", "impostor"), license.License{ID: "CL-1"})
	wrongProduct := newFakeServer(t, h.clk, h.sk, license.License{ID: "CL-9", Product: "acme-mail"})
	h.clk.Set(day("2026-03-06"))
	lapsed := srv.activate("pc-1")
	h.clk.Set(day("2026-05-01"))
	for _, tc := range []struct {
		name, text string
		want       error
	}{
		{"Garbage", "LC1.nonsense", license.ErrMalformedCertificate},
		{"LicenseKey", h.key(license.License{}), license.ErrMalformedCertificate},
		{"UnknownSigner", impostor.activate("pc-1"), license.ErrUnknownSigner},
		{"Stale", old, license.ErrStaleCertificate},
		{"Lapsed", lapsed, license.ErrExpired},
		{"WrongProduct", wrongProduct.activate("pc-1"), license.ErrWrongProduct},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.m.AddCertificate(h.ctx, tc.text)
			assert.ErrorIs(t, err, tc.want)
			now, err := h.cfg.Store.LoadInstallation(h.ctx, "default")
			require.NoError(t, err)
			assert.Equal(t, st.Certificates, now.Certificates)
		})
	}
}

// C2: the installation keeps the newest revocation list it loaded, also
// across a restart with a fresh Verifier: an older list fails with
// ErrStaleRevocationList and saves nothing; the same list again is a
// no-op; a check-in quotes the serial held and brings a newer list.
func TestManager_C2_OlderListRefused(t *testing.T) {
	h, srv := device(t, day("2026-03-01"))
	h.accept(srv.activate("pc-1"))
	one := mustList(t, h.sk, 1, license.RevocationList{Licenses: []string{"SN-OTHER"}})
	two := mustList(t, h.sk, 2, license.RevocationList{Licenses: []string{"SN-OTHER"}})
	require.NoError(t, h.m.LoadRevocationList(h.ctx, two))

	st, err := h.cfg.Store.LoadInstallation(h.ctx, "default")
	require.NoError(t, err)
	assert.ErrorIs(t, h.m.LoadRevocationList(h.ctx, one), license.ErrStaleRevocationList)
	require.NoError(t, h.m.LoadRevocationList(h.ctx, two))
	assert.ErrorIs(t, h.m.LoadRevocationList(h.ctx, "LR1.garbage"), license.ErrMalformedRevocationList)
	now, err := h.cfg.Store.LoadInstallation(h.ctx, "default")
	require.NoError(t, err)
	assert.Equal(t, st.Version, now.Version, "a refused or repeated list saved something")

	h.cfg.Verifier = MustVerifier(t, h.sk) // a restarted application
	h.reopen()
	assert.ErrorIs(t, h.m.LoadRevocationList(h.ctx, one), license.ErrStaleRevocationList)

	srv.revoke(3, license.RevocationList{Licenses: []string{"SN-ELSE"}})
	require.NoError(t, h.checkIn(day("2026-03-24")))
	assert.Equal(t, uint64(2), srv.reqs[0].RevocationSerial)
	require.NoError(t, h.checkIn(day("2026-04-16")))
	assert.Equal(t, uint64(3), srv.reqs[1].RevocationSerial, "the list sent with the check-in was loaded")
	assert.Equal(t, []string{
		"2026-03-01T00:00:00Z activated",
		"2026-03-01T00:00:00Z revocation-list-loaded",
		"2026-03-24T00:00:00Z revocation-list-loaded",
		"2026-03-24T00:00:00Z activation-refreshed",
		"2026-04-16T00:00:00Z activation-refreshed",
	}, h.events())
}

// C3: a revoked license stops granting the moment the list is loaded,
// held as a key or in a certificate, with exactly one revoked event: not
// again for a newer list that still names it, nor after a restart, nor as
// time goes by.
func TestManager_C3_RevokedLicenseStopsWithOneEvent(t *testing.T) {
	h, srv := device(t, day("2026-03-01"))
	h.accept(srv.activate("pc-1"))
	h.add(license.License{ID: "SN-KEY", Features: []string{"report"}, Term: 365 * license.Day})
	h.at(day("2026-03-10"))
	require.True(t, h.m.Check("report").Allowed)

	require.NoError(t, h.m.LoadRevocationList(h.ctx, mustList(t, h.sk, 1, license.RevocationList{Licenses: []string{"CL-1", "SN-KEY"}})))
	assert.False(t, allowed(h), "a revoked license in a certificate grants")
	assert.False(t, h.m.Check("report").Allowed, "a revoked license key grants")
	assert.ErrorIs(t, h.m.Check("").Reason, license.ErrRevoked)
	h.at(day("2026-03-15"))
	require.NoError(t, h.m.LoadRevocationList(h.ctx, mustList(t, h.sk, 2, license.RevocationList{Licenses: []string{"CL-1", "SN-KEY", "SN-OTHER"}})))
	h.cfg.Verifier = MustVerifier(t, h.sk)
	h.reopen()
	walk(h, day("2026-04-30"))
	assert.False(t, allowed(h))
	_, err := h.m.AddKey(h.ctx, h.key(license.License{ID: "CL-1", Term: 365 * license.Day}))
	assert.ErrorIs(t, err, license.ErrRevoked, "a revoked license's key added again")

	var revoked []string
	for _, e := range h.events() {
		if e[len("2026-03-10T00:00:00Z "):] == string(license.EventRevoked) {
			revoked = append(revoked, e)
		}
	}
	assert.Equal(t, []string{"2026-03-10T00:00:00Z revoked", "2026-03-10T00:00:00Z revoked"}, revoked, "one event for each of CL-1 and SN-KEY")
}

// C3: a certificate whose every license a loaded list revoked is not
// checked in any more: the server refuses it, and each attempt would
// only add a checkin-failed event.
func TestManager_C3_CertificateOfRevokedLicensesChecksInNoMore(t *testing.T) {
	h, srv := device(t, day("2026-03-01"))
	h.accept(srv.activate("pc-1"))
	h.at(day("2026-03-10"))
	require.NoError(t, h.m.LoadRevocationList(h.ctx, mustList(t, h.sk, 1, license.RevocationList{Licenses: []string{"CL-1"}})))
	require.NoError(t, h.checkIn(day("2026-04-30")))
	assert.Equal(t, 0, srv.calls(), "check-ins of a certificate whose licenses are all revoked")
	for _, e := range h.events() {
		assert.NotContains(t, e, string(license.EventCheckInFailed))
	}
}

// C3: a revoked activation's certificate grants nothing: the one held
// stops, no newer one is accepted, and no check-in is attempted for it.
func TestManager_C3_RevokedActivationGrantsNothing(t *testing.T) {
	h, srv := device(t, day("2026-03-01"))
	h.accept(srv.activate("pc-1"))
	h.at(day("2026-03-10"))
	srv.revoke(1, license.RevocationList{Activations: []string{"act-pc-1"}})
	require.NoError(t, h.m.LoadRevocationList(h.ctx, srv.list))
	assert.False(t, allowed(h))
	assert.Equal(t, license.Revoked, h.state())

	_, err := h.m.AddCertificate(h.ctx, srv.activate("pc-1"))
	assert.ErrorIs(t, err, license.ErrRevoked)
	require.NoError(t, h.checkIn(day("2026-03-30")))
	assert.Equal(t, 0, srv.calls())
	assert.False(t, allowed(h))
}

// C3: a revoked signing key is retired: the licenses and certificates it
// signed stop granting at once, and after a restart.
func TestManager_C3_RevokedSigningKeyIsRetired(t *testing.T) {
	current := MustSigningKey(t, "acme", "current")
	h, srv := device(t, day("2026-03-01"), func(c *license.ManagerConfig) {
		c.Verifier = MustVerifier(t, MustSigningKey(t, "acme", "harness"), current)
	})
	h.accept(srv.activate("pc-1")) // signed by the harness key
	require.True(t, allowed(h))
	h.at(day("2026-03-10"))
	require.NoError(t, h.m.LoadRevocationList(h.ctx, mustList(t, current, 1, license.RevocationList{SigningKeys: []string{h.sk.KeyID()}})))
	assert.False(t, allowed(h))
	_, err := h.cfg.Verifier.VerifyCertificate(srv.activate("pc-1"))
	assert.ErrorIs(t, err, license.ErrRetiredSigner)
	h.cfg.Verifier = MustVerifier(t, h.sk, current)
	h.reopen()
	assert.False(t, allowed(h), "the retired key's certificate granted after a restart")
}

// A state saved by the earlier release, with no certificates and no
// revocation list, loads; a state without them encodes as that release
// wrote it, and one with them survives the round trip.
func TestInstallationState_EarlierReleaseLoads(t *testing.T) {
	earlier := `{"version":1,"created":"2026-01-01T00:00:00Z","keys":[],"history":{"TrialStarted":"2026-01-01T00:00:00Z",` +
		`"AgreementRevoked":"0001-01-01T00:00:00Z","Deleted":"0001-01-01T00:00:00Z","LatestSeen":"2026-01-01T01:00:00Z","SetBack":0,` +
		`"Behind":0,"StateReset":"0001-01-01T00:00:00Z","FirstActivated":"0001-01-01T00:00:00Z","Usage":3},"trials":1,` +
		`"sent":["trial-started/2026-01-01T00:00:00Z"],"outbox":null,"renewed":null}`
	var st license.InstallationState
	dec := json.NewDecoder(strings.NewReader(earlier))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&st))
	again, err := json.Marshal(st)
	require.NoError(t, err)
	assert.JSONEq(t, earlier, string(again))

	store := license.NewMemoryStore()
	first := st
	first.Version = 0 // nothing stored yet
	_, err = store.SaveInstallation(context.Background(), "default", first)
	require.NoError(t, err)
	clk := clock.NewMock()
	clk.Set(day("2026-01-02"))
	m, err := license.NewManager(context.Background(), license.ManagerConfig{Verifier: MustVerifier(t, MustSigningKey(t, "acme", "harness")), Store: store, Clock: clk})
	require.NoError(t, err)
	assert.Equal(t, license.Trial, m.Check("").State)

	h, srv := device(t, day("2026-03-01"))
	h.accept(srv.activate("pc-1"))
	require.NoError(t, h.m.LoadRevocationList(h.ctx, mustList(t, h.sk, 4, license.RevocationList{Licenses: []string{"CL-1"}})))
	saved, err := h.cfg.Store.LoadInstallation(h.ctx, "default")
	require.NoError(t, err)
	b, err := json.Marshal(saved)
	require.NoError(t, err)
	var back license.InstallationState
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, saved, back)
	require.Len(t, back.Certificates, 1)
	assert.Equal(t, day("2026-03-01"), back.Certificates[0].RevokedLicenses["CL-1"])
}

// A4: Evaluate grants a certified license until its certificate's
// NotAfter and through the check-in grace, then nothing, with no grace
// (S3) and no expiry notices for the lapse; each check-in event comes
// once per certificate, however many licenses it carries.
func TestEvaluate_A4_CertificateLapse(t *testing.T) {
	a := &license.License{ID: "A", Product: "p", Features: []string{"x"}, IssuedAt: day("2026-01-01")}
	b := &license.License{ID: "B", Product: "p", Features: []string{"y"}, IssuedAt: day("2026-01-01")}
	keys := []license.Holding{
		{License: a, Added: day("2026-01-01"), Activation: "act-1", NotAfter: day("2026-02-01")},
		{License: b, Added: day("2026-01-01"), Activation: "act-1", NotAfter: day("2026-02-01")},
	}
	p := license.Policy{CheckInGrace: 5 * license.Day}
	ev := license.Evaluate(keys, license.History{}, p, day("2026-02-06").Add(-time.Nanosecond))
	assert.Equal(t, license.Active, ev.State)
	assert.Equal(t, []string{"x", "y"}, ev.Features)
	assert.Equal(t, day("2026-02-06"), ev.Next)

	ev = license.Evaluate(keys, license.History{}, p, day("2026-06-01"))
	assert.Equal(t, license.Unlicensed, ev.State)
	assert.ErrorIs(t, ev.Reason, license.ErrCheckInLapsed)
	var kinds []string
	for _, e := range ev.Events {
		kinds = append(kinds, e.At.Format(time.DateOnly)+" "+string(e.Kind)+" "+e.Activation)
	}
	assert.Equal(t, []string{
		"2026-01-01 activated ", "2026-01-01 activated ",
		"2026-02-01 checkin-grace-started act-1",
		"2026-02-06 checkin-lapsed act-1",
	}, kinds)
}
