package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/licensekit/license"
)

const issueUsage = `Usage: licensectl issue -key FILE -id ID -product P [-edition E]
	[-type server|workstation|any] [-scheme device|vm|cpu|core|user|unmetered]
	[-quantity N] [-features a,b] [-org O] [-starts DATE|RFC3339]
	[-expires DATE|RFC3339 | -term 1y|6mo|30d|720h [-activate-by DATE|RFC3339|none]]
	[-trial] [-json FILE]

Issue signs a license with the signing key in FILE and prints its license
key, one line, on standard output.

With -json, the license starts from a JSON template in the License JSON
form, which can also set fields no flag covers, such as min_devices,
partner, custom and issued_at. Flags given on the command line override
the template; -expires or -term given on the command line also clears the
template's term or expiry. "-json -" reads the template from standard
input. The license is issued now, to the second, unless the template sets
issued_at. Instants are a date, such as 2027-01-01, meaning midnight UTC
at its start, or RFC 3339, such as 2027-01-01T12:00:00Z. A term is days
(30d), a Go duration (720h), or years and months of fixed length: 1y is
365 days and 1mo is 30 days, whatever the calendar.

A license with a term has an activation deadline: it cannot be activated
after it, and its term never ends later than the deadline plus the term,
however often an installation's state is deleted and the key added again.
Unless -activate-by or the template sets one, the deadline is 90 days
after the issue; "-activate-by none" sets no deadline. A renewal key's
deadline should leave room for an early renewal, whose term starts at the
old expiry.

The signing key FILE must be readable by its owner only (chmod 600),
as keygen writes it.
`

// defaultActivationWindow is how long after its issue a term license can
// be activated, unless the vendor says otherwise (L2): long enough for a
// key to wait in a mailbox and for an early renewal, short enough that
// deleting an installation's state gains little.
const defaultActivationWindow = 90 * license.Day

// maxKeyFile bounds what issue reads from a signing key file.
const maxKeyFile = 4 << 10

