package license

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
)

// maxKeyListSize is the largest list of verifying keys the loaders read: a
// verifying key's text is at most about 120 bytes, so a megabyte holds
// thousands, with their comments.
const maxKeyListSize = 1 << 20

// ErrEnvNotSet: the environment variable that should hold the trusted
// verifying keys is not set.
var ErrEnvNotSet = errors.New("license: environment variable not set")

// KeyListError reports an entry of a list of trusted verifying keys that
// is not a verifying key. Like [ParseVerifyingKey], it never
// repeats the entry's text, which may be a signing key put there by
// mistake.
type KeyListError struct {
	Source string // the file's path, "$NAME" for an environment variable, or empty
	Line   int    // the entry's line in a file or text, from 1; 0 for an environment variable
	Index  int    // the entry's position among the list's keys, from 1
	Err    error  // wraps ErrMalformedVerifyingKey or ErrInvalidKeyName
}

// Error says where the entry is and what is wrong with it.
func (e *KeyListError) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
	} else {
		b.WriteString("key ")
		b.WriteString(strconv.Itoa(e.Index))
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns Err.
func (e *KeyListError) Unwrap() error { return e.Err }

// ParseVerifyingKeys reads a list of verifying keys, one per line, as
// [SigningKey.VerifyingKey]'s String writes them; such a text can be
// embedded in the application with go:embed. A '#' starts a comment that
// runs to the end of its line; blank lines and the space around a key are
// ignored. A key listed twice is returned once.
//
// It fails with a [*KeyListError] naming the line of the first entry that
// is not a verifying key ([ErrMalformedVerifyingKey] or
// [ErrInvalidKeyName]), and with [ErrNoVerifyingKeys] when the list holds
// no key.
func ParseVerifyingKeys(text string) ([]VerifyingKey, error) {
	return parseKeyList("", text)
}

// LoadVerifyingKeys reads the file at path, a list of verifying keys as
// [ParseVerifyingKeys] reads it, at most 1 MiB long. It fails with the
// error of reading the file, which matches [io/fs.ErrNotExist] when there is
// none, or an error of ParseVerifyingKeys naming the file.
func LoadVerifyingKeys(path string) ([]VerifyingKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("license: reading verifying keys: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyListSize+1))
	if err != nil {
		return nil, fmt.Errorf("license: reading verifying keys: %w", err)
	}
	if len(b) > maxKeyListSize {
		return nil, fmt.Errorf("%s: %w: the file is larger than 1 MiB, too large for a list of keys", path, ErrMalformedVerifyingKey)
	}
	return parseKeyList(path, string(b))
}

// VerifyingKeysFromEnv reads verifying keys from the environment variable
// name, separated by commas, spaces or line breaks, such as
//
//	ACME_LICENSE_KEYS=acme-2025+8ac1a4e7+…,acme-2026+9ac2de13+…
//
// A key listed twice is returned once. It fails with [ErrEnvNotSet] when
// the variable is not set, [ErrNoVerifyingKeys] when it holds no key, and
// a [*KeyListError] naming the variable and the position of the first
// entry that is not a verifying key, as [ParseVerifyingKeys] does.
func VerifyingKeysFromEnv(name string) ([]VerifyingKey, error) {
	text, ok := os.LookupEnv(name)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrEnvNotSet, name)
	}
	l := keyList{source: "$" + name}
	for _, entry := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if err := l.add(entry, 0); err != nil {
			return nil, err
		}
	}
	return l.done()
}

// parseKeyList reads a list of keys in the file format, for its source.
func parseKeyList(source, text string) ([]VerifyingKey, error) {
	l := keyList{source: source}
	text = strings.TrimPrefix(text, "\ufeff") // a byte order mark some editors write
	for n, line := range strings.SplitAfter(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if err := l.add(line, n+1); err != nil {
			return nil, err
		}
	}
	return l.done()
}

// keyList gathers the keys of a list, in order, once each.
type keyList struct {
	source string
	keys   []VerifyingKey
	seen   map[VerifyingKey]bool
	count  int // entries read
}

// add reads one entry, found on line (0 when the list has no lines).
func (l *keyList) add(entry string, line int) error {
	l.count++
	fail := func(err error) error {
		return &KeyListError{Source: l.source, Line: line, Index: l.count, Err: err}
	}
	if strings.ContainsFunc(entry, unicode.IsSpace) {
		return fail(fmt.Errorf("%w: one key per line", ErrMalformedVerifyingKey))
	}
	k, err := ParseVerifyingKey(entry)
	if err != nil {
		return fail(err)
	}
	if l.seen[k] {
		return nil
	}
	if l.seen == nil {
		l.seen = make(map[VerifyingKey]bool)
	}
	l.seen[k] = true
	l.keys = append(l.keys, k)
	return nil
}

// done returns the keys, or ErrNoVerifyingKeys when there are none.
func (l *keyList) done() ([]VerifyingKey, error) {
	if len(l.keys) == 0 {
		if l.source == "" {
			return nil, fmt.Errorf("%w in the list", ErrNoVerifyingKeys)
		}
		return nil, fmt.Errorf("%w in %s", ErrNoVerifyingKeys, l.source)
	}
	return l.keys, nil
}
