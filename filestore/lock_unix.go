//go:build unix && !solaris && !aix

package filestore

import (
	"errors"
	"os"
	"syscall"
)

// supported reports whether this platform has flock(2).
const supported = true

// openFlags are added to every open of a document or lock file: a
// symbolic link is not followed (the open fails), and a FIFO or device
// does not block the open; the file is then refused by its type.
const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// flock takes (shared or exclusive) or, with block false, tries to take
// the advisory lock of f. It reports errWouldBlock when block is false and
// another open file description holds a conflicting lock.
func flock(f *os.File, exclusive, block bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if !block {
		how |= syscall.LOCK_NB
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errWouldBlock
		}
		return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
}

// funlock releases the lock of f; closing f would too.
func funlock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
