package supervision_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"

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
