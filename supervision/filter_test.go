package supervision_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"github.com/gridsentry/gridsentry/supervision"
)

func TestEntityFilterValidate(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, supervision.Beijing)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	bound := func(minLon, minLat, maxLon, maxLat float64) *orb.Bound {
		return &orb.Bound{Min: orb.Point{minLon, minLat}, Max: orb.Point{maxLon, maxLat}}
	}
	square := orb.Polygon{{{113, 22}, {114, 22}, {114, 23}, {113, 23}, {113, 22}}}
	near := func(lon, lat, r float64) *supervision.Circle {
		return &supervision.Circle{Center: orb.Point{lon, lat}, RadiusM: r}
	}
	no := false
	for _, tc := range []struct {
		name  string
		f     supervision.EntityFilter
		field string // "" for valid
	}{
		{"zero", supervision.EntityFilter{}, ""},
		{"everything set", supervision.EntityFilter{TownCode: "441900003", VillageCode: "441900003001",
			GridCode: "441900003001001", BuildingID: 7, BBox: bound(113, 22, 114, 23), Within: orb.MultiPolygon{square},
			Industry: "F", Kind: supervision.Enterprise, Status: supervision.Active,
			RegisteredFrom: day("2020-01-01"), RegisteredTo: day("2020-01-01"),
			InspectedAfter: day("2023-01-01"), InspectedBefore: day("2024-01-01"),
			TaskStatus: supervision.TaskOverdue, AddressCode: "4419000030010001", LinkStatus: "matched",
			After: "91441900MA00000PPU", Limit: 1000}, ""},
		{"town of 8 digits", supervision.EntityFilter{TownCode: "44190000"}, "town"},
		{"village with a letter", supervision.EntityFilter{VillageCode: "44190000300A"}, "village"},
		{"grid of a village's length", supervision.EntityFilter{GridCode: "441900003001"}, "grid"},
		{"address of 17 digits", supervision.EntityFilter{AddressCode: "44190000300000000"}, "address_code"},
		{"negative building", supervision.EntityFilter{BuildingID: -1}, "building"},
		{"bbox latitude over 90", supervision.EntityFilter{BBox: bound(113, 22, 114, 91)}, "bbox"},
		{"bbox longitude NaN", supervision.EntityFilter{BBox: bound(math.NaN(), 22, 114, 23)}, "bbox"},
		{"bbox upside down", supervision.EntityFilter{BBox: bound(113, 23, 114, 22)}, "bbox"},
		{"point bbox", supervision.EntityFilter{BBox: bound(113, 22, 113, 22)}, ""},
		{"polygon", supervision.EntityFilter{Within: square}, ""},
		{"a line is no area", supervision.EntityFilter{Within: orb.LineString{{113, 22}, {114, 23}}}, "polygon"},
		{"empty polygon", supervision.EntityFilter{Within: orb.Polygon{}}, "polygon"},
		{"bow tie", supervision.EntityFilter{Within: orb.Polygon{{{113, 22}, {114, 23}, {114, 22}, {113, 23}, {113, 22}}}}, "polygon"},
		{"open ring", supervision.EntityFilter{Within: orb.Polygon{{{113, 22}, {114, 22}, {114, 23}, {113, 23}}}}, "polygon"},
		{"vertex out of range", supervision.EntityFilter{Within: orb.Polygon{{{113, 22}, {200, 22}, {114, 23}, {113, 22}}}}, "polygon"},
		{"unknown industry", supervision.EntityFilter{Industry: "Z"}, "industry"},
		{"unknown kind", supervision.EntityFilter{Kind: "shop"}, "kind"},
		{"unknown status", supervision.EntityFilter{Status: "open"}, "status"},
		{"registered backwards", supervision.EntityFilter{RegisteredFrom: day("2021-01-01"), RegisteredTo: day("2020-12-31")}, "registered_to"},
		{"inspected window empty", supervision.EntityFilter{InspectedAfter: day("2024-01-01"), InspectedBefore: day("2024-01-01")}, "inspected_after"},
		{"never inspected but inspected after", supervision.EntityFilter{NeverInspected: true, InspectedAfter: day("2024-01-01")}, "never_inspected"},
		{"open tasks", supervision.EntityFilter{TaskStatus: "open"}, ""},
		{"unknown task status", supervision.EntityFilter{TaskStatus: "late"}, "task_status"},
		{"unlinked", supervision.EntityFilter{LinkStatus: supervision.LinkUnlinked}, ""},
		{"unknown link status", supervision.EntityFilter{LinkStatus: "linked"}, "link_status"},
		{"cursor with a bad check character", supervision.EntityFilter{After: "91441900MA00000PP0"}, "cursor"},
		{"cursor in lower case", supervision.EntityFilter{After: "91441900ma00000ppu"}, "cursor"},
		{"negative limit", supervision.EntityFilter{Limit: -1}, "limit"},

		{"every screening criterion", supervision.EntityFilter{Near: near(113.75, 23.02, 5000),
			SameBuildingAs: "91441900MA00000PPU", SamePhoneAs: "91441900MA00000PPU", SameLegalRepAs: "91441900MA00000PPU",
			SharedPhoneMin: 2, SharedLegalRepMin: 1000, BuildingEntitiesMin: 20,
			FlagKind: supervision.FlagParties, FlagStatus: supervision.FlagConfirmed, HasOpenFlag: &no,
			InspectionOutcome: supervision.OutcomeNotFound}, ""},
		{"near radius 1 m", supervision.EntityFilter{Near: near(113.75, 23.02, 1)}, ""},
		{"near radius 0", supervision.EntityFilter{Near: near(113.75, 23.02, 0)}, "near"},
		{"near radius over 5 km", supervision.EntityFilter{Near: near(113.75, 23.02, 5000.5)}, "near"},
		{"near radius NaN", supervision.EntityFilter{Near: near(113.75, 23.02, math.NaN())}, "near"},
		{"near latitude 91", supervision.EntityFilter{Near: near(113.75, 91, 100)}, "near"},
		{"near longitude infinite", supervision.EntityFilter{Near: near(math.Inf(1), 23, 100)}, "near"},
		{"same building as a bad code", supervision.EntityFilter{SameBuildingAs: "91441900MA00000PP0"}, "same_building_as"},
		{"same phone as a code in lower case", supervision.EntityFilter{SamePhoneAs: "91441900ma00000ppu"}, "same_phone_as"},
		{"same legal rep as a short code", supervision.EntityFilter{SameLegalRepAs: "9144"}, "same_legal_rep_as"},
		{"shared phone by 1", supervision.EntityFilter{SharedPhoneMin: 1}, "shared_phone_min"},
		{"shared legal rep by 1001", supervision.EntityFilter{SharedLegalRepMin: 1001}, "shared_legal_rep_min"},
		{"building entities negative", supervision.EntityFilter{BuildingEntitiesMin: -2}, "building_entities_min"},
		{"unknown flag kind", supervision.EntityFilter{FlagKind: "fraud"}, "flag_kind"},
		{"unknown flag status", supervision.EntityFilter{FlagStatus: "closed"}, "flag_status"},
		{"flag status alone", supervision.EntityFilter{FlagStatus: supervision.FlagDismissed}, ""},
		{"open flag of a kind but no open flag", supervision.EntityFilter{FlagKind: supervision.FlagDormant, HasOpenFlag: &no}, "has_open_flag"},
		{"dismissed flag of a kind and no open flag", supervision.EntityFilter{FlagKind: supervision.FlagDormant,
			FlagStatus: supervision.FlagDismissed, HasOpenFlag: &no}, ""},
		{"unknown outcome", supervision.EntityFilter{InspectionOutcome: "absent"}, "inspection_outcome"},
		{"outcome of the never inspected", supervision.EntityFilter{InspectionOutcome: supervision.OutcomeClosed, NeverInspected: true}, "inspection_outcome"},
		{"limit over the maximum", supervision.EntityFilter{Limit: supervision.MaxEntityLimit + 1}, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f.Validate()
			var fe *supervision.FieldError
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
				t.Errorf("Validate() = %v, want an error on %s", err, tc.field)
			}
		})
	}
}

