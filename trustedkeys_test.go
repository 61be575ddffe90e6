package license_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
)

// writeFile writes text to a file in a fresh directory and returns its path.
func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trusted-keys")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// K2: a file lists the keys to trust, with comments and blank lines; the
// verifier made from them accepts each signer's license keys.
func TestLoadVerifyingKeys_K2_TrustsEachListedKey(t *testing.T) {
	a, b := MustSigningKey(t, "acme-2025", "a"), MustSigningKey(t, "acme-2026", "b")
	path := writeFile(t, "\ufeff# Acme's verifying keys\n\n"+
		a.VerifyingKey().String()+"   # retired at the end of 2026\r\n"+
		"   \t\n"+
		b.VerifyingKey().String()+"\n"+
		a.VerifyingKey().String()+"\n"+ // listed twice, returned once
		"# the end")
	keys, err := license.LoadVerifyingKeys(path)
	require.NoError(t, err)
	assert.Equal(t, []license.VerifyingKey{a.VerifyingKey(), b.VerifyingKey()}, keys)

	v, err := license.NewVerifier(keys...)
	require.NoError(t, err)
	for _, sk := range []*license.SigningKey{a, b} {
		_, err := v.Verify(MustSign(t, sk, fullLicense()))
		assert.NoError(t, err, sk.KeyID())
	}
}

func TestParseVerifyingKeys_BadInput(t *testing.T) {
	a := MustSigningKey(t, "acme", "a")
	impostor := MustSigningKey(t, "acme", "impostor")
	good := a.VerifyingKey().String()
	seed := strings.TrimPrefix(a.Export(), "LICENSEKIT+PRIVATE+KEY+"+a.KeyID()+"+")
	for name, tc := range map[string]struct {
		text string
		line int
		want error
	}{
		"not a key":        {"# keys\n" + good + "\nhello\n", 3, license.ErrMalformedVerifyingKey},
		"truncated":        {good[:len(good)-4] + "\n", 1, license.ErrMalformedVerifyingKey},
		"space inside":     {"\n\nac me+12345678+AAAA\n", 3, license.ErrMalformedVerifyingKey},
		"two on a line":    {good + " " + impostor.VerifyingKey().String() + "\n", 1, license.ErrMalformedVerifyingKey},
		"signing key":      {a.Export() + "\n", 1, license.ErrMalformedVerifyingKey},
		"invalid key name": {"bad!name+12345678+" + strings.Repeat("A", 43) + "=\n", 1, license.ErrInvalidKeyName},
	} {
		t.Run(name, func(t *testing.T) {
			keys, err := license.ParseVerifyingKeys(tc.text)
			assert.Nil(t, keys)
			require.ErrorIs(t, err, tc.want)
			var le *license.KeyListError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tc.line, le.Line)
			assert.Contains(t, err.Error(), "line "+strconv.Itoa(tc.line)+": ")
			assert.NotContains(t, err.Error(), seed, "never repeats a secret")
		})
	}
}

func TestParseVerifyingKeys_Empty(t *testing.T) {
	for _, text := range []string{"", "\n\n", "# nothing yet\n  # still nothing\n"} {
		keys, err := license.ParseVerifyingKeys(text)
		assert.Nil(t, keys)
		assert.ErrorIs(t, err, license.ErrNoVerifyingKeys, "%q", text)
	}
}

func TestLoadVerifyingKeys_FileErrors(t *testing.T) {
	_, err := license.LoadVerifyingKeys(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorIs(t, err, fs.ErrNotExist)

	path := writeFile(t, strings.Repeat("# padding\n", 110_000))
	_, err = license.LoadVerifyingKeys(path)
	assert.ErrorIs(t, err, license.ErrMalformedVerifyingKey, "a file over 1 MiB")

	path = writeFile(t, "# keys\n\nnot-a-key\n")
	_, err = license.LoadVerifyingKeys(path)
	var le *license.KeyListError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, path, le.Source)
	assert.Equal(t, 3, le.Line)
	assert.Equal(t, path+": line 3: ", err.Error()[:len(path)+10])

	_, err = license.LoadVerifyingKeys(writeFile(t, "# none\n"))
	assert.ErrorIs(t, err, license.ErrNoVerifyingKeys)
}

func TestVerifyingKeysFromEnv(t *testing.T) {
	a, b, c := MustSigningKey(t, "a", "a"), MustSigningKey(t, "b", "b"), MustSigningKey(t, "c", "c")
	const name = "LICENSEKIT_TEST_KEYS"

	t.Setenv(name, " "+a.VerifyingKey().String()+","+b.VerifyingKey().String()+"\n\t"+c.VerifyingKey().String()+" ,,"+a.VerifyingKey().String())
	keys, err := license.VerifyingKeysFromEnv(name)
	require.NoError(t, err)
	assert.Equal(t, []license.VerifyingKey{a.VerifyingKey(), b.VerifyingKey(), c.VerifyingKey()}, keys)

	t.Setenv(name, a.VerifyingKey().String()+",oops,"+b.VerifyingKey().String())
	_, err = license.VerifyingKeysFromEnv(name)
	require.ErrorIs(t, err, license.ErrMalformedVerifyingKey)
	var le *license.KeyListError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, license.KeyListError{Source: "$" + name, Index: 2, Err: le.Err}, *le)
	assert.True(t, strings.HasPrefix(err.Error(), "$"+name+": key 2: "), err.Error())

	t.Setenv(name, " , \n")
	_, err = license.VerifyingKeysFromEnv(name)
	assert.ErrorIs(t, err, license.ErrNoVerifyingKeys)
	assert.Contains(t, err.Error(), name)

	require.NoError(t, os.Unsetenv(name))
	_, err = license.VerifyingKeysFromEnv(name)
	assert.ErrorIs(t, err, license.ErrEnvNotSet)
	assert.Contains(t, err.Error(), name)
	assert.False(t, errors.Is(err, license.ErrNoVerifyingKeys))
}
