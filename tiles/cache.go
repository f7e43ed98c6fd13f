package tiles

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"

	"github.com/paulmach/orb"
)

// An Encoded tile is an MVT ready to send: its bytes, their gzip form, and
// a strong ETag of the bytes (quoted hex of the first 16 bytes of their
// SHA-256). The gzip form is another representation, so it has its own
// tag (GzipETag). Its byte slices are shared (by a Cache, with every
// request it serves): they must not be changed.
type Encoded struct {
	MVT  []byte
	Gzip []byte // nil when MVT is empty: there is nothing to compress
	ETag string // e.g. "3f2a…" in quotes
}

// entryOverhead is what the Cache charges for a tile beyond its bytes:
// the map slot, the list links, the layer index, the key's strings and
// the slice headers, rounded up.
const entryOverhead = 200

// Encode returns mvt with its gzip form (at gzip.DefaultCompression) and
// its ETag, computed once so that a cached tile costs no hashing or
// compression per request. The Encoded keeps mvt.
func Encode(mvt []byte) Encoded {
	sum := sha256.Sum256(mvt)
	e := Encoded{MVT: mvt, ETag: `"` + hex.EncodeToString(sum[:16]) + `"`}
	if len(mvt) > 0 {
		var buf bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		_, _ = zw.Write(mvt) // a bytes.Buffer does not fail
		_ = zw.Close()
		gzipWriters.Put(zw)
		// The buffer grew by doubling; a copy of the right size keeps the
		// cache's byte count close to the memory it holds.
		e.Gzip = bytes.Clone(buf.Bytes())
	}
	return e
}

// gzipWriters are reused by Encode: a new gzip.Writer allocates its
// compressor's tables, several hundred KiB, more than most tiles.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// GzipETag returns the ETag of the gzip form: ETag with "-gz" before the
// closing quote. It returns "" when there is no gzip form.
func (e Encoded) GzipETag() string {
	if e.Gzip == nil || len(e.ETag) < 2 {
		return ""
	}
	return e.ETag[:len(e.ETag)-1] + `-gz"`
}

// ForScope returns e tagged for scope s: a town's tile has its town in
// its ETag ("3f2a…-441900003"), so that it never shares a tag with the
// city's tile or another town's, even when the bytes are the same (no
// entity of another town in it) and a cache keyed by tag (a browser's, a
// proxy's) could otherwise answer one reader's revalidation with another
// reader's tile. WholeCity leaves e as it is.
func (e Encoded) ForScope(s Scope) Encoded {
	if s == WholeCity || len(e.ETag) < 2 {
		return e
	}
	e.ETag = e.ETag[:len(e.ETag)-1] + "-" + s.Town() + `"`
	return e
}

// Size returns the bytes a Cache charges for the tile: its two forms, its
// tag and a fixed overhead per entry.
func (e Encoded) Size() int {
	return len(e.MVT) + len(e.Gzip) + len(e.ETag) + entryOverhead
}

// A CacheKey names one cached tile: the layers of its URL (as given,
// comma-separated, e.g. "grids,buildings"), the canonical key of its
// coverage filter ("" when no layer is filtered), the scope it was built
// in (Scope.For: WholeCity unless a layer is Scoped), and the tile. A
// town's tile and the city's are different entries, which invalidation
// reaches alike: it goes by layer and area.
type CacheKey struct {
	Layers string
	Filter string
	Scope  Scope
	Tile   Tile
}

// rememberedInvalidations is how many invalidations a Cache remembers
// for Put. A tile whose build began before the oldest of them is refused.
const rememberedInvalidations = 4096

// A Cache keeps encoded tiles in memory up to a number of bytes, dropping
// the least recently used when it is full. A tile stays until it is
// evicted or invalidated: whoever learns of a change says which layer
// changed and where (Invalidate), and a tile built from data that changed
// while it was being built is not stored (Generation and Put). A Cache is
// safe for concurrent use.
type Cache struct {
	maxBytes int64

	mu      sync.Mutex
	entries map[CacheKey]*entry
	// byLayer indexes the entries by each layer they show, so that an
	// invalidation looks only at the tiles of its layer.
	byLayer map[string]map[*entry]struct{}
	// lru is the sentinel of a ring of the entries: lru.next is the most
	// recently used, lru.prev the least.
	lru   entry
	bytes int64
	// gen counts the invalidations; the one that made generation g is at
	// log[(g-1)%rememberedInvalidations] while it is remembered.
	gen   uint64
	log   []invalidation
	stats CacheStats
}

