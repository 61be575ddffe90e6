package fingerprint

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// The machine ID comes from the first source that holds one: a missing
// or blank file is skipped; none at all is ErrNoMachineID.
func TestReadFirst(t *testing.T) {
	dir := t.TempDir()
	blank := filepath.Join(dir, "blank")
	good := filepath.Join(dir, "machine-id")
	if err := os.WriteFile(blank, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	id, err := readFirst(filepath.Join(dir, "missing"), blank, good)
	if err != nil || id != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("readFirst = %q, %v", id, err)
	}
	if _, err := readFirst(filepath.Join(dir, "missing"), blank); !errors.Is(err, ErrNoMachineID) {
		t.Fatalf("no source: %v, want ErrNoMachineID", err)
	}
	if _, err := machineID("plan9"); !errors.Is(err, ErrNoMachineID) {
		t.Fatalf("unknown system: %v, want ErrNoMachineID", err)
	}
}

// The machine IDs printed by macOS's ioreg and Windows's reg query.
func TestParseCommandOutput(t *testing.T) {
	ioreg := `+-o J314sAP  <class IOPlatformExpertDevice, id 0x100000212, registered>
    {
      "IOPlatformSerialNumber" = "C02XXXXXXX"
      "IOPlatformUUID" = "5A0C1E1B-6C77-4F5B-9C61-0123456789AB"
    }`
	if got := parseIOReg(ioreg); got != "5A0C1E1B-6C77-4F5B-9C61-0123456789AB" {
		t.Fatalf("parseIOReg = %q", got)
	}
	reg := "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\r\n    MachineGuid    REG_SZ    6f1c3b0e-2a4d-4c51-9e0f-1234567890ab\r\n\r\n"
	if got := parseRegQuery(reg); got != "6f1c3b0e-2a4d-4c51-9e0f-1234567890ab" {
		t.Fatalf("parseRegQuery = %q", got)
	}
	for _, bad := range []string{"", "MachineGuid REG_DWORD 0x1", `"IOPlatformUUID" = ""`} {
		if parseIOReg(bad) != "" || parseRegQuery(bad) != "" {
			t.Fatalf("%q parsed", bad)
		}
	}
}
