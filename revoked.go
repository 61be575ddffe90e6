package license

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/licensekit/license/internal/eventid"
)

// LoadRevocationList verifies a revocation list and, when it is newer
// than the one the installation holds, keeps it in the installation's
// state, so that a restart keeps the newest list (C2), and loads it into
// the Verifier. From then on (C3):
//   - a license it names grants nothing, held as a key or in an
//     activation certificate, with one revoked event (S8);
//   - an activation certificate it names grants nothing, and no newer
//     certificate of that activation is accepted;
//   - a signing key it names is retired: what it signed grants nothing.
//
// A revocation-list-loaded event says which list was loaded. Loading the
// list held again does nothing. A list the Verifier loaded from elsewhere
// reaches the installation at its next operation or Advance.
//
// It fails, changing nothing, with the errors of
// [Verifier.VerifyRevocationList], or an error wrapping
// ErrStaleRevocationList for a list older than the one held.
func (m *Manager) LoadRevocationList(ctx context.Context, text string) error {
	r, err := m.cfg.Verifier.VerifyRevocationList(text)
	if err != nil {
		return err
	}
	m.mu.Lock()
	held := m.stateList(m.st).serial()
	m.mu.Unlock()
	switch {
	case r.Serial < held:
		return fmt.Errorf("%w: serial %d, the installation holds %d", ErrStaleRevocationList, r.Serial, held)
	case r.Serial == held:
		return nil
	}
	// The Verifier keeps the newest list it was given; the change below
	// adopts it, this one or a newer one.
	if _, err := m.cfg.Verifier.loadList(&loadedList{list: r, text: text}); err != nil && !errors.Is(err, ErrStaleRevocationList) {
		return err
	}
	return m.change(ctx, m.now(), nil)
}

// stateList returns the revocation list whose text st holds, or nil.
func (m *Manager) stateList(st InstallationState) *loadedList {
	switch {
	case st.RevocationList == "":
		return nil
	case m.revs != nil && m.revs.text == st.RevocationList:
		return m.revs
	}
	r, err := m.cfg.Verifier.VerifyRevocationList(st.RevocationList)
	if err != nil {
		// Its serial cannot be trusted either: taking it anyway would let
		// a forged state refuse every future list as stale.
		return nil
	}
	m.revs = &loadedList{list: r, text: st.RevocationList}
	return m.revs
}

// adoptRevocations brings st up to the Verifier's revocation list, at
// instant at, when it is newer than the list st holds: it records when
// each license and activation it names stopped granting here, and stops
// what revoked signing keys signed. It returns the events to send beyond
// the timeline's.
func (m *Manager) adoptRevocations(st *InstallationState, at time.Time) []Event {
	ll := m.cfg.Verifier.revoked.Load()
	if ll.serial() <= m.stateList(*st).serial() {
		return nil
	}
	st.RevocationList, m.revs = ll.text, ll
	for i := range st.Keys {
		k := &st.Keys[i]
		if l := m.license[k.Key]; l != nil && k.Removed.IsZero() && k.Revoked.IsZero() && ll.list.RevokesLicense(l.ID) {
			k.Revoked = at
		}
	}
	for i := range st.Certificates {
		if rec := &st.Certificates[i]; rec.Removed.IsZero() {
			m.revokeListed(rec, m.cert[rec.Text], ll, at)
		}
	}
	if len(ll.list.SigningKeys) > 0 {
		m.dropRetired(*st)
	}
	e := newEvent(EventRevocationListLoaded, at, "", fmt.Sprintf("revocation list %d loaded: %d licenses, %d activations, %d signing keys revoked",
		ll.list.Serial, len(ll.list.Licenses), len(ll.list.Activations), len(ll.list.SigningKeys)))
	e.ID = eventid.New(string(e.Kind), at, "list-"+strconv.FormatUint(ll.list.Serial, 10))
	return []Event{e}
}

// revokeListed records in rec, at instant at, the revocation by ll of the
// activation and of the licenses of c, its certificate, that were not
// revoked yet. Either may be nil.
func (m *Manager) revokeListed(rec *CertificateRecord, c *Certificate, ll *loadedList, at time.Time) {
	if ll == nil {
		return
	}
	if rec.Revoked.IsZero() && ll.list.RevokesActivation(rec.ID) {
		rec.Revoked = at
	}
	if c == nil {
		return
	}
	for _, l := range c.Licenses {
		if ll.list.RevokesLicense(l.ID) && rec.RevokedLicenses[l.ID].IsZero() {
			if rec.RevokedLicenses == nil {
				rec.RevokedLicenses = map[string]time.Time{}
			}
			rec.RevokedLicenses[l.ID] = at
		}
	}
}

// dropRetired forgets the licenses and certificates of st whose signer
// the Verifier has retired: they grant nothing from now on, as after a
// restart.
func (m *Manager) dropRetired(st InstallationState) {
	for _, k := range st.Keys {
		if m.license[k.Key] != nil {
			if _, err := m.cfg.Verifier.verifyKey(k.Key); errors.Is(err, ErrRetiredSigner) {
				m.license[k.Key] = nil
			}
		}
	}
	for _, rec := range st.Certificates {
		if m.cert[rec.Text] != nil {
			if _, err := m.cfg.Verifier.verifyCertificate(rec.Text); errors.Is(err, ErrRetiredSigner) {
				m.cert[rec.Text] = nil
			}
		}
	}
}