// An entry is one cached tile, with what an invalidation tests it by.
type entry struct {
	key        CacheKey
	enc        Encoded
	size       int64
	layers     []string  // key.Layers, split
	bound      orb.Bound // the tile's WGS84 bound, buffer included
	prev, next *entry
}

// CacheStats are a Cache's counters since it was made, and its size.
// Refused counts the Puts not stored (too large, or built from data that
// has changed since); Evictions the tiles dropped to make room;
// Invalidated the tiles dropped by Invalidate, InvalidateLayer and Flush.
type CacheStats struct {
	Hits, Misses, Stores, Refused, Evictions, Invalidated uint64
	Entries                                               int
	Bytes, MaxBytes                                       int64
}

// NewCache returns an empty cache that holds at most maxBytes (as Size
// counts them). A cache of maxBytes <= 0 stores nothing: every Get
// misses, and is counted.
func NewCache(maxBytes int64) *Cache {
	c := &Cache{
		maxBytes: maxBytes,
		entries:  map[CacheKey]*entry{},
		byLayer:  map[string]map[*entry]struct{}{},
	}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	return c
}

// Get returns the tile cached under k, and makes it the most recently
// used.
func (c *Cache) Get(k CacheKey) (Encoded, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[k]
	if e == nil {
		c.stats.Misses++
		return Encoded{}, false
	}
	c.stats.Hits++
	if c.lru.next != e {
		e.unlink()
		c.pushFront(e)
	}
	return e.enc, true
}

// Generation returns the current invalidation generation. A builder reads
// it before it reads the data of a tile and passes it to Put, so that a
// tile built from data that changed meanwhile is not stored.
func (c *Cache) Generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// Put stores e under k, replacing what k held, unless e alone is larger
// than a sixteenth of the cache, or an invalidation since generation gen
// touched k (a generation older than every invalidation the cache
// remembers, or one it has not reached, is refused too: the cache cannot
// vouch for it). It then evicts the least recently used tiles until the
// cache fits. Put reports whether it stored e.
func (c *Cache) Put(k CacheKey, e Encoded, gen uint64) bool {
	size := int64(e.Size())
	if size > c.maxBytes/16 {
		c.mu.Lock()
		c.stats.Refused++
		c.mu.Unlock()
		return false
	}
	layers := strings.Split(k.Layers, ",")
	bound := k.Tile.Bound(float64(Buffer) / Extent)

	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fresh(gen, layers, int(k.Tile.Z), bound) {
		c.stats.Refused++
		return false
	}
	if old := c.entries[k]; old != nil {
		c.remove(old)
	}
	ent := &entry{key: k, enc: e, size: size, layers: layers, bound: bound}
	c.entries[k] = ent
	for _, l := range layers {
		set := c.byLayer[l]
		if set == nil {
			set = map[*entry]struct{}{}
			c.byLayer[l] = set
		}
		set[ent] = struct{}{}
	}
	c.pushFront(ent)
	c.bytes += size
	// The new entry is at most a sixteenth of the cache, so the loop ends
	// before it reaches it.
	for c.bytes > c.maxBytes {
		c.remove(c.lru.prev)
		c.stats.Evictions++
	}
	c.stats.Stores++
	return true
}

// fresh reports whether no invalidation since generation gen touched a
// tile of layers at zoom z within bound. c.mu must be held.
func (c *Cache) fresh(gen uint64, layers []string, z int, bound orb.Bound) bool {
	if gen > c.gen || c.gen-gen > uint64(len(c.log)) {
		return false
	}
	for g := gen + 1; g <= c.gen; g++ {
		if c.log[(g-1)%rememberedInvalidations].touches(layers, z, bound) {
			return false
		}
	}
	return true
}

