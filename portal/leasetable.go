package portal

// LeaseTable is the [Table] of an organization's floating leases, by
// lease ID, which also finds the leases of one license: a checkout counts
// them (F1), a heartbeat reads its own lease alone.
type LeaseTable struct {
	Table[Lease]
}

// LeaseSource is the [Source] of a [LeaseTable]; LoadLicense returns the
// leases of one license, by lease ID. A lease's ID is its license's ID,
// "|" and the device's fingerprint, so that a store may find a license's
// leases as one range of the leases' IDs (and then keep only those whose
// License is that license: another license's ID may start with this
// one's and "|").
type LeaseSource interface {
	Source[Lease]
	LoadLicense(license string) map[string]Lease
}

// LeasesOf returns a lease table of the leases in m, by lease ID, which
// it takes over.
func LeasesOf(m map[string]Lease) LeaseTable { return LeaseTable{Table: Table[Lease]{m: m}} }

// SetSource empties t and has it load its leases from src when asked.
func (t *LeaseTable) SetSource(src LeaseSource) { t.Table.SetSource(src) }

// OfLicense returns a copy of the leases of license, live or expired, as
// the update holds them, by device fingerprint.
func (t *LeaseTable) OfLicense(license string) LeaseSet {
	if t.src != nil && !t.complete {
		if ls, ok := t.src.(LeaseSource); ok {
			t.merge(ls.LoadLicense(license))
		} else {
			t.loadAll()
		}
	}
	set := LeaseSet{}
	for _, l := range t.m {
		if l.License == license {
			set[l.Fingerprint] = l
		}
	}
	return set
}

func (t *LeaseTable) clone() LeaseTable { return LeaseTable{Table: t.Table.clone()} }

// Equal reports whether t and u hold the same leases.
func (t LeaseTable) Equal(u LeaseTable) bool { return t.Table.Equal(u.Table) }
