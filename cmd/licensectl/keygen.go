package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/licensekit/license"
)

const keygenUsage = `Usage: licensectl keygen -name NAME -out FILE

Keygen generates a signing key named NAME and writes its secret text to
FILE, created with mode 0600; it never overwrites an existing file. It
prints the verifying key, which applications trust, on standard output.
Keep FILE secret: whoever holds it can issue licenses.
`

func runKeygen(c *cmd, args []string) int {
	fset := c.flags(keygenUsage)
	name := fset.String("name", "", "the key's `NAME`, such as acme-2026: 1 to 64 ASCII letters, digits, '.', '_' or '-' (required)")
	out := fset.String("out", "", "the `FILE` to write the secret signing key to; it must not exist (required)")
	if code, done := c.parse(args); done {
		return code
	}
	if code, done := c.noArgs(); done {
		return code
	}
	switch {
	case *name == "":
		return c.usageError("missing -name")
	case *out == "":
		return c.usageError("missing -out")
	}
	k, err := license.GenerateSigningKey(*name, nil)
	if errors.Is(err, license.ErrInvalidKeyName) {
		return c.usageError("-name: %v", err)
	}
	if err != nil {
		return c.fail("%v", err)
	}
	if err := writeSecret(*out, k.Export()+"\n"); err != nil {
		return c.fail("%v", err)
	}
	if _, err := fmt.Fprintln(c.stdout, k.VerifyingKey()); err != nil {
		return c.fail("writing the verifying key: %v (the signing key is in %s)", err, *out)
	}
	return exitOK
}

// writeSecret writes secret to a new file of mode 0600. It refuses to
// replace an existing file, and removes the file if writing fails. Its
// errors name the file and never hold the secret.
func writeSecret(name, secret string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: file exists; refusing to overwrite it", name)
	}
	if err != nil {
		return err
	}
	_, err = f.WriteString(secret)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
