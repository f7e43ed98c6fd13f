package tiles

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// here is a point in Dongguan (Nancheng), where the cache tests put tiles.
var here = orb.Point{113.75, 23.02}

// tileAt returns the tile of zoom z that holds p.
func tileAt(p orb.Point, z int) Tile { return Tile{maptile.At(p, maptile.Zoom(z))} }

// sized returns a tile that a cache charges n+entryOverhead+3 bytes for.
func sized(n int) Encoded { return Encoded{MVT: make([]byte, n), ETag: `"t"`} }

// at returns an area that is bounds at zoom z and nothing elsewhere.
func at(z int, bounds ...orb.Bound) func(int) []orb.Bound {
	return func(zz int) []orb.Bound {
		if zz == z {
			return bounds
		}
		return nil
	}
}

// everywhere returns an area that is bounds at every zoom.
func everywhere(bounds ...orb.Bound) func(int) []orb.Bound {
	return func(int) []orb.Bound { return bounds }
}

// checkCache fails t unless c's map, list, byte count and layer index
// agree, and the cache fits its bound.
func checkCache(t *testing.T, c *Cache) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	n, bytes := 0, int64(0)
	indexed := 0
	for e := c.lru.next; e != &c.lru; e = e.next {
		if e.next.prev != e {
			t.Fatalf("entry %v: broken list links", e.key)
		}
		if c.entries[e.key] != e {
			t.Errorf("entry %v is in the list but not the map", e.key)
		}
		for _, l := range e.layers {
			if _, ok := c.byLayer[l][e]; !ok {
				t.Errorf("entry %v is not indexed under %s", e.key, l)
			}
		}
		n++
		bytes += e.size
		indexed += len(e.layers)
	}
	if n != len(c.entries) {
		t.Errorf("the list has %d entries, the map %d", n, len(c.entries))
	}
	if bytes != c.bytes {
		t.Errorf("the entries hold %d bytes, the cache counts %d", bytes, c.bytes)
	}
	if c.bytes > max(c.maxBytes, 0) {
		t.Errorf("the cache holds %d bytes, more than its %d", c.bytes, c.maxBytes)
	}
	inIndex := 0
	for l, set := range c.byLayer {
		if len(set) == 0 {
			t.Errorf("layer %s has an empty set in the index", l)
		}
		inIndex += len(set)
	}
	if inIndex != indexed {
		t.Errorf("the index holds %d entries, the entries show %d layers", inIndex, indexed)
	}
}

func TestEncode(t *testing.T) {
	varied := make([]byte, 10<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range varied {
		varied[i] = byte(r.IntN(16)) // compressible, like an MVT
	}
	tagRE := regexp.MustCompile(`^"[0-9a-f]{32}"$`)
	for _, tc := range []struct {
		name string
		mvt  []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"one byte", []byte{0x1a}},
		{"10 KiB", varied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Encode(tc.mvt)
			sum := sha256.Sum256(tc.mvt)
			if want := `"` + hex.EncodeToString(sum[:])[:32] + `"`; e.ETag != want || !tagRE.MatchString(e.ETag) {
				t.Errorf("ETag = %s, want %s", e.ETag, want)
			}
			if got, want := e.Size(), len(e.MVT)+len(e.Gzip)+len(e.ETag)+entryOverhead; got != want {
				t.Errorf("Size() = %d, want %d", got, want)
			}
			if len(tc.mvt) == 0 {
				if e.Gzip != nil || e.GzipETag() != "" {
					t.Errorf("empty MVT: Gzip = %v, GzipETag() = %q, want nil and \"\"", e.Gzip, e.GzipETag())
				}
				return
			}
			if want := strings.TrimSuffix(e.ETag, `"`) + `-gz"`; e.GzipETag() != want {
				t.Errorf("GzipETag() = %s, want %s", e.GzipETag(), want)
			}
			zr, err := gzip.NewReader(bytes.NewReader(e.Gzip))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.mvt) {
				t.Errorf("gunzip(Gzip) is %d bytes unlike the MVT's %d", len(got), len(tc.mvt))
			}
		})
	}
}

