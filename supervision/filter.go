package supervision

import (
	"fmt"
	"math"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	orbgeo "github.com/paulmach/orb/geo"
	sf "github.com/peterstace/simplefeatures/geom"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/geo"
)

// Page sizes of entity lists.
const (
	DefaultEntityLimit = 100
	MaxEntityLimit     = 1000
)

// LinkUnlinked is the link status filter of entities not linked yet.
const LinkUnlinked = "unlinked"

// Limits of the screening criteria of an EntityFilter.
const (
	MaxNearRadius = 5000 // metres: the largest buffer around a point
	MinGroupSize  = 2    // the smallest shared_*_min and building_entities_min
	MaxGroupSize  = 1000 // the largest
)

// A Circle is a buffer around a point: every location within RadiusM
// metres (on the WGS84 spheroid) of Center.
type Circle struct {
	Center  orb.Point // WGS84 [lon, lat]
	RadiusM float64   // metres
}

// Bound is a box in degrees that holds the circle: the spherical bound of
// orb, widened by 1% and a metre for the spheroid, whose distances differ
// from the sphere's by under 0.6%. Stores filter on it with a spatial index
// before measuring the exact distance. A circle across the antimeridian
// gets every longitude.
func (c Circle) Bound() orb.Bound {
	b := orbgeo.NewBoundAroundPoint(c.Center, c.RadiusM*1.01+1)
	if b.Min[0] > b.Max[0] {
		b.Min[0], b.Max[0] = -180, 180
	}
	return b
}

// An EntityFilter selects market entities. Every field set narrows the
// selection (the conditions are joined with AND); the zero value selects
// every entity. Lists are in USCC order, a page at a time: After is the last
// USCC of the previous page.
//
// The FieldError of Validate names each field as the API's query parameter
// that sets it.
type EntityFilter struct {
	TownCode    string // town: 9 digits, of the link
	VillageCode string // village: 12 digits
	GridCode    string // grid: 15 digits
	BuildingID  int64  // building

	BBox   *orb.Bound   // bbox: the location lies in the box (WGS84, edges included)
	Within orb.Geometry // polygon: an orb.Polygon or orb.MultiPolygon (WGS84) the location lies in

	Industry string // industry: a section letter of Industries
	Kind     Kind   // kind
	Status   Status // status

	RegisteredFrom time.Time // registered_from: registered on or after this date (Beijing)
	RegisteredTo   time.Time // registered_to: registered on or before this date (Beijing)

	// Times of the last inspection (last_inspected_at). An entity never
	// inspected matches neither; NeverInspected selects those.
	InspectedBefore time.Time // inspected_before: last inspected before this time
	InspectedAfter  time.Time // inspected_after: last inspected at or after this time
	NeverInspected  bool      // never_inspected

	// task_status: entities with at least one task in this status, as
	// clients see it (Task.StatusAt): an open task past its deadline is
	// overdue rather than pushed, received or feedback. "open" means any of
	// pushed, received or feedback, overdue or not.
	TaskStatus TaskStatus

	// address_code: entities registered at this standard address. An
	// 18-digit room code selects the entities linked to the room; a 16-digit
	// doorplate code selects those linked to the doorplate or to any
	// building (and so any room) behind it.
	AddressCode string

	// link_status: matched, ambiguous, not_found or invalid (the matcher's
	// verdict on the entity's address), or unlinked (not linked yet).
	LinkStatus string

	// near: entities located within the circle (a buffer around a point).
	Near *Circle

	// Links between entities (关联比对): the entities sharing the building,
	// the phone or the legal representative of the entity with this code,
	// that entity left out. Phones compare by their digits
	// (NormalizePhone); legal representatives by ID number when both
	// entities have one, else by name within the same town.
	SameBuildingAs USCC // same_building_as
	SamePhoneAs    USCC // same_phone_as
	SameLegalRepAs USCC // same_legal_rep_as

	// Groups (集群注册, one person or phone behind many entities): entities
	// whose phone, legal representative (ID number) or building is shared by
	// at least this many active entities; 0 means no condition, otherwise
	// MinGroupSize to MaxGroupSize.
	SharedPhoneMin      int // shared_phone_min
	SharedLegalRepMin   int // shared_legal_rep_min
	BuildingEntitiesMin int // building_entities_min

	// flag_kind, flag_status: entities a flag of this kind and status
	// concerns (about the entity, or naming it among others). Either may
	// be set alone; see FlagSelection for the default status.
	FlagKind   FlagKind
	FlagStatus FlagStatus
	// has_open_flag: entities with (true) or without (false) an open flag
	// of any kind; nil means no condition.
	HasOpenFlag *bool

	// inspection_outcome: entities whose last inspection had this outcome.
	InspectionOutcome Outcome

	After USCC // cursor: list the entities after this code
	Limit int  // limit: the page size; 0 means DefaultEntityLimit
}