// Invalidate drops the cached tiles that show layer and whose tile (at
// zoom z, with its buffer) intersects one of area(z), bounds in WGS84
// lon/lat. area returns nil at a zoom where nothing changed. Invalidate
// calls area once for each zoom from 0 to MaxZoom, before it takes the
// cache's lock, and keeps a copy of the bounds so that Put can refuse
// tiles built before the change. It returns the number of tiles dropped.
func (c *Cache) Invalidate(layer string, area func(z int) []orb.Bound) int {
	a := newZoomArea(area)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remember(invalidation{layer: layer, area: a})
	n := 0
	for e := range c.byLayer[layer] {
		if a.intersects(int(e.key.Tile.Z), e.bound) {
			c.remove(e)
			n++
		}
	}
	c.stats.Invalidated += uint64(n)
	return n
}

// InvalidateLayer drops every cached tile that shows layer, for a change
// too large to locate, and remembers it like Invalidate. It returns the
// number of tiles dropped.
func (c *Cache) InvalidateLayer(layer string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remember(invalidation{layer: layer})
	n := 0
	for e := range c.byLayer[layer] {
		c.remove(e)
		n++
	}
	c.stats.Invalidated += uint64(n)
	return n
}

// Flush drops every cached tile, for when changes may have been missed
// (the change feed was lost), and remembers it like Invalidate. It
// returns the number of tiles dropped.
func (c *Cache) Flush() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remember(invalidation{everything: true})
	n := len(c.entries)
	clear(c.entries)
	clear(c.byLayer)
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	c.bytes = 0
	c.stats.Invalidated += uint64(n)
	return n
}

// Stats returns the cache's counters and size.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries = len(c.entries)
	s.Bytes = c.bytes
	s.MaxBytes = c.maxBytes
	return s
}

// remember starts a generation for inv. c.mu must be held.
func (c *Cache) remember(inv invalidation) {
	c.gen++
	if len(c.log) < rememberedInvalidations {
		c.log = append(c.log, inv)
		return
	}
	c.log[(c.gen-1)%rememberedInvalidations] = inv
}

// remove drops e from the map, the index and the list. c.mu must be held.
func (c *Cache) remove(e *entry) {
	delete(c.entries, e.key)
	for _, l := range e.layers {
		set := c.byLayer[l]
		delete(set, e)
		if len(set) == 0 {
			delete(c.byLayer, l)
		}
	}
	e.unlink()
	c.bytes -= e.size
}

// pushFront makes e the most recently used. c.mu must be held.
func (c *Cache) pushFront(e *entry) {
	e.prev, e.next = &c.lru, c.lru.next
	c.lru.next.prev = e
	c.lru.next = e
}

// unlink takes e out of its list.
func (e *entry) unlink() {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

// An invalidation is what Put must remember of one: everything, a whole
// layer (area nil), or a layer in an area.
type invalidation struct {
	everything bool
	layer      string
	area       *zoomArea
}

// touches reports whether inv concerns a tile of layers at zoom z within
// bound.
func (inv invalidation) touches(layers []string, z int, bound orb.Bound) bool {
	switch {
	case inv.everything:
		return true
	case !slices.Contains(layers, inv.layer):
		return false
	default:
		return inv.area == nil || inv.area.intersects(z, bound)
	}
}

// A zoomArea is the area of an invalidation at each zoom: the bounds of
// zoom z are bounds[end[z-1]:end[z]] (from 0 at zoom 0). It copies the
// caller's slices, which may be reused after Invalidate returns.
type zoomArea struct {
	bounds []orb.Bound
	end    [MaxZoom + 1]int32
}

// newZoomArea calls area once for each zoom and keeps the bounds in one
// slice of the right size.
func newZoomArea(area func(z int) []orb.Bound) *zoomArea {
	var byZoom [MaxZoom + 1][]orb.Bound
	n := 0
	for z := range byZoom {
		byZoom[z] = area(z)
		n += len(byZoom[z])
	}
	a := &zoomArea{bounds: make([]orb.Bound, 0, n)}
	for z, bs := range byZoom {
		a.bounds = append(a.bounds, bs...)
		a.end[z] = int32(len(a.bounds))
	}
	return a
}

// intersects reports whether bound intersects the area at zoom z.
func (a *zoomArea) intersects(z int, bound orb.Bound) bool {
	if z < 0 || z > MaxZoom {
		return false
	}
	start := int32(0)
	if z > 0 {
		start = a.end[z-1]
	}
	for _, b := range a.bounds[start:a.end[z]] {
		if b.Intersects(bound) {
			return true
		}
	}
	return false
}
