package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/licensekit/license"
)

// Fixed instants: no test reads the wall clock for its assertions.
var (
	now     = time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	nowSec  = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	starts  = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	expires = time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
)

const rfc = time.RFC3339

// result is what one run of the tool did.
type result struct {
	code           int
	stdout, stderr string
}

// runAt runs licensectl in-process with the clock at t and stdin as its
// standard input.
func runAt(t *testing.T, at time.Time, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, env{
		stdin:  strings.NewReader(stdin),
		stdout: &stdout,
		stderr: &stderr,
		now:    func() time.Time { return at },
	})
	return result{code, stdout.String(), stderr.String()}
}

func runOK(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := runAt(t, now, stdin, args...)
	if r.code != exitOK {
		t.Fatalf("licensectl %s: exit %d, stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// wantExit checks the exit code and that every line on stderr starts with
// "licensectl <sub>: " and that stderr holds each of want.
func wantExit(t *testing.T, r result, code int, sub string, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d; stderr:\n%s", r.code, code, r.stderr)
	}
	if r.stderr == "" {
		t.Errorf("stderr is empty, want a message")
	}
	for line := range strings.Lines(r.stderr) {
		if !strings.HasPrefix(line, "licensectl "+sub+": ") {
			t.Errorf("stderr line %q does not start with %q", line, "licensectl "+sub+": ")
		}
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not hold %q", r.stderr, w)
		}
	}
}

// newKey runs keygen in a new directory and returns the signing key file
// and the verifying key text.
func newKey(t *testing.T, name string) (keyFile, pub string) {
	t.Helper()
	keyFile = filepath.Join(t.TempDir(), name+".key")
	r := runOK(t, "", "keygen", "-name", name, "-out", keyFile)
	return keyFile, strings.TrimSpace(r.stdout)
}

// issue runs issue with the given key file and flags and returns the key.
func issue(t *testing.T, keyFile string, flags ...string) string {
	t.Helper()
	r := runOK(t, "", append([]string{"issue", "-key", keyFile}, flags...)...)
	if strings.Count(r.stdout, "\n") != 1 || !strings.HasSuffix(r.stdout, "\n") {
		t.Fatalf("issue printed %q, want one line", r.stdout)
	}
	return strings.TrimSuffix(r.stdout, "\n")
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// decoded is the JSON that verify and inspect print.
type decoded struct {
	Verified bool            `json:"verified"`
	KeyID    string          `json:"key_id"`
	Digest   string          `json:"digest"`
	License  license.License `json:"license"`
}

func decode(t *testing.T, stdout string) decoded {
	t.Helper()
	var d decoded
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("output is not the JSON object: %v\n%s", err, stdout)
	}
	return d
}

func TestKeygen(t *testing.T) {
	keyFile, pub := newKey(t, "acme-2026")

	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	secret, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(secret), "\n") {
		t.Errorf("key file does not end in a newline")
	}
	k, err := license.ParseSigningKey(string(secret))
	if err != nil {
		t.Fatalf("key file does not hold a signing key: %v", err)
	}
	if got := k.VerifyingKey().String(); got != pub {
		t.Errorf("keygen printed %q, want the verifying key %q", pub, got)
	}
	if k.KeyID() != "acme-2026+"+strings.Split(pub, "+")[1] {
		t.Errorf("key ID %q does not match verifying key %q", k.KeyID(), pub)
	}

	// A second keygen to the same file refuses and leaves it alone.
	r := runAt(t, now, "", "keygen", "-name", "acme-2027", "-out", keyFile)
	wantExit(t, r, exitFail, "keygen", keyFile, "exists")
	if r.stdout != "" {
		t.Errorf("refused keygen printed %q", r.stdout)
	}
	after, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, secret) {
		t.Errorf("refused keygen changed %s", keyFile)
	}
	if strings.Contains(r.stderr, strings.TrimSpace(string(secret))) {
		t.Errorf("stderr holds the secret key")
	}
}