// TestEncodedForScope: a town's tile is tagged apart from the city's and
// other towns', in both forms, even with the same bytes.
func TestEncodedForScope(t *testing.T) {
	e := Encode([]byte("the same bytes"))
	city, a, b := e.ForScope(WholeCity), e.ForScope("441900003"), e.ForScope("441900004")
	if city.ETag != e.ETag {
		t.Errorf("the whole city's tag %s, want the bytes' %s", city.ETag, e.ETag)
	}
	tags := map[string]bool{}
	for _, x := range []Encoded{city, a, b} {
		tags[x.ETag], tags[x.GzipETag()] = true, true
	}
	if len(tags) != 6 {
		t.Errorf("tags %v, want 6 different", tags)
	}
	if want := strings.TrimSuffix(e.ETag, `"`) + `-441900003"`; a.ETag != want || a.GzipETag() != strings.TrimSuffix(want, `"`)+`-gz"` {
		t.Errorf("town tags %s and %s, want %s and its -gz", a.ETag, a.GzipETag(), want)
	}
	if !bytes.Equal(a.MVT, e.MVT) || !bytes.Equal(a.Gzip, e.Gzip) {
		t.Error("ForScope changed the bytes")
	}
}

// TestScopeFor: a tile is built in a town's scope only when a layer is
// Scoped; a tile of the map alone is the city's, shared by all.
func TestScopeFor(t *testing.T) {
	c := DefaultCatalogue()
	for _, tc := range []struct {
		layers string
		want   Scope
	}{
		{"towns,villages,grids,roads,buildings,doorplates", WholeCity},
		{"entities", "441900003"},
		{"grids,flags", "441900003"},
		{"coverage_hex", "441900003"},
	} {
		ls, err := c.Lookup(tc.layers)
		if err != nil {
			t.Fatal(err)
		}
		if got := Scope("441900003").For(ls); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.layers, got, tc.want)
		}
		if got := WholeCity.For(ls); got != WholeCity {
			t.Errorf("%s for the whole city: %q", tc.layers, got)
		}
	}
}

func TestCacheGetPut(t *testing.T) {
	c := NewCache(1 << 20)
	k := CacheKey{Layers: "grids", Tile: tileAt(here, 14)}
	if _, ok := c.Get(k); ok {
		t.Fatal("Get on an empty cache hit")
	}
	e := Encode([]byte("mvt"))
	if !c.Put(k, e, c.Generation()) {
		t.Fatal("Put refused")
	}
	got, ok := c.Get(k)
	if !ok || got.ETag != e.ETag || !bytes.Equal(got.MVT, e.MVT) {
		t.Fatalf("Get = %v, %v; want the tile put", got, ok)
	}
	for _, other := range []CacheKey{
		{Layers: "grids", Filter: "window=30d", Tile: k.Tile},
		{Layers: "grids,roads", Tile: k.Tile},
		{Layers: "grids", Tile: tileAt(here, 15)},
		{Layers: "grids", Scope: "441900003", Tile: k.Tile},
	} {
		if _, ok := c.Get(other); ok {
			t.Errorf("Get(%v) hit the tile of %v", other, k)
		}
	}
	want := CacheStats{Hits: 1, Misses: 5, Stores: 1, Entries: 1, Bytes: int64(e.Size()), MaxBytes: 1 << 20}
	if s := c.Stats(); s != want {
		t.Errorf("Stats() = %+v, want %+v", s, want)
	}

	// Putting the key again replaces the tile and its bytes.
	bigger := sized(1000)
	if !c.Put(k, bigger, c.Generation()) {
		t.Fatal("second Put refused")
	}
	if got, _ := c.Get(k); len(got.MVT) != 1000 {
		t.Errorf("after a second Put, Get has %d bytes, want 1000", len(got.MVT))
	}
	if s := c.Stats(); s.Entries != 1 || s.Bytes != int64(bigger.Size()) {
		t.Errorf("after a second Put, %d entries of %d bytes, want 1 of %d", s.Entries, s.Bytes, bigger.Size())
	}
	checkCache(t, c)
}

func TestCacheLRU(t *testing.T) {
	e := sized(800) // 1003 bytes
	const fits = 20
	c := NewCache(fits * 1003)
	keys := make([]CacheKey, fits+5)
	base := tileAt(here, 16)
	for i := range keys {
		keys[i] = CacheKey{Layers: "buildings", Tile: Tile{maptile.New(base.X+uint32(i), base.Y, base.Z)}}
	}
	for _, k := range keys[:fits] {
		c.Put(k, e, 0)
	}
	if s := c.Stats(); s.Entries != fits || s.Evictions != 0 {
		t.Fatalf("after %d Puts that fit: %d entries, %d evictions", fits, s.Entries, s.Evictions)
	}
	// Using the oldest two makes keys[2] and keys[3] the least recently used.
	c.Get(keys[0])
	c.Get(keys[1])
	c.Put(keys[fits], e, 0)
	c.Put(keys[fits+1], e, 0)
	for i, want := range map[int]bool{0: true, 1: true, 2: false, 3: false, 4: true, fits: true, fits + 1: true} {
		if _, ok := c.Get(keys[i]); ok != want {
			t.Errorf("keys[%d] cached = %v, want %v", i, ok, want)
		}
	}
	s := c.Stats()
	if s.Evictions != 2 || s.Entries != fits || s.Bytes > s.MaxBytes {
		t.Errorf("Stats() = %+v, want 2 evictions, %d entries, at most %d bytes", s, fits, s.MaxBytes)
	}
	checkCache(t, c)
}

