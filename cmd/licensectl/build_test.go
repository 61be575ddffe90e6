package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/licensekit/license"
)

// TestBinaryRoundTrip builds the real licensectl and runs keygen, issue
// and verify as separate processes, which share nothing but the files and
// text that a vendor and an application would exchange.
//
// The round trip exercises rules K1, K2 and K4:
//   - K1: the key verifies although nothing in it, nor on verify's command
//     line, names an algorithm; Ed25519 is the only one.
//   - K2: verify checks the key offline, trusting only the verifying key
//     that keygen printed; a different key is an unknown signer.
//   - K4: the key wrapped over several lines by license.FormatKeyFile, as
//     in a license file or an e-mail, still verifies.
//
// Every instant is fixed (the template sets issued_at, and verify gets
// -at), so the outcome does not depend on the wall clock.
func TestBinaryRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "licensectl")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command(gotool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// licensectl runs the binary and returns its exit code and output.
	licensectl := func(stdin []byte, args ...string) (code int, stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Stdin = bytes.NewReader(stdin)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exit):
			code = exit.ExitCode()
		default:
			t.Fatalf("running licensectl %s: %v", strings.Join(args, " "), err)
		}
		return code, out.String(), errOut.String()
	}
	mustRun := func(stdin []byte, args ...string) string {
		t.Helper()
		code, stdout, stderr := licensectl(stdin, args...)
		if code != 0 {
			t.Fatalf("licensectl %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
		return stdout
	}

	// The vendor makes a key and keeps the secret in a file.
	keyFile := filepath.Join(dir, "acme-2026.key")
	pub := strings.TrimSpace(mustRun(nil, "keygen", "-name", "acme-2026", "-out", keyFile))
	if _, err := license.ParseVerifyingKey(pub); err != nil {
		t.Fatalf("keygen printed %q: %v", pub, err)
	}
	if code, _, stderr := licensectl(nil, "keygen", "-name", "acme-2026", "-out", keyFile); code != 1 || !strings.Contains(stderr, keyFile) {
		t.Errorf("keygen over an existing file: exit %d, stderr %q", code, stderr)
	}

	// The vendor issues a license from a template and flags.
	tmpl := filepath.Join(dir, "tmpl.json")
	if err := os.WriteFile(tmpl, []byte(`{"issued_at": "2026-01-01T00:00:00Z", "partner": "Reseller", "min_devices": 2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(mustRun(nil, "issue", "-key", keyFile, "-json", tmpl,
		"-id", "L-42", "-product", "Widget", "-scheme", "device", "-quantity", "5",
		"-features", "sso,audit", "-starts", "2026-02-01T00:00:00Z", "-expires", "2027-02-01T00:00:00Z"))
	if strings.ContainsAny(key, " \n") || !strings.HasPrefix(key, "LK1.acme-2026+") {
		t.Fatalf("issue printed %q", key)
	}

	// The application verifies it, from a one-line file, from a wrapped
	// file (K4) and from stdin.
	plain := filepath.Join(dir, "license.key")
	wrapped := filepath.Join(dir, "license-wrapped.key")
	wrappedText := license.FormatKeyFile(key)
	if bytes.Count(wrappedText, []byte("\n")) < 3 {
		t.Fatalf("FormatKeyFile made %d lines, want several", bytes.Count(wrappedText, []byte("\n")))
	}
	if err := os.WriteFile(plain, []byte(key+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrapped, wrappedText, 0o644); err != nil {
		t.Fatal(err)
	}
	const at = "2026-06-01T00:00:00Z"
	var digests []string
	for _, run := range []struct {
		stdin []byte
		args  []string
	}{
		{nil, []string{plain}},
		{nil, []string{wrapped}},
		{wrappedText, nil},
		{[]byte(key), []string{"-"}},
	} {
		out := mustRun(run.stdin, append([]string{"verify", "-pub", pub, "-at", at}, run.args...)...)
		d := decode(t, out)
		if !d.Verified || !strings.HasPrefix(d.KeyID, "acme-2026+") {
			t.Errorf("verify %q: %s", run.args, out)
		}
		l := d.License
		if l.ID != "L-42" || l.Partner != "Reseller" || l.MinDevices != 2 || l.Quantity != 5 ||
			l.IssuedAt.Format(rfc) != "2026-01-01T00:00:00Z" || !slices.Equal(l.Features, []string{"audit", "sso"}) {
			t.Errorf("verify %q: license %+v", run.args, l)
		}
		digests = append(digests, d.Digest)
	}
	for _, d := range digests[1:] {
		if d != digests[0] {
			t.Errorf("digests differ: %q", digests)
		}
	}

	// After its expiry the license is not in force: exit 1.
	code, stdout, stderr := licensectl(nil, "verify", "-pub", pub, "-at", "2027-02-01T00:00:00Z", wrapped)
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "licensectl verify: "+wrapped+": ") || !strings.Contains(stderr, "expired") {
		t.Errorf("verify after expiry: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	// K2: a verifying key the vendor did not sign with is not trusted.
	otherPub := strings.TrimSpace(mustRun(nil, "keygen", "-name", "acme-2026", "-out", filepath.Join(dir, "other.key")))
	code, _, stderr = licensectl(nil, "verify", "-pub", otherPub, "-at", at, plain)
	if code != 1 || !strings.Contains(stderr, "unknown signer") {
		t.Errorf("verify with another key: exit %d, stderr %q", code, stderr)
	}

	// Usage errors exit 2.
	if code, _, _ := licensectl(nil, "verify", plain); code != 2 {
		t.Errorf("verify without -pub: exit %d, want 2", code)
	}
	if code, _, _ := licensectl(nil, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, stdout, _ := licensectl(nil, "verify", "-h"); code != 0 || !strings.Contains(stdout, "Usage: licensectl verify") {
		t.Errorf("verify -h: exit %d, stdout %q", code, stdout)
	}
}
