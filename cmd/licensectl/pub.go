package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/licensekit/license"
)

const pubUsage = `Usage: licensectl pub -key FILE

Pub prints the verifying key of the signing key in FILE, as keygen printed
it when it made the key: the public key that applications trust. FILE must
be readable by its owner only (chmod 600).
`

func runPub(c *cmd, args []string) int {
	fset := c.flags(pubUsage)
	keyFile := fset.String("key", "", "the `FILE` holding the signing key that keygen wrote (required)")
	if code, done := c.parse(args); done {
		return code
	}
	if code, done := c.noArgs(); done {
		return code
	}
	if *keyFile == "" {
		return c.usageError("missing -key")
	}
	k, code, ok := c.readSigningKey(*keyFile)
	if !ok {
		return code
	}
	if _, err := fmt.Fprintln(c.stdout, k.VerifyingKey()); err != nil {
		return c.fail("writing the verifying key: %v", err)
	}
	return exitOK
}

// readSigningKey reads the signing key in file ("-" for standard input).
// Like ssh with a private key, it refuses a file that its group or others
// may read or write: the key may already have been copied, and a key left
// open is soon leaked. A failure is reported, and returns its exit code.
func (c *cmd) readSigningKey(file string) (k *license.SigningKey, code int, ok bool) {
	text, err := c.readFile(file, "the -key file", maxKeyFile, privateFile)
	if err != nil {
		return nil, c.fail("-key: %v", err), false
	}
	// ParseSigningKey never repeats the text it was given.
	k, err = license.ParseSigningKey(string(text))
	if err != nil {
		return nil, c.fail("-key %s: %v", displayName(file), err), false
	}
	return k, exitOK, true
}

// privateFile refuses a file that its group or others may access.
// Windows has no such permission bits: its access lists are not checked.
func privateFile(f *os.File) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s: permissions %04o are too open: a signing key must be readable by its owner only; run chmod 600 %s", f.Name(), perm, f.Name())
	}
	return nil
}
