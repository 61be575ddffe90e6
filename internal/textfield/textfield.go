// Package textfield checks and quotes the text fields that licenses and the
// portal accept, so that both reject the same input with the same errors.
package textfield

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// The reasons Check gives. The license package exports them as
// ErrRequired and ErrInvalidText, so that errors.Is matches them whichever
// package checked the field.
var (
	ErrRequired = errors.New("required field is empty")
	ErrInvalid  = errors.New("not valid text")
)

// MaxLen is the longest text field, in bytes.
const MaxLen = 255

// Check reports whether s is acceptable for a text field: present if
// required, valid UTF-8 with no control character, at most MaxLen bytes.
// On failure err is ErrRequired or ErrInvalid, and detail says what was
// found, for people (it may be empty).
func Check(s string, required bool) (detail string, err error) {
	if s == "" {
		if required {
			return "", ErrRequired
		}
		return "", nil
	}
	if len(s) > MaxLen {
		return fmt.Sprintf("%d bytes, at most %d", len(s), MaxLen), ErrInvalid
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return "not valid UTF-8", ErrInvalid
			}
		}
		if unicode.IsControl(r) {
			return "holds a control character", ErrInvalid
		}
	}
	return "", nil
}

// QuoteShort quotes untrusted text for an error message, cut to a length
// that keeps messages readable.
func QuoteShort(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}

// Duplicate returns an entry that appears twice in list. Lists that are
// already sorted, such as those decoded from a key, are checked without
// allocating.
func Duplicate(list []string) (string, bool) {
	if !slices.IsSorted(list) {
		list = slices.Sorted(slices.Values(list))
	}
	for i := 1; i < len(list); i++ {
		if list[i] == list[i-1] {
			return list[i], true
		}
	}
	return "", false
}
