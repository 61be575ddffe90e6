// Package filestore is the store of an application's installation state
// (a [license.Store], for a [license.Manager]) in a directory of one
// host: a desktop application, or a single server. It needs nothing but
// the file system.
//
// A portal's organizations and vendor records are not kept here: on one
// host their embedded store is the SQLite module
// (github.com/licensekit/license/sqlite, sqlite.Open), and for several
// instances the PostgreSQL one (github.com/licensekit/license/postgres).
//
// # Layout
//
// Each installation's state is one file, named by the SHA-256 of its ID
// in hex, so that any ID (up to 255 bytes, with '/' or anything else in
// it) makes a safe file name:
//
//	<dir>/installations/<sha256 of the ID>.json
//
// beside which sits its lock file, with the extension .lock. A state
// file holds a JSON envelope: a format number, the kind of document
// ("installation"), its real ID, its version (1, 2, 3… one more at each
// write) and the state itself, with a SHA-256 checksum over all of these.
// A file whose checksum does not match, that is truncated, is not JSON,
// or names another ID or kind than the one asked for is reported with an
// error wrapping [license.ErrCorrupt]: it is never read as empty or
// missing, and never overwritten. Repairing it is for a person: restore
// the file from a backup, or delete it.
//
// A directory written by an earlier release may also hold a portal's
// documents: an organizations/ directory, and vendor.json and vendor.lock
// (with, after a crash, their vendor.json.tmp-* files). The store neither
// reads nor removes them, and opens such a directory as any other; they
// can be deleted.
//
// The store opens its files without following symbolic links and reads
// regular files only: a symbolic link, a FIFO or a device where a state
// file or a lock file should be is refused with an error wrapping
// [ErrNotRegular] (and [license.ErrCorrupt], for a state file), at once.
// So a link cannot make the store create or write a file outside its
// directory, and a FIFO cannot block a call forever while it holds a
// lock.
//
// # Guarantees
//
// Every write is atomic and durable: the new state goes to a temporary
// file in the same directory, which is flushed to disk (fsync), renamed
// over the old one and the directory flushed in turn. A crash, a kill or
// a power cut at any moment leaves either the old state or the new one,
// never a mix; a write that returned without error survives them.
// Temporary files that a crash leaves behind are never read, and [Open]
// removes them.
//
// Each installation has its own lock: a mutex inside the process, and an
// advisory lock, flock(2), on its lock file between processes.
// SaveInstallation's version check and write, and DeleteInstallation,
// hold it exclusively from the read to the write; a read holds it
// shared. So any number of goroutines, and of processes of the host, may
// share one directory: the saves of an installation are serialized, and
// no two of them are given the same version. Installations do not share
// a lock: the saves of different installations run in parallel.
//
// flock(2) is only reliable on a local file system, and a Store keeps the
// state of one host: do not put the directory on a network file system
// (NFS, SMB) or share it between hosts.
package filestore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/licensekit/license"
)

var _ license.Store = (*Store)(nil)

// ErrClosed is returned by the methods of a [Store] after [Store.Close].
var ErrClosed = errors.New("filestore: store is closed")

// Store is a [license.Store] in a directory;
// see the package documentation for what it guarantees. Get one with
// [Open]; the zero Store is not usable. A Store is safe for concurrent
// use, and several Stores, in one process or in several, may share one
// directory.
//
// Besides the errors each method lists, every method returns an error
// wrapping license.ErrInvalidInput for an empty ID, a negative version or
// a nil argument, the context's error if it is done before the work
// starts, ErrClosed after [Store.Close], and the file system's errors.
type Store struct {
	dir    string // absolute
	locks  keyedLocks
	closed atomic.Bool
	fs     fileSystem // the disk, as writes see it
}

// Subdirectory and file names.
const (
	installationsDir = "installations"
	docExt           = ".json"
	lockExt          = ".lock"
	tmpInfix         = docExt + ".tmp-" // <name>.json.tmp-<random>
)

