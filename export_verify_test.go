package license

// CacheLen returns the number of license keys v's cache holds and the
// bytes it counts them for.
func (v *Verifier) CacheLen() (entries, bytes int) {
	if v.cache == nil {
		return 0, 0
	}
	return v.cache.len()
}

// Cached reports whether v's cache holds the license key text, without
// counting as a use of it.
func (v *Verifier) Cached(text string) bool {
	if v.cache == nil {
		return false
	}
	v.cache.mu.RLock()
	defer v.cache.mu.RUnlock()
	_, ok := v.cache.byText[stripSpace(text)]
	return ok
}
