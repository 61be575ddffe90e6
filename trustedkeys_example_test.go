package license_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/licensekit/license"
)

// An application reads the verifying keys it trusts from a file at start-up,
// and builds its Verifier from them.
func ExampleLoadVerifyingKeys() {
	dir, err := os.MkdirTemp("", "acme")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "trusted-keys")
	// The file the vendor ships: one key per line, comments after '#'.
	err = os.WriteFile(path, []byte(`# Acme's verifying keys
acme-2026+9ac2de13+iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=  # current

# acme-2025 was retired in January 2026
`), 0o644)
	if err != nil {
		panic(err)
	}

	keys, err := license.LoadVerifyingKeys(path)
	if err != nil {
		panic(err)
	}
	v, err := license.NewVerifier(keys...)
	if err != nil {
		panic(err)
	}
	for _, k := range keys {
		fmt.Println("trusting", k.KeyID())
	}
	_ = v // v.Verify(licenseKey) …

	// A line that is not a verifying key is reported by number.
	err = os.WriteFile(path, []byte("# Acme's verifying keys\nacme-2026+9ac2de13+iojj3XQJ8ZX9Ut\n"), 0o644)
	if err != nil {
		panic(err)
	}
	_, err = license.LoadVerifyingKeys(path)
	var le *license.KeyListError
	fmt.Println(errors.As(err, &le), le.Line, errors.Is(err, license.ErrMalformedVerifyingKey))
	// Output:
	// trusting acme-2026+9ac2de13
	// true 2 true
}

// Keys can also come from an environment variable, separated by commas,
// spaces or line breaks: convenient in a container.
func ExampleVerifyingKeysFromEnv() {
	os.Setenv("ACME_LICENSE_KEYS", "acme-2026+9ac2de13+iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=")
	defer os.Unsetenv("ACME_LICENSE_KEYS")

	keys, err := license.VerifyingKeysFromEnv("ACME_LICENSE_KEYS")
	if err != nil {
		panic(err)
	}
	fmt.Println(len(keys), keys[0].KeyID())

	_, err = license.VerifyingKeysFromEnv("ACME_MISSING_KEYS")
	fmt.Println(err)
	// Output:
	// 1 acme-2026+9ac2de13
	// license: environment variable not set: ACME_MISSING_KEYS
}
