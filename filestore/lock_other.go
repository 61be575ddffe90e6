//go:build !unix || solaris || aix

package filestore

import (
	"errors"
	"os"
)

// supported reports whether this platform has flock(2). Without it the
// store cannot keep two processes apart, so [Open] refuses to run.
const supported = false

func flock(*os.File, bool, bool) error { return errors.ErrUnsupported }

func funlock(*os.File) error { return errors.ErrUnsupported }