func TestEntityFilterPageSize(t *testing.T) {
	if n := (supervision.EntityFilter{}).PageSize(); n != supervision.DefaultEntityLimit {
		t.Errorf("default page size %d, want %d", n, supervision.DefaultEntityLimit)
	}
	if n := (supervision.EntityFilter{Limit: 7}).PageSize(); n != 7 {
		t.Errorf("page size %d, want 7", n)
	}
}

func TestEntityFilterFlagSelection(t *testing.T) {
	for _, tc := range []struct {
		name   string
		f      supervision.EntityFilter
		kind   supervision.FlagKind
		status supervision.FlagStatus
		ok     bool
	}{
		{"none", supervision.EntityFilter{}, "", "", false},
		{"a kind means its open flags", supervision.EntityFilter{FlagKind: supervision.FlagDormant}, supervision.FlagDormant, supervision.FlagOpen, true},
		{"a kind and a status", supervision.EntityFilter{FlagKind: supervision.FlagDormant, FlagStatus: supervision.FlagResolved},
			supervision.FlagDormant, supervision.FlagResolved, true},
		{"a status of any kind", supervision.EntityFilter{FlagStatus: supervision.FlagConfirmed}, "", supervision.FlagConfirmed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, status, ok := tc.f.FlagSelection()
			if kind != tc.kind || status != tc.status || ok != tc.ok {
				t.Errorf("FlagSelection() = %q, %q, %v; want %q, %q, %v", kind, status, ok, tc.kind, tc.status, tc.ok)
			}
		})
	}
}

// TestCircleBound checks the box of a circle: it holds the points at the
// radius on the sphere, with room for the spheroid (checked against
// PostGIS's geography in postgres.TestEntitiesNear), and is not much
// bigger than the circle.
func TestCircleBound(t *testing.T) {
	for _, c := range []supervision.Circle{
		{Center: orb.Point{113.75, 23.02}, RadiusM: 1},
		{Center: orb.Point{113.75, 23.02}, RadiusM: 5000},
		{Center: orb.Point{-70, -60}, RadiusM: 5000},
		{Center: orb.Point{0, 0}, RadiusM: 3000},
	} {
		b := c.Bound()
		for bearing := 0.0; bearing < 360; bearing += 45 {
			// The spheroid's distances differ from the sphere's by under 0.6%.
			p := orbgeo.PointAtBearingAndDistance(c.Center, bearing, c.RadiusM*1.006)
			if !b.Contains(p) {
				t.Errorf("%v: the point %v m at %v° is %v, outside the bound %v", c.Center, c.RadiusM, bearing, p, b)
			}
		}
		if h := orbgeo.Distance(orb.Point{c.Center[0], b.Min[1]}, orb.Point{c.Center[0], b.Max[1]}); h > 2*(c.RadiusM*1.02+2) {
			t.Errorf("%v: a bound %.0f m high for a radius of %v m", c.Center, h, c.RadiusM)
		}
	}
	across := supervision.Circle{Center: orb.Point{179.99, 10}, RadiusM: 5000}.Bound()
	if across.Min[0] != -180 || across.Max[0] != 180 {
		t.Errorf("a circle across the antimeridian: bound %v, want every longitude", across)
	}
}