func TestKeygenUnwritable(t *testing.T) {
	out := filepath.Join(t.TempDir(), "no-such-dir", "k.key")
	r := runAt(t, now, "", "keygen", "-name", "acme", "-out", out)
	wantExit(t, r, exitFail, "keygen", out)
}

// TestIssueVerify issues a license with every flag and verifies it.
func TestIssueVerify(t *testing.T) {
	keyFile, pub := newKey(t, "acme-2026")
	key := issue(t, keyFile,
		"-id", "L-0001", "-product", "Widget", "-edition", "enterprise",
		"-type", "server", "-scheme", "core", "-quantity", "64",
		"-features", " sso, audit,,ha ", "-org", "Example Corp",
		"-starts", starts.Format(rfc), "-expires", "2027-04-01T02:00:00+02:00")
	want := license.License{
		ID:           "L-0001",
		Product:      "Widget",
		Edition:      "enterprise",
		Type:         license.TypeServer,
		Scheme:       license.SchemePerCore,
		Quantity:     64,
		Features:     []string{"audit", "ha", "sso"}, // sorted by the key
		Organization: "Example Corp",
		IssuedAt:     nowSec, // the injected clock, to the second
		Start:        starts,
		Expiry:       expires, // converted to UTC
	}

	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	keyPath := writeFile(t, "license.txt", key+"\n")
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"file", "", []string{keyPath}},
		{"stdin", key, nil},
		{"dash", key + "\n", []string{"-"}},
		// K4: a key wrapped over several lines still verifies.
		{"wrapped", string(license.FormatKeyFile(key)), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"verify", "-pub", pub, "-at", at.Format(rfc)}, tc.args...)
			r := runOK(t, tc.stdin, args...)
			if r.stderr != "" {
				t.Errorf("stderr: %q", r.stderr)
			}
			d := decode(t, r.stdout)
			if !d.Verified {
				t.Errorf("verified is false")
			}
			vk, _ := license.ParseVerifyingKey(pub)
			if d.KeyID != vk.KeyID() {
				t.Errorf("key_id %q, want %q", d.KeyID, vk.KeyID())
			}
			if diff := cmp.Diff(want, d.License); diff != "" {
				t.Errorf("license (-want +got):\n%s", diff)
			}
			digest, err := want.Digest()
			if err != nil {
				t.Fatal(err)
			}
			if d.Digest != digest.String() {
				t.Errorf("digest %s, want %s", d.Digest, digest)
			}
		})
	}
}

func TestVerifyDates(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	key := issue(t, keyFile, "-id", "L-1", "-product", "Widget",
		"-starts", starts.Format(rfc), "-expires", expires.Format(rfc))

	verify := func(at time.Time, args ...string) result {
		return runAt(t, at, key, append([]string{"verify", "-pub", pub}, args...)...)
	}
	// -at decides.
	if r := verify(now, "-at", expires.Add(-time.Second).Format(rfc)); r.code != exitOK {
		t.Errorf("verify a second before expiry: exit %d: %s", r.code, r.stderr)
	}
	wantExit(t, verify(now, "-at", expires.Format(rfc)), exitFail, "verify", "stdin", "expired")
	wantExit(t, verify(now, "-at", "2030-01-01T00:00:00Z"), exitFail, "verify", "expired", "2027-04-01T00:00:00Z")
	wantExit(t, verify(now, "-at", starts.Add(-time.Second).Format(rfc)), exitFail, "verify", "not yet valid")
	// Without -at, the injected clock decides.
	if r := verify(starts.Add(time.Hour)); r.code != exitOK {
		t.Errorf("verify at the start: exit %d: %s", r.code, r.stderr)
	}
	r := verify(expires.Add(time.Hour))
	wantExit(t, r, exitFail, "verify", "expired")
	if r.stdout != "" {
		t.Errorf("a failed verify printed %q", r.stdout)
	}
}

