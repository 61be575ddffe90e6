// Package migration reads the schema migrations that a database store
// embeds: files named NNNN_what.sql, applied in order of their number.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one file of a store's migrations.
type Migration struct {
	Version int
	Name    string // the file's name
	SQL     string
}

// Load returns the migrations matching pattern in fsys (such as
// "migrations/*.sql"), by version. It fails on a file name without a
// version, or two files with one version; store names the store in its
// errors.
func Load(fsys fs.FS, pattern, store string) ([]Migration, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, p := range names {
		name := path.Base(p)
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("%s: migration %s: the name does not start with a version number and _", store, name)
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("%s: migrations %s and %s share version %d", store, ms[i-1].Name, ms[i].Name, ms[i].Version)
		}
	}
	return ms, nil
}