func TestCachePutTooLarge(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxBytes int64
		size     int // Encoded.Size
		want     bool
	}{
		{"a sixteenth", 16 * 1000, 1000, true},
		{"a byte over a sixteenth", 16 * 1000, 1001, false},
		{"no cache", 0, 300, false},
		{"negative size", -1, 300, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCache(tc.maxBytes)
			k := CacheKey{Layers: "grids", Tile: tileAt(here, 12)}
			e := sized(tc.size - entryOverhead - 3)
			if got := c.Put(k, e, 0); got != tc.want {
				t.Errorf("Put of %d bytes into %d = %v, want %v", e.Size(), tc.maxBytes, got, tc.want)
			}
			_, hit := c.Get(k)
			s := c.Stats()
			if hit != tc.want || s.Refused != map[bool]uint64{true: 0, false: 1}[tc.want] || s.Hits+s.Misses != 1 {
				t.Errorf("Get hit = %v, Stats() = %+v", hit, s)
			}
			checkCache(t, c)
		})
	}
}

func TestCacheInvalidate(t *testing.T) {
	t14 := tileAt(here, 14)
	width := t14.Bound().Right() - t14.Bound().Left()
	east := func(d float64) orb.Bound {
		p := orb.Point{t14.Bound().Right() + d, here.Lat()}
		return p.Bound()
	}
	entries := map[string]CacheKey{
		"grids":          {Layers: "grids", Tile: t14},
		"grids filtered": {Layers: "grids", Filter: "window=30d", Tile: t14},
		"composite":      {Layers: "grids,buildings", Tile: t14},
		"roads":          {Layers: "roads", Tile: t14},
		"grids far":      {Layers: "grids", Tile: Tile{maptile.New(t14.X+5, t14.Y, 14)}},
		"grids z10":      {Layers: "grids", Tile: tileAt(here, 10)},
		"entities":       {Layers: "grids,entities", Tile: t14},
		"entities town":  {Layers: "grids,entities", Scope: "441900003", Tile: t14},
	}
	for _, tc := range []struct {
		name  string
		layer string
		area  func(z int) []orb.Bound
		want  []string // the entries dropped
	}{
		{"a point at zoom 14", "grids", at(14, here.Bound()),
			[]string{"grids", "grids filtered", "composite", "entities", "entities town"}},
		{"a point at every zoom", "grids", everywhere(here.Bound()),
			[]string{"grids", "grids filtered", "composite", "grids z10", "entities", "entities town"}},
		// A town's tile is dropped with the city's: invalidation goes by
		// layer and area, whoever the tile was built for.
		{"an entity: every scope's tile", "entities", at(14, here.Bound()), []string{"entities", "entities town"}},
		{"the other layer of a composite", "buildings", everywhere(here.Bound()), []string{"composite"}},
		{"nothing changed at the tiles' zooms", "grids", at(13, here.Bound()), nil},
		{"another city", "grids", everywhere(orb.Point{116.4, 39.9}.Bound()), nil},
		{"in the tile's buffer", "grids", at(14, east(width/128)),
			[]string{"grids", "grids filtered", "composite", "entities", "entities town"}},
		{"beyond the tile's buffer", "grids", at(14, east(width/16)), nil},
		{"two bounds", "grids", at(14, orb.Point{116.4, 39.9}.Bound(), entries["grids far"].Tile.Bound().Center().Bound()),
			[]string{"grids far"}},
		{"the whole city", "grids", everywhere(Dongguan),
			[]string{"grids", "grids filtered", "composite", "grids far", "grids z10", "entities", "entities town"}},
		{"a whole layer of a town's tile", "entities", everywhere(Dongguan), []string{"entities", "entities town"}},
		{"a layer not cached", "flags", everywhere(Dongguan), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCache(1 << 20)
			for _, k := range entries {
				c.Put(k, Encode([]byte(k.Layers)), 0)
			}
			calls := map[int]int{}
			n := c.Invalidate(tc.layer, func(z int) []orb.Bound {
				calls[z]++
				return tc.area(z)
			})
			if n != len(tc.want) {
				t.Errorf("Invalidate dropped %d, want %d", n, len(tc.want))
			}
			for name, k := range entries {
				if _, ok := c.Get(k); ok == slices.Contains(tc.want, name) {
					t.Errorf("%s cached = %v, want %v", name, ok, !ok)
				}
			}
			for z, n := range calls {
				if n > 1 {
					t.Errorf("area(%d) called %d times", z, n)
				}
			}
			if s := c.Stats(); s.Invalidated != uint64(len(tc.want)) || s.Entries != len(entries)-len(tc.want) {
				t.Errorf("Stats() = %+v, want %d invalidated", s, len(tc.want))
			}
			checkCache(t, c)
		})
	}
}

