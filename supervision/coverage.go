package supervision

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/uber/h3-go/v4"
)

// Coverage (监管覆盖): how much of an area's active entities were inspected
// within a window, and what is left undone there: the entities never
// inspected, the on-site tasks past their deadline, the open flags. Grid
// managers see it by H3 hexagon and by management grid.

// Coverage windows in days; DefaultCoverageWindow when none is asked for.
const (
	DefaultCoverageWindow = 180
	MaxCoverageWindow     = 3 * 365
)

// ParseCoverageWindow reads a window in days (90, 180, 365, ...), "" for
// the default.
func ParseCoverageWindow(s string) (int, error) {
	if s == "" {
		return DefaultCoverageWindow, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxCoverageWindow {
		return 0, fmt.Errorf("%q is not a window in days from 1 to %d (90, 180, 365)", s, MaxCoverageWindow)
	}
	return n, nil
}

// A CoverageFilter narrows coverage to a town, an industry (letter) or a
// kind of entity, over a window of days (0 for DefaultCoverageWindow), as
// of a time (zero for now).
type CoverageFilter struct {
	TownCode   string
	Industry   string
	Kind       Kind
	WindowDays int
	At         time.Time
}

// ParseCoverageFilter reads a filter from its query parameters (window,
// town, industry, kind; "" for none), naming the parameter at fault.
func ParseCoverageFilter(window, town, industry, kind string) (CoverageFilter, error) {
	days, err := ParseCoverageWindow(window)
	if err != nil {
		return CoverageFilter{}, fieldErr("window", "%v", err)
	}
	f := CoverageFilter{TownCode: town, Industry: industry, Kind: Kind(kind), WindowDays: days}
	if town != "" && !digits(town, 9) {
		return CoverageFilter{}, fieldErr("town", "must be a 9-digit town code, not %q", town)
	}
	if industry != "" {
		if _, ok := IndustryName(industry); !ok {
			return CoverageFilter{}, fieldErr("industry", "unknown industry %q: want a GB/T 4754-2017 section letter A to T", industry)
		}
	}
	if kind != "" {
		if _, err := ParseKind(kind); err != nil {
			return CoverageFilter{}, fieldErr("kind", "%v", err)
		}
	}
	return f, nil
}

// Window returns the window in days, DefaultCoverageWindow when unset.
func (f CoverageFilter) Window() int {
	if f.WindowDays == 0 {
		return DefaultCoverageWindow
	}
	return f.WindowDays
}

// Now returns the time the filter measures coverage at: At, or the
// current time when At is zero.
func (f CoverageFilter) Now() time.Time {
	if f.At.IsZero() {
		return time.Now()
	}
	return f.At
}

// Key returns a canonical string of the filter, the same for filters that
// select the same entities as of the same time (a cache key).
func (f CoverageFilter) Key() string {
	return fmt.Sprintf("w%d;t%s;i%s;k%s;@%d", f.Window(), f.TownCode, f.Industry, f.Kind, f.At.Unix())
}

// CoverageMetrics are the supervision figures of an area.
type CoverageMetrics struct {
	Entities       int // active entities
	Inspected      int // of them, inspected within the window
	NeverInspected int // of them, never inspected
	OverdueTasks   int // their open on-site tasks past the deadline
	OpenFlags      int // open flags about them
}

// Ratio returns the share of the entities inspected within the window, 0
// for an area without entities.
func (m CoverageMetrics) Ratio() float64 {
	if m.Entities == 0 {
		return 0
	}
	return float64(m.Inspected) / float64(m.Entities)
}

// Add adds o's figures to m.
func (m *CoverageMetrics) Add(o CoverageMetrics) {
	m.Entities += o.Entities
	m.Inspected += o.Inspected
	m.NeverInspected += o.NeverInspected
	m.OverdueTasks += o.OverdueTasks
	m.OpenFlags += o.OpenFlags
}

// A CoverageCell is the coverage of an H3 cell.
type CoverageCell struct {
	Cell h3.Cell
	CoverageMetrics
}

// A CoverageGrid is the coverage of a management grid.
type CoverageGrid struct {
	GridCode    string
	VillageCode string
	TownCode    string
	CoverageMetrics
}

// hexWidthMetres is the width of an H3 hexagon (twice its mean edge,
// https://h3geo.org/docs/core-library/restable) at resolutions 0 to
// MaxH3Res.
var hexWidthMetres = [MaxH3Res + 1]float64{2 * 1281256, 2 * 483057, 2 * 182513, 2 * 68979, 2 * 26072, 2 * 9854,
	2 * 3725, 2 * 1406.5, 2 * 531.4, 2 * 200.8, 2 * 75.9, 2 * 28.7}

// MinHexRes is the coarsest resolution of coverage hexagons: a res-4
// hexagon (52 km across) holds a quarter of the city.
const MinHexRes = 4

// minHexPixels is how wide a coverage hexagon is drawn at least: wide
// enough to see and click.
const minHexPixels = 20

// HexResolution returns the H3 resolution of the coverage hexagons at zoom
// z: the finest of MinHexRes to MaxH3Res whose hexagons are at least
// minHexPixels wide on a 256-pixel tile at Dongguan's latitude (z ≤ 7
// gives 4, z 8 gives 5, z 9–10 give 6, z 11 gives 7, z 12 gives 8, z
// 13–14 give 9, z 15 gives 10, z ≥ 16 gives 11).
func HexResolution(z int) int {
	// Metres per pixel of a 256-pixel tile at latitude 23°N.
	pixel := 156543.034 * math.Cos(23*math.Pi/180) / math.Exp2(float64(z))
	res := MinHexRes
	for r := MinHexRes + 1; r <= MaxH3Res; r++ {
		if hexWidthMetres[r]/pixel >= minHexPixels {
			res = r
		}
	}
	return res
}
