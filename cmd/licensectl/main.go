package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/licensekit/license"
)

// Exit codes.
const (
	exitOK    = 0 // success
	exitFail  = 1 // the operation failed: invalid license, unreadable file, …
	exitUsage = 2 // bad command line
)

// env is everything a run reads and writes besides its arguments and the
// file system, so that tests can run the tool in-process at fixed times.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
}

func main() {
	os.Exit(run(os.Args[1:], env{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		now:    clock.New().Now,
	}))
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(c *cmd, args []string) int
}

// commands lists the subcommands in the order usage shows them. It is
// built by a function to avoid an initialization cycle through help.
func commands() []command {
	return []command{
		{"keygen", "generate a signing key and print its verifying key", runKeygen},
		{"issue", "sign a license and print its license key", runIssue},
		{"verify", "verify a license key and check its dates", runVerify},
		{"inspect", "decode a license key WITHOUT verifying its signature", runInspect},
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// run runs licensectl with args, the command line without the program
// name, and returns the exit code.
func run(args []string, e env) int {
	if len(args) == 0 {
		mainUsage(e.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		mainUsage(e.stdout)
		return exitOK
	case "help":
		if len(rest) == 0 {
			mainUsage(e.stdout)
			return exitOK
		}
		if _, ok := lookup(rest[0]); !ok {
			fmt.Fprintf(e.stderr, "licensectl help: unknown command %q; run 'licensectl -h' for the list\n", rest[0])
			return exitUsage
		}
		return run([]string{rest[0], "-h"}, e)
	}
	c, ok := lookup(name)
	if !ok {
		if strings.HasPrefix(name, "-") {
			fmt.Fprintf(e.stderr, "licensectl: unknown flag %q; a command comes first, run 'licensectl -h' for the list\n", name)
		} else {
			fmt.Fprintf(e.stderr, "licensectl: unknown command %q; run 'licensectl -h' for the list\n", name)
		}
		return exitUsage
	}
	return c.run(&cmd{name: c.name, env: e}, rest)
}

func mainUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: licensectl <command> [flags] [arguments]

Licensectl generates signing keys, issues license keys, and verifies and
inspects them.

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'licensectl <command> -h' for a command's flags.
Exit status: 0 success, 1 failure (such as a license key that does not
verify), 2 usage error.
`)
}

// cmd is a running subcommand: its name, for messages, and its env.
type cmd struct {
	name string
	env
	usage string // synopsis and description, set by flags
	fs    *flag.FlagSet
}

// flags returns the subcommand's flag set. usage is printed before the
// flags' defaults by -h.
func (c *cmd) flags(usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("licensectl "+c.name, flag.ContinueOnError)
	// Parse reports nothing itself: parse prints errors and usage where
	// they belong.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	c.usage, c.fs = usage, fs
	return fs
}

// parse parses args. When done, the command must return code: -h was
// asked for (usage printed on stdout, exit 0) or the flags are bad.
func (c *cmd) parse(args []string) (code int, done bool) {
	err := c.fs.Parse(args)
	switch {
	case err == nil:
		return exitOK, false
	case errors.Is(err, flag.ErrHelp):
		c.printUsage(c.stdout)
		return exitOK, true
	default:
		return c.usageError("%v", err), true
	}
}

func (c *cmd) printUsage(w io.Writer) {
	fmt.Fprint(w, c.usage)
	fmt.Fprint(w, "\nFlags:\n")
	c.fs.SetOutput(w)
	c.fs.PrintDefaults()
	c.fs.SetOutput(io.Discard)
}

// usageError reports a bad command line and returns exitUsage.
func (c *cmd) usageError(format string, args ...any) int {
	c.report(fmt.Sprintf(format, args...) + fmt.Sprintf(" (run 'licensectl %s -h' for usage)", c.name))
	return exitUsage
}

// fail reports a failed operation and returns exitFail.
func (c *cmd) fail(format string, args ...any) int {
	c.report(fmt.Sprintf(format, args...))
	return exitFail
}

// report prints msg on stderr, each of its lines prefixed with
// "licensectl <command>: ", since errors.Join puts one error on each line.
func (c *cmd) report(msg string) {
	for line := range strings.Lines(strings.TrimRight(msg, "\n")) {
		fmt.Fprintf(c.stderr, "licensectl %s: %s\n", c.name, strings.TrimSuffix(line, "\n"))
	}
}

// noArgs reports a usage error when the flag set has positional
// arguments left.
func (c *cmd) noArgs() (code int, done bool) {
	if c.fs.NArg() > 0 {
		return c.usageError("unexpected argument %q (flags go before arguments)", c.fs.Arg(0)), true
	}
	return exitOK, false
}

// readInput reads a license key from the file named by the only
// positional argument, or from stdin when there is none or it is "-". It
// returns the name to use in messages: the file's, or "stdin".
func (c *cmd) readInput() (name, text string, err error) {
	name = "-"
	if c.fs.NArg() == 1 {
		name = c.fs.Arg(0)
	}
	b, err := c.readFile(name, license.MaxKeySize)
	return displayName(name), string(b), err
}

// displayName is how messages name a file: stdin for "-".
func displayName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

// readFile reads at most limit bytes from the named file, or from stdin
// when name is "-". Its errors name the file.
func (c *cmd) readFile(name string, limit int64) ([]byte, error) {
	r := c.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", displayName(name), err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", displayName(name), limit)
	}
	return b, nil
}

// parseInstant reads an RFC 3339 instant, such as 2026-01-31T00:00:00Z,
// and returns it in UTC.
func parseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 instant such as 2026-01-31T00:00:00Z", s)
	}
	return t.UTC(), nil
}
