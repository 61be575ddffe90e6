package postgres

import (
	"sync"
)

// DefaultCacheSize is how much a [Store] caches, in bytes of documents as
// stored, unless [WithCacheSize] says otherwise: 64 MiB.
const DefaultCacheSize = 64 << 20

// WithCacheSize sets how much of the organizations and of the vendor's
// document the store keeps decoded in memory, in bytes of their JSON
// encoding; 0 keeps none. The cache saves the work of transferring and
// decoding a document that has not changed since the store last read or
// wrote it: every read still asks the database, which sends the document
// only if its checksum differs from the cached copy's, so a change made
// by another process is always seen. The default is [DefaultCacheSize].
func WithCacheSize(bytes int64) Option {
	return func(o *options) { o.cacheSize = max(bytes, 0) }
}

// cache keeps decoded documents, each with the SHA-256 checksum of the
// bytes it was decoded from or encoded to, up to a total size of those
// bytes. A cached document is never changed: readers get clones. A nil
// *cache keeps nothing.
type cache struct {
	mu   sync.Mutex
	max  int64
	size int64
	docs map[string]cached
}

type cached struct {
	sum  []byte
	size int64
	doc  any // *portal.Organization or *portal.Vendor
}

func newCache(max int64) *cache {
	if max <= 0 {
		return nil
	}
	return &cache{max: max, docs: map[string]cached{}}
}

// get returns the document cached under key.
func (c *cache) get(key string) (cached, bool) {
	if c == nil {
		return cached{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.docs[key]
	return e, ok
}

// put caches doc under key, with the checksum and size of its encoding,
// evicting other documents, at random, to make room. It reports whether
// doc was cached: a document larger than the cache is not.
func (c *cache) put(key string, sum []byte, size int, doc any) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(key)
	n := int64(size)
	if n > c.max {
		return false
	}
	for k := range c.docs {
		if c.size+n <= c.max {
			break
		}
		c.dropLocked(k)
	}
	c.docs[key] = cached{sum: sum, size: n, doc: doc}
	c.size += n
	return true
}

// drop forgets the document cached under key.
func (c *cache) drop(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(key)
}

func (c *cache) dropLocked(key string) {
	if e, ok := c.docs[key]; ok {
		c.size -= e.size
		delete(c.docs, key)
	}
}
