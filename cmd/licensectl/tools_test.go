package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/licensekit/license/internal/leaktest"
)

// TestPub prints the verifying key of a signing key file, the one keygen
// printed when it made the key.
func TestPub(t *testing.T) {
	keyFile, pub := newKey(t, "acme-2026")
	r := runOK(t, "", "pub", "-key", keyFile)
	if got := strings.TrimSpace(r.stdout); got != pub {
		t.Errorf("pub printed %q, want %q", got, pub)
	}
	wantExit(t, runAt(t, now, "", "pub"), exitUsage, "pub", "missing -key")
	wantExit(t, runAt(t, now, "", "pub", "-key", keyFile, "extra"), exitUsage, "pub", "takes no arguments")
}

// TestSigningKeyFileMustBePrivate: like ssh, issue and pub refuse a signing
// key file that its group or others may read or write, and say how to fix
// it.
func TestSigningKeyFileMustBePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no permission bits")
	}
	keyFile, _ := newKey(t, "acme")
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660, 0o602} {
		if err := os.Chmod(keyFile, mode); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"pub", "-key", keyFile},
			{"issue", "-key", keyFile, "-id", "L", "-product", "P"},
		} {
			r := runAt(t, now, "", args...)
			wantExit(t, r, exitFail, args[0], "chmod 600", keyFile, "too open")
			if r.stdout != "" {
				t.Errorf("%s with a key file of mode %04o printed %q", args[0], mode, r.stdout)
			}
		}
	}
	if err := os.Chmod(keyFile, 0o400); err != nil {
		t.Fatal(err)
	}
	runOK(t, "", "pub", "-key", keyFile)
}

// TestVerifyPubFile: -pub takes a verifying key's text or a file holding
// one.
func TestVerifyPubFile(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	key := issue(t, keyFile, "-id", "L-1", "-product", "P")
	pubFile := writeFile(t, "acme.pub", pub+"\n")
	if d := decode(t, runOK(t, key, "verify", "-pub", pubFile).stdout); !d.Verified || d.License.ID != "L-1" {
		t.Errorf("verify -pub FILE: %+v", d)
	}
	missing := filepath.Join(t.TempDir(), "missing.pub")
	wantExit(t, runAt(t, now, key, "verify", "-pub", missing), exitUsage, "verify", "-pub", "nor is it a file")
	garbage := writeFile(t, "garbage.pub", "hello\n")
	wantExit(t, runAt(t, now, key, "verify", "-pub", garbage), exitFail, "verify", "-pub "+garbage, "malformed verifying key")
}

// TestIssueDatesAndTerms: -starts and -expires take a date, meaning
// midnight UTC, as well as RFC 3339; -term takes 1y (365 days) and 6mo
// (6×30 days) as well as days and Go durations.
func TestIssueDatesAndTerms(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	verify := func(key string) decoded {
		t.Helper()
		return decode(t, runOK(t, key, "verify", "-pub", pub, "-at", "2026-06-01").stdout)
	}
	d := verify(issue(t, keyFile, "-id", "L", "-product", "P", "-starts", "2026-04-01", "-expires", "2027-01-01"))
	if want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); !d.License.Expiry.Equal(want) {
		t.Errorf("-expires 2027-01-01: expiry %v, want %v", d.License.Expiry, want)
	}
	if want := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC); !d.License.Start.Equal(want) {
		t.Errorf("-starts 2026-04-01: start %v, want %v", d.License.Start, want)
	}
	for term, days := range map[string]int{"1y": 365, "2y": 730, "6mo": 180, "1mo": 30, "30d": 30, "720h": 30} {
		d := verify(issue(t, keyFile, "-id", "L", "-product", "P", "-term", term))
		if want := time.Duration(days) * 24 * time.Hour; d.License.Term != want {
			t.Errorf("-term %s: term %v, want %v", term, d.License.Term, want)
		}
	}
	for _, term := range []string{"0y", "-1y", "1.5y", "y", "mo", "0mo", "1m0"} {
		r := runAt(t, now, "", "issue", "-key", keyFile, "-id", "L", "-product", "P", "-term", term)
		wantExit(t, r, exitUsage, "issue", "-term")
	}
	r := runAt(t, now, "", "issue", "-h")
	for _, want := range []string{"1y (365 days)", "1mo is 30 days", "midnight UTC"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("issue -h does not say %q", want)
		}
	}
}

