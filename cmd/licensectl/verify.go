package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/licensekit/license"
)

const verifyUsage = `Usage: licensectl verify -pub KEY|FILE [-pub KEY|FILE ...] [-at DATE|RFC3339] [FILE|-]

Verify reads a license key from FILE, or from standard input when FILE is
absent or "-", verifies its signature against the verifying keys given
with -pub, each a key's text or a file holding it, and checks that the
license is in force at the instant -at (default now): a date such as
2027-01-01, meaning midnight UTC, or RFC 3339. A term license counts as
activated at that instant, which must not be after its activation
deadline. Spaces and line breaks in the key are ignored.

On success it prints a JSON object on standard output,

	{"verified": true, "key_id": "...", "digest": "...", "license": {...}}

and exits 0. A license key that does not verify, or a license not in force
at -at, exits 1 with the reason on standard error.
`

const inspectUsage = `Usage: licensectl inspect [FILE|-]

Inspect decodes a license key from FILE, or from standard input when FILE
is absent or "-", WITHOUT verifying its signature, and prints the license
it claims as a JSON object with "verified": false. Nothing it prints can
be trusted; use verify to check a license key.
`

// keyList is a flag that may be repeated.
type keyList []string

// String lists the keys given so far, for flag.Value.
func (l *keyList) String() string { return strings.Join(*l, ", ") }

// Set adds one -pub key, for flag.Value.
func (l *keyList) Set(s string) error { *l = append(*l, s); return nil }

// output is what verify and inspect print.
type output struct {
	Verified bool             `json:"verified"`
	KeyID    string           `json:"key_id"`
	Digest   string           `json:"digest"`
	License  *license.License `json:"license"`
}

func runVerify(c *cmd, args []string) int {
	fset := c.flags(verifyUsage)
	var pubs keyList
	fset.Var(&pubs, "pub", "a trusted verifying `KEY` as keygen printed it, or a file holding one (required; repeat to trust several)")
	atText := fset.String("at", "", "check the license's dates at `INSTANT`: a date (midnight UTC) or RFC 3339 (default now)")
	if code, done := c.parse(args); done {
		return code
	}
	if c.fs.NArg() > 1 {
		return c.usageError("verify reads one license key FILE; %s", extraArgs(c.fs.NArg()))
	}
	if len(pubs) == 0 {
		return c.usageError("missing -pub: give the verifying key that keygen printed")
	}
	keys := make([]license.VerifyingKey, 0, len(pubs))
	for _, p := range pubs {
		k, code, ok := c.verifyingKey(p)
		if !ok {
			return code
		}
		keys = append(keys, k)
	}
	v, err := license.NewVerifier(keys...)
	if err != nil {
		return c.usageError("-pub: %v", err)
	}
	at := c.now().UTC()
	if *atText != "" {
		if at, err = parseInstant(*atText); err != nil {
			return c.usageError("-at: %v", err)
		}
	}

	name, text, err := c.readInput()
	if err != nil {
		return c.fail("%v", err)
	}
	lic, err := v.Verify(text)
	if err != nil {
		return c.fail("%s: %v", name, err)
	}
	// A term license has not been activated; verify treats it as
	// activated at the instant it checks, which must not be after its
	// activation deadline.
	if err := lic.CanActivateAt(at); err != nil {
		return c.fail("%s: %v (checked at %s)", name, err, at.Format(time.RFC3339Nano))
	}
	if err := lic.ValidAt(at, at); err != nil {
		return c.fail("%s: %v (checked at %s)", name, err, at.Format(time.RFC3339Nano))
	}
	_, keyID, err := license.DecodeUnverified(text)
	if err != nil { // cannot happen: Verify read the same text
		return c.fail("%s: %v", name, err)
	}
	return c.print(name, true, keyID, lic)
}

// verifyingKey reads a -pub value: a verifying key's text or, when it is
// not one, the name of a file holding one. A failure is reported, and
// returns its exit code. Neither the value nor the file's text is
// repeated: either may be a signing key given by mistake.
func (c *cmd) verifyingKey(p string) (k license.VerifyingKey, code int, ok bool) {
	k, err := license.ParseVerifyingKey(p)
	if err == nil {
		return k, exitOK, true
	}
	if _, serr := os.Stat(p); serr != nil {
		return k, c.usageError("-pub: %v (nor is it a file)", err), false
	}
	text, err := c.readFile(p, "the -pub file", maxKeyFile, nil)
	if err != nil {
		return k, c.fail("-pub: %v", err), false
	}
	if k, err = license.ParseVerifyingKey(string(text)); err != nil {
		return k, c.fail("-pub %s: %v", p, err), false
	}
	return k, exitOK, true
}

func runInspect(c *cmd, args []string) int {
	c.flags(inspectUsage)
	if code, done := c.parse(args); done {
		return code
	}
	if c.fs.NArg() > 1 {
		return c.usageError("inspect reads one license key FILE; %s", extraArgs(c.fs.NArg()))
	}
	name, text, err := c.readInput()
	if err != nil {
		return c.fail("%v", err)
	}
	lic, keyID, err := license.DecodeUnverified(text)
	if err != nil {
		return c.fail("%s: %v", name, err)
	}
	c.report(fmt.Sprintf("%s: the signature was NOT verified; do not trust this license (use licensectl verify)", name))
	return c.print(name, false, keyID, lic)
}

// print writes the JSON output of verify and inspect.
func (c *cmd) print(name string, verified bool, keyID string, lic *license.License) int {
	d, err := lic.Digest()
	if err != nil { // cannot happen: decoded licenses are valid
		return c.fail("%s: %v", name, err)
	}
	b, err := json.MarshalIndent(output{Verified: verified, KeyID: keyID, Digest: d.String(), License: lic}, "", "  ")
	if err != nil {
		return c.fail("%s: %v", name, err)
	}
	if _, err := c.stdout.Write(append(b, '\n')); err != nil {
		return c.fail("writing output: %v", err)
	}
	return exitOK
}
