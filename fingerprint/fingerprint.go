// Package fingerprint names a device for activation certificates (A1,
// A2): a value that stays the same across restarts and reinstalls of an
// application on one machine, differs between machines, and names no
// hardware.
//
// A fingerprint is the HMAC-SHA256 of the operating system's machine ID,
// keyed by the application's name, as 32 hexadecimal digits:
//
//	fp, err := fingerprint.Device("acme-backup")
//	…
//	m, err := license.NewManager(ctx, license.ManagerConfig{Fingerprint: fp, …})
//
// The machine ID is read from /etc/machine-id, then
// /var/lib/dbus/machine-id on Linux; /etc/hostid on FreeBSD; the
// IOPlatformUUID that `ioreg -rd1 -c IOPlatformExpertDevice` prints on
// macOS; the MachineGuid that `reg query
// HKLM\SOFTWARE\Microsoft\Cryptography /v MachineGuid` prints on
// Windows. Keying by the application means two vendors' applications on
// one machine get unrelated fingerprints, and neither reveals the machine
// ID to its license server.
//
// # Containers and virtual machines
//
// A container's /etc/machine-id usually comes from its image, so every
// container started from that image shares it, or it is absent. Run the
// application with the variable LICENSEKIT_FINGERPRINT ([EnvVar]) set to
// the host's machine ID, for example
//
//	docker run -e LICENSEKIT_FINGERPRINT="$(cat /etc/machine-id)" …
//
// and call [Device] or [FromEnv]: the container then has the host's
// fingerprint, so it counts as the host's seat. A virtual machine cloned
// from a template shares the template's machine ID until it is
// regenerated (systemd-machine-id-setup on Linux, sysprep on Windows):
// regenerate it when cloning, or every clone is one device.
//
// # What a fingerprint does not do
//
// The user controls the machine: a fingerprint can be read, copied and
// forged, by setting the variable or changing the machine ID. Activation
// limits the number of seats a customer uses honestly and makes copying a
// certificate to another machine useless without also forging that
// machine's identity; it does not stop a determined user on a machine
// they have taken apart.
package fingerprint

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
)

// EnvVar is the environment variable that gives the host's machine ID to
// an application in a container or a virtual machine (see [FromEnv]).
const EnvVar = "LICENSEKIT_FINGERPRINT"

// Errors of the package.
var (
	// ErrNoMachineID: the operating system's machine ID could not be
	// read, or the variable EnvVar is not set.
	ErrNoMachineID = errors.New("fingerprint: no machine ID")
	// ErrNoApp: the application's name is empty.
	ErrNoApp = errors.New("fingerprint: the application's name is empty")
)

// Derive returns the fingerprint of the machine whose ID is machineID
// for application app: the HMAC-SHA256 of the ID, trimmed of surrounding
// whitespace and in lower case, keyed by app, as 32 hexadecimal digits.
// It fails with ErrNoApp or ErrNoMachineID for an empty app or ID.
func Derive(app, machineID string) (string, error) {
	if app == "" {
		return "", ErrNoApp
	}
	id := strings.ToLower(strings.TrimSpace(machineID))
	if id == "" {
		return "", fmt.Errorf("%w: the machine ID is empty", ErrNoMachineID)
	}
	mac := hmac.New(sha256.New, []byte(app))
	mac.Write([]byte(id))
	return hex.EncodeToString(mac.Sum(nil))[:32], nil
}

// Machine returns this machine's fingerprint for application app, from
// the operating system's machine ID (see the package documentation). It
// fails with ErrNoApp, or an error wrapping ErrNoMachineID when the
// machine ID cannot be read.
func Machine(app string) (string, error) {
	if app == "" {
		return "", ErrNoApp
	}
	id, err := machineID(runtime.GOOS)
	if err != nil {
		return "", err
	}
	return Derive(app, id)
}

// FromEnv returns the fingerprint for application app of the machine
// whose ID the variable EnvVar holds: the host's, given to a container or
// a virtual machine, which thus gets the host's fingerprint. It fails
// with ErrNoApp, or an error wrapping ErrNoMachineID when the variable is
// unset or blank.
func FromEnv(app string) (string, error) {
	v := os.Getenv(EnvVar)
	if app == "" {
		return "", ErrNoApp
	}
	if strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("%w: %s is not set", ErrNoMachineID, EnvVar)
	}
	return Derive(app, v)
}

// Device returns the fingerprint for application app: FromEnv's when the
// variable EnvVar is set, Machine's otherwise. It fails as they do.
func Device(app string) (string, error) {
	if strings.TrimSpace(os.Getenv(EnvVar)) != "" {
		return FromEnv(app)
	}
	return Machine(app)
}

// machineID reads the machine ID of the operating system goos.
func machineID(goos string) (string, error) {
	switch goos {
	case "linux":
		return readFirst("/etc/machine-id", "/var/lib/dbus/machine-id")
	case "freebsd":
		return readFirst("/etc/hostid")
	case "darwin":
		return fromCommand(parseIOReg, "ioreg", "-rd1", "-c", "IOPlatformExpertDevice")
	case "windows":
		return fromCommand(parseRegQuery, "reg", "query", `HKLM\SOFTWARE\Microsoft\Cryptography`, "/v", "MachineGuid")
	}
	return "", fmt.Errorf("%w: no known source on %s; set %s", ErrNoMachineID, goos, EnvVar)
}

// readFirst returns the content of the first of paths that holds
// something other than whitespace.
func readFirst(paths ...string) (string, error) {
	var errs []error
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
		errs = append(errs, fmt.Errorf("%s is empty", p))
	}
	return "", fmt.Errorf("%w: %w", ErrNoMachineID, errors.Join(errs...))
}

// fromCommand runs a command and reads the machine ID from its output
// with parse.
func fromCommand(parse func(string) string, name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrNoMachineID, name, err)
	}
	if id := parse(string(out)); id != "" {
		return id, nil
	}
	return "", fmt.Errorf("%w: %s printed no machine ID", ErrNoMachineID, name)
}

var (
	ioregUUID   = regexp.MustCompile(`"IOPlatformUUID"\s*=\s*"([^"]+)"`)
	machineGUID = regexp.MustCompile(`(?m)^\s*MachineGuid\s+REG_SZ\s+(\S+)\s*$`)
)

// parseIOReg returns the IOPlatformUUID that ioreg prints, or "".
func parseIOReg(out string) string {
	if m := ioregUUID.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// parseRegQuery returns the MachineGuid that reg query prints, or "".
func parseRegQuery(out string) string {
	if m := machineGUID.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}