// FlagSelection returns the kind and status of the flags f selects entities
// by, and whether it selects by flags at all: a kind without a status means
// its open flags.
func (f EntityFilter) FlagSelection() (FlagKind, FlagStatus, bool) {
	if f.FlagKind == "" && f.FlagStatus == "" {
		return "", "", false
	}
	if f.FlagStatus == "" {
		return f.FlagKind, FlagOpen, true
	}
	return f.FlagKind, f.FlagStatus, true
}

// Targets returns the codes of the entities f compares others with
// (same_building_as, same_phone_as, same_legal_rep_as), by the name of
// the field that sets each.
func (f EntityFilter) Targets() map[string]USCC {
	out := map[string]USCC{}
	for _, t := range []struct {
		field string
		code  USCC
	}{{"same_building_as", f.SameBuildingAs}, {"same_phone_as", f.SamePhoneAs}, {"same_legal_rep_as", f.SameLegalRepAs}} {
		if t.code != "" {
			out[t.field] = t.code
		}
	}
	return out
}

// PageSize is the number of entities a page of f holds.
func (f EntityFilter) PageSize() int {
	if f.Limit == 0 {
		return DefaultEntityLimit
	}
	return f.Limit
}

// Validate checks every field of f and names the first one at fault.
func (f EntityFilter) Validate() error {
	for _, c := range []struct {
		field, value, what string
		lens               []int
	}{
		{"town", f.TownCode, "a 9-digit town code", []int{9}},
		{"village", f.VillageCode, "a 12-digit village code", []int{12}},
		{"grid", f.GridCode, "a 15-digit grid code", []int{15}},
		{"address_code", f.AddressCode, "a 16-digit doorplate or 18-digit room code", []int{16, 18}},
	} {
		if c.value != "" && !digits(c.value, c.lens...) {
			return fieldErr(c.field, "must be %s, not %q", c.what, c.value)
		}
	}
	if f.BuildingID < 0 {
		return fieldErr("building", "must be a positive building id, not %d", f.BuildingID)
	}
	if f.BBox != nil {
		if err := checkBBox(*f.BBox); err != nil {
			return fieldErr("bbox", "%v", err)
		}
	}
	if f.Within != nil {
		if err := checkArea(f.Within); err != nil {
			return fieldErr("polygon", "%v", err)
		}
	}
	if f.Industry != "" {
		if _, ok := IndustryName(f.Industry); !ok {
			return fieldErr("industry", "unknown industry %q: want a GB/T 4754-2017 section letter A to T", f.Industry)
		}
	}
	if f.Kind != "" {
		if _, err := ParseKind(string(f.Kind)); err != nil {
			return fieldErr("kind", "%v", err)
		}
	}
	if f.Status != "" {
		if _, err := ParseStatus(string(f.Status)); err != nil {
			return fieldErr("status", "%v", err)
		}
	}
	if !f.RegisteredFrom.IsZero() && !f.RegisteredTo.IsZero() && f.RegisteredTo.Before(f.RegisteredFrom) {
		return fieldErr("registered_to", "%s is before registered_from %s",
			f.RegisteredTo.In(Beijing).Format(time.DateOnly), f.RegisteredFrom.In(Beijing).Format(time.DateOnly))
	}
	if !f.InspectedBefore.IsZero() && !f.InspectedAfter.IsZero() && !f.InspectedAfter.Before(f.InspectedBefore) {
		return fieldErr("inspected_after", "must be before inspected_before, or no entity can match")
	}
	if f.NeverInspected && (!f.InspectedBefore.IsZero() || !f.InspectedAfter.IsZero()) {
		return fieldErr("never_inspected", "cannot be combined with inspected_before or inspected_after")
	}
	if f.TaskStatus != "" {
		if _, err := ParseTaskStatus(string(f.TaskStatus)); err != nil {
			return fieldErr("task_status", "%v", err)
		}
	}
	switch addressbook.MatchStatus(f.LinkStatus) {
	case "", addressbook.Matched, addressbook.Ambiguous, addressbook.NotFound, addressbook.Invalid, LinkUnlinked:
	default:
		return fieldErr("link_status", "unknown link status %q: want matched, ambiguous, not_found, invalid or unlinked", f.LinkStatus)
	}
	if err := f.validateScreening(); err != nil {
		return err
	}
	if f.After != "" {
		if u, err := ParseUSCC(string(f.After)); err != nil || u != f.After {
			return fieldErr("cursor", "is not a cursor this API returned")
		}
	}
	if f.Limit < 0 || f.Limit > MaxEntityLimit {
		return fieldErr("limit", "must be from 1 to %d, not %d", MaxEntityLimit, f.Limit)
	}
	return nil
}