func TestVerifyTermLicense(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	key := issue(t, keyFile, "-id", "T-1", "-product", "Widget", "-term", "30d", "-trial", "-activate-by", "none")
	// A term license counts as activated at -at, so with no activation
	// deadline it is in force at any instant after its issue...
	r := runOK(t, key, "verify", "-pub", pub, "-at", "2030-01-01T00:00:00Z")
	d := decode(t, r.stdout)
	if d.License.Term != 30*24*time.Hour || !d.License.Trial || !d.License.Expiry.IsZero() {
		t.Errorf("license %+v, want a 30-day trial term", d.License)
	}
	if !strings.Contains(r.stdout, `"term": "30d"`) {
		t.Errorf("output does not show the term as 30d:\n%s", r.stdout)
	}
	// ...and with one (by default 90 days after its issue, L2), only
	// until then...
	deadline := issue(t, keyFile, "-id", "T-3", "-product", "Widget", "-term", "30d")
	wantExit(t, runAt(t, now, deadline, "verify", "-pub", pub, "-at", "2030-01-01T00:00:00Z"), exitFail, "verify", "activation deadline has passed")
	// ...but not before its start.
	key = issue(t, keyFile, "-id", "T-2", "-product", "Widget", "-term", "365d", "-starts", starts.Format(rfc))
	r = runAt(t, now, key, "verify", "-pub", pub, "-at", starts.Add(-time.Nanosecond).Format(time.RFC3339Nano))
	wantExit(t, r, exitFail, "verify", "not yet valid")
}

func TestVerifyWrongKey(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	_, otherPub := newKey(t, "other")
	key := issue(t, keyFile, "-id", "L-1", "-product", "Widget")
	keyPath := writeFile(t, "license.txt", key)

	r := runAt(t, now, "", "verify", "-pub", otherPub, keyPath)
	wantExit(t, r, exitFail, "verify", keyPath, "unknown signer", "acme+")
	if r.stdout != "" {
		t.Errorf("a failed verify printed %q", r.stdout)
	}
	// Trusting both keys, as during a key rotation, verifies.
	runOK(t, "", "verify", "-pub", otherPub, "-pub", pub, keyPath)

	// A different key with the same name is not the signer either.
	_, samePub := newKey(t, "acme")
	r = runAt(t, now, "", "verify", "-pub", samePub, keyPath)
	wantExit(t, r, exitFail, "verify", "unknown signer")
}

func TestVerifyTampered(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	key := issue(t, keyFile, "-id", "L-1", "-product", "Widget", "-scheme", "user", "-quantity", "10")

	// Change one character in the middle of the payload.
	payloadStart := strings.Index(key[len("LK1."):], ".") + len("LK1.") + 1
	i := payloadStart + 10
	c := byte('A')
	if key[i] == 'A' {
		c = 'B'
	}
	tampered := key[:i] + string(c) + key[i+1:]
	r := runAt(t, now, tampered, "verify", "-pub", pub)
	wantExit(t, r, exitFail, "verify", "stdin", "bad signature")

	for name, text := range map[string]string{
		"truncated": key[:len(key)-5],
		"garbage":   "not a license key",
		"empty":     "",
	} {
		t.Run(name, func(t *testing.T) {
			r := runAt(t, now, text, "verify", "-pub", pub)
			wantExit(t, r, exitFail, "verify", "malformed license key")
		})
	}
}

func TestInspect(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	key := issue(t, keyFile, "-id", "L-1", "-product", "Widget", "-expires", expires.Format(rfc))

	// Inspect needs no verifying key, and shows expired licenses too.
	r := runAt(t, expires.AddDate(5, 0, 0), key, "inspect")
	if r.code != exitOK {
		t.Fatalf("inspect: exit %d: %s", r.code, r.stderr)
	}
	wantExit(t, r, exitOK, "inspect", "NOT verified")
	d := decode(t, r.stdout)
	if d.Verified {
		t.Errorf("inspect says verified")
	}
	if d.License.ID != "L-1" || !d.License.Expiry.Equal(expires) {
		t.Errorf("license %+v", d.License)
	}
	vk, _ := license.ParseVerifyingKey(pub)
	if d.KeyID != vk.KeyID() {
		t.Errorf("key_id %q, want %q", d.KeyID, vk.KeyID())
	}

	// The digest matches verify's.
	v := decode(t, runOK(t, key, "verify", "-pub", pub, "-at", now.Format(rfc)).stdout)
	if d.Digest != v.Digest {
		t.Errorf("inspect digest %s, verify digest %s", d.Digest, v.Digest)
	}

	path := writeFile(t, "bad.txt", "LK1.nonsense")
	wantExit(t, runAt(t, now, "", "inspect", path), exitFail, "inspect", path, "malformed license key")
}

