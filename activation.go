package license

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors of activation certificates held by a Manager.
var (
	// ErrUnknownActivation: no activation certificate with that ID is
	// held.
	ErrUnknownActivation = errors.New("license: no activation certificate with that ID is held")
	// ErrStaleCertificate: the certificate was issued before the one held
	// for the same activation; it never replaces it.
	ErrStaleCertificate = errors.New("license: activation certificate older than the one held")
)

// AddCertificate verifies an activation certificate and holds its
// licenses on this device (A1, A2). The certificate must name the
// device's fingerprint, ManagerConfig.Fingerprint: elsewhere it grants
// nothing (A2). A term license's term runs from the certificate's
// Activated, the instant the license server fixed when the device first
// activated, so deleting the local state and activating again never
// restarts a term (A3).
//
// The licenses grant while the clock is before the certificate's
// NotAfter, then for the policy's CheckInGrace, with a
// checkin-grace-started event at NotAfter, then nothing (a
// checkin-lapsed event, reason ErrCheckInLapsed) until a newer
// certificate of the same activation is added (A4). Run and CheckIn
// fetch that newer certificate through ManagerConfig.CheckIn; a host
// that talks to its license server itself passes it here. A newer
// certificate (by Issued) replaces the one held, with an
// activation-refreshed event; the one held again changes nothing and
// returns it.
//
// It fails, changing nothing, with the errors of
// [Verifier.VerifyCertificate] (among them ErrRevoked for a revoked
// activation, C3), ErrWrongDevice (A2), ErrWrongProduct,
// ErrStaleCertificate, an error wrapping ErrExpired for a certificate
// whose check-in grace is already over, ErrDeleted or
// ErrAgreementRevoked.
func (m *Manager) AddCertificate(ctx context.Context, text string) (*Certificate, error) {
	return m.addCertificate(ctx, text, "")
}

// addCertificate is AddCertificate; a check-in's answer must also be a
// certificate of the activation it asked about, want.
func (m *Manager) addCertificate(ctx context.Context, text, want string) (*Certificate, error) {
	c, err := m.cfg.Verifier.VerifyCertificate(text)
	if err != nil {
		return nil, err
	}
	if want != "" && c.ID != want {
		return nil, fmt.Errorf("%w: the license server answered for activation %q with a certificate of %q", ErrMalformedCertificate, want, c.ID)
	}
	if err := m.checkCertificate(c); err != nil {
		return nil, err
	}
	var held *Certificate
	err = m.change(ctx, m.now(), func(st *InstallationState, ev Evaluation) ([]Event, error) {
		if err := m.refuseIfGone(ev); err != nil {
			return nil, err
		}
		i := m.findCertificate(*st, c.ID)
		var old *Certificate
		if i >= 0 {
			old = m.cert[st.Certificates[i].Text]
		}
		if old != nil {
			switch c.Issued.Compare(old.Issued) {
			case 0:
				held = old
				return nil, errUnchanged
			case -1:
				return nil, fmt.Errorf("%w: %q issued %s, the one held %s", ErrStaleCertificate, c.ID, formatEnd(c.Issued), formatEnd(old.Issued))
			}
		}
		if lapse := c.NotAfter.Add(m.policy.normalized().CheckInGrace); !ev.At.Before(lapse) {
			return nil, fmt.Errorf("%w: the activation certificate %q lapsed at %s; check in for a new one", ErrExpired, c.ID, formatEnd(lapse))
		}
		if i < 0 {
			rec := CertificateRecord{ID: c.ID, Text: text, Added: ev.At}
			m.revokeListed(&rec, c, m.stateList(*st), ev.At)
			st.Certificates = append(st.Certificates, rec)
			m.countActivation(st, c, ev.At)
			m.cert[text] = c
			return nil, nil
		}
		rec := &st.Certificates[i]
		rec.Text = text
		m.revokeListed(rec, c, m.stateList(*st), ev.At)
		m.countActivation(st, c, ev.At)
		m.cert[text] = c
		return []Event{newActivationEvent(EventActivationRefreshed, ev.At, c.ID,
			"activation certificate renewed; it holds until "+formatEnd(c.NotAfter))}, nil
	})
	switch {
	case held != nil:
		return held, nil
	case err != nil:
		return nil, err
	}
	return c, nil
}

