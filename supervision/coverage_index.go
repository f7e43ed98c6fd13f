package supervision

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// A CoverageEntity is an active, located entity as coverage counts it.
type CoverageEntity struct {
	// Cells are its cells at MinH3Res to MaxH3Res, each the cell that
	// holds its location (as stored at linking). They are not always one
	// another's ancestors: H3's hierarchy is not exact, and a point near
	// a cell's edge may lie in a coarse cell other than its fine cell's
	// parent.
	Cells         [MaxH3Res - MinH3Res + 1]h3.Cell
	GridCode      string // "" when the entity has no grid
	TownCode      string
	Industry      string
	Kind          Kind
	LastInspected time.Time   // zero when never inspected
	TaskDues      []time.Time // deadlines of its open on-site tasks
	OpenFlags     int
}

// BucketRes is the H3 resolution of the CoverageIndex's buckets: the unit
// in which it is loaded and refreshed (a res-7 hexagon holds a few
// thousand entities in a dense town).
const BucketRes = MinH3Res

// A CoverageIndex holds what coverage needs of every active, located
// entity in memory, compactly (32 bytes an entity, 64 MB for 2 million),
// so that a coverage tile of the whole city sums millions of entities in
// milliseconds instead of the seconds the database needs. It is filled
// and refreshed bucket by bucket (BucketRes hexagons) from the store;
// readers see each bucket either before or after a refresh, never half.
//
// Its records are sorted by cell, and the ancestors of a cell follow
// from its bits, so summing by a coarser cell needs no H3 calls per
// entity (see parentOf); the few entities whose stored cell at a
// resolution is not their finest cell's ancestor are looked up aside.
type CoverageIndex struct {
	mu      sync.RWMutex
	buckets map[h3.Cell]*coverageBucket
	grids   *interner // grid codes; 0 is none
	towns   *interner
	loaded  bool
}

// coverageBucket is the entities of one BucketRes cell, sorted by cell.
// Immutable once built.
type coverageBucket struct {
	cell    h3.Cell // at BucketRes
	records []coverageRecord
	dues    []int64 // the records' task deadlines (Unix seconds), by record
	// fixes are the cells at BucketRes+1 to MaxH3Res-1 of the records
	// that have fix bits, by record index.
	fixes map[uint32]*[MaxH3Res - BucketRes - 1]uint64
	bound orb.Bound
	grids []uint32 // distinct grids of the records
}

// coverageRecord is one entity: 32 bytes.
type coverageRecord struct {
	cell      uint64 // at MaxH3Res
	inspected int64  // Unix seconds; 0 when never inspected
	grid      uint32
	dueOff    uint32 // its deadlines are dues[dueOff:dueOff+dueN]
	town      uint16
	flags     uint16
	dueN      uint8
	// fix has bit r-BucketRes-1 set when the entity's cell at r (from
	// BucketRes+1 to MaxH3Res-1) is not cell's ancestor: see fixes.
	fix      uint8
	industry byte
	kind     byte
}

// metresPerDegree is a degree of longitude at Dongguan's latitude (fewer
// metres than a degree of latitude): padding by metres over it is padding
// by at least that many metres either way.
const metresPerDegree = 100000

// HexDegrees returns the width of a hexagon at res (0 to MaxH3Res) in
// degrees, at least, either way at Dongguan's latitude: how far to pad a
// bound to take in the hexagons that may meet it.
func HexDegrees(res int) float64 { return hexWidthMetres[res] / metresPerDegree }

// kindCodes are the record codes of the kinds of entities (0 is none).
var kindCodes = map[Kind]byte{Enterprise: 1, Individual: 2, Cooperative: 3}

// interner numbers strings from 1; 0 is "".
type interner struct {
	ids   map[string]uint32
	names []string
}

func newInterner() *interner { return &interner{ids: map[string]uint32{}, names: []string{""}} }

// id returns s's number, adding it.
func (in *interner) id(s string) uint32 {
	if s == "" {
		return 0
	}
	if id, ok := in.ids[s]; ok {
		return id
	}
	id := uint32(len(in.names))
	in.ids[s] = id
	in.names = append(in.names, s)
	return id
}

// lookup returns s's number and whether s is known.
func (in *interner) lookup(s string) (uint32, bool) {
	if s == "" {
		return 0, true
	}
	id, ok := in.ids[s]
	return id, ok
}

// NewCoverageIndex returns an empty index; fill it with Replace.
func NewCoverageIndex() *CoverageIndex {
	return &CoverageIndex{buckets: map[h3.Cell]*coverageBucket{}, grids: newInterner(), towns: newInterner()}
}

// Loaded reports whether the index was filled once (by a Replace with
// all set).
func (ix *CoverageIndex) Loaded() bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.loaded
}

