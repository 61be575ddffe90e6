package filestore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// errWouldBlock: a lock taken without waiting is held by another open
// file description.
var errWouldBlock = errors.New("filestore: lock is held")

// keyedLocks is the in-process half of the locking: one reader/writer
// mutex per lock file, created on first use and dropped when nobody holds
// or waits for it. Goroutines queue here, so that at most one of them per
// document waits in flock(2) and blocks a thread.
type keyedLocks struct {
	mu sync.Mutex
	m  map[string]*keyedLock
}

type keyedLock struct {
	sync.RWMutex
	refs int // holders and waiters; guarded by keyedLocks.mu
}

func (k *keyedLocks) lock(key string, exclusive bool) *keyedLock {
	k.mu.Lock()
	l := k.m[key]
	if l == nil {
		if k.m == nil {
			k.m = map[string]*keyedLock{}
		}
		l = &keyedLock{}
		k.m[key] = l
	}
	l.refs++
	k.mu.Unlock()
	if exclusive {
		l.Lock()
	} else {
		l.RLock()
	}
	return l
}

func (k *keyedLocks) unlock(key string, l *keyedLock, exclusive bool) {
	if exclusive {
		l.Unlock()
	} else {
		l.RUnlock()
	}
	k.mu.Lock()
	if l.refs--; l.refs == 0 {
		delete(k.m, key)
	}
	k.mu.Unlock()
}

// heldLock is a document's lock, held in both halves: the in-process
// mutex and flock(2) on the document's lock file.
type heldLock struct {
	s         *Store
	path      string
	exclusive bool
	kl        *keyedLock
	f         *os.File
}

// lockFile takes the lock of the document whose lock file is path:
// exclusive for a read-modify-write, shared for a read.
//
// With create false a missing lock file is not created and lockFile fails
// with an error matching fs.ErrNotExist: a document is only ever written
// under its lock, so a document whose lock file does not exist does not
// exist either, unless the directory was copied without its lock files
// (the callers check the document itself before they create the lock
// file). This keeps look-ups of unknown IDs from leaving files behind.
//
// A lock file is only removed under its exclusive lock (by
// DeleteInstallation), so after taking the lock lockFile checks that the
// file it locked is still the one at path, and starts again if not.
func (s *Store) lockFile(path string, exclusive, create bool) (*heldLock, error) {
	kl := s.locks.lock(path, exclusive)
	f, err := openLocked(path, exclusive, create, true)
	if err != nil {
		s.locks.unlock(path, kl, exclusive)
		return nil, err
	}
	return &heldLock{s: s, path: path, exclusive: exclusive, kl: kl, f: f}, nil
}

// tryLockFile is lockFile that does not wait, for the clean-up of
// leftover temporary files: it fails with errWouldBlock if another
// process holds the lock.
func (s *Store) tryLockFile(path string) (*heldLock, error) {
	kl := s.locks.lock(path, true)
	f, err := openLocked(path, true, false, false)
	if err != nil {
		s.locks.unlock(path, kl, true)
		return nil, err
	}
	return &heldLock{s: s, path: path, exclusive: true, kl: kl, f: f}, nil
}

// openLocked opens the lock file at path and takes its flock.
func openLocked(path string, exclusive, create, block bool) (*os.File, error) {
	flags := os.O_RDONLY
	if create {
		flags = os.O_RDWR | os.O_CREATE
	}
	for {
		f, err := openRegular(path, flags)
		if err != nil {
			return nil, err
		}
		if err := flock(f, exclusive, block); err != nil {
			f.Close()
			return nil, err
		}
		// The file may have been removed, and maybe created again, while
		// we waited: then the lock we hold guards nothing.
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return f, nil
		}
		f.Close()
		if err1 != nil {
			return nil, err1
		}
		if err2 != nil && !errors.Is(err2, fs.ErrNotExist) {
			return nil, err2
		}
		if !create && errors.Is(err2, fs.ErrNotExist) {
			return nil, err2
		}
	}
}

// ErrNotRegular: a document or lock file of the store is not a regular
// file but a symbolic link, a FIFO, a device, a socket or a directory.
// The store never follows or reads such a file: a link could make it
// write outside its directory, and a FIFO would block forever.
var ErrNotRegular = errors.New("filestore: not a regular file")

// openRegular opens the file at path, with flags, if it is a regular
// file: it does not follow a symbolic link, and a FIFO or device does not
// block it. Otherwise it fails with ErrNotRegular, or the open's error.
func openRegular(path string, flags int) (*os.File, error) {
	f, err := os.OpenFile(path, flags|openFlags, 0o600)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: %s is a %s", ErrNotRegular, path, typeName(fi.Mode()))
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%w: %s is a %s", ErrNotRegular, path, typeName(fi.Mode()))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// typeName names the type of a file that is not regular.
func typeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m.IsDir():
		return "directory"
	}
	return "special file"
}

// remove removes the lock file, which must be held exclusively; the
// waiters notice and start again (see lockFile).
func (h *heldLock) remove() error {
	return os.Remove(h.path)
}

// unlock releases both halves of the lock.
func (h *heldLock) unlock() {
	funlock(h.f) //nolint:errcheck // closing releases it as well
	h.f.Close()
	h.s.locks.unlock(h.path, h.kl, h.exclusive)
}
