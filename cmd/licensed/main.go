// Command licensed is the license server: the HTTP API of package
// github.com/licensekit/license/http over a portal, with its data in an
// embedded SQLite file or in PostgreSQL, and the portal's events posted to
// the webhooks registered with it.
//
// Usage:
//
//	licensed [serve] [-addr HOST:PORT] [-data DIR] [-postgres DSN] [-postgres-schema NAME]
//	         [-certificate-ttl D] [-lease-ttl D] [-trial PRODUCT=TERM]...
//	licensed token create [-data DIR | -postgres DSN] (-vendor | -org ORG) -actor ID [-name TEXT]
//	licensed token list   [-data DIR | -postgres DSN]
//	licensed token revoke [-data DIR | -postgres DSN] ID
//
// serve, the default, listens on 127.0.0.1:8080 and keeps the portal in
// DIR/licensed.db (SQLite; DIR is ./licensed-data by default), or in the
// PostgreSQL database that -postgres names, which several licensed
// processes may share. DIR also holds the vendor's signing key,
// signing.key, made on the first start: keep it secret, and give every
// process serving one database the same one. SIGINT or SIGTERM stops the
// server after the requests under way.
//
// The web console is served under /console/ (open
// http://127.0.0.1:8080/console/ and sign in with a token); see package
// github.com/licensekit/license/console.
//
// Applications activate their devices against the server with
// github.com/licensekit/license/http's DeviceClient: with a license key
// of an organization's key storage or an activation code, or by starting
// a trial of a product offered with -trial (such as -trial backup=30d,
// once per device). Each activation gets a certificate signed with
// signing.key, holding for -certificate-ttl (30 days by default) unless
// the device checks in for a fresh one; a floating license's lease holds
// for -lease-ttl (15 minutes by default) unless the device sends
// heartbeats.
//
// Every other request needs a bearer token. "licensed token create" makes one
// and prints its secret, once; the server keeps only its hash. When the
// environment variable LICENSED_VENDOR_TOKEN is set, its value is also a
// vendor's token, for scripts and tests.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit status: 0, 1 when
// the command failed, 2 for a bad command line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stdout, stderr, getenv)
	case "token":
		err = token(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = usageError(fmt.Sprintf("unknown command %q", cmd))
	}
	switch e := err.(type) {
	case nil:
		return 0
	case usageError:
		fmt.Fprintf(stderr, "licensed: %s\n%s", string(e), usage)
		return 2
	default:
		fmt.Fprintf(stderr, "licensed: %v\n", err)
		return 1
	}
}

// usageError is a bad command line.
type usageError string

func (e usageError) Error() string { return string(e) }

const usage = `usage:
  licensed [serve] [-addr HOST:PORT] [-data DIR] [-postgres DSN] [-postgres-schema NAME]
           [-certificate-ttl D] [-lease-ttl D] [-trial PRODUCT=TERM]...
  licensed token create [-data DIR | -postgres DSN] (-vendor | -org ORG) -actor ID [-name TEXT]
  licensed token list   [-data DIR | -postgres DSN]
  licensed token revoke [-data DIR | -postgres DSN] ID
Run "licensed serve -h" or "licensed token create -h" for the flags.
`
