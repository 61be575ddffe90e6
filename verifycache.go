package license

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// The cache's bounds when VerifierConfig leaves them at zero. A license
// key's entry is typically 1 to 2 KiB, so the byte bound is the one that
// holds for unusually large licenses.
const (
	defaultCacheEntries = 1024
	defaultCacheBytes   = 4 << 20
)

// What an entry holds besides its key text and payload, as the byte bound
// counts it: the entry and its License, the map and ring slots that point
// to it, and each feature's slice slot and custom field's map slot. An
// estimate, on the generous side, of what the runtime allocates for them.
const (
	entryOverhead   = 512
	featureOverhead = 16
	customOverhead  = 64
)

// verifyCache remembers license keys that verified, by their text with
// whitespace removed, so that a key verified again costs a map lookup and
// a copy of its License instead of an Ed25519 verification.
//
// It holds at most maxEntries entries and maxBytes bytes as entrySize
// counts them. When full, it evicts with the CLOCK algorithm, an
// approximation of least recently used in which a hit only sets a flag:
// lookups share a read lock, so that concurrent verifications of cached
// keys do not queue behind one another.
type verifyCache struct {
	maxEntries, maxBytes int

	mu     sync.RWMutex
	byText map[string]*cacheEntry
	ring   []*cacheEntry // the entries in CLOCK order; the hand sweeps it
	hand   int
	bytes  int // the sum of the entries' sizes
}

type cacheEntry struct {
	text   string
	signer *trustedKey
	lic    License // never handed out: Verify returns clones
	size   int
	used   atomic.Bool // hit since the hand last passed
}

// newVerifyCache returns a cache with the given bounds, zero meaning the
// default, or nil when either is negative: no cache.
func newVerifyCache(entries, bytes int) *verifyCache {
	if entries < 0 || bytes < 0 {
		return nil
	}
	if entries == 0 {
		entries = defaultCacheEntries
	}
	if bytes == 0 {
		bytes = defaultCacheBytes
	}
	return &verifyCache{maxEntries: entries, maxBytes: bytes, byText: make(map[string]*cacheEntry)}
}

// get returns a copy of the license cached for text, which has no
// whitespace, and the trusted key that signed it.
func (c *verifyCache) get(text string) (*License, *trustedKey, bool) {
	c.mu.RLock()
	e, ok := c.byText[text]
	if ok && !e.used.Load() {
		// Only the first hit after a sweep writes, which keeps the entry's
		// cache line shared between cores on the hot path.
		e.used.Store(true)
	}
	c.mu.RUnlock()
	if !ok {
		return nil, nil, false
	}
	l := e.lic.Clone()
	return &l, e.signer, true
}

// put remembers that text, which has no whitespace, verified with signer
// to l, whose encoded payload is payloadLen bytes long. It keeps its own
// copy of l and of text. A key larger than the byte bound is not cached.
func (c *verifyCache) put(text string, signer *trustedKey, l *License, payloadLen int) {
	size := entrySize(len(text), payloadLen, l)
	if size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byText[text]; ok {
		return // another goroutine verified the same key meanwhile
	}
	for len(c.ring) >= c.maxEntries || c.bytes+size > c.maxBytes {
		c.evict()
	}
	// Cloning the text keeps the cache from pinning a larger string that
	// the caller's key may be a slice of.
	e := &cacheEntry{text: strings.Clone(text), signer: signer, lic: l.Clone(), size: size}
	c.byText[e.text] = e
	// Just behind the hand, so that the hand comes to it last.
	c.hand = min(c.hand, len(c.ring))
	c.ring = slices.Insert(c.ring, c.hand, e)
	c.hand++
	c.bytes += size
}

// entrySize is what put counts an entry as, in bytes.
func entrySize(textLen, payloadLen int, l *License) int {
	return textLen + payloadLen + entryOverhead + featureOverhead*len(l.Features) + customOverhead*len(l.Custom)
}

// evict removes one entry: the first, from the hand on, not hit since the
// hand last passed it, clearing the flags of those that were. It needs
// c.mu held and the ring not empty.
func (c *verifyCache) evict() {
	for {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		e := c.ring[c.hand]
		if e.used.Swap(false) {
			c.hand++
			continue
		}
		c.ring = slices.Delete(c.ring, c.hand, c.hand+1)
		c.drop(e)
		return
	}
}

// drop removes e from the map and its size from the count. It needs c.mu
// held.
func (c *verifyCache) drop(e *cacheEntry) {
	delete(c.byText, e.text)
	c.bytes -= e.size
}

// forget removes every entry signed by signer, so that a retired key's
// licenses no longer take up room. Verify checks the signer on every hit
// anyway: an entry put while Retire ran is never served.
func (c *verifyCache) forget(signer *trustedKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.ring[:0]
	hand := c.hand
	for i, e := range c.ring {
		if e.signer != signer {
			kept = append(kept, e)
			continue
		}
		c.drop(e)
		if i < c.hand {
			hand--
		}
	}
	clear(c.ring[len(kept):])
	c.ring, c.hand = kept, hand
}

// len returns the number of entries and the bytes they count for.
func (c *verifyCache) len() (entries, bytes int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.ring), c.bytes
}
