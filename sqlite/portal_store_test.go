package sqlite_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Once a pruning removed every entry of a history (P5), the next entries
// go on from the numbers it removed: a number is never given twice, so
// that an exported entry is never mistaken for a later one.
func TestPruneHistory_P5_NumbersGoOnAfterPruningAll(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	if err := s.CreateOrganization(ctx, &portal.Organization{ID: "acme", Created: t0,
		History: []portal.HistoryEntry{{Seq: 1, At: t0, Action: "a"}, {Seq: 2, At: t0, Action: "b"}}}); err != nil {
		t.Fatal(err)
	}
	n, first, last, err := s.PruneHistory(ctx, "acme", t0.Add(time.Hour), io.Discard)
	if err != nil || n != 2 || first != 1 || last != 2 {
		t.Fatalf("PruneHistory = %d (#%d to #%d), %v; want 2 (#1 to #2)", n, first, last, err)
	}
	err = s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
		if len(o.History) != 0 {
			t.Errorf("history after pruning all = %v, want none", o.History)
		}
		o.History = append(o.History, portal.HistoryEntry{Seq: 1, At: t0, Action: "c"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page, _, err := s.HistoryPage(ctx, "acme", 0, 10)
	if err != nil || len(page) != 1 || page[0].Seq != 3 || page[0].Action != "c" {
		t.Fatalf("history = %+v, %v; want entry c numbered 3", page, err)
	}
}

// A record that does not decode fails the update that reads it with
// ErrCorrupt, whatever fn decided, and nothing is saved.
func TestUpdateOrganization_CorruptRecord(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	o := &portal.Organization{ID: "acme", Created: t0, Wallet: map[string]int{"p": 1}}
	o.Devices.Put("pc-1", portal.Device{Fingerprint: "pc-1"})
	if err := s.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	Exec(t, s.Path(), "UPDATE devices SET data = '{not json' WHERE id = 'pc-1'")
	err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
		o.Wallet["p"] = 99
		o.Devices.Get("pc-1") // fails, and says it has no such device
		return nil
	})
	if !errors.Is(err, license.ErrCorrupt) {
		t.Fatalf("Update reading a damaged device = %v, want ErrCorrupt", err)
	}
	_ = s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
		if o.Wallet["p"] != 1 {
			t.Errorf("a failed update saved the wallet: %v", o.Wallet)
		}
		return nil
	})
}

// Bad input to the history methods is refused with ErrInvalidInput.
func TestHistory_BadInput(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	for _, c := range []struct {
		before int64
		limit  int
	}{{-1, 10}, {0, 0}, {0, portal.MaxPage + 1}} {
		if _, _, err := s.HistoryPage(ctx, "", c.before, c.limit); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("HistoryPage(before %d, limit %d) = %v, want ErrInvalidInput", c.before, c.limit, err)
		}
	}
	if _, _, _, err := s.PruneHistory(ctx, "", t0, nil); !errors.Is(err, license.ErrInvalidInput) {
		t.Errorf("PruneHistory to a nil writer = %v, want ErrInvalidInput", err)
	}
	if _, _, err := s.HistoryPage(ctx, "a\x00b", 0, 10); !errors.Is(err, license.ErrInvalidInput) {
		t.Errorf("HistoryPage of an ID with a NUL = %v, want ErrInvalidInput", err)
	}
}