// validateScreening checks the screening criteria: the buffer, the links,
// the groups, the flags and the inspection outcome.
func (f EntityFilter) validateScreening() error {
	if c := f.Near; c != nil {
		if err := checkLonLat(c.Center); err != nil {
			return fieldErr("near", "%v", err)
		}
		if math.IsNaN(c.RadiusM) || c.RadiusM < 1 || c.RadiusM > MaxNearRadius {
			return fieldErr("near", "radius must be from 1 to %d metres, not %v", MaxNearRadius, c.RadiusM)
		}
	}
	for field, code := range f.Targets() {
		if u, err := ParseUSCC(string(code)); err != nil {
			return fieldErr(field, "%v", err)
		} else if u != code {
			return fieldErr(field, "must be a USCC as registered (%s), not %q", u, code)
		}
	}
	for _, g := range []struct {
		field string
		n     int
	}{{"shared_phone_min", f.SharedPhoneMin}, {"shared_legal_rep_min", f.SharedLegalRepMin}, {"building_entities_min", f.BuildingEntitiesMin}} {
		if g.n != 0 && (g.n < MinGroupSize || g.n > MaxGroupSize) {
			return fieldErr(g.field, "must be from %d to %d entities, not %d", MinGroupSize, MaxGroupSize, g.n)
		}
	}
	if f.FlagKind != "" {
		if _, err := ParseFlagKind(string(f.FlagKind)); err != nil {
			return fieldErr("flag_kind", "%v", err)
		}
	}
	if f.FlagStatus != "" {
		if _, err := ParseFlagStatus(string(f.FlagStatus)); err != nil {
			return fieldErr("flag_status", "%v", err)
		}
	}
	if _, status, ok := f.FlagSelection(); ok && status == FlagOpen && f.HasOpenFlag != nil && !*f.HasOpenFlag {
		return fieldErr("has_open_flag", "is false, but the flag criteria select entities with an open flag: no entity can match")
	}
	if f.InspectionOutcome != "" {
		if _, err := ParseOutcome(string(f.InspectionOutcome)); err != nil {
			return fieldErr("inspection_outcome", "%v", err)
		}
		if f.NeverInspected {
			return fieldErr("inspection_outcome", "cannot be combined with never_inspected: an entity never inspected has no last outcome")
		}
	}
	return nil
}

// digits reports whether s is made of ASCII digits only and has one of the
// lengths given.
func digits(s string, lens ...int) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	for _, n := range lens {
		if len(s) == n {
			return true
		}
	}
	return false
}

func checkBBox(b orb.Bound) error {
	for _, p := range []orb.Point{b.Min, b.Max} {
		if err := checkLonLat(p); err != nil {
			return err
		}
	}
	if b.Min[0] > b.Max[0] {
		return fmt.Errorf("minLon %v is greater than maxLon %v", b.Min[0], b.Max[0])
	}
	if b.Min[1] > b.Max[1] {
		return fmt.Errorf("minLat %v is greater than maxLat %v", b.Min[1], b.Max[1])
	}
	return nil
}

func checkLonLat(p orb.Point) error {
	switch {
	case math.IsNaN(p[0]) || math.IsInf(p[0], 0) || p[0] < -180 || p[0] > 180:
		return fmt.Errorf("longitude %v is outside -180..180", p[0])
	case math.IsNaN(p[1]) || math.IsInf(p[1], 0) || p[1] < -90 || p[1] > 90:
		return fmt.Errorf("latitude %v is outside -90..90", p[1])
	}
	return nil
}

// checkArea checks that g is a valid (OGC simple features) Polygon or
// MultiPolygon with WGS84 coordinates: PostGIS predicates on an invalid
// polygon give wrong answers or fail.
func checkArea(g orb.Geometry) error {
	switch g := g.(type) {
	case orb.Polygon:
		if len(g) == 0 {
			return fmt.Errorf("is an empty Polygon")
		}
	case orb.MultiPolygon:
		if len(g) == 0 {
			return fmt.Errorf("is an empty MultiPolygon")
		}
		for i, p := range g {
			// Simple features allow an empty member; it selects nothing.
			if len(p) == 0 {
				return fmt.Errorf("polygon %d of the MultiPolygon is empty", i+1)
			}
		}
	default:
		return fmt.Errorf("must be a Polygon or MultiPolygon, not a %s", g.GeoJSONType())
	}
	var bad error
	eachVertex(g, func(p orb.Point) {
		if bad == nil {
			bad = checkLonLat(p)
		}
	})
	if bad != nil {
		return bad
	}
	b, err := wkb.Marshal(g)
	if err != nil {
		return err
	}
	if _, err := sf.UnmarshalWKB(b); err != nil {
		return fmt.Errorf("is not a valid %s: %v", g.GeoJSONType(), err)
	}
	return nil
}

func eachVertex(g orb.Geometry, fn func(orb.Point)) {
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			for _, p := range r {
				fn(p)
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			eachVertex(p, fn)
		}
	}
}

// Map layers of screens.
const (
	DefaultMapLimit = 5000  // points of a screen's map layer by default
	MaxMapLimit     = 20000 // the most a map layer holds
)

// An EntityPoint is an entity as the map layer of a screen shows it.
type EntityPoint struct {
	USCC      USCC
	Name      string
	Kind      Kind
	Status    Status
	Industry  string
	TownCode  string
	Location  geo.WGS84
	OpenFlags int // the open flags that concern it
}

// An EntityMap is the map layer of a screen: the first located entities a
// filter selects in USCC order, and how many entities it selects.
type EntityMap struct {
	Points    []EntityPoint
	Total     int  // the entities the filter selects, located or not
	Truncated bool // more located entities than Points holds
}
