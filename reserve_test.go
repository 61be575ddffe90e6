package license_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
)

// rsT0 is when the reserve and renewal tests start; rsT, a year later, is
// when their first one-year key ends.
var (
	rsT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rsT  = rsT0.Add(rsYear)
)

const rsYear = 365 * license.Day

// rsEv formats an event as harness.events does.
func rsEv(at time.Time, kind license.EventKind) string {
	return at.UTC().Format(time.RFC3339Nano) + " " + string(kind)
}

// rsStored returns the installation's state as the harness's store holds
// it.
func rsStored(h *harness) license.InstallationState {
	h.tb.Helper()
	st, err := h.cfg.Store.LoadInstallation(h.ctx, "default")
	require.NoError(h.tb, err)
	return st
}

// rsKeyRecord returns the stored record of the license with that ID, and
// whether there is one.
func rsKeyRecord(h *harness, id string) (license.KeyRecord, bool) {
	h.tb.Helper()
	for _, k := range rsStored(h).Keys {
		l, _, err := license.DecodeUnverified(k.Key)
		require.NoError(h.tb, err)
		if l.ID == id {
			return k, true
		}
	}
	return license.KeyRecord{}, false
}

// rsRefused runs op, which must fail with an error matching want, and
// checks that it changed nothing: the Manager's Status and Check, the
// stored state (keys, history, events recorded) and the events delivered;
// advancing at the same instant afterwards must change nothing either, so
// the refused key left no trace. The caller must have drained the events.
func rsRefused(t *testing.T, h *harness, want error, op func() error) {
	t.Helper()
	require.Empty(t, h.events(), "events left undrained before the refused operation")
	status, decision, stored := h.m.Status(), h.m.Check(""), rsStored(h)

	err := op()
	require.ErrorIs(t, err, want)
	assert.NotEmpty(t, err.Error())

	same := func(when string) {
		t.Helper()
		assert.Empty(t, cmp.Diff(status, h.m.Status(), cmpopts.EquateErrors()), "Status changed %s", when)
		assert.Empty(t, cmp.Diff(decision, h.m.Check(""), cmpopts.EquateErrors()), "Check changed %s", when)
		assert.Empty(t, cmp.Diff(stored, rsStored(h), cmpopts.EquateEmpty(),
			cmpopts.IgnoreFields(license.InstallationState{}, "Version")), "stored state changed %s", when)
		assert.Empty(t, h.events(), "events delivered %s", when)
	}
	same("by the refused operation")
	h.at(h.clk.Now())
	same("by advancing after the refused operation")
}

// rsActive is the kind of active key most reserve tests stand a reserve
// behind: a one-year standard per-device server license.
func rsActive() license.License {
	return license.License{
		Edition: "standard", Type: license.TypeServer, Scheme: license.SchemePerDevice,
		Quantity: 10, Features: []string{"backup"}, Term: rsYear,
	}
}

