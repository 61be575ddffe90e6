package license

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode"
)

// testEntry returns a license to cache and a key that signed it.
func testEntry(id string) (*License, *trustedKey) {
	return &License{ID: id, Product: "p", Features: []string{"f"}}, &trustedKey{VerifyingKey: VerifyingKey{name: "k"}}
}

// K2: an entry that reached the cache while its signer was being retired
// is never served: Verify checks the signer on every hit.
func TestVerifyCache_K2_HitChecksRetired(t *testing.T) {
	sk := newSigningKey("acme", make([]byte, 32))
	v, err := NewVerifier(sk.VerifyingKey())
	if err != nil {
		t.Fatal(err)
	}
	key, err := sk.Sign(&License{ID: "SN-1", Product: "p", IssuedAt: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Retire(sk.KeyID()); err != nil {
		t.Fatal(err)
	}
	l, _, err := DecodeUnverified(key)
	if err != nil {
		t.Fatal(err)
	}
	// As a Verify that checked the signer just before Retire would.
	v.cache.put(key, v.keys[sk.KeyID()], l, 100)
	if _, _, ok := v.cache.get(key); !ok {
		t.Fatal("the entry is not in the cache")
	}
	if _, err := v.Verify(key); !errors.Is(err, ErrRetiredSigner) {
		t.Fatalf("Verify = %v, want ErrRetiredSigner", err)
	}
}

// When full, the cache evicts an entry not hit since the hand last passed,
// and gives those that were a second chance (CLOCK); a new entry is the
// last the hand comes to.
func TestVerifyCache_EvictsUnusedFirst(t *testing.T) {
	c := newVerifyCache(3, 0)
	put := func(id string) {
		l, k := testEntry(id)
		c.put(id, k, l, 10)
	}
	check := func(want map[string]bool) {
		t.Helper()
		for id, want := range want {
			if _, ok := c.byText[id]; ok != want {
				t.Errorf("%s cached: %v, want %v", id, ok, want)
			}
		}
		if n, _ := c.len(); n != 3 {
			t.Errorf("%d entries, want 3", n)
		}
	}
	put("a")
	put("b")
	put("c")
	c.get("a")
	c.get("c")
	put("d") // the hand clears a, evicts b
	check(map[string]bool{"a": true, "b": false, "c": true, "d": true})
	put("e") // the hand clears c, evicts a, not hit since it passed
	check(map[string]bool{"a": false, "c": true, "d": true, "e": true})
	c.get("d")
	put("f") // the hand comes to d, hit: it evicts c
	check(map[string]bool{"c": false, "d": true, "e": true, "f": true})
}

// Retire's forget keeps the other signers' entries, their order and
// the hand's place among them.
func TestVerifyCache_ForgetKeepsOthers(t *testing.T) {
	c := newVerifyCache(10, 0)
	_, retired := testEntry("")
	_, kept := testEntry("")
	for i, id := range []string{"a", "b", "c", "d", "e"} {
		l, _ := testEntry(id)
		k := kept
		if i%2 == 0 {
			k = retired
		}
		c.put(id, k, l, 10)
	}
	c.hand = 3 // at d
	c.forget(retired)
	var ids []string
	for _, e := range c.ring {
		ids = append(ids, e.text)
	}
	if got := strings.Join(ids, ","); got != "b,d" || c.ring[c.hand].text != "d" {
		t.Errorf("ring %s, hand at %d; want b,d with the hand at d", got, c.hand)
	}
	if n, size := c.len(); n != 2 || len(c.byText) != 2 || size != 2*c.ring[0].size {
		t.Errorf("%d entries, %d in the map, %d bytes", n, len(c.byText), size)
	}
}

// printableASCII, which reads eight bytes at a time, stops where a
// byte-by-byte scan does, for every byte value at every position of a
// word, and across the word boundary.
func TestPrintableASCII_MatchesByteScan(t *testing.T) {
	scan := func(s string) int {
		for i := 0; i < len(s); i++ {
			if s[i] <= ' ' || s[i] >= 0x80 {
				return i
			}
		}
		return len(s)
	}
	for n := range 20 {
		for pos := range n {
			for c := range 256 {
				b := []byte(strings.Repeat("!", n))
				b[pos] = byte(c)
				if pos+1 < n {
					b[pos+1] = 0x21 // the byte that a borrow reaches
				}
				if got, want := printableASCII(string(b)), scan(string(b)); got != want {
					t.Fatalf("printableASCII(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
}

// stripSpace removes exactly what unicode.IsSpace calls a space, and
// writes an invalid byte as U+FFFD, as strings.Map does (K4).
func TestStripSpace_MatchesStringsMap(t *testing.T) {
	want := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s)
	}
	inputs := []string{"", " ", "LK1.a+b", "LK1.a+b\n", "\nLK1\r\n.a b\t", "a\x00b\x7fc\x1fd", "a\u00a0b\u2028c\u3000d",
		"abc\xffdef ghi", "é ü", strings.Repeat("0123456789abcdef", 5) + "\n" + strings.Repeat("x", 70) + "\v\f"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "9", ".", "+", " ", "\n", "\t", "\x00", "\x85", "\u00a0", "é", "\xff", "\u2029"}
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	for _, s := range inputs {
		if got, want := stripSpace(s), want(s); got != want {
			t.Fatalf("stripSpace(%q) = %q, want %q", s, got, want)
		}
	}
}
