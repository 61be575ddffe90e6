package license

import (
	"errors"
	"time"
)

// Errors of [Manager.AddReserve]: each refusal of R6 has its own, and the
// refused key is not added.
var (
	// ErrNoActiveKey: there is no active key for a reserve to stand behind.
	ErrNoActiveKey = errors.New("license: no active key to add a reserve to")
	// ErrReserveMismatch: the reserve does not match the active key (R2):
	// another product or edition, or a type or scheme that cannot take
	// over.
	ErrReserveMismatch = errors.New("license: reserve key does not match the active key")
	// ErrReserveExpired: the reserve key has already expired.
	ErrReserveExpired = errors.New("license: reserve key has already expired")
	// ErrReserveIsActive: the key is the active key itself.
	ErrReserveIsActive = errors.New("license: the key is the active key")
	// ErrAlreadyReserve: the key is already the reserve.
	ErrAlreadyReserve = errors.New("license: the key is already the reserve")
	// ErrReserveTrial: a trial key cannot be a reserve.
	ErrReserveTrial = errors.New("license: a trial key cannot be a reserve")
	// ErrReserveSlotTaken: there is already a reserve for this type of
	// machine (R3: one reserve per type).
	ErrReserveSlotTaken = errors.New("license: there is already a reserve key for this type")
)

// reserveMatches reports whether reserve can take over from active (R2):
// same product and edition; with the per-virtual-machine scheme, the same
// type as the guests (server or workstation); with the per-CPU or per-core
// scheme, a per-CPU or per-core key whatever the operating system;
// otherwise the same scheme and a compatible type.
func reserveMatches(active, reserve *License) bool {
	if active.Product != reserve.Product || active.Edition != reserve.Edition {
		return false
	}
	switch active.Scheme {
	case SchemePerCPU, SchemePerCore:
		return reserve.Scheme == SchemePerCPU || reserve.Scheme == SchemePerCore
	case SchemePerVM:
		return reserve.Scheme == SchemePerVM && reserve.Type == active.Type
	}
	return reserve.Scheme == active.Scheme &&
		(reserve.Type == active.Type || reserve.Type == TypeAny || active.Type == TypeAny)
}

// checkReserve returns why candidate cannot be added as a reserve to the
// holdings at instant at (R6, R3), or nil. It changes nothing.
func checkReserve(keys []Holding, candidate *License, at time.Time) error {
	if candidate.Trial {
		return ErrReserveTrial
	}
	digest, err := candidate.Digest()
	if err != nil {
		return err
	}
	for _, k := range keys {
		d, _ := k.License.Digest()
		if d != digest {
			continue
		}
		if k.Reserve {
			return ErrAlreadyReserve
		}
		return ErrReserveIsActive
	}
	if _, until, ok := candidate.Period(at); ok && !until.IsZero() && !at.Before(until) {
		return ErrReserveExpired
	}
	var active, matching bool
	for _, k := range keys {
		if k.Reserve || k.License.Trial || k.License.ValidAt(at, k.Activated) != nil || (!k.Revoked.IsZero() && !at.Before(k.Revoked)) {
			continue
		}
		active = true
		if reserveMatches(k.License, candidate) {
			matching = true
		}
	}
	switch {
	case !active:
		return ErrNoActiveKey
	case !matching:
		return ErrReserveMismatch
	}
	for _, k := range keys {
		if k.Reserve && k.License.Type == candidate.Type {
			return ErrReserveSlotTaken
		}
	}
	return nil
}
