package fingerprint_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/licensekit/license/fingerprint"
)

const hostID = "4f1a2b3c4d5e6f708192a3b4c5d6e7f8"

// A2: a fingerprint is 32 hexadecimal digits, the same for one machine
// and application every time (whatever the ID's case and surrounding
// whitespace), different for another application or machine, and does
// not contain the machine ID.
func TestDerive_A2_StablePerApplicationNamesNoHardware(t *testing.T) {
	a, err := fingerprint.Derive("acme-backup", hostID)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(a) {
		t.Fatalf("fingerprint %q is not 32 hex digits", a)
	}
	again, _ := fingerprint.Derive("acme-backup", " "+strings.ToUpper(hostID)+"\n")
	other, _ := fingerprint.Derive("acme-mail", hostID)
	elsewhere, _ := fingerprint.Derive("acme-backup", "0"+hostID[1:])
	switch {
	case again != a:
		t.Fatalf("the same machine and application: %q, then %q", a, again)
	case other == a:
		t.Fatal("two applications share a fingerprint")
	case elsewhere == a:
		t.Fatal("two machines share a fingerprint")
	case strings.Contains(a, hostID[:8]):
		t.Fatal("the fingerprint shows the machine ID")
	}
	if _, err := fingerprint.Derive("", hostID); !errors.Is(err, fingerprint.ErrNoApp) {
		t.Fatalf("no application: %v", err)
	}
	if _, err := fingerprint.Derive("acme-backup", " \n"); !errors.Is(err, fingerprint.ErrNoMachineID) {
		t.Fatalf("blank machine ID: %v", err)
	}
}

// A container given the host's machine ID in LICENSEKIT_FINGERPRINT has
// the host's fingerprint; unset, FromEnv fails with ErrNoMachineID.
func TestFromEnv_A2_ContainerGetsTheHostsFingerprint(t *testing.T) {
	t.Setenv(fingerprint.EnvVar, hostID+"\n")
	got, err := fingerprint.FromEnv("acme-backup")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fingerprint.Derive("acme-backup", hostID)
	if got != want {
		t.Fatalf("FromEnv = %q, want the host's %q", got, want)
	}
	if dev, err := fingerprint.Device("acme-backup"); err != nil || dev != want {
		t.Fatalf("Device with the variable set = %q, %v; want %q", dev, err, want)
	}
	if _, err := fingerprint.FromEnv(""); !errors.Is(err, fingerprint.ErrNoApp) {
		t.Fatalf("no application: %v", err)
	}
	t.Setenv(fingerprint.EnvVar, "")
	if _, err := fingerprint.FromEnv("acme-backup"); !errors.Is(err, fingerprint.ErrNoMachineID) {
		t.Fatalf("unset: %v, want ErrNoMachineID", err)
	}
}

// Machine reads this machine's ID, or says there is none with
// ErrNoMachineID; it agrees with Device when the variable is unset.
func TestMachine(t *testing.T) {
	t.Setenv(fingerprint.EnvVar, "")
	fp, err := fingerprint.Machine("acme-backup")
	if errors.Is(err, fingerprint.ErrNoMachineID) {
		t.Skipf("this machine has no machine ID: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if dev, err := fingerprint.Device("acme-backup"); err != nil || dev != fp {
		t.Fatalf("Device = %q, %v; Machine = %q", dev, err, fp)
	}
	if _, err := fingerprint.Machine(""); !errors.Is(err, fingerprint.ErrNoApp) {
		t.Fatalf("no application: %v", err)
	}
}

func ExampleDerive() {
	// In a container, pass the host's ID: LICENSEKIT_FINGERPRINT=$(cat /etc/machine-id).
	fp, err := fingerprint.Derive("acme-backup", "4f1a2b3c4d5e6f708192a3b4c5d6e7f8")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fp)
	// Output: 7af8997738480efc16b43a27932eb7c4
}