// R1, R4, L2, S11: a term reserve added beside the active key takes over
// exactly at the active key's expiry T, with no gap and no grace; its term
// starts at T. Once it is held, no expiry notice is due for T any more,
// but the notices already sent stay sent (none is sent twice).
func TestReserve_R1_R4_TermReserveTakesOverAtExpiryWithNoGap(t *testing.T) {
	h := newHarness(t, rsT0)
	active := h.add(rsActive())
	assert.Equal(t, []string{rsEv(rsT0, license.EventActivated)}, h.events())
	assert.Equal(t, rsT, h.m.Status().Expiry)

	h.at(rsT.Add(-30 * license.Day))
	h.at(rsT.Add(-14 * license.Day))
	assert.Equal(t, []string{
		rsEv(rsT.Add(-30*license.Day), license.EventExpiryNotice),
		rsEv(rsT.Add(-14*license.Day), license.EventExpiryNotice),
	}, h.events(), "S2: notices before the reserve is added")
	assert.Equal(t, license.Expiring, h.state())

	added := rsT.Add(-10 * license.Day)
	h.at(added)
	r := rsActive()
	r.Quantity, r.Features = 25, []string{"backup", "replication"}
	reserve, err := h.m.AddReserve(h.ctx, h.key(r))
	require.NoError(t, err)
	assert.Equal(t, "SN-002", reserve.ID)
	assert.Equal(t, []string{rsEv(added, license.EventReserveAdded)}, h.events())
	rec, ok := rsKeyRecord(h, reserve.ID)
	require.True(t, ok)
	assert.True(t, rec.Reserve)
	assert.True(t, rec.Activated.IsZero(), "L2: a term reserve is not activated while it waits")

	// S11: the run of validity now ends a year after T.
	st := h.m.Status()
	assert.Equal(t, license.Active, st.State)
	assert.Equal(t, rsT.Add(rsYear), st.Expiry)
	assert.Equal(t, 10, st.Seats, "the reserve grants nothing while it waits")
	assert.Equal(t, []string{"backup"}, st.Features)

	// Notices for T (7, 3 and 1 days before) are no longer due.
	h.at(rsT.Add(-time.Nanosecond))
	assert.Empty(t, h.events(), "S11: no notice for the first key's end once the reserve is held")
	st = h.m.Status()
	assert.Equal(t, license.Active, st.State)
	assert.Equal(t, 10, st.Seats, "at T-1ns the old key is still the active key")
	assert.Equal(t, []string{"backup"}, st.Features)
	assert.False(t, h.m.Check("replication").Allowed)
	rec, _ = rsKeyRecord(h, reserve.ID)
	assert.True(t, rec.Reserve, "not promoted before T")

	// A restart just before T changes nothing.
	h.reopen()
	assert.Empty(t, h.events())

	h.at(rsT)
	assert.Equal(t, []string{rsEv(rsT, license.EventReservePromoted)}, h.events(), "R4: promoted at T, no grace-started")
	st = h.m.Status()
	assert.Equal(t, license.Active, st.State)
	assert.Equal(t, rsT.Add(rsYear), st.Expiry, "L2: the reserve's term starts at T")
	assert.Equal(t, 25, st.Seats)
	assert.Equal(t, []string{"backup", "replication"}, st.Features)
	assert.True(t, h.m.Check("replication").Allowed)
	rec, _ = rsKeyRecord(h, reserve.ID)
	assert.False(t, rec.Reserve)
	assert.Equal(t, rsT, rec.Promoted.UTC())
	assert.Equal(t, rsT, rec.Activated.UTC(), "L2: the term starts at the promotion")
	_, ok = rsKeyRecord(h, active.ID)
	assert.True(t, ok, "the old key stays held")

	// Nothing is sent twice across a restart, and the new key runs its year.
	h.reopen()
	h.at(rsT.Add(time.Hour))
	assert.Empty(t, h.events())
	end := rsT.Add(rsYear)
	h.at(end.Add(-30 * license.Day))
	assert.Equal(t, []string{rsEv(end.Add(-30*license.Day), license.EventExpiryNotice)}, h.events())
	h.at(end.Add(-time.Nanosecond))
	h.events()
	assert.Equal(t, license.Expiring, h.state())
	h.at(end)
	assert.Equal(t, []string{rsEv(end, license.EventGraceStarted)}, h.events())
}

// R4: a reserve with a fixed expiry takes over at T and grants until its
// own expiry.
func TestReserve_R4_FixedExpiryReserveTakesOverAtExpiry(t *testing.T) {
	h := newHarness(t, rsT0)
	h.add(rsActive())
	h.at(rsT0.Add(100 * license.Day))
	r := rsActive()
	r.Term, r.Expiry = 0, rsT.Add(200*license.Day)
	_, err := h.m.AddReserve(h.ctx, h.key(r))
	require.NoError(t, err)
	assert.Equal(t, rsT.Add(200*license.Day), h.m.Status().Expiry)
	h.events()

	h.at(rsT.Add(-time.Nanosecond))
	assert.Empty(t, h.events())
	h.at(rsT)
	assert.Equal(t, []string{rsEv(rsT, license.EventReservePromoted)}, h.events())
	assert.Equal(t, license.Active, h.state())
	h.at(rsT.Add(200 * license.Day))
	assert.Contains(t, h.events(), rsEv(rsT.Add(200*license.Day), license.EventGraceStarted))
}