func TestIssueTemplate(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	tmpl := writeFile(t, "tmpl.json", `{
		"id": "TEMPLATE-ID",
		"product": "Widget",
		"edition": "standard",
		"type": "workstation",
		"scheme": "device",
		"quantity": 10,
		"min_devices": 5,
		"features": ["x"],
		"organization": "Template Org",
		"issued_at": "2026-01-02T03:04:05Z",
		"term": "365d",
		"partner": "Reseller Ltd",
		"custom": {"po": "PO-42", "region": "eu"}
	}`)
	key := issue(t, keyFile, "-json", tmpl,
		"-id", "L-9", "-edition", "enterprise", "-quantity", "20",
		"-features", "a,b", "-expires", expires.Format(rfc))
	d := decode(t, runOK(t, key, "verify", "-pub", pub, "-at", now.Format(rfc)).stdout)
	want := license.License{
		ID:           "L-9",        // flag
		Product:      "Widget",     // template
		Edition:      "enterprise", // flag
		Type:         license.TypeWorkstation,
		Scheme:       license.SchemePerDevice,
		Quantity:     20, // flag
		MinDevices:   5,  // template only
		Features:     []string{"a", "b"},
		Organization: "Template Org",
		IssuedAt:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), // template, not the clock
		Expiry:       expires,                                     // -expires replaces the template's term
		Partner:      "Reseller Ltd",
		Custom:       map[string]string{"po": "PO-42", "region": "eu"},
	}
	if diff := cmp.Diff(want, d.License); diff != "" {
		t.Errorf("license (-want +got):\n%s", diff)
	}

	// The template's term stays when no flag replaces it; the template
	// may also come from stdin.
	r := runOK(t, `{"id": "L-10", "product": "Widget", "term": "90d", "partner": "P"}`,
		"issue", "-key", keyFile, "-json", "-", "-org", "O")
	d = decode(t, runOK(t, r.stdout, "verify", "-pub", pub, "-at", now.Format(rfc)).stdout)
	if d.License.Term != 90*24*time.Hour || d.License.Partner != "P" || d.License.Organization != "O" || !d.License.IssuedAt.Equal(nowSec) {
		t.Errorf("license %+v", d.License)
	}

	// A template with an unknown field fails, naming the file.
	bad := writeFile(t, "bad.json", `{"id": "L-1", "product": "W", "expiry_date": "2030-01-01T00:00:00Z"}`)
	r = runAt(t, now, "", "issue", "-key", keyFile, "-json", bad)
	wantExit(t, r, exitFail, "issue", bad, "expiry_date")
	if r.stdout != "" {
		t.Errorf("a failed issue printed %q", r.stdout)
	}
}

// TestErrorsNameFiles checks that failures on files exit 1 and name the
// file, or, for a file that cannot be opened, what it is for: the name
// given may be a key pasted where a file name was expected.
func TestErrorsNameFiles(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.key")
	notKey := writeFile(t, "not-a-key", "hello\n")

	for _, tc := range []struct {
		name string
		args []string
		sub  string
		want string
	}{
		{"missing -key", []string{"issue", "-key", missing, "-id", "L", "-product", "P"}, "issue", "cannot open the -key file"},
		{"-key not a key", []string{"issue", "-key", notKey, "-id", "L", "-product", "P"}, "issue", notKey},
		{"missing -json", []string{"issue", "-key", keyFile, "-json", missing}, "issue", "cannot open the template"},
		{"missing verify file", []string{"verify", "-pub", pub, missing}, "verify", "cannot open the license key file"},
		{"missing inspect file", []string{"inspect", missing}, "inspect", "cannot open the license key file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runAt(t, now, "", tc.args...)
			wantExit(t, r, exitFail, tc.sub, tc.want)
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
			if strings.Contains(r.stderr, missing) {
				t.Errorf("stderr repeats the name of a file that cannot be opened: %s", r.stderr)
			}
		})
	}
}