// Len returns the number of entities the index holds.
func (ix *CoverageIndex) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := 0
	for _, b := range ix.buckets {
		n += len(b.records)
	}
	return n
}

// Replace sets the entities of the buckets listed, or of every bucket
// when all is set, to entities (which must lie in those buckets; others
// are ignored). Readers see the change at once.
func (ix *CoverageIndex) Replace(buckets []h3.Cell, all bool, entities []CoverageEntity) {
	byBucket := map[h3.Cell][]CoverageEntity{}
	wanted := map[h3.Cell]bool{}
	for _, b := range buckets {
		wanted[b] = true
	}
	for _, e := range entities {
		b := e.Cells[BucketRes-MinH3Res]
		if all || wanted[b] {
			byBucket[b] = append(byBucket[b], e)
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	built := make(map[h3.Cell]*coverageBucket, len(byBucket))
	for b, es := range byBucket {
		built[b] = ix.build(b, es)
	}
	if all {
		ix.buckets = built
		ix.loaded = true
		return
	}
	for _, b := range buckets {
		if nb, ok := built[b]; ok {
			ix.buckets[b] = nb
		} else {
			delete(ix.buckets, b)
		}
	}
}

// build returns the bucket b of es. The caller holds the write lock (the
// interners grow).
func (ix *CoverageIndex) build(b h3.Cell, es []CoverageEntity) *coverageBucket {
	finest := MaxH3Res - MinH3Res
	slices.SortFunc(es, func(a, b CoverageEntity) int { return cmp.Compare(a.Cells[finest], b.Cells[finest]) })
	out := &coverageBucket{cell: b, records: make([]coverageRecord, len(es)), bound: CellBound(b)}
	grids := map[uint32]bool{}
	for i, e := range es {
		r := coverageRecord{cell: uint64(e.Cells[finest]), grid: ix.grids.id(e.GridCode), town: uint16(ix.towns.id(e.TownCode)),
			kind: kindCodes[e.Kind], flags: uint16(min(e.OpenFlags, 0xffff)), dueOff: uint32(len(out.dues)),
			dueN: uint8(min(len(e.TaskDues), 0xff))}
		for res := BucketRes + 1; res < MaxH3Res; res++ {
			if c := uint64(e.Cells[res-MinH3Res]); c != parentOf(r.cell, res) {
				if out.fixes == nil {
					out.fixes = map[uint32]*[MaxH3Res - BucketRes - 1]uint64{}
				}
				f := out.fixes[uint32(i)]
				if f == nil {
					f = new([MaxH3Res - BucketRes - 1]uint64)
					out.fixes[uint32(i)] = f
				}
				f[res-BucketRes-1] = c
				r.fix |= 1 << (res - BucketRes - 1)
			}
		}
		if len(e.Industry) == 1 {
			r.industry = e.Industry[0]
		}
		if !e.LastInspected.IsZero() {
			r.inspected = e.LastInspected.Unix()
		}
		for _, d := range e.TaskDues[:r.dueN] {
			out.dues = append(out.dues, d.Unix())
		}
		out.records[i] = r
		grids[r.grid] = true
	}
	for g := range grids {
		out.grids = append(out.grids, g)
	}
	slices.Sort(out.grids)
	// Descendants of a cell may stick out of its outline by a fraction of
	// a child's size; a finer child's width is margin enough.
	pad := HexDegrees(BucketRes + 1)
	out.bound = out.bound.Pad(pad)
	return out
}

// coverageQuery is a CoverageFilter resolved against the index.
type coverageQuery struct {
	none     bool // the filter names a town the index does not hold
	town     uint16
	industry byte
	kind     byte
	since    int64 // inspected at or after: within the window
	now      int64
}

func (ix *CoverageIndex) query(f CoverageFilter, now time.Time) coverageQuery {
	q := coverageQuery{kind: kindCodes[f.Kind], now: now.Unix(), since: now.AddDate(0, 0, -f.Window()).Unix()}
	if f.TownCode != "" {
		id, ok := ix.towns.lookup(f.TownCode)
		q.town, q.none = uint16(id), !ok
	}
	if len(f.Industry) == 1 {
		q.industry = f.Industry[0]
	}
	return q
}

// add adds record r of bucket b to m if it passes q.
func (q *coverageQuery) add(m *CoverageMetrics, b *coverageBucket, r *coverageRecord) {
	if (q.town != 0 && r.town != q.town) || (q.industry != 0 && r.industry != q.industry) || (q.kind != 0 && r.kind != q.kind) {
		return
	}
	m.Entities++
	switch {
	case r.inspected == 0:
		m.NeverInspected++
	case r.inspected >= q.since:
		m.Inspected++
	}
	for _, d := range b.dues[r.dueOff : r.dueOff+uint32(r.dueN)] {
		if d < q.now {
			m.OverdueTasks++
		}
	}
	m.OpenFlags += int(r.flags)
}

// Cells returns the coverage of the cells at resolution res (0 to
// MaxH3Res) that hold entities passing f and whose outline meets bound
// (WGS84), as of now, in cell order. A cell's figures cover all its
// entities, inside bound or not, so neighbouring tiles agree.
func (ix *CoverageIndex) Cells(res int, bound orb.Bound, f CoverageFilter, now time.Time) []CoverageCell {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	q := ix.query(f, now)
	if q.none || res < 0 || res > MaxH3Res {
		return nil
	}
	sums := map[uint64]*CoverageMetrics{}
	// The bucket's neighbours may hold entities of a coarse cell that
	// meets bound even when the bucket does not; pad by the cell's width.
	search := bound
	if res < BucketRes {
		search = bound.Pad(HexDegrees(res))
	}
	for _, b := range ix.buckets {
		if !b.bound.Intersects(search) {
			continue
		}
		var last uint64
		var m *CoverageMetrics
		for i := range b.records {
			r := &b.records[i]
			var p uint64
			switch {
			case res <= BucketRes:
				p = parentOf(uint64(b.cell), res)
			case res < MaxH3Res && r.fix&(1<<(res-BucketRes-1)) != 0:
				p = b.fixes[uint32(i)][res-BucketRes-1]
			default:
				p = parentOf(r.cell, res)
			}
			if m == nil || p != last {
				last = p
				if m = sums[p]; m == nil {
					m = &CoverageMetrics{}
					sums[p] = m
				}
			}
			q.add(m, b, r)
		}
	}
	out := make([]CoverageCell, 0, len(sums))
	for c, m := range sums {
		if m.Entities > 0 && CellBound(h3.Cell(c)).Intersects(bound) {
			out = append(out, CoverageCell{Cell: h3.Cell(c), CoverageMetrics: *m})
		}
	}
	slices.SortFunc(out, func(a, b CoverageCell) int { return cmp.Compare(a.Cell, b.Cell) })
	return out
}

// Grids returns the coverage of the grids named (all their entities
// passing f, as of now), in the order given; a grid without such entities
// has zero figures.
func (ix *CoverageIndex) Grids(codes []string, f CoverageFilter, now time.Time) []CoverageGrid {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	q := ix.query(f, now)
	out := make([]CoverageGrid, len(codes))
	slot := map[uint32]int{}
	for i, c := range codes {
		out[i] = CoverageGrid{GridCode: c}
		if len(c) >= 12 {
			out[i].VillageCode, out[i].TownCode = c[:12], c[:9]
		}
		if id, ok := ix.grids.lookup(c); ok && id != 0 {
			slot[id] = i
		}
	}
	if q.none || len(slot) == 0 {
		return out
	}
	for _, b := range ix.buckets {
		if !b.hasAny(slot) {
			continue
		}
		for i := range b.records {
			r := &b.records[i]
			if j, ok := slot[r.grid]; ok {
				q.add(&out[j].CoverageMetrics, b, r)
			}
		}
	}
	return out
}

// hasAny reports whether the bucket holds entities of any of the grids.
func (b *coverageBucket) hasAny(grids map[uint32]int) bool {
	for _, g := range b.grids {
		if _, ok := grids[g]; ok {
			return true
		}
	}
	return false
}

// CellBound returns the bounding box of a cell's outline (WGS84).
func CellBound(c h3.Cell) orb.Bound {
	boundary := c.Boundary()
	if len(boundary) == 0 {
		return orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{-1, -1}} // empty
	}
	b := orb.Bound{Min: orb.Point{boundary[0].Lng, boundary[0].Lat}, Max: orb.Point{boundary[0].Lng, boundary[0].Lat}}
	for _, p := range boundary[1:] {
		b = b.Extend(orb.Point{p.Lng, p.Lat})
	}
	return b
}

// H3 index layout (https://h3geo.org/docs/core-library/h3Indexing): the
// resolution in bits 52–55, then 15 digits of 3 bits, the first below
// the base cell at bits 42–44; digits past the resolution are 7.
const (
	h3ResShift = 52
	h3ResMask  = uint64(0xf) << h3ResShift
)

// parentOf returns the ancestor of cell c at resolution res (no finer
// than c's), by setting the resolution and filling the digits past it
// with 7, as H3's cellToParent does.
func parentOf(c uint64, res int) uint64 {
	c = c&^h3ResMask | uint64(res)<<h3ResShift
	return c | (uint64(1)<<(3*(15-res)) - 1)
}