// R2: what a reserve must share with the active key: product and edition
// always; with the per-VM scheme the same type; with the per-CPU or
// per-core scheme any per-CPU or per-core key whatever its type; with
// other schemes the same scheme.
func TestReserve_R2_Matching(t *testing.T) {
	lic := func(scheme license.Scheme, typ license.Type, edit func(*license.License)) license.License {
		l := license.License{Edition: "standard", Type: typ, Scheme: scheme, Quantity: 4, Term: rsYear}
		if edit != nil {
			edit(&l)
		}
		return l
	}
	var (
		server      = license.TypeServer
		workstation = license.TypeWorkstation
		anyType     = license.TypeAny
	)
	cases := []struct {
		name            string
		active, reserve license.License
		want            error
	}{
		{"SameEverything", lic(license.SchemePerDevice, server, nil), lic(license.SchemePerDevice, server, nil), nil},
		{"OtherProduct", lic(license.SchemePerDevice, server, nil),
			lic(license.SchemePerDevice, server, func(l *license.License) { l.Product = "acme-mail" }), license.ErrReserveMismatch},
		{"EditionStandardVsEnterprise", lic(license.SchemePerDevice, server, nil),
			lic(license.SchemePerDevice, server, func(l *license.License) { l.Edition = "enterprise" }), license.ErrReserveMismatch},
		{"EditionEnterpriseVsStandard", lic(license.SchemePerCore, server, func(l *license.License) { l.Edition = "enterprise" }),
			lic(license.SchemePerCore, server, nil), license.ErrReserveMismatch},
		{"EditionEmptyVsStandard", lic(license.SchemePerDevice, server, func(l *license.License) { l.Edition = "" }),
			lic(license.SchemePerDevice, server, nil), license.ErrReserveMismatch},

		{"PerVM/SameTypeServer", lic(license.SchemePerVM, server, nil), lic(license.SchemePerVM, server, nil), nil},
		{"PerVM/SameTypeWorkstation", lic(license.SchemePerVM, workstation, nil), lic(license.SchemePerVM, workstation, nil), nil},
		{"PerVM/ServerVsWorkstation", lic(license.SchemePerVM, server, nil), lic(license.SchemePerVM, workstation, nil), license.ErrReserveMismatch},
		{"PerVM/WorkstationVsServer", lic(license.SchemePerVM, workstation, nil), lic(license.SchemePerVM, server, nil), license.ErrReserveMismatch},
		{"PerVM/ServerVsAny", lic(license.SchemePerVM, server, nil), lic(license.SchemePerVM, anyType, nil), license.ErrReserveMismatch},
		{"PerVM/VsPerCore", lic(license.SchemePerVM, server, nil), lic(license.SchemePerCore, server, nil), license.ErrReserveMismatch},

		{"PerCPU/PerCPUOtherType", lic(license.SchemePerCPU, server, nil), lic(license.SchemePerCPU, workstation, nil), nil},
		{"PerCPU/PerCoreOtherType", lic(license.SchemePerCPU, server, nil), lic(license.SchemePerCore, workstation, nil), nil},
		{"PerCore/PerCPUAnyType", lic(license.SchemePerCore, workstation, nil), lic(license.SchemePerCPU, anyType, nil), nil},
		{"PerCore/PerCoreServer", lic(license.SchemePerCore, workstation, nil), lic(license.SchemePerCore, server, nil), nil},
		{"PerCPU/VsPerDevice", lic(license.SchemePerCPU, server, nil), lic(license.SchemePerDevice, server, nil), license.ErrReserveMismatch},
		{"PerCore/VsPerVM", lic(license.SchemePerCore, server, nil), lic(license.SchemePerVM, server, nil), license.ErrReserveMismatch},

		{"PerDevice/VsPerUser", lic(license.SchemePerDevice, server, nil), lic(license.SchemePerUser, server, nil), license.ErrReserveMismatch},
		{"PerUser/Same", lic(license.SchemePerUser, anyType, nil), lic(license.SchemePerUser, anyType, nil), nil},
		{"PerDevice/VsPerCPU", lic(license.SchemePerDevice, server, nil), lic(license.SchemePerCPU, server, nil), license.ErrReserveMismatch},
		{"Unmetered/VsPerDevice", lic(license.SchemeUnmetered, server, func(l *license.License) { l.Quantity = 0 }),
			lic(license.SchemePerDevice, server, nil), license.ErrReserveMismatch},
		{"PerDevice/ServerVsWorkstation", lic(license.SchemePerDevice, server, nil), lic(license.SchemePerDevice, workstation, nil), license.ErrReserveMismatch},
		{"PerDevice/ServerVsAny", lic(license.SchemePerDevice, server, nil), lic(license.SchemePerDevice, anyType, nil), nil},
		{"PerDevice/AnyVsWorkstation", lic(license.SchemePerDevice, anyType, nil), lic(license.SchemePerDevice, workstation, nil), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rsT0)
			h.add(tc.active)
			h.at(rsT.Add(-20 * license.Day))
			h.events()
			key := h.key(tc.reserve)
			if tc.want != nil {
				rsRefused(t, h, tc.want, func() error {
					_, err := h.m.AddReserve(h.ctx, key)
					return err
				})
				h.at(rsT)
				got := h.events()
				assert.Contains(t, got, rsEv(rsT, license.EventGraceStarted), "nothing takes over")
				assert.NotContains(t, got, rsEv(rsT, license.EventReservePromoted))
				return
			}
			r, err := h.m.AddReserve(h.ctx, key)
			require.NoError(t, err)
			assert.Equal(t, []string{rsEv(rsT.Add(-20*license.Day), license.EventReserveAdded)}, h.events())
			h.at(rsT)
			assert.Equal(t, []string{rsEv(rsT, license.EventReservePromoted)}, h.events(), "R4")
			rec, ok := rsKeyRecord(h, r.ID)
			require.True(t, ok)
			assert.False(t, rec.Reserve)
			assert.Equal(t, license.Active, h.state())
		})
	}
}

