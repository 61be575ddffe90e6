//go:build !unix || solaris || aix

package filestore

import (
	"errors"
	"os"
)

// supported reports whether this platform has flock(2). Without it the
// store cannot keep two processes apart, so [Open] refuses to run.
const supported = false

// openFlags: [Open] refuses to run here, so no file is ever opened.
const openFlags = 0

func flock(*os.File, bool, bool) error { return errors.ErrUnsupported }

func funlock(*os.File) error { return errors.ErrUnsupported }