func TestCachePutGeneration(t *testing.T) {
	grids := CacheKey{Layers: "grids", Tile: tileAt(here, 14)}
	composite := CacheKey{Layers: "grids,buildings", Tile: grids.Tile}
	townEntities := CacheKey{Layers: "entities", Scope: "441900003", Tile: grids.Tile}
	elsewhere := everywhere(orb.Point{116.4, 39.9}.Bound())
	for _, tc := range []struct {
		name   string
		key    CacheKey
		before func(c *Cache) // before the builder reads the generation
		during func(c *Cache) // while it builds the tile
		want   bool
	}{
		{"no change", grids, nil, nil, true},
		{"the tile changed", grids,
			nil, func(c *Cache) { c.Invalidate("grids", everywhere(here.Bound())) }, false},
		{"the tile changed at another zoom", grids,
			nil, func(c *Cache) { c.Invalidate("grids", at(15, here.Bound())) }, true},
		{"the layer changed elsewhere", grids,
			nil, func(c *Cache) { c.Invalidate("grids", elsewhere) }, true},
		{"another layer changed here", grids,
			nil, func(c *Cache) { c.Invalidate("roads", everywhere(here.Bound())) }, true},
		{"a town's tile changed", townEntities,
			nil, func(c *Cache) { c.Invalidate("entities", everywhere(here.Bound())) }, false},
		{"a town's tile, whole layer", townEntities,
			nil, func(c *Cache) { c.InvalidateLayer("entities") }, false},
		{"a layer of a composite changed", composite,
			nil, func(c *Cache) { c.Invalidate("buildings", everywhere(here.Bound())) }, false},
		{"the whole layer changed", grids,
			nil, func(c *Cache) { c.InvalidateLayer("grids") }, false},
		{"another whole layer changed", grids,
			nil, func(c *Cache) { c.InvalidateLayer("roads") }, true},
		{"flushed", grids, nil, func(c *Cache) { c.Flush() }, false},
		{"the tile changed before the build", grids,
			func(c *Cache) { c.Invalidate("grids", everywhere(here.Bound())) }, nil, true},
		{"as many changes as remembered", grids, nil, func(c *Cache) {
			for range rememberedInvalidations {
				c.Invalidate("grids", elsewhere)
			}
		}, true},
		{"more changes than remembered", grids, nil, func(c *Cache) {
			for range rememberedInvalidations + 1 {
				c.Invalidate("grids", elsewhere)
			}
		}, false},
		{"the tile changed after the log wrapped", grids, func(c *Cache) {
			for range rememberedInvalidations {
				c.Invalidate("grids", elsewhere)
			}
		}, func(c *Cache) { c.Invalidate("grids", everywhere(here.Bound())) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCache(1 << 20)
			if tc.before != nil {
				tc.before(c)
			}
			gen := c.Generation()
			if tc.during != nil {
				tc.during(c)
			}
			if got := c.Put(tc.key, Encode([]byte("mvt")), gen); got != tc.want {
				t.Errorf("Put = %v, want %v", got, tc.want)
			}
			if _, ok := c.Get(tc.key); ok != tc.want {
				t.Errorf("Get hit = %v, want %v", ok, tc.want)
			}
		})
	}

	t.Run("a generation the cache has not reached", func(t *testing.T) {
		c := NewCache(1 << 20)
		if c.Put(grids, Encode([]byte("mvt")), c.Generation()+1) {
			t.Error("Put stored a tile of a future generation")
		}
	})
}