// checkCertificate refuses a certificate for another device (A2) or
// another product.
func (m *Manager) checkCertificate(c *Certificate) error {
	if c.Fingerprint != m.cfg.Fingerprint {
		if m.cfg.Fingerprint == "" {
			return fmt.Errorf("%w: certificate %q is for device %q, and ManagerConfig.Fingerprint names none", ErrWrongDevice, c.ID, c.Fingerprint)
		}
		return fmt.Errorf("%w: certificate %q is for device %q, this is %q", ErrWrongDevice, c.ID, c.Fingerprint, m.cfg.Fingerprint)
	}
	if m.cfg.Product == "" {
		return nil
	}
	for _, l := range c.Licenses {
		if l.Product != m.cfg.Product {
			return fmt.Errorf("%w: certificate %q holds %s for %q, not %q", ErrWrongProduct, c.ID, l.ID, l.Product, m.cfg.Product)
		}
	}
	return nil
}

// countActivation counts the licenses of c as AddKey counts a key's: a
// trial uses the installation's trial (S10), a paid license starts the
// activation grace (S7). The license server decides whether a trial may
// start (A6), so a trial used here does not refuse the certificate.
func (m *Manager) countActivation(st *InstallationState, c *Certificate, at time.Time) {
	for _, l := range c.Licenses {
		switch {
		case l.Trial:
			st.Trials = max(st.Trials, 1)
		case st.History.FirstActivated.IsZero():
			st.History.FirstActivated = at
		}
	}
}

// RemoveCertificate removes the activation certificate with that ID, as
// after the device was deactivated on the license server (A5): its
// licenses grant nothing from now on, and what they granted before stays
// in the installation's history. It fails with ErrUnknownActivation.
func (m *Manager) RemoveCertificate(ctx context.Context, activationID string) error {
	err := m.change(ctx, m.now(), func(st *InstallationState, ev Evaluation) ([]Event, error) {
		i := m.findCertificate(*st, activationID)
		if i < 0 {
			return nil, fmt.Errorf("%w: %q", ErrUnknownActivation, activationID)
		}
		st.Certificates[i].Removed = ev.At
		return nil, nil
	})
	if err == nil {
		m.mu.Lock()
		delete(m.retry, activationID)
		m.mu.Unlock()
	}
	return err
}

// findCertificate returns the index in st.Certificates of the held (not
// removed) activation with that ID, or -1.
func (m *Manager) findCertificate(st InstallationState, id string) int {
	for i, rec := range st.Certificates {
		if rec.ID == id && rec.Removed.IsZero() {
			return i
		}
	}
	return -1
}

// loadCertificate returns the certificate of text if it verifies, the
// revocation list aside (the Manager judges revocations from the instant
// it learned of them), and names this device; nil otherwise: a
// certificate copied with the state to another device grants nothing
// there (A2).
func (m *Manager) loadCertificate(text string) *Certificate {
	c, err := m.cfg.Verifier.verifyCertificate(text)
	if err != nil || c.Fingerprint != m.cfg.Fingerprint {
		return nil
	}
	return c
}

// certHoldings appends to hs the licenses of the certificates of st that
// verify here: all of them, or only those held now.
func (m *Manager) certHoldings(hs []Holding, st InstallationState, removedToo bool) []Holding {
	for _, rec := range st.Certificates {
		c := m.cert[rec.Text]
		if c == nil || (!removedToo && !rec.Removed.IsZero()) {
			continue
		}
		for _, l := range c.Licenses {
			h := Holding{
				License: l, Added: rec.Added, Removed: rec.Removed, Revoked: rec.Revoked,
				Activation: c.ID, NotAfter: c.NotAfter,
			}
			if t := rec.RevokedLicenses[l.ID]; !t.IsZero() && (h.Revoked.IsZero() || t.Before(h.Revoked)) {
				h.Revoked = t
			}
			if l.Term > 0 {
				h.Activated = c.Activated // the server's instant (A3)
			}
			hs = append(hs, h)
		}
	}
	return hs
}
