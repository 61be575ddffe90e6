package license

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CheckInner reaches the license server for a fresh activation
// certificate (A4). A [Manager] calls it, through Run or
// [Manager.CheckIn], when a certificate it holds nears its NotAfter; the
// host implements it over whatever transport it uses (package http has a
// client). An error is reported as a checkin-failed event and the
// check-in is tried again later; the certificate held keeps granting
// until its NotAfter and the policy's CheckInGrace.
type CheckInner interface {
	CheckIn(ctx context.Context, req CheckInRequest) (CheckInResponse, error)
}

// CheckInRequest is what a device sends when it checks in (A4): its
// activation, its fingerprint (A2), the serial of the revocation list it
// holds (C2), and the application.
type CheckInRequest struct {
	ActivationID     string   `json:"activation_id"`
	Fingerprint      string   `json:"fingerprint"`
	RevocationSerial uint64   `json:"revocation_serial"` // 0 when it holds none
	Software         Software `json:"software"`
}

// CheckInResponse is the license server's answer to a check-in: a fresh
// certificate of the activation, and the newest revocation list, or ""
// when the device's is current.
type CheckInResponse struct {
	Certificate    string `json:"certificate"`
	RevocationList string `json:"revocation_list"`
}

// How long a Manager waits before it tries a failed check-in again: one
// minute after the first failure, doubling with each further one, at
// most an hour, so that a server back after an outage is reached within
// the hour without being flooded meanwhile.
const (
	checkInRetryMin = time.Minute
	checkInRetryMax = time.Hour
)

// checkInRetry is when a Manager tries an activation's check-in again,
// after how many failures in a row. It lives in memory only: a restarted
// application checks in at once.
type checkInRetry struct {
	failures int
	at       time.Time
}

// checkInBackoff returns how long to wait after n failures in a row.
func checkInBackoff(n int) time.Duration {
	return min(checkInRetryMin<<min(max(n-1, 0), 10), checkInRetryMax)
}

// checkInAt returns when certificate c is due for a check-in: window
// before its NotAfter, or half way through its life when it lives less
// than twice the window (A4).
func checkInAt(c *Certificate, window time.Duration) time.Time {
	life := c.NotAfter.Sub(c.Issued)
	if life < 2*window {
		return c.Issued.Add(life / 2)
	}
	return c.NotAfter.Add(-window)
}