func TestCacheInvalidateLayerFlush(t *testing.T) {
	c := NewCache(1 << 20)
	t14 := tileAt(here, 14)
	for _, layers := range []string{"grids", "buildings", "grids,buildings", "roads"} {
		for dx := range uint32(3) {
			k := CacheKey{Layers: layers, Tile: Tile{maptile.New(t14.X+dx, t14.Y, 14)}}
			c.Put(k, Encode([]byte(layers)), 0)
		}
	}
	if n := c.InvalidateLayer("buildings"); n != 6 {
		t.Errorf("InvalidateLayer(buildings) = %d, want 6", n)
	}
	if n := c.InvalidateLayer("buildings"); n != 0 {
		t.Errorf("InvalidateLayer(buildings) again = %d, want 0", n)
	}
	if _, ok := c.Get(CacheKey{Layers: "grids", Tile: t14}); !ok {
		t.Error("InvalidateLayer(buildings) dropped a grids tile")
	}
	checkCache(t, c)
	if n := c.Flush(); n != 6 {
		t.Errorf("Flush() = %d, want 6", n)
	}
	if s := c.Stats(); s.Entries != 0 || s.Bytes != 0 || s.Invalidated != 12 {
		t.Errorf("after Flush, Stats() = %+v, want nothing cached and 12 invalidated", s)
	}
	checkCache(t, c)
	// The cache works after a Flush.
	k := CacheKey{Layers: "roads", Tile: t14}
	if !c.Put(k, Encode([]byte("roads")), c.Generation()) {
		t.Fatal("Put after Flush refused")
	}
	if _, ok := c.Get(k); !ok {
		t.Error("Get after Flush missed")
	}
	checkCache(t, c)
}

// TestCacheConcurrent runs goroutines that build tiles (read the
// generation, then the data, then put the tile) and change the data (then
// invalidate). A Get that begins after an invalidation has ended must not
// return a tile built from data older than that change, and when they are
// all done every cached tile must show the current data.
func TestCacheConcurrent(t *testing.T) {
	layers := []string{"grids", "roads", "buildings"}
	// version is the data of each layer; invalidated, the newest version
	// whose invalidation has ended.
	var version, invalidated [3]atomic.Int64
	t14 := tileAt(here, 14)
	var keys []CacheKey
	for _, ls := range []string{"grids", "roads", "buildings", "grids,buildings"} {
		for d := range uint32(16) {
			keys = append(keys, CacheKey{Layers: ls, Tile: Tile{maptile.New(t14.X+d%4, t14.Y+d/4, 14)}})
		}
	}
	// A tile's MVT is the versions of the three layers when it was built.
	build := func() []byte {
		return fmt.Appendf(nil, "%d,%d,%d", version[0].Load(), version[1].Load(), version[2].Load())
	}
	// stale returns the layer of k whose version in mvt is below want's.
	stale := func(k CacheKey, mvt []byte, want [3]int64) (string, bool) {
		for i, v := range strings.Split(string(mvt), ",") {
			if n, _ := strconv.ParseInt(v, 10, 64); n < want[i] && slices.Contains(strings.Split(k.Layers, ","), layers[i]) {
				return layers[i], true
			}
		}
		return "", false
	}
	c := NewCache(6000) // about 25 tiles of the 64 keys

	// Each goroutine builds tiles and, one time in twenty, changes a layer.
	const goroutines, ops = 6, 2000
	var gets, puts, stales atomic.Uint64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 0))
			for i := range ops {
				if r.IntN(20) == 0 {
					l := r.IntN(len(layers))
					v := version[l].Add(1)
					switch i % 10 {
					case 0:
						c.InvalidateLayer(layers[l])
					case 1:
						c.Flush()
					default:
						c.Invalidate(layers[l], at(14, here.Bound(), Dongguan))
					}
					for {
						old := invalidated[l].Load()
						if old >= v || invalidated[l].CompareAndSwap(old, v) {
							break
						}
					}
					continue
				}
				k := keys[r.IntN(len(keys))]
				var want [3]int64
				for i := range want {
					want[i] = invalidated[i].Load()
				}
				gets.Add(1)
				if e, ok := c.Get(k); ok {
					if l, bad := stale(k, e.MVT, want); bad && stales.Add(1) == 1 {
						t.Errorf("Get(%s %v) = %s, from before a change of %s (%v) that was invalidated",
							k.Layers, k.Tile, e.MVT, l, want)
					}
					continue
				}
				gen := c.Generation()
				mvt := build()
				runtime.Gosched() // a build takes time, in which the data may change
				puts.Add(1)
				// Not Encode: under the race detector, gzip would take most of the time.
				c.Put(k, Encoded{MVT: mvt}, gen)
			}
		})
	}
	wg.Wait()
	if n := stales.Load(); n > 1 {
		t.Errorf("%d Gets returned stale tiles", n)
	}

	checkCache(t, c)
	s := c.Stats()
	if s.Hits+s.Misses != gets.Load() || s.Stores+s.Refused != puts.Load() {
		t.Errorf("Stats() = %+v after %d Gets and %d Puts", s, gets.Load(), puts.Load())
	}
	if s.Evictions == 0 || s.Invalidated == 0 {
		t.Errorf("Stats() = %+v: the test evicted or invalidated nothing", s)
	}
	now := [3]int64{version[0].Load(), version[1].Load(), version[2].Load()}
	for _, k := range keys {
		if e, ok := c.Get(k); ok {
			if l, bad := stale(k, e.MVT, now); bad {
				t.Errorf("%s %v cached %s, but %s is at %v", k.Layers, k.Tile, e.MVT, l, now)
			}
		}
	}
}