// TestSecretNeverPrinted feeds the signing key where it does not belong
// and checks that no message repeats it.
func TestSecretNeverPrinted(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(string(b))
	seed := secret[strings.LastIndexByte(secret, '+')+1:]

	// A signing key file with a flipped hash digit does not parse.
	i := strings.LastIndexByte(secret, '+') - 1
	broken := secret[:i] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", secret[i])+1)%16]) + secret[i+1:]
	brokenFile := writeFile(t, "broken.key", broken+"\n")

	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"signing key as -pub", "", []string{"verify", "-pub", secret}, exitUsage},
		{"signing key without its prefix as -pub", "", []string{"verify", "-pub", secret[len("LICENSEKIT+PRIVATE+KEY+"):]}, exitUsage},
		{"signing key to verify", secret, []string{"verify", "-pub", pub}, exitFail},
		{"signing key to inspect", secret, []string{"inspect"}, exitFail},
		{"signing key as template", secret, []string{"issue", "-key", keyFile, "-json", "-"}, exitFail},
		{"broken signing key", "", []string{"issue", "-key", brokenFile, "-id", "L", "-product", "P"}, exitFail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runAt(t, now, tc.stdin, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d: %s", r.code, tc.code, r.stderr)
			}
			if strings.Contains(r.stderr, seed) || strings.Contains(r.stdout, seed) {
				t.Errorf("output holds the secret:\n%s%s", r.stdout, r.stderr)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	for _, tc := range []struct {
		name string
		args []string
		sub  string
		want string
	}{
		{"verify without -pub", []string{"verify"}, "verify", "missing -pub"},
		{"verify bad -pub", []string{"verify", "-pub", "acme+0000+AAAA"}, "verify", "-pub"},
		{"verify bad -at", []string{"verify", "-pub", pub, "-at", "tomorrow"}, "verify", "-at"},
		{"verify two files", []string{"verify", "-pub", pub, "a", "b"}, "verify", "got 2"},
		{"verify unknown flag", []string{"verify", "-pubkey", pub}, "verify", "-pubkey"},
		{"issue without -key", []string{"issue", "-id", "L", "-product", "P"}, "issue", "missing -key"},
		{"issue without -id", []string{"issue", "-key", keyFile, "-product", "P"}, "issue", "missing -id"},
		{"issue without -product", []string{"issue", "-key", keyFile, "-id", "L"}, "issue", "missing -product"},
		{"issue -expires and -term", []string{"issue", "-key", keyFile, "-id", "L", "-product", "P", "-expires", "2030-01-01T00:00:00Z", "-term", "365d"}, "issue", "-term"},
		{"issue unknown -type", []string{"issue", "-key", keyFile, "-id", "L", "-product", "P", "-type", "desktop"}, "issue", "unknown license type"},
		{"issue unknown -scheme", []string{"issue", "-key", keyFile, "-id", "L", "-product", "P", "-scheme", "seat"}, "issue", "unknown licensing scheme"},
		{"issue bad -starts", []string{"issue", "-key", keyFile, "-id", "L", "-product", "P", "-starts", "2026-13-01"}, "issue", "-starts"},
		{"issue bad -term", []string{"issue", "-key", keyFile, "-id", "L", "-product", "P", "-term", "1w"}, "issue", "-term"},
		{"issue bad -quantity", []string{"issue", "-key", keyFile, "-id", "L", "-product", "P", "-quantity", "many"}, "issue", "-quantity"},
		{"issue counted scheme without quantity", []string{"issue", "-key", keyFile, "-id", "L", "-product", "P", "-scheme", "device"}, "issue", "quantity"},
		{"issue trial without end", []string{"issue", "-key", keyFile, "-id", "L", "-product", "P", "-trial"}, "issue", "Trial"},
		{"issue expiry before issue", []string{"issue", "-key", keyFile, "-id", "L", "-product", "P", "-expires", "2020-01-01T00:00:00Z"}, "issue", "Expiry"},
		{"issue duplicate feature", []string{"issue", "-key", keyFile, "-id", "L", "-product", "P", "-features", "a,b,a"}, "issue", "duplicate"},
		{"issue extra argument", []string{"issue", "-key", keyFile, "-id", "L", "-product", "P", "extra"}, "issue", "got 1"},
		{"keygen without -name", []string{"keygen", "-out", filepath.Join(t.TempDir(), "k")}, "keygen", "missing -name"},
		{"keygen without -out", []string{"keygen", "-name", "acme"}, "keygen", "missing -out"},
		{"keygen bad -name", []string{"keygen", "-name", "acme corp", "-out", filepath.Join(t.TempDir(), "k")}, "keygen", "invalid key name"},
		{"inspect two files", []string{"inspect", "a", "b"}, "inspect", "got 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runAt(t, now, "", tc.args...)
			wantExit(t, r, exitUsage, tc.sub, tc.want)
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	for _, args := range [][]string{{"sign"}, {"-x"}, {"help", "sign"}} {
		r := runAt(t, now, "", args...)
		if r.code != exitUsage {
			t.Errorf("%q: exit %d, want 2", args, r.code)
		}
		if !strings.HasPrefix(r.stderr, "licensectl") || !strings.Contains(r.stderr, args[len(args)-1]) {
			t.Errorf("%q: stderr %q", args, r.stderr)
		}
	}
	// No command at all: the list of commands, as a usage error.
	r := runAt(t, now, "")
	if r.code != exitUsage || !strings.Contains(r.stderr, "keygen") {
		t.Errorf("no args: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestHelp(t *testing.T) {
	subs := []string{"keygen", "pub", "issue", "verify", "inspect"}
	for _, h := range []string{"-h", "-help", "--help"} {
		r := runAt(t, now, "", h)
		if r.code != exitOK || r.stderr != "" {
			t.Errorf("licensectl %s: exit %d, stderr %q", h, r.code, r.stderr)
		}
		for _, sub := range subs {
			if !strings.Contains(r.stdout, sub) {
				t.Errorf("licensectl %s does not list %s:\n%s", h, sub, r.stdout)
			}
		}
		for _, sub := range subs {
			for _, args := range [][]string{{sub, h}, {"help", sub}} {
				r := runAt(t, now, "", args...)
				if r.code != exitOK || r.stderr != "" {
					t.Errorf("licensectl %q: exit %d, stderr %q", args, r.code, r.stderr)
				}
				if !strings.HasPrefix(r.stdout, "Usage: licensectl "+sub) || !strings.Contains(r.stdout, "Flags:") {
					t.Errorf("licensectl %q prints:\n%s", args, r.stdout)
				}
			}
		}
		// -h wins over flags given before it, even incomplete ones.
		r = runAt(t, now, "", "verify", "-at", "not checked", h)
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "Usage: licensectl verify") {
			t.Errorf("verify -at x %s: exit %d, stdout %q, stderr %q", h, r.code, r.stdout, r.stderr)
		}
	}
	r := runAt(t, now, "", "issue", "-h")
	for _, flag := range []string{"-key", "-id", "-product", "-edition", "-type", "-scheme", "-quantity", "-features", "-org", "-starts", "-expires", "-term", "-trial", "-json"} {
		if !strings.Contains(r.stdout, "\n  "+flag+" ") && !strings.Contains(r.stdout, "\n  "+flag+"\n") {
			t.Errorf("issue -h does not describe %s:\n%s", flag, r.stdout)
		}
	}
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		"":              nil,
		" , ,":          nil,
		"a":             {"a"},
		" a , b ,, c ,": {"a", "b", "c"},
		"two words,x":   {"two words", "x"},
	} {
		if got := splitList(in); !cmp.Equal(got, want) {
			t.Errorf("splitList(%q) = %q, want %q", in, got, want)
		}
	}
}
