package addressbook

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
)

// A RecordType names what one row of an import or export file holds. The
// names are also the kinds of address_history rows.
type RecordType string

// The record types, in the order a library is loaded: each may refer only to
// the ones before it (a doorplate to its road, a place to its doorplate, a
// building to its doorplate and place, a room to its building).
const (
	TypeRoad      RecordType = "road"
	TypeDoorplate RecordType = "doorplate"
	TypePlace     RecordType = "place"
	TypeBuilding  RecordType = "building"
	TypeRoom      RecordType = "room"
)

// RecordTypes returns every record type in load order.
func RecordTypes() []RecordType {
	return []RecordType{TypeRoad, TypeDoorplate, TypePlace, TypeBuilding, TypeRoom}
}

// ParseRecordType parses a record type name.
func ParseRecordType(s string) (RecordType, error) {
	t := RecordType(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range RecordTypes() {
		if t == known {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown record type %q: want road, doorplate, place, building or room", s)
}

// HasLifecycle reports whether records of type t carry a version, a
// retirement time and a successor (doorplates and rooms). The others are
// updated in place, their earlier versions kept in the history.
func (t RecordType) HasLifecycle() bool { return t == TypeDoorplate || t == TypeRoom }

// KeyedByID reports whether records of type t are identified by a numeric
// id (places, buildings) rather than a code.
func (t RecordType) KeyedByID() bool { return t == TypePlace || t == TypeBuilding }

// CodeDigits returns the length of the codes of type t (road 14, doorplate
// 16, room 18), or 0 for the types keyed by id.
func (t RecordType) CodeDigits() int {
	switch t {
	case TypeRoad:
		return 14
	case TypeDoorplate:
		return 16
	case TypeRoom:
		return 18
	}
	return 0
}

// A LibraryKind is what one import or export covers.
type LibraryKind string

// The kinds: addresses are roads, doorplates, named places and rooms (the
// codes people write); buildings are the footprints of the building map; all
// is both, in one file, which is what a complete copy of the library needs
// (rooms refer to buildings, buildings to doorplates).
const (
	KindAddresses LibraryKind = "addresses"
	KindBuildings LibraryKind = "buildings"
	KindAll       LibraryKind = "all"
)

// ParseLibraryKind parses a kind name.
func ParseLibraryKind(s string) (LibraryKind, error) {
	switch k := LibraryKind(s); k {
	case KindAddresses, KindBuildings, KindAll:
		return k, nil
	}
	return "", fmt.Errorf("unknown kind %q: want addresses, buildings or all", s)
}

// Types returns the record types of kind k in load order.
func (k LibraryKind) Types() []RecordType {
	switch k {
	case KindAddresses:
		return []RecordType{TypeRoad, TypeDoorplate, TypePlace, TypeRoom}
	case KindBuildings:
		return []RecordType{TypeBuilding}
	}
	return RecordTypes()
}

// Has reports whether kind k covers records of type t.
func (k LibraryKind) Has(t RecordType) bool {
	for _, x := range k.Types() {
		if x == t {
			return true
		}
	}
	return false
}

// A Format is the encoding of an import or export file.
type Format string

// The file formats; see docs/library-formats.md.
const (
	FormatCSV     Format = "csv"
	FormatGeoJSON Format = "geojson"
)

// ParseFormat parses a format name.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "csv":
		return FormatCSV, nil
	case "geojson", "json":
		return FormatGeoJSON, nil
	}
	return "", fmt.Errorf("unknown format %q: want csv or geojson", s)
}

// FormatOf guesses the format of a file from its name's extension; false when
// the extension says nothing.
func FormatOf(name string) (Format, bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		return FormatCSV, true
	case ".geojson", ".json":
		return FormatGeoJSON, true
	}
	return "", false
}

// A Record is one row of an import or export file: the library value of its
// Type (the other values are zero).
type Record struct {
	Line int // CSV line of the row (the header is line 1), or 1-based feature index in GeoJSON
	Type RecordType

	Road      Road
	Doorplate Doorplate
	Place     Place
	Building  Building
	Room      Room

	// Replaces is the code of the doorplate or room this record succeeds
	// (a renamed road's doorplates, a renumbered room): importing retires
	// the old code and names this record's code its successor.
	Replaces string
}

// Key returns the identity of the record within its type: the code, or the
// id in decimal for places and buildings.
func (r Record) Key() string {
	switch r.Type {
	case TypeRoad:
		return r.Road.Code
	case TypeDoorplate:
		return r.Doorplate.Code
	case TypeRoom:
		return r.Room.Code
	case TypePlace:
		return idKey(r.Place.ID)
	case TypeBuilding:
		return idKey(r.Building.ID)
	}
	return ""
}