// R3: one reserve per type: a host with server and workstation guests
// holds a server reserve and a workstation reserve; a second reserve of a
// type already reserved is refused with ErrReserveSlotTaken.
func TestReserve_R3_OneReservePerType(t *testing.T) {
	h := newHarness(t, rsT0)
	vm := func(typ license.Type, q int) license.License {
		return license.License{Edition: "enterprise", Type: typ, Scheme: license.SchemePerVM, Quantity: q, Term: rsYear}
	}
	h.add(vm(license.TypeServer, 5))
	h.add(vm(license.TypeWorkstation, 50))
	h.at(rsT0.Add(300 * license.Day))
	h.events()

	srv, err := h.m.AddReserve(h.ctx, h.key(vm(license.TypeServer, 6)))
	require.NoError(t, err)
	ws, err := h.m.AddReserve(h.ctx, h.key(vm(license.TypeWorkstation, 60)))
	require.NoError(t, err, "R3: a workstation reserve beside the server reserve")
	at := rsT0.Add(300 * license.Day)
	assert.Equal(t, []string{rsEv(at, license.EventReserveAdded), rsEv(at, license.EventReserveAdded)}, h.events())

	for _, typ := range []license.Type{license.TypeServer, license.TypeWorkstation} {
		key := h.key(vm(typ, 7))
		rsRefused(t, h, license.ErrReserveSlotTaken, func() error {
			_, err := h.m.AddReserve(h.ctx, key)
			return err
		})
	}

	h.at(rsT)
	assert.Equal(t, []string{rsEv(rsT, license.EventReservePromoted), rsEv(rsT, license.EventReservePromoted)}, h.events())
	assert.Equal(t, 66, h.m.Status().Seats, "both reserves took over")
	for _, id := range []string{srv.ID, ws.ID} {
		rec, ok := rsKeyRecord(h, id)
		require.True(t, ok)
		assert.False(t, rec.Reserve, id)
	}

	// Promoted, they free their slots: new reserves of each type fit.
	_, err = h.m.AddReserve(h.ctx, h.key(vm(license.TypeServer, 8)))
	require.NoError(t, err)
	_, err = h.m.AddReserve(h.ctx, h.key(vm(license.TypeWorkstation, 80)))
	require.NoError(t, err)
}