// Open opens the store in directory dir, creating it (mode 0700) and its
// installations subdirectory if needed, and removes the temporary files that a crash
// may have left behind. Open returns an error wrapping
// errors.ErrUnsupported on a platform without flock(2).
func Open(dir string) (*Store, error) {
	if !supported {
		return nil, fmt.Errorf("filestore: %w: no flock(2) on this platform", errors.ErrUnsupported)
	}
	if dir == "" {
		return nil, fmt.Errorf("filestore: %w: empty directory name", license.ErrInvalidInput)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	if err := mkdir(abs); err != nil {
		return nil, err
	}
	if err := mkdir(filepath.Join(abs, installationsDir)); err != nil {
		return nil, err
	}
	s := &Store{dir: abs, fs: osFS{}}
	if err := s.clean(filepath.Join(abs, installationsDir)); err != nil {
		return nil, err
	}
	return s, nil
}

// mkdir creates directory path (mode 0700) and its parents unless it
// exists, and flushes the parent of the one it created to disk.
func mkdir(path string) error {
	if fi, err := os.Stat(path); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("filestore: %s is not a directory", path)
		}
		return nil
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// clean removes the temporary files left in dir by writers that died
// before renaming them. A temporary file is only written under its
// document's exclusive lock, so one whose lock is free, or whose lock file
// is gone, is a leftover; one whose lock is held may be in use, and is
// left for the next Open.
func (s *Store) clean(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	for _, e := range entries {
		base, _, ok := strings.Cut(e.Name(), tmpInfix)
		if !ok || e.IsDir() {
			continue
		}
		tmp := filepath.Join(dir, e.Name())
		h, err := s.tryLockFile(filepath.Join(dir, base+lockExt))
		switch {
		case errors.Is(err, errWouldBlock):
			continue
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("filestore: %w", err)
		}
		err = os.Remove(tmp)
		if h != nil {
			h.unlock()
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("filestore: %w", err)
		}
	}
	return nil
}

// Close closes the store: its methods then return ErrClosed. A Store
// holds no file open between calls, so Close only marks it closed; it
// returns nil.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// check checks what every method receives: an open store, a live
// context, an ID and a version that is not negative.
func (s *Store) check(ctx context.Context, id string, version int64) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("%w: empty ID", license.ErrInvalidInput)
	}
	if version < 0 {
		return fmt.Errorf("%w: negative version %d", license.ErrInvalidInput, version)
	}
	return nil
}

// kind is the kind of document an envelope holds, written in every file
// and checked at every read: the files of earlier releases held other
// kinds too, and a file of another kind is never read as an installation.
const kind = "installation"

// doc names one installation's state: its ID and where its files are.
type doc struct {
	id   string
	dir  string // the directory holding its files
	base string // file name without extension
}

