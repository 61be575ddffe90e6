package sqlite

import (
	"maps"
	"slices"
	"sync"

	"github.com/licensekit/license/internal/rowjson"
	"github.com/licensekit/license/portal"
)

// keyCache remembers the organization keys the store decoded, by the text
// of their row: every seat operation reads its license's key, and decoding
// the key and its license again each time was a sixth of a durable seat
// operation's time. A row whose text changed is decoded again. The
// license a key holds is never changed in place (the portal's own copies
// share it too), so a cached key is handed out with copies of its lists
// only.
type keyCache struct {
	mu sync.Mutex
	m  map[string]cachedKey // by organization, NUL, key ID
}

type cachedKey struct {
	data string
	key  portal.OrgKey
}

// maxCachedKeys bounds the cache; when full, it starts again empty.
const maxCachedKeys = 4096

// decode decodes the key with that ID, read as data, or takes it from
// the cache.
func (c *keyCache) decode(org, id string, data []byte, k *portal.OrgKey) error {
	name := org + "\x00" + id
	c.mu.Lock()
	e, ok := c.m[name]
	c.mu.Unlock()
	if ok && e.data == string(data) {
		*k = e.key
		k.Shared, k.Custom = slices.Clone(k.Shared), maps.Clone(k.Custom)
		return nil
	}
	if err := rowjson.Decode(data, k); err != nil {
		return err
	}
	kept := *k
	kept.Shared, kept.Custom = slices.Clone(k.Shared), maps.Clone(k.Custom)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedKeys {
		c.m = make(map[string]cachedKey)
	}
	c.m[name] = cachedKey{data: string(data), key: kept}
	c.mu.Unlock()
	return nil
}

// decodeRecord decodes the record with that ID of table e, read as data.
func decodeRecord[V any](t *tx, e *entity, org, id string, data []byte, v *V) error {
	if k, ok := any(v).(*portal.OrgKey); ok && e == orgKeys && t.keys != nil {
		return t.keys.decode(org, id, data, k)
	}
	return rowjson.Decode(data, v)
}
