package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// vendorRow is the vendor's row as an update read it.
type vendorRow struct {
	exists     bool
	seq        int64
	revoked    uint64 // revocations so far
	customers  []byte
	historySeq int64
	history    given
}

var (
	sqlReadVendor  = prepared("SELECT seq, customers, history_seq, revocation_count FROM vendor WHERE id = 1")
	sqlWriteVendor = prepared("INSERT INTO vendor (id, seq, customers, revocation_count) VALUES (1, ?, ?, ?) " +
		"ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, customers = excluded.customers, revocation_count = excluded.revocation_count")
)

// UpdateVendor runs fn on the vendor's document and saves what it
// changed, in one write transaction, as [Store.UpdateOrganization] does an
// organization: fn reads the codes, vouchers, serials, upgrades, owners,
// lives, organizations, tokens, webhooks, code licenses, activations and
// revocations it asks for, and the store writes back those it changed. A
// file with no vendor document yet gives fn an empty one, with its maps
// made. It returns an error matching license.ErrCorrupt if a record it
// reads does not decode, and fn's error, as is, if fn fails.
func (s *Store) UpdateVendor(ctx context.Context, fn func(*portal.Vendor) error) error {
	if err := checkVendorArgs(ctx, fn == nil); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		v, row, err := openVendor(t)
		if err != nil {
			return err
		}
		err = fn(v)
		if t.err != nil {
			return t.err
		}
		if err != nil {
			return err
		}
		return saveVendor(t, v, row)
	})
}

// ViewVendor runs fn on the vendor's document, as last committed, or on
// an empty one if there is none yet, in a read transaction. fn must not
// change it, nor keep it.
func (s *Store) ViewVendor(ctx context.Context, fn func(*portal.Vendor) error) error {
	if err := checkVendorArgs(ctx, fn == nil); err != nil {
		return err
	}
	return s.read(ctx, func(t *tx) error {
		v, _, err := openVendor(t)
		if err != nil {
			return err
		}
		err = fn(v)
		if t.err != nil {
			return t.err
		}
		return err
	})
}

func checkVendorArgs(ctx context.Context, noFn bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if noFn {
		return fmt.Errorf("%w: nil function", license.ErrInvalidInput)
	}
	return nil
}

// openVendor reads the vendor's row, and returns the vendor's document
// with its tables reading from t.
func openVendor(t *tx) (*portal.Vendor, *vendorRow, error) {
	row := new(vendorRow)
	ok, err := t.queryRow(sqlReadVendor, nil, &row.seq, &row.customers, &row.historySeq, &row.revoked)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: read the vendor: %w", err)
	}
	row.exists = ok
	v := &portal.Vendor{Seq: row.seq, RevocationCount: row.revoked}
	if ok {
		if err := json.Unmarshal(row.customers, &v.Customers); err != nil {
			return nil, nil, fmt.Errorf("%w: the vendor's customers: %w", license.ErrCorrupt, err)
		}
	}
	if v.Customers == nil {
		v.Customers = map[string][]string{}
	}
	v.Owners.SetSource(source[string]{t, owners, ""})
	v.Lives.SetSource(source[portal.LicenseLife]{t, lives, ""})
	v.Codes.SetSource(source[portal.ActivationCode]{t, codes, ""})
	v.Vouchers.SetSource(source[portal.Voucher]{t, vouchers, ""})
	v.Serials.SetSource(source[portal.Serial]{t, serials, ""})
	v.Upgrades.SetSource(source[portal.UpgradeNotice]{t, upgrades, ""})
	v.Organizations.SetSource(source[portal.OrgSummary]{t, vendorOrgs, ""})
	v.Tokens.SetSource(source[portal.Token]{t, tokens, ""})
	v.Webhooks.SetSource(source[portal.Webhook]{t, webhooks, ""})
	v.CodeLicenses.SetSource(source[portal.CodeLicense]{t, codeLics, ""})
	v.Activations.SetSource(source[portal.Activation]{t, activs, ""})
	v.DeviceActivations.SetSource(source[portal.ActivationRef]{t, devActivs, ""})
	v.TrialStarts.SetSource(source[portal.ActivationRef]{t, trials, ""})
	v.Revocations.SetSource(source[portal.Revocation]{t, revocations, ""})
	if v.History, row.history, err = newestEntry(t, ""); err != nil {
		return nil, nil, err
	}
	return v, row, nil
}

// saveVendor writes back what an update changed in v, read as row.
func saveVendor(t *tx, v *portal.Vendor, row *vendorRow) error {
	customers, err := json.Marshal(v.Customers)
	if err != nil {
		return fmt.Errorf("sqlite: save the vendor: %w", err)
	}
	if !row.exists || v.Seq != row.seq || v.RevocationCount != row.revoked || !bytes.Equal(customers, row.customers) {
		if _, err := t.exec(sqlWriteVendor, v.Seq, string(customers), v.RevocationCount); err != nil {
			return fmt.Errorf("sqlite: save the vendor: %w", err)
		}
	}
	for _, err := range []error{
		save(t, owners, "", &v.Owners),
		save(t, lives, "", &v.Lives),
		save(t, codes, "", &v.Codes),
		save(t, vouchers, "", &v.Vouchers),
		save(t, serials, "", &v.Serials),
		save(t, upgrades, "", &v.Upgrades),
		save(t, vendorOrgs, "", &v.Organizations),
		save(t, tokens, "", &v.Tokens),
		save(t, webhooks, "", &v.Webhooks),
		save(t, codeLics, "", &v.CodeLicenses),
		save(t, activs, "", &v.Activations),
		save(t, devActivs, "", &v.DeviceActivations),
		save(t, trials, "", &v.TrialStarts),
		save(t, revocations, "", &v.Revocations),
	} {
		if err != nil {
			return err
		}
	}
	return appendNew(t, "", row.history, row.historySeq, v.History)
}