func (s *Store) installation(id string) doc {
	return doc{id: id, dir: filepath.Join(s.dir, installationsDir), base: hashID(id)}
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

func (d doc) path() string     { return filepath.Join(d.dir, d.base+docExt) }
func (d doc) lockPath() string { return filepath.Join(d.dir, d.base+lockExt) }

// errNoDoc: the document does not exist. The methods turn it into what
// their interface says (ErrNotFound, version 0, ErrConflict).
var errNoDoc = errors.New("filestore: no such document")

// lock takes d's lock, exclusive or shared. With create false it does not
// create the lock file of a document that does not exist, and fails with
// errNoDoc instead.
//
// Waiting for the lock, held by another goroutine or process, ends with
// ctx: the lock is then released as soon as it is taken.
func (s *Store) lock(ctx context.Context, d doc, exclusive, create bool) (*heldLock, error) {
	if ctx.Done() == nil {
		return s.lockNow(ctx, d, exclusive, create)
	}
	type locked struct {
		h   *heldLock
		err error
	}
	got := make(chan locked, 1)
	go func() {
		h, err := s.lockNow(ctx, d, exclusive, create)
		got <- locked{h, err}
	}()
	select {
	case l := <-got:
		return l.h, l.err
	case <-ctx.Done():
		go func() {
			if l := <-got; l.err == nil {
				l.h.unlock()
			}
		}()
		return nil, fmt.Errorf("filestore: waiting for the lock of %s %q: %w", kind, d.id, ctx.Err())
	}
}

// lockNow is lock, waiting as long as it takes.
func (s *Store) lockNow(ctx context.Context, d doc, exclusive, create bool) (*heldLock, error) {
	h, err := s.lockFile(d.lockPath(), exclusive, create)
	if !create && errors.Is(err, fs.ErrNotExist) {
		// No lock file: the document does not exist, unless the
		// directory was restored without its lock files.
		if _, serr := os.Lstat(d.path()); errors.Is(serr, fs.ErrNotExist) {
			return nil, errNoDoc
		}
		h, err = s.lockFile(d.lockPath(), exclusive, true)
	}
	if err != nil {
		return nil, fmt.Errorf("filestore: lock %s %q: %w", kind, d.id, err)
	}
	// Waiting for the lock may have taken a while.
	if err := ctx.Err(); err != nil {
		h.unlock()
		return nil, err
	}
	return h, nil
}

// format is the envelope's format number.
const format = 1

// envelope is the content of a document file.
type envelope struct {
	Format  int             `json:"format"`
	Kind    string          `json:"kind"`
	ID      string          `json:"id"`
	Version int64           `json:"version"`
	SHA256  string          `json:"sha256"` // checksum, see checksum
	Doc     json.RawMessage `json:"doc"`
}

// checksum returns the SHA-256, in lower-case hex, of the envelope's
// fields but the checksum, each prefixed by its length: a changed byte in
// any of them, not only in the document, is detected.
func (e *envelope) checksum() string {
	h := sha256.New()
	var b []byte
	for _, f := range []string{strconv.Itoa(e.Format), e.Kind, e.ID, strconv.FormatInt(e.Version, 10)} {
		b = binary.BigEndian.AppendUint64(b[:0], uint64(len(f)))
		h.Write(b)
		h.Write([]byte(f))
	}
	b = binary.BigEndian.AppendUint64(b[:0], uint64(len(e.Doc)))
	h.Write(b)
	h.Write(e.Doc)
	return hex.EncodeToString(h.Sum(nil))
}

// corrupt returns an error wrapping license.ErrCorrupt about d.
func corrupt(d doc, format string, args ...any) error {
	return fmt.Errorf("%w: %s %q (%s): %s", license.ErrCorrupt, kind, d.id, d.path(), fmt.Sprintf(format, args...))
}

// read reads d and checks it, decodes its document into v unless v is
// nil, and returns its version. It returns errNoDoc if there is no such
// file, and an error wrapping license.ErrCorrupt if it is damaged. The
// caller holds d's lock.
func (s *Store) read(d doc, v any) (int64, error) {
	data, err := readRegular(d.path())
	if errors.Is(err, fs.ErrNotExist) {
		return 0, errNoDoc
	}
	if errors.Is(err, ErrNotRegular) {
		return 0, fmt.Errorf("%w: %s %q: %w", license.ErrCorrupt, kind, d.id, err)
	}
	if err != nil {
		return 0, fmt.Errorf("filestore: %w", err)
	}
	// Strictly: a field name changed into an unknown one must not read
	// as a missing field.
	var e envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return 0, corrupt(d, "%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return 0, corrupt(d, "data after the document")
	}
	switch {
	case e.Format != format:
		return 0, corrupt(d, "format %d, want %d", e.Format, format)
	case e.SHA256 != e.checksum():
		return 0, corrupt(d, "checksum mismatch")
	case e.Kind != kind:
		return 0, corrupt(d, "holds a document of kind %q", e.Kind)
	case e.ID != d.id:
		return 0, corrupt(d, "holds the document of ID %q", e.ID)
	case e.Version < 1:
		return 0, corrupt(d, "version %d", e.Version)
	}
	if v != nil {
		if err := json.Unmarshal(e.Doc, v); err != nil {
			return 0, corrupt(d, "%v", err)
		}
	}
	return e.Version, nil
}

// readRegular reads the regular file at path; see openRegular.
func readRegular(path string) ([]byte, error) {
	f, err := openRegular(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// write saves v as version version of d, atomically and durably. The
// caller holds d's lock exclusively.
func (s *Store) write(d doc, version int64, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("filestore: encode %s %q: %w", kind, d.id, err)
	}
	e := envelope{Format: format, Kind: kind, ID: d.id, Version: version, Doc: b}
	e.SHA256 = e.checksum()
	data, err := json.Marshal(&e)
	if err != nil {
		return fmt.Errorf("filestore: encode %s %q: %w", kind, d.id, err)
	}
	return writeFile(s.fs, d.dir, d.base+docExt, append(data, '\n'))
}

// writeFile replaces dir/name with data atomically and durably, through
// fsys: it writes a temporary file in dir, flushes it to disk, renames it
// over dir/name and flushes dir. The order matters: a rename that reaches
// the disk before the file's data would leave, after a power cut, an empty
// or partial document under the real name, and a directory not flushed
// may lose the rename itself.
func writeFile(fsys fileSystem, dir, name string, data []byte) error {
	f, err := fsys.createTemp(dir, name+".tmp-*")
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		fsys.remove(tmp)
		return fmt.Errorf("filestore: %w", err)
	}
	return fsys.syncDir(dir)
}

// fileSystem is what writeFile does to the disk, so that a test can check
// the order of its steps, which a crash test cannot see: without a power
// cut, a missing fsync changes nothing.
type fileSystem interface {
	createTemp(dir, pattern string) (tempFile, error)
	rename(from, to string) error
	remove(name string) error
	syncDir(dir string) error
}

// tempFile is the temporary file writeFile writes.
type tempFile interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// osFS is the operating system's file system.
type osFS struct{}

func (osFS) createTemp(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }
func (osFS) rename(from, to string) error                     { return os.Rename(from, to) }
func (osFS) remove(name string) error                         { return os.Remove(name) }
func (osFS) syncDir(dir string) error                         { return syncDir(dir) }

// syncDir flushes directory dir, so that the names created, renamed or
// removed in it survive a crash.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("filestore: sync %s: %w", dir, err)
	}
	return nil
}