// R3: behind one per-CPU key, a server and a workstation per-core reserve
// can both be held, but not two server ones.
func TestReserve_R3_PerCPUOneReservePerType(t *testing.T) {
	h := newHarness(t, rsT0)
	h.add(license.License{Scheme: license.SchemePerCPU, Type: license.TypeServer, Quantity: 2, Term: rsYear})
	h.events()
	core := func(typ license.Type) string {
		return h.key(license.License{Scheme: license.SchemePerCore, Type: typ, Quantity: 16, Term: rsYear})
	}
	_, err := h.m.AddReserve(h.ctx, core(license.TypeServer))
	require.NoError(t, err)
	_, err = h.m.AddReserve(h.ctx, core(license.TypeWorkstation))
	require.NoError(t, err)
	h.events()
	key := core(license.TypeServer)
	rsRefused(t, h, license.ErrReserveSlotTaken, func() error {
		_, err := h.m.AddReserve(h.ctx, key)
		return err
	})
}

// R6: each refusal has its own typed error, adds nothing and sends
// nothing; a bad signature (K3) and a key for another product are refused
// the same way.
func TestReserve_R6_RefusalsAddNothing(t *testing.T) {
	addReserve := func(h *harness, key string) func() error {
		return func() error {
			_, err := h.m.AddReserve(h.ctx, key)
			return err
		}
	}
	mid := rsT0.Add(100 * license.Day)

	t.Run("NoActiveKey/Nothing", func(t *testing.T) {
		h := newHarness(t, rsT0)
		rsRefused(t, h, license.ErrNoActiveKey, addReserve(h, h.key(rsActive())))
	})
	t.Run("NoActiveKey/OnlyTrialKey", func(t *testing.T) {
		h := newHarness(t, rsT0)
		h.add(license.License{Trial: true, Term: 30 * license.Day, Edition: "standard", Type: license.TypeServer,
			Scheme: license.SchemePerDevice, Quantity: 10})
		h.events()
		rsRefused(t, h, license.ErrNoActiveKey, addReserve(h, h.key(rsActive())))
	})
	t.Run("NoActiveKey/OnlyStartedTrial", func(t *testing.T) {
		h := newHarness(t, rsT0)
		require.NoError(t, h.m.StartTrial(h.ctx))
		h.events()
		rsRefused(t, h, license.ErrNoActiveKey, addReserve(h, h.key(rsActive())))
	})
	t.Run("NoActiveKey/ExpiredInGrace", func(t *testing.T) {
		h := newHarness(t, rsT0)
		h.add(rsActive())
		h.at(rsT.Add(license.Day))
		require.Equal(t, license.Grace, h.state())
		h.events()
		rsRefused(t, h, license.ErrNoActiveKey, addReserve(h, h.key(rsActive())))
	})
	t.Run("NoActiveKey/NotYetStarted", func(t *testing.T) {
		h := newHarness(t, rsT0)
		l := rsActive()
		l.Term, l.Start, l.Expiry = 0, rsT0.Add(10*license.Day), rsT
		h.add(l)
		require.Equal(t, license.Pending, h.state())
		h.events()
		rsRefused(t, h, license.ErrNoActiveKey, addReserve(h, h.key(rsActive())))
	})
	t.Run("NoActiveKey/Revoked", func(t *testing.T) {
		h := newHarness(t, rsT0)
		a := h.add(rsActive())
		require.NoError(t, h.m.Revoke(h.ctx, a.ID))
		h.events()
		rsRefused(t, h, license.ErrNoActiveKey, addReserve(h, h.key(rsActive())))
	})
	t.Run("Mismatch", func(t *testing.T) {
		h := newHarness(t, rsT0)
		h.add(rsActive())
		h.at(mid)
		h.events()
		r := rsActive()
		r.Edition = "enterprise"
		rsRefused(t, h, license.ErrReserveMismatch, addReserve(h, h.key(r)))
	})
	t.Run("Expired", func(t *testing.T) {
		h := newHarness(t, rsT0)
		h.add(rsActive())
		h.at(mid)
		h.events()
		for _, end := range []time.Time{mid.Add(-license.Day), mid} { // S12: expired at its expiry
			r := rsActive()
			r.Term, r.IssuedAt, r.Expiry = 0, rsT0, end
			rsRefused(t, h, license.ErrReserveExpired, addReserve(h, h.key(r)))
		}
	})
	t.Run("IsActive", func(t *testing.T) {
		h := newHarness(t, rsT0)
		key := h.key(rsActive())
		_, err := h.m.AddKey(h.ctx, key)
		require.NoError(t, err)
		h.at(mid)
		h.events()
		rsRefused(t, h, license.ErrReserveIsActive, addReserve(h, key))
	})
	t.Run("AlreadyReserve", func(t *testing.T) {
		h := newHarness(t, rsT0)
		h.add(rsActive())
		h.at(mid)
		key := h.key(rsActive())
		_, err := h.m.AddReserve(h.ctx, key)
		require.NoError(t, err)
		h.events()
		rsRefused(t, h, license.ErrAlreadyReserve, addReserve(h, key))
		// Nor can it be added as an ordinary key beside itself: adding a
		// key held returns it and changes nothing.
		before := h.m.Keys()
		l, err := h.m.AddKey(h.ctx, key)
		require.NoError(t, err)
		assert.Equal(t, before[1].License, l)
		assert.Equal(t, before, h.m.Keys())
		assert.True(t, h.m.Keys()[1].Reserve)
	})
	t.Run("Trial", func(t *testing.T) {
		h := newHarness(t, rsT0)
		h.add(rsActive())
		h.at(mid)
		h.events()
		r := rsActive()
		r.Trial, r.Term = true, 30*license.Day
		rsRefused(t, h, license.ErrReserveTrial, addReserve(h, h.key(r)))
	})
	t.Run("BadSignature", func(t *testing.T) {
		h := newHarness(t, rsT0)
		h.add(rsActive())
		h.at(mid)
		h.events()
		impostor := MustSigningKey(t, "acme", "impostor")
		l := rsActive()
		l.ID, l.Product, l.IssuedAt = "SN-FORGED", "acme-backup", mid
		forged := MustSign(t, impostor, &l)
		require.Contains(t, forged, impostor.KeyID())
		forged = strings.Replace(forged, impostor.KeyID(), h.sk.KeyID(), 1)
		rsRefused(t, h, license.ErrBadSignature, addReserve(h, forged))
	})
	t.Run("WrongProduct", func(t *testing.T) {
		h := newHarness(t, rsT0, func(c *license.ManagerConfig) { c.Product = "acme-backup" })
		h.add(rsActive())
		h.at(mid)
		h.events()
		r := rsActive()
		r.Product = "acme-mail"
		rsRefused(t, h, license.ErrWrongProduct, addReserve(h, h.key(r)))
	})
}