// TestIssueActivateBy_L2: a term license gets an activation deadline, 90
// days after its issue unless -activate-by sets one or "none" removes it.
func TestIssueActivateBy_L2(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	verify := func(key string) decoded {
		t.Helper()
		return decode(t, runOK(t, key, "verify", "-pub", pub, "-at", "2026-06-01").stdout)
	}
	issued := func(d decoded) time.Time { return d.License.IssuedAt }
	d := verify(issue(t, keyFile, "-id", "L", "-product", "P", "-term", "1y"))
	if want := issued(d).Add(90 * 24 * time.Hour); !d.License.ActivateBy.Equal(want) {
		t.Errorf("-term 1y: activate by %v, want %v (90 days after the issue)", d.License.ActivateBy, want)
	}
	d = verify(issue(t, keyFile, "-id", "L", "-product", "P", "-term", "1y", "-activate-by", "2026-12-31"))
	if want := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC); !d.License.ActivateBy.Equal(want) {
		t.Errorf("-activate-by 2026-12-31: %v", d.License.ActivateBy)
	}
	d = verify(issue(t, keyFile, "-id", "L", "-product", "P", "-term", "1y", "-activate-by", "none"))
	if !d.License.ActivateBy.IsZero() {
		t.Errorf("-activate-by none: %v", d.License.ActivateBy)
	}
	d = verify(issue(t, keyFile, "-id", "L", "-product", "P", "-expires", "2027-01-01"))
	if !d.License.ActivateBy.IsZero() {
		t.Errorf("-expires: activate by %v, want none", d.License.ActivateBy)
	}
	r := runAt(t, now, "", "issue", "-key", keyFile, "-id", "L", "-product", "P", "-expires", "2027-01-01", "-activate-by", "2026-12-01")
	wantExit(t, r, exitUsage, "issue", "-activate-by")
	r = runAt(t, now, "", "issue", "-key", keyFile, "-id", "L", "-product", "P", "-term", "1y", "-activate-by", "soon")
	wantExit(t, r, exitUsage, "issue", "-activate-by")
	r = runAt(t, now, "", "issue", "-h")
	if !strings.Contains(r.stdout, "90 days after the issue") {
		t.Errorf("issue -h does not give the default activation deadline")
	}
}

// TestVersion prints the version and the license key format.
func TestVersion(t *testing.T) {
	for _, flag := range []string{"-version", "--version"} {
		r := runOK(t, "", flag)
		if !strings.HasPrefix(r.stdout, "licensectl ") || !strings.Contains(r.stdout, "license key format 1") || r.stderr != "" {
			t.Errorf("%s: stdout %q, stderr %q", flag, r.stdout, r.stderr)
		}
	}
}

// TestOnePrefixPerMessage: each line on stderr says once who speaks,
// "licensectl <command>: ", without the package's own "license: ".
func TestOnePrefixPerMessage(t *testing.T) {
	keyFile, pub := newKey(t, "acme")
	key := issue(t, keyFile, "-id", "L", "-product", "P")
	bad := writeFile(t, "bad.key", "LICENSEKIT+PRIVATE+KEY+acme+00000000+AAAA\n")
	for _, tc := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"keygen", "-name", "a b", "-out", filepath.Join(t.TempDir(), "k")}},
		{"", []string{"issue", "-key", bad, "-id", "L", "-product", "P"}},
		{"", []string{"issue", "-key", keyFile, "-id", "L", "-product", "P", "-scheme", "device"}},
		{"", []string{"verify", "-pub", "acme+0000+AAAA"}},
		{key + "x", []string{"verify", "-pub", pub}},
		{"LK1.a b", []string{"inspect"}},
	} {
		r := runAt(t, now, tc.stdin, tc.args...)
		prefix := "licensectl " + tc.args[0] + ": "
		for line := range strings.Lines(r.stderr) {
			rest, ok := strings.CutPrefix(line, prefix)
			if !ok || strings.Contains(rest, prefix) || strings.Contains(rest, "license: ") {
				t.Errorf("licensectl %s: %q has not one prefix", strings.Join(tc.args, " "), line)
			}
		}
	}
}

// K4: no message of licensectl repeats any piece of a signing key, given
// in any of its forms to any flag or argument that reads a key or a key
// file: as a -pub key, as the text of a -pub, -key or license key file, as
// a license key on standard input, or as a file name where a key file is
// expected.
func TestSecretNeverPrinted_K4_RandomKeys(t *testing.T) {
	_, pub := newKey(t, "acme")
	dir := t.TempDir()
	file := filepath.Join(dir, "pasted")
	open := filepath.Join(dir, "open")
	leaks := 0
	for _, s := range leaktest.Secrets(1000, 7) {
		for form, text := range s.Forms {
			if err := os.WriteFile(file, []byte(text+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(open, []byte(text+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				stdin string
				args  []string
			}{
				{"", []string{text}},
				{"", []string{"help", text}},
				{"", []string{"verify", "-pub", text}},
				{"", []string{"verify", "-pub", file}},
				{text, []string{"verify", "-pub", pub}},
				{"", []string{"verify", "-pub", pub, file}},
				{"", []string{"verify", "-pub", pub, text}},
				{"", []string{"verify", "-pub", pub, "-", text}},
				{text, []string{"inspect"}},
				{"", []string{"inspect", text}},
				{"", []string{"inspect", file}},
				{"", []string{"pub", "-key", text}},
				{"", []string{"pub", "-key", file, text}},
				{"", []string{"pub", "-key", open}},
				{text, []string{"pub", "-key", "-"}},
				{"", []string{"issue", "-key", text, "-id", "L", "-product", "P"}},
				{"", []string{"issue", "-key", open, "-id", "L", "-product", "P"}},
				{"", []string{"issue", "-key", file, "-id", "L", "-product", "P", text}},
				{text, []string{"issue", "-key", "-", "-id", "L", "-product", "P"}},
			} {
				r := runAt(t, now, tc.stdin, tc.args...)
				// The temporary directory's name has random digits, which
				// a hex-encoded secret may share by chance.
				if piece, ok := s.Leak(strings.ReplaceAll(r.stdout+r.stderr, dir, "<dir>")); ok {
					if leaks++; leaks <= 5 {
						t.Errorf("%s form: licensectl %s repeats %q of the secret:\n%s%s", form, tc.args[0], piece, r.stdout, r.stderr)
					}
				}
			}
		}
	}
	if leaks > 0 {
		t.Errorf("%d runs repeat a piece of the secret", leaks)
	}
}