func idKey(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// A RowError is a rejected row: where it is, what it was (when that could be
// read) and why it was rejected.
type RowError struct {
	Line   int        `json:"line"`
	Type   RecordType `json:"type,omitempty"`
	Code   string     `json:"code,omitempty"` // the code, or the id of a place or building
	Reason string     `json:"reason"`
}

func (e *RowError) Error() string {
	s := fmt.Sprintf("line %d", e.Line)
	if e.Type != "" {
		s += " (" + string(e.Type)
		if e.Code != "" {
			s += " " + e.Code
		}
		s += ")"
	}
	return s + ": " + e.Reason
}

// DongguanExtent is the plausible extent of library geometry: the city
// (113.52–114.26°E, 22.66–23.15°N) with a margin of about 20 km, so a
// point with its longitude and latitude swapped, or in another projection,
// is caught.
var DongguanExtent = orb.Bound{Min: orb.Point{113.3, 22.45}, Max: orb.Point{114.5, 23.35}}

// ReadOptions tell a Reader how to read a file.
type ReadOptions struct {
	Format Format
	Kind   LibraryKind // the types the file may hold; "" allows all
	Type   RecordType  // the type of every row of a file without a type column
	CRS    geo.CRS     // of the coordinates, unless a row's crs column says otherwise; "" is WGS84
	Extent orb.Bound   // where geometry may lie; the zero Bound means DongguanExtent
}

// A RecordSource hands out records one at a time. Next returns a *RowError
// for a row it rejects (and goes on with the next row on the following
// call), io.EOF at the end, and any other error when the file cannot be read
// on.
type RecordSource interface {
	Next() (Record, error)
}

// ImportOptions say how to apply an import.
type ImportOptions struct {
	Kind          LibraryKind
	Source        string // file name recorded in the imports table
	DryRun        bool   // validate and count, then roll back
	RetireMissing bool   // retire what the file's towns no longer list; see docs/library-formats.md
	MaxErrors     int    // rejected rows kept in the report; default 1000

	// OnReject, if set, is called with every rejected row in line order
	// before the import commits. An error from it aborts the import.
	OnReject func(RowError) error
	// Progress, if set, is called with the number of rows read so far.
	Progress func(rows int)
	// Trace, if set, is told how long each step took and how many rows
	// it touched (for a debug log).
	Trace func(step string, rows int, elapsed time.Duration)
}

// Counts are what an import did to the rows of one record type.
type Counts struct {
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Retired   int `json:"retired"`
	Rejected  int `json:"rejected"`
}

// Add adds c2 to c.
func (c *Counts) Add(c2 Counts) {
	c.Inserted += c2.Inserted
	c.Updated += c2.Updated
	c.Unchanged += c2.Unchanged
	c.Retired += c2.Retired
	c.Rejected += c2.Rejected
}

// ImportReport is the outcome of an import.
type ImportReport struct {
	ImportID int64 `json:"import_id,omitempty"` // the imports row; 0 for a dry run
	DryRun   bool  `json:"dry_run"`
	Counts
	ByType map[RecordType]Counts `json:"by_type"`
	// Errors are the first MaxErrors rejected rows in line order; Rejected
	// counts them all.
	Errors []RowError `json:"errors"`
	// RetireSkipped explains why --retire-missing retired nothing.
	RetireSkipped string `json:"retire_skipped,omitempty"`
}

// ExportOptions select what an export writes.
type ExportOptions struct {
	Kind           LibraryKind
	TownCode       string // only this town; "" for the whole city
	IncludeRetired bool   // also retired doorplates and rooms
}

// Importer applies an import file to the library.
type Importer interface {
	ImportLibrary(ctx context.Context, src RecordSource, opt ImportOptions) (ImportReport, error)
}

// Exporter streams the library, record by record in load order, to fn.
type Exporter interface {
	ExportLibrary(ctx context.Context, opt ExportOptions, fn func(Record) error) error
}

// MaxSuccessorDepth is how many successors a code is followed through.
const MaxSuccessorDepth = 32

// Resolved is where a code leads: the address itself when it is current,
// or its chain of successors when it was retired.
type Resolved struct {
	Code      string
	Kind      RecordType // road, doorplate or room
	Retired   bool
	RetiredAt *time.Time
	// SuccessorChain lists the successors of Code in order; empty when
	// Code is current or was retired without a successor.
	SuccessorChain []string
	// Current is the current (not retired) code Code resolves to: Code
	// itself or the last of the chain. It is empty when the chain ends at a
	// code retired without a successor, or is Broken.
	Current string
	// Broken reports that the chain loops or is longer than
	// MaxSuccessorDepth; SuccessorChain holds what was followed.
	Broken bool
}

// Resolver follows a code to the current address.
type Resolver interface {
	ResolveAddress(ctx context.Context, code string) (Resolved, error)
}

// invalid returns an Invalid domain error for a file that cannot be read.
func invalid(format string, args ...any) error {
	return derrors.New(derrors.Invalid, format, args...)
}