// rsFixedReserve is a reserve matching rsActive that expires at end.
func rsFixedReserve(end time.Time) license.License {
	r := rsActive()
	r.Term, r.Expiry = 0, end
	return r
}

// R7: when the active key is replaced by one whose validity runs past the
// reserve's expiry, the reserve could never take over: it is removed at
// once, with an event, and another reserve can then be added.
func TestReserve_R7_RemovedWhenActiveReplacedPastReserveExpiry(t *testing.T) {
	h := newHarness(t, rsT0)
	h.add(rsActive())
	h.at(rsT0.Add(10 * license.Day))
	reserve, err := h.m.AddReserve(h.ctx, h.key(rsFixedReserve(rsT.Add(200*license.Day))))
	require.NoError(t, err)
	assert.Equal(t, rsT.Add(200*license.Day), h.m.Status().Expiry)
	h.events()

	replaced := rsT0.Add(20 * license.Day)
	h.at(replaced)
	b := rsActive()
	b.Term = 2 * rsYear // runs to replaced + 730 days, past the reserve's expiry
	h.add(b)
	assert.Equal(t, []string{
		rsEv(replaced, license.EventReserveRemoved),
		rsEv(replaced, license.EventActivated),
	}, h.events())
	_, held := rsKeyRecord(h, reserve.ID)
	assert.False(t, held, "R7: the reserve is gone")
	assert.Equal(t, replaced.Add(2*rsYear), h.m.Status().Expiry)

	// Its slot is free: another reserve can be added.
	_, err = h.m.AddReserve(h.ctx, h.key(rsActive()))
	require.NoError(t, err)
	assert.Equal(t, []string{rsEv(replaced, license.EventReserveAdded)}, h.events())

	// Nothing about the removed reserve comes later.
	h.reopen()
	h.at(rsT.Add(300 * license.Day))
	for _, e := range h.events() {
		assert.NotContains(t, e, string(license.EventReserveRemoved))
		assert.NotContains(t, e, string(license.EventReservePromoted))
	}
}