// CheckIn checks in with the license server, through
// ManagerConfig.CheckIn, for each activation certificate held that is
// due: CheckInWindow before its NotAfter, or half way through its life
// when it lives less than twice the window, and, after a failure, once a
// backoff of one minute, doubling up to an hour, has passed (A4). On
// success it adds the fresh certificate as AddCertificate does and loads
// the revocation list sent along, if any, as LoadRevocationList does. A
// failure sends a checkin-failed event; the certificate held keeps
// granting until its NotAfter and the check-in grace.
//
// Run calls it whenever a check-in falls due; call it yourself when you
// drive the Manager with Advance. It returns the errors of the check-ins
// that failed, joined, or nil when none did or none was due, or when no
// CheckInner is configured.
func (m *Manager) CheckIn(ctx context.Context) error {
	if m.cfg.CheckIn == nil {
		return nil
	}
	at := m.now().UTC()
	if seen := m.snap.Load().at; at.Before(seen) {
		at = seen // never earlier than the latest instant evaluated (S9)
	}
	m.mu.Lock()
	var due []*Certificate
	for _, c := range m.checkInsHeld() {
		if !m.checkInDue(c).After(at) {
			due = append(due, c)
		}
	}
	m.mu.Unlock()
	var errs []error
	for _, c := range due {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := m.checkIn(ctx, c, at); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkInsHeld returns the certificates that are checked in: held, not
// revoked, verifying on this device, and holding a license that no
// revocation list named: a certificate whose every license is revoked
// has nothing left to refresh, and the server refuses its check-ins
// (C3). It needs m.mu held.
func (m *Manager) checkInsHeld() []*Certificate {
	var cs []*Certificate
	for _, rec := range m.st.Certificates {
		c := m.cert[rec.Text]
		if c == nil || !rec.Removed.IsZero() || !rec.Revoked.IsZero() {
			continue
		}
		for _, l := range c.Licenses {
			if rec.RevokedLicenses[l.ID].IsZero() {
				cs = append(cs, c)
				break
			}
		}
	}
	return cs
}

// checkInDue returns when certificate c is next checked in: when it is
// due, or later after failures. It needs m.mu held.
func (m *Manager) checkInDue(c *Certificate) time.Time {
	return maxTime(checkInAt(c, m.policy.normalized().CheckInWindow), m.retry[c.ID].at)
}

// nextCheckIn returns the earliest instant a check-in falls due, or zero
// when none will.
func (m *Manager) nextCheckIn() time.Time {
	if m.cfg.CheckIn == nil {
		return time.Time{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var next time.Time
	for _, c := range m.checkInsHeld() {
		if due := m.checkInDue(c); next.IsZero() || due.Before(next) {
			next = due
		}
	}
	return next
}

// checkIn checks in the activation of certificate c at instant at, and
// schedules the next attempt.
func (m *Manager) checkIn(ctx context.Context, c *Certificate, at time.Time) error {
	m.mu.Lock()
	serial := m.stateList(m.st).serial()
	m.mu.Unlock()
	resp, err := m.cfg.CheckIn.CheckIn(ctx, CheckInRequest{
		ActivationID: c.ID, Fingerprint: m.cfg.Fingerprint, RevocationSerial: serial, Software: m.cfg.Software,
	})
	if err == nil {
		err = m.applyCheckIn(ctx, c.ID, resp)
	}
	if err == nil {
		m.mu.Lock()
		delete(m.retry, c.ID)
		if i := m.findCertificate(m.st, c.ID); i >= 0 {
			if now := m.cert[m.st.Certificates[i].Text]; now != nil && !m.checkInDue(now).After(at) {
				// The server had nothing newer: ask again later, quietly.
				m.retry[c.ID] = checkInRetry{at: at.Add(checkInRetryMax)}
			}
		}
		m.mu.Unlock()
		return nil
	}
	if ctx.Err() != nil {
		return err // stopped, not failed
	}
	m.mu.Lock()
	r := m.retry[c.ID]
	r.failures++
	r.at = at.Add(checkInBackoff(r.failures))
	m.retry[c.ID] = r
	m.mu.Unlock()
	err = fmt.Errorf("license: check-in of activation %q: %w", c.ID, err)
	lapse := c.NotAfter.Add(m.policy.normalized().CheckInGrace)
	if cerr := m.change(ctx, m.now(), func(st *InstallationState, ev Evaluation) ([]Event, error) {
		return []Event{newActivationEvent(EventCheckInFailed, ev.At, c.ID, fmt.Sprintf(
			"%v; next attempt %s; the activation grants until %s", err, formatEnd(r.at), formatEnd(lapse)))}, nil
	}); cerr != nil {
		return errors.Join(err, cerr)
	}
	return err
}

// applyCheckIn loads the revocation list and adds the certificate of a
// check-in's response for activation id. The list goes first, so that a
// certificate of an activation it revokes is refused.
func (m *Manager) applyCheckIn(ctx context.Context, id string, resp CheckInResponse) error {
	var errs []error
	if resp.RevocationList != "" {
		if err := m.LoadRevocationList(ctx, resp.RevocationList); err != nil {
			errs = append(errs, err)
		}
	}
	if resp.Certificate == "" {
		errs = append(errs, fmt.Errorf("%w: the license server sent no certificate", ErrMalformedCertificate))
	} else if _, err := m.addCertificate(ctx, resp.Certificate, id); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
