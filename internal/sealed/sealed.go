// Package sealed writes and reads the JSON documents that the database
// stores keep with a SHA-256 checksum, so that damaged data is reported
// as corrupt, never read.
package sealed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/licensekit/license"
)

// Encode returns v's JSON encoding and its SHA-256 checksum.
func Encode(v any) (data, sum []byte, err error) {
	data, err = json.Marshal(v)
	if err != nil {
		return nil, nil, err
	}
	h := sha256.Sum256(data)
	return data, h[:], nil
}

// Check checks data against its checksum.
func Check(data, sum []byte) error {
	if h := sha256.Sum256(data); !bytes.Equal(h[:], sum) {
		return errors.New("checksum mismatch")
	}
	return nil
}

// Decode checks data against its checksum and decodes it into v. Its
// errors are the reasons a document is corrupt.
func Decode(data, sum []byte, v any) error {
	if err := Check(data, sum); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("does not decode: %w", err)
	}
	return nil
}

// CheckArgs checks what every installation method of a store receives, as
// license.MemoryStore does: a live context, an ID that checkID accepts,
// and a version that is not negative.
func CheckArgs(ctx context.Context, id string, version int64, checkID func(string) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkID(id); err != nil {
		return err
	}
	if version < 0 {
		return fmt.Errorf("%w: negative version %d", license.ErrInvalidInput, version)
	}
	return nil
}