// R7: a reserve that outlives the new active key's validity is kept, and
// takes over when that validity ends (R4).
func TestReserve_R7_KeptWhenReserveOutlivesNewActiveKey(t *testing.T) {
	h := newHarness(t, rsT0)
	h.add(rsActive())
	h.events()
	h.at(rsT0.Add(10 * license.Day))
	reserve, err := h.m.AddReserve(h.ctx, h.key(rsFixedReserve(rsT.Add(200*license.Day))))
	require.NoError(t, err)
	replaced := rsT0.Add(20 * license.Day)
	h.at(replaced)
	h.add(rsActive()) // runs to replaced + 365 days = T + 20 days
	assert.Equal(t, []string{
		rsEv(rsT0.Add(10*license.Day), license.EventReserveAdded),
		rsEv(replaced, license.EventActivated),
	}, h.events())
	rec, held := rsKeyRecord(h, reserve.ID)
	require.True(t, held)
	assert.True(t, rec.Reserve)

	h.at(rsT.Add(20 * license.Day))
	assert.Contains(t, h.events(), rsEv(rsT.Add(20*license.Day), license.EventReservePromoted))
	assert.Equal(t, license.Active, h.state())
	assert.Equal(t, rsT.Add(200*license.Day), h.m.Status().Expiry)
}

// R7, N1: renewing the active key so that it now ends after the reserve's
// expiry removes the reserve at once.
func TestReserve_R7_RemovedWhenRenewalOutlivesReserve(t *testing.T) {
	h := newHarness(t, rsT0)
	a := h.add(rsActive())
	h.at(rsT.Add(-20 * license.Day))
	reserve, err := h.m.AddReserve(h.ctx, h.key(rsFixedReserve(rsT.Add(100*license.Day))))
	require.NoError(t, err)
	h.events()

	renewed := rsT.Add(-10 * license.Day)
	h.at(renewed)
	_, err = h.m.Renew(h.ctx, a.ID, h.key(rsActive())) // from T to T + 365 days
	require.NoError(t, err)
	assert.Equal(t, []string{
		rsEv(renewed, license.EventReserveRemoved),
		rsEv(renewed, license.EventRenewed),
	}, h.events())
	_, held := rsKeyRecord(h, reserve.ID)
	assert.False(t, held)
	assert.Equal(t, rsT.Add(rsYear), h.m.Status().Expiry)
	_, err = h.m.AddReserve(h.ctx, h.key(rsActive()))
	require.NoError(t, err, "another reserve can be added")
}

