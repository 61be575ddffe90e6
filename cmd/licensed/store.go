package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/postgres"
	"github.com/licensekit/license/sqlite"
)

// storeFlags are the flags that say where the portal's data is.
type storeFlags struct {
	data, dsn, schema string
}

func (f *storeFlags) register(fl *flag.FlagSet) {
	fl.StringVar(&f.data, "data", "licensed-data", "the data `directory`: the SQLite store, and the vendor's signing key")
	fl.StringVar(&f.dsn, "postgres", "", "keep the portal in the PostgreSQL database of this `DSN` rather than in SQLite")
	fl.StringVar(&f.schema, "postgres-schema", "", "with -postgres, the `schema` of the tables (default: the connection's current schema)")
}

// store is an open portal store.
type store struct {
	portal.PortalStore
	what  string // for people: "SQLite in licensed-data/licensed.db"
	close func()
}

// open opens the store the flags name, making the data directory if
// needed.
func (f *storeFlags) open(ctx context.Context) (*store, error) {
	if f.dsn != "" {
		var opts []postgres.Option
		if f.schema != "" {
			opts = append(opts, postgres.WithSchema(f.schema))
		}
		pg, err := postgres.Open(ctx, f.dsn, opts...)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		return &store{PortalStore: pg, what: "PostgreSQL", close: pg.Close}, nil
	}
	if f.schema != "" {
		return nil, usageError("-postgres-schema needs -postgres")
	}
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(f.data, "licensed.db")
	db, err := sqlite.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open SQLite: %w", err)
	}
	return &store{PortalStore: db, what: "SQLite in " + path, close: func() { db.Close() }}, nil
}

// signingKey reads the vendor's signing key from the data directory,
// making it on the first start. Processes that start at once on one
// directory agree on one key: the first to link its file in wins.
func (f *storeFlags) signingKey() (*license.SigningKey, error) {
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(f.data, "signing.key")
	if k, err := readKey(path); !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, err := license.GenerateSigningKey("licensed", rand.Reader)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(f.data, ".signing.key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(k.Export() + "\n"); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return readKey(path)
}

func readKey(path string) (*license.SigningKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := license.ParseSigningKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}