func TestCacheGetAllocs(t *testing.T) {
	c := NewCache(1 << 20)
	k := CacheKey{Layers: "grids,buildings", Filter: "window=30d", Tile: tileAt(here, 14)}
	c.Put(k, Encode([]byte("mvt")), 0)
	if n := testing.AllocsPerRun(100, func() { c.Get(k) }); n != 0 {
		t.Errorf("Get allocates %v times", n)
	}
}

// benchCache returns a cache of n tiles of about 8 KiB, and their keys.
func benchCache(n int) (*Cache, []CacheKey) {
	e := Encode(bytes.Repeat([]byte("building footprint "), 430))
	c := NewCache(int64(n) * int64(e.Size()) * 2)
	t14 := tileAt(here, 14)
	keys := make([]CacheKey, n)
	for i := range keys {
		keys[i] = CacheKey{Layers: "grids,buildings", Tile: Tile{maptile.New(t14.X+uint32(i%64), t14.Y+uint32(i/64), 14)}}
		c.Put(keys[i], e, 0)
	}
	return c, keys
}

func BenchmarkCacheGet(b *testing.B) {
	c, keys := benchCache(4096)
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, ok := c.Get(keys[i%len(keys)]); !ok {
				b.Fatal("miss")
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var seed atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			i := int(seed.Add(997))
			for pb.Next() {
				if _, ok := c.Get(keys[i%len(keys)]); !ok {
					b.Fatal("miss")
				}
				i++
			}
		})
	})
}

// BenchmarkCachePut puts tiles into a full cache, each evicting another.
func BenchmarkCachePut(b *testing.B) {
	c, _ := benchCache(1024)
	e := Encode(bytes.Repeat([]byte("building footprint "), 430))
	t16 := tileAt(here, 16)
	keys := make([]CacheKey, 8192)
	for i := range keys {
		keys[i] = CacheKey{Layers: "buildings", Filter: strconv.Itoa(i % 3), Tile: Tile{maptile.New(t16.X+uint32(i%128), t16.Y+uint32(i/128), 16)}}
	}
	gen := c.Generation()
	i := 0
	for b.Loop() {
		if !c.Put(keys[i%len(keys)], e, gen) {
			b.Fatal("refused")
		}
		i++
	}
}

func BenchmarkEncode(b *testing.B) {
	mvt := bytes.Repeat([]byte("building footprint "), 430) // about 8 KiB
	for b.Loop() {
		Encode(mvt)
	}
}

// ExampleCache shows a builder that stores what it built unless the data
// changed meanwhile, and a change that drops the tiles it touches.
func ExampleCache() {
	c := NewCache(256 << 20)
	t, _ := NewTile(14, 13373, 7121)
	k := CacheKey{Layers: "grids,buildings", Tile: t}

	gen := c.Generation() // before reading the data
	mvt := []byte{}       // built from the data
	fmt.Println("stored:", c.Put(k, Encode(mvt), gen))

	// A building changed in the tile.
	changed := t.Bound().Center().Bound()
	fmt.Println("dropped:", c.Invalidate("buildings", func(z int) []orb.Bound { return []orb.Bound{changed} }))
	_, ok := c.Get(k)
	fmt.Println("cached:", ok)
	// Output:
	// stored: true
	// dropped: 1
	// cached: false
}