// R7: a reserve that expires while it waits, before the active key ends,
// is removed at its expiry, with an event then; its slot is free again,
// and it does not take over at T.
func TestReserve_R7_RemovedWhenItExpiresWhileWaiting(t *testing.T) {
	h := newHarness(t, rsT0)
	h.add(rsActive())
	added := rsT0.Add(100 * license.Day)
	h.at(added)
	h.events()
	end := rsT.Add(-50 * license.Day)
	reserve, err := h.m.AddReserve(h.ctx, h.key(rsFixedReserve(end)))
	require.NoError(t, err)
	assert.Equal(t, []string{rsEv(added, license.EventReserveAdded)}, h.events())
	rec, held := rsKeyRecord(h, reserve.ID)
	require.True(t, held, "held while it waits")
	assert.True(t, rec.Reserve)
	assert.Equal(t, rsT, h.m.Status().Expiry, "it can never take over, so it extends nothing")

	h.at(end.Add(-time.Nanosecond))
	assert.Empty(t, h.events())
	_, held = rsKeyRecord(h, reserve.ID)
	assert.True(t, held, "still held just before its expiry")
	rsRefused(t, h, license.ErrReserveSlotTaken, func() error {
		_, err := h.m.AddReserve(h.ctx, h.key(rsActive()))
		return err
	})

	h.at(end)
	assert.Equal(t, []string{rsEv(end, license.EventReserveRemoved)}, h.events())
	_, held = rsKeyRecord(h, reserve.ID)
	assert.False(t, held)
	h.reopen()
	assert.Empty(t, h.events(), "sent once")

	h.at(rsT)
	got := h.events()
	assert.Contains(t, got, rsEv(rsT, license.EventGraceStarted))
	assert.NotContains(t, got, rsEv(rsT, license.EventReservePromoted))

	// Its slot is free again (here after T, with a fresh active key).
	h.add(rsActive())
	h.events()
	_, err = h.m.AddReserve(h.ctx, h.key(rsActive()))
	require.NoError(t, err)
}

// R7, R6: RemoveReserve removes a reserve, with an event, so that another
// can be added; it refuses the active key (ErrNotReserve) and an unknown
// ID (ErrUnknownLicense), changing nothing.
func TestReserve_R7_RemoveReserve(t *testing.T) {
	h := newHarness(t, rsT0)
	a := h.add(rsActive())
	at := rsT0.Add(50 * license.Day)
	h.at(at)
	r, err := h.m.AddReserve(h.ctx, h.key(rsActive()))
	require.NoError(t, err)
	h.events()

	rsRefused(t, h, license.ErrNotReserve, func() error { return h.m.RemoveReserve(h.ctx, a.ID) })
	rsRefused(t, h, license.ErrUnknownLicense, func() error { return h.m.RemoveReserve(h.ctx, "SN-999") })

	require.NoError(t, h.m.RemoveReserve(h.ctx, r.ID))
	assert.Equal(t, []string{rsEv(at, license.EventReserveRemoved)}, h.events())
	_, held := rsKeyRecord(h, r.ID)
	assert.False(t, held)
	assert.Equal(t, rsT, h.m.Status().Expiry)
	rsRefused(t, h, license.ErrUnknownLicense, func() error { return h.m.RemoveReserve(h.ctx, r.ID) })

	r2, err := h.m.AddReserve(h.ctx, h.key(rsActive()))
	require.NoError(t, err, "another reserve can be added")
	h.events()
	h.at(rsT)
	assert.Equal(t, []string{rsEv(rsT, license.EventReservePromoted)}, h.events())
	rec, _ := rsKeyRecord(h, r2.ID)
	assert.False(t, rec.Reserve)
	// Promoted, it is no longer a reserve.
	rsRefused(t, h, license.ErrNotReserve, func() error { return h.m.RemoveReserve(h.ctx, r2.ID) })
}

// R4, R1: when the active key is removed, the reserve standing behind it
// takes over at once, not at the removed key's expiry, and a term reserve
// starts its term then (L2).
func TestReserve_R4_TakesOverAtOnceWhenActiveKeyRemoved(t *testing.T) {
	h := newHarness(t, rsT0)
	a := h.add(rsActive())
	at := rsT0.Add(100 * license.Day)
	h.at(at)
	r, err := h.m.AddReserve(h.ctx, h.key(rsActive()))
	require.NoError(t, err)
	h.events()

	require.NoError(t, h.m.RemoveKey(h.ctx, a.ID))
	assert.Equal(t, []string{
		rsEv(at, license.EventKeyRemoved),
		rsEv(at, license.EventReservePromoted),
	}, h.events(), "no gap, no grace")
	assert.Equal(t, license.Active, h.state())
	assert.Equal(t, at.Add(rsYear), h.m.Status().Expiry)
	rec, ok := rsKeyRecord(h, r.ID)
	require.True(t, ok)
	assert.False(t, rec.Reserve)
	assert.Equal(t, at, rec.Activated.UTC())

	h.reopen()
	h.at(rsT)
	assert.Empty(t, h.events(), "nothing happens at the removed key's old expiry")
}
