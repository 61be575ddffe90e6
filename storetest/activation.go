package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/licensekit/license/portal"
)

// activationsLeasesRevocations checks that s keeps what online
// activation, floating leases and revocations add to the documents (A1,
// A3, A6, F1, C2): the vendor's activations, the index of each device's
// activations and trials, the revocations and their count, and an
// organization's leases, record by record: a record changed, one
// deleted, the others kept.
func activationsLeasesRevocations(ctx context.Context, t *testing.T, s portal.PortalStore) {
	t.Helper()
	a1 := portal.Activation{ID: "act-1", Org: "acme", Fingerprint: "pc-1", Product: "acme-backup", Licenses: []string{"SN-1"},
		Activated: t0, LastCheckIn: t0.Add(time.Hour), NotAfter: t0.Add(30 * 24 * time.Hour)}
	a2 := portal.Activation{ID: "act-2", Fingerprint: "pc-2", Product: "acme-backup", Licenses: []string{"LK-2"},
		Activated: t0, LastCheckIn: t0, NotAfter: t0.Add(time.Hour), Trial: true, Key: "LK1.trial"}
	rev := portal.Revocation{Kind: portal.RevokedActivation, ID: "act-9", Reason: "stolen", At: t0, By: "carol", Serial: 2}
	err := s.UpdateVendor(ctx, func(v *portal.Vendor) error {
		v.Activations.Put(a1.ID, a1)
		v.Activations.Put(a2.ID, a2)
		v.DeviceActivations.Put("SN-1|pc-1", portal.ActivationRef{Activation: "act-1", Activated: t0})
		v.TrialStarts.Put("acme-backup|pc-2", portal.ActivationRef{Activation: "act-2", Activated: t0})
		v.Revocations.Put("activation:act-9", rev)
		v.Revocations.Put("license:SN-9", portal.Revocation{Kind: portal.RevokedLicense, ID: "SN-9", At: t0, Serial: 3})
		v.RevocationCount = 2
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A later update changes one record of each kind, and deletes one.
	a1.Deactivated = t0.Add(2 * time.Hour)
	err = s.UpdateVendor(ctx, func(v *portal.Vendor) error {
		v.Activations.Put(a1.ID, a1)
		v.Revocations.Delete("license:SN-9")
		v.RevocationCount = 3
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.ViewVendor(ctx, func(v *portal.Vendor) error {
		got1, _ := v.Activations.Get("act-1")
		got2, _ := v.Activations.Get("act-2")
		if diff := cmp.Diff([]portal.Activation{a1, a2}, []portal.Activation{got1, got2}, equate); diff != "" {
			t.Errorf("activations (-want +stored):\n%s", diff)
		}
		if r := v.DeviceActivations.Peek("SN-1|pc-1"); r.Activation != "act-1" || !r.Activated.Equal(t0) {
			t.Errorf("device activation %+v", r)
		}
		if r := v.TrialStarts.Peek("acme-backup|pc-2"); r.Activation != "act-2" || !r.Activated.Equal(t0) {
			t.Errorf("trial start %+v", r)
		}
		if diff := cmp.Diff(rev, v.Revocations.Peek("activation:act-9"), equate); diff != "" || v.Revocations.Len() != 1 {
			t.Errorf("revocations: %d, (-want +stored):\n%s", v.Revocations.Len(), diff)
		}
		if v.RevocationCount != 3 {
			t.Errorf("revocation count %d, want 3", v.RevocationCount)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// An organization's leases, one record each, by lease ID; a license's
	// leases are read together, apart from those of a license whose ID
	// starts as its own (F1).
	o := sampleOrganization("acme", 1)
	if err := s.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	lease := func(lic, fp string) portal.Lease {
		return portal.Lease{ID: lic + "|" + fp, License: lic, Org: "acme", Activation: "act-1", Fingerprint: fp,
			Expires: t0.Add(time.Hour)}
	}
	added := []portal.Lease{lease("FLOAT-1", "pc-1"), lease("FLOAT-1|x", "pc-2"), lease("FLOAT-2", "pc-1")}
	err = s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
		for _, l := range added {
			o.Leases.Put(l.ID, l)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range added {
		o.Leases.Put(l.ID, l)
	}
	mustEqualOrg(t, s, o)
	pc0 := o.Leases.Peek("FLOAT-1|pc-0")
	wantFloat1 := portal.LeaseSet{"pc-0": pc0, "pc-1": added[0]}
	for _, view := range []bool{false, true} {
		fn := func(o *portal.Organization) error {
			if diff := cmp.Diff(wantFloat1, o.Leases.OfLicense("FLOAT-1"), equate); diff != "" {
				t.Errorf("leases of FLOAT-1 (view %v) (-want +stored):\n%s", view, diff)
			}
			return nil
		}
		if view {
			err = s.ViewOrganization(ctx, "acme", fn)
		} else {
			err = s.UpdateOrganization(ctx, "acme", fn)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// A heartbeat's update changes one lease; a release deletes one.
	beat := added[0]
	beat.Expires = t0.Add(2 * time.Hour)
	err = s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
		o.Leases.Put(beat.ID, beat)
		o.Leases.Delete("FLOAT-2|pc-1")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	o.Leases.Put(beat.ID, beat)
	o.Leases.Delete("FLOAT-2|pc-1")
	mustEqualOrg(t, s, o)
}