func runIssue(c *cmd, args []string) int {
	fset := c.flags(issueUsage)
	keyFile := fset.String("key", "", "the `FILE` holding the signing key that keygen wrote (required)")
	id := fset.String("id", "", "the license's serial number, unique among your licenses (required unless the template sets it)")
	product := fset.String("product", "", "the licensed `product` (required unless the template sets it)")
	edition := fset.String("edition", "", "the product `edition`, such as enterprise")
	typ := fset.String("type", "any", "the license `type`: server, workstation or any")
	scheme := fset.String("scheme", "unmetered", "what -quantity counts: device, vm, cpu, core, user or unmetered")
	quantity := fset.Int("quantity", 0, "how many of the scheme's units the license covers; required for a counted scheme")
	features := fset.String("features", "", "the `features` granted, separated by commas")
	org := fset.String("org", "", "the customer `organization`")
	starts := fset.String("starts", "", "the first `instant` the license is in force: a date (midnight UTC) or RFC 3339")
	expires := fset.String("expires", "", "the `instant` the license ends: a date (midnight UTC) or RFC 3339; not with -term")
	term := fset.String("term", "", "the license's `term` from activation: 30d, 720h, 1y (365 days) or 6mo (1mo is 30 days); not with -expires")
	activateBy := fset.String("activate-by", "", "the `instant` after which a -term license can no longer be activated: a date, RFC 3339, or none; default 90 days after the issue")
	trial := fset.Bool("trial", false, "mark the license as a trial; it needs -expires or -term")
	tmplFile := fset.String("json", "", "read a License JSON template from `FILE` (\"-\" for standard input)")
	if code, done := c.parse(args); done {
		return code
	}
	if code, done := c.noArgs(); done {
		return code
	}
	set := map[string]bool{}
	fset.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case *keyFile == "":
		return c.usageError("missing -key")
	case set["expires"] && set["term"]:
		return c.usageError("-expires and -term together: a license has a fixed expiry or a term from activation, not both")
	case set["expires"] && set["activate-by"]:
		return c.usageError("-expires and -activate-by together: an activation deadline goes with a -term")
	}

	// Parse the flags' values before reading any file, so that a bad
	// command line is a usage error whatever the files hold.
	var (
		lic  license.License
		errs []error
		bad  = func(name string, err error) { errs = append(errs, fmt.Errorf("-%s: %w", name, err)) }
	)
	over := []func(){} // applied to the template; Visit goes in name order
	fset.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "id":
			over = append(over, func() { lic.ID = *id })
		case "product":
			over = append(over, func() { lic.Product = *product })
		case "edition":
			over = append(over, func() { lic.Edition = *edition })
		case "org":
			over = append(over, func() { lic.Organization = *org })
		case "quantity":
			over = append(over, func() { lic.Quantity = *quantity })
		case "trial":
			over = append(over, func() { lic.Trial = *trial })
		case "features":
			over = append(over, func() { lic.Features = splitList(*features) })
		case "type":
			t, err := license.ParseType(*typ)
			if err != nil {
				bad("type", err)
			}
			over = append(over, func() { lic.Type = t })
		case "scheme":
			s, err := license.ParseScheme(*scheme)
			if err != nil {
				bad("scheme", err)
			}
			over = append(over, func() { lic.Scheme = s })
		case "starts":
			t, err := parseInstant(*starts)
			if err != nil {
				bad("starts", err)
			}
			over = append(over, func() { lic.Start = t })
		case "expires":
			t, err := parseInstant(*expires)
			if err != nil {
				bad("expires", err)
			}
			over = append(over, func() { lic.Expiry, lic.Term, lic.ActivateBy = t, 0, time.Time{} })
		case "term":
			d, err := parseTerm(*term)
			if err != nil {
				bad("term", err)
			}
			over = append(over, func() { lic.Term, lic.Expiry = d, time.Time{} })
		case "activate-by":
			if *activateBy == "none" {
				over = append(over, func() { lic.ActivateBy = time.Time{} })
				break
			}
			t, err := parseInstant(*activateBy)
			if err != nil {
				bad("activate-by", err)
			}
			over = append(over, func() { lic.ActivateBy = t })
		}
	})
	if len(errs) > 0 {
		return c.usageError("%v", errors.Join(errs...))
	}

	if *tmplFile != "" {
		if code, ok := c.readTemplate(*tmplFile, &lic); !ok {
			return code
		}
	}
	for _, f := range over {
		f()
	}
	if lic.IssuedAt.IsZero() {
		lic.IssuedAt = c.now().UTC().Truncate(time.Second)
	}
	if lic.Term > 0 && lic.ActivateBy.IsZero() && !set["activate-by"] {
		lic.ActivateBy = lic.IssuedAt.Add(defaultActivationWindow)
		if lic.ActivateBy.Before(lic.Start) {
			lic.ActivateBy = lic.Start
		}
	}
	switch {
	case lic.ID == "":
		return c.usageError("missing -id")
	case lic.Product == "":
		return c.usageError("missing -product")
	}
	if err := lic.Validate(); err != nil {
		return c.usageError("cannot issue this license:\n%v", err)
	}

	k, code, ok := c.readSigningKey(*keyFile)
	if !ok {
		return code
	}
	key, err := k.Sign(&lic)
	if err != nil {
		return c.fail("signing with %s: %v", k.KeyID(), err)
	}
	if _, err := fmt.Fprintln(c.stdout, key); err != nil {
		return c.fail("writing the license key: %v", err)
	}
	return exitOK
}

// readTemplate reads the License JSON template in file ("-" for stdin)
// into lic. A template that cannot be read or does not parse fails the
// command (exit 1), naming the file.
func (c *cmd) readTemplate(file string, lic *license.License) (code int, ok bool) {
	b, err := c.readFile(file, "the template", 1<<20, nil)
	if err != nil {
		return c.fail("-json: %v", err), false
	}
	if err := json.Unmarshal(b, lic); err != nil {
		return c.fail("-json %s: %v", displayName(file), err), false
	}
	return exitOK, true
}

// splitList splits a comma-separated list, trimming spaces around each
// entry and dropping empty ones.
func splitList(s string) []string {
	var list []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			list = append(list, f)
		}
	}
	return list
}
