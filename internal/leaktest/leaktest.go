// Package leaktest makes random signing keys in every form a user might
// paste one in, and finds any piece of one in what a program printed. The
// key parsers' and licensectl's tests use it to show that no error
// repeats a secret.
package leaktest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"

	"github.com/licensekit/license"
)

// MinPiece is the length of the shortest piece of a secret Leak looks
// for.
const MinPiece = 6

// Secret is one signing key, its text forms, and the pieces of its secret
// part.
type Secret struct {
	Key *license.SigningKey
	// Forms holds the key as it might be pasted, by form name: its
	// exported text, the bare seed in standard, unpadded, URL-safe base64
	// and hex, the 64-byte private key in base64, and the exported text
	// without its prefix.
	Forms  map[string]string
	pieces map[string]bool // every MinPiece-byte piece of the secret's encodings
}

// Secrets returns n random signing keys, the same for the same seed.
func Secrets(n int, seed uint64) []Secret {
	r := rand.New(rand.NewPCG(seed, 0x5ec7e7))
	out := make([]Secret, n)
	for i := range out {
		var b [ed25519.SeedSize]byte
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		k, err := license.GenerateSigningKey("vendor-2026", bytes.NewReader(b[:]))
		if err != nil {
			panic(err) // a fixed, valid name: cannot happen
		}
		priv := ed25519.NewKeyFromSeed(b[:])
		text := k.Export()
		s := Secret{Key: k, pieces: map[string]bool{}, Forms: map[string]string{
			"text":          text,
			"text-noprefix": text[len("LICENSEKIT+PRIVATE+KEY+"):],
			"seed-std":      base64.StdEncoding.EncodeToString(b[:]),
			"seed-raw":      base64.RawStdEncoding.EncodeToString(b[:]),
			"seed-url":      base64.URLEncoding.EncodeToString(b[:]),
			"seed-hex":      hex.EncodeToString(b[:]),
			"private-std":   base64.StdEncoding.EncodeToString(priv),
		}}
		for _, enc := range []string{
			base64.StdEncoding.EncodeToString(b[:]), base64.URLEncoding.EncodeToString(b[:]),
			hex.EncodeToString(b[:]), base64.StdEncoding.EncodeToString(priv), base64.URLEncoding.EncodeToString(priv),
		} {
			for j := 0; j+MinPiece <= len(enc); j++ {
				s.pieces[enc[j:j+MinPiece]] = true
			}
		}
		out[i] = s
	}
	return out
}

// Leak returns the first piece of the secret, MinPiece bytes or more,
// found in output, and whether there is one.
func (s Secret) Leak(output string) (string, bool) {
	for j := 0; j+MinPiece <= len(output); j++ {
		if p := output[j : j+MinPiece]; s.pieces[p] {
			return p, true
		}
	}
	return "", false
}
