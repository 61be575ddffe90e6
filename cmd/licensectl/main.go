package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
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
		{"pub", "print the verifying key of a signing key", runPub},
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
	case "-version", "--version":
		fmt.Fprintln(e.stdout, version())
		return exitOK
	case "help":
		if len(rest) == 0 {
			mainUsage(e.stdout)
			return exitOK
		}
		if _, ok := lookup(rest[0]); !ok {
			fmt.Fprintf(e.stderr, "licensectl help: unknown command %s; run 'licensectl -h' for the list\n", quoteArg(rest[0]))
			return exitUsage
		}
		return run([]string{rest[0], "-h"}, e)
	}
	c, ok := lookup(name)
	if !ok {
		if strings.HasPrefix(name, "-") {
			fmt.Fprintf(e.stderr, "licensectl: unknown flag %s; a command comes first, run 'licensectl -h' for the list\n", quoteArg(name))
		} else {
			fmt.Fprintf(e.stderr, "licensectl: unknown command %s; run 'licensectl -h' for the list\n", quoteArg(name))
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
Run 'licensectl <command> -h' for a command's flags, and
'licensectl -version' for the version.
Exit status: 0 success, 1 failure (such as a license key that does not
verify), 2 usage error.
`)
}

// version describes this build: the module version it was built from,
// "(devel)" for a build from a checkout, and the license key format it
// writes.
func version() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return fmt.Sprintf("licensectl %s, license key format %d, %s", v, license.Version, runtime.Version())
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
		// The flag package quotes what it could not parse, which may be
		// a key pasted in the wrong place: a URL-safe base64 seed can
		// start with '-'.
		words := strings.Fields(err.Error())
		for i, w := range words {
			words[i] = quoteLong(w)
		}
		return c.usageError("%s", strings.Join(words, " ")), true
	}
}

// maxEcho is the longest argument messages repeat. Flags, commands and
// the values of non-key flags are shorter; a key, in any encoding, is
// longer.
const maxEcho = 24

// quoteArg quotes a command-line argument for a message, unless it is
// longer than maxEcho: then it may be a key, and only its length is told.
func quoteArg(s string) string {
	if len(s) > maxEcho {
		return fmt.Sprintf("(%d characters, not repeated: it may be a key)", len(s))
	}
	return strconv.Quote(s)
}

// quoteLong is quoteArg for a word of a message that already quotes
// what it repeats, if it does: a short word stays as it is.
func quoteLong(s string) string {
	if len(s) > maxEcho {
		return quoteArg(s)
	}
	return s
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
// The package's errors start with "license: ", once per wrapped error;
// the line's own prefix says who speaks, so those go.
func (c *cmd) report(msg string) {
	for line := range strings.Lines(strings.TrimRight(msg, "\n")) {
		line = strings.TrimSuffix(line, "\n")
		line = strings.ReplaceAll(strings.TrimPrefix(line, libPrefix), ": "+libPrefix, ": ")
		fmt.Fprintf(c.stderr, "licensectl %s: %s\n", c.name, line)
	}
}

// libPrefix starts the message of every error of package license.
const libPrefix = "license: "

// noArgs reports a usage error when the flag set has positional
// arguments left.
func (c *cmd) noArgs() (code int, done bool) {
	if c.fs.NArg() > 0 {
		return c.usageError("%s takes no arguments; %s", c.name, extraArgs(c.fs.NArg())), true
	}
	return exitOK, false
}

// extraArgs describes n unexpected arguments without repeating them: an
// argument in the wrong place may be a secret pasted there.
func extraArgs(n int) string {
	return "got " + strconv.Itoa(n) + " (flags go before arguments; arguments are not repeated here, as one may be a key)"
}

// readInput reads a license key from the file named by the only
// positional argument, or from stdin when there is none or it is "-". It
// returns the name to use in messages: the file's, or "stdin".
func (c *cmd) readInput() (name, text string, err error) {
	name = "-"
	if c.fs.NArg() == 1 {
		name = c.fs.Arg(0)
	}
	b, err := c.readFile(name, "the license key file", license.MaxKeySize, nil)
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
// when name is "-", calling check, when not nil, on the opened file before
// reading it. Its errors name the file, except when it cannot be opened:
// then the name may be a key pasted where a file name was expected, and
// what the file is for (what) stands in for it.
func (c *cmd) readFile(name, what string, limit int64, check func(*os.File) error) ([]byte, error) {
	r := c.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("cannot open %s: %w", what, err)
		}
		defer f.Close()
		if check != nil {
			if err := check(f); err != nil {
				return nil, err
			}
		}
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
// or a date, such as 2026-01-31, which means midnight UTC at its start,
// and returns it in UTC.
func parseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, s); err != nil {
			return time.Time{}, fmt.Errorf("%q is neither a date such as 2026-01-31 (midnight UTC) nor an RFC 3339 instant such as 2026-01-31T12:00:00Z", s)
		}
	}
	return t.UTC(), nil
}

// parseTerm reads a term as license.ParseTerm does ("30d", "720h"), and
// also in years and months of fixed length: "1y" is 365 days and "6mo"
// is 6×30 = 180 days, whatever the calendar.
func parseTerm(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		days   int64
	}{{"mo", 30}, {"y", 365}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseInt(n, 10, 32)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("%q: want a positive whole number of years or months, such as 1y or 6mo", s)
			}
			return license.ParseTerm(strconv.FormatInt(v*u.days, 10) + "d")
		}
	}
	return license.ParseTerm(s)
}
