package addressbook

import (
	"context"
	"strconv"
	"time"

	"github.com/paulmach/orb"
)

// A Division is a town, village or grid as the divisions list shows it.
type Division struct {
	Level       string // LevelTown, LevelVillage or LevelGrid
	Code        string
	Name        string
	Kind        string // town and village kind; empty for grids
	TownCode    string // empty for towns
	VillageCode string // grids only
	Geom        orb.MultiPolygon
}

// DivisionFilter selects divisions: one level, optionally within one town.
type DivisionFilter struct {
	Level    string
	TownCode string
}

// TownDetail is a town with the size of what it holds.
type TownDetail struct {
	Town
	Villages  int
	Grids     int
	Buildings int
}

// GridDetail is a grid with its village and town names.
type GridDetail struct {
	Grid
	VillageName string
	TownName    string
	Buildings   int
}

// BuildingDetail is a building with its standard address.
type BuildingDetail struct {
	Building
	RoadName    string
	Number      int
	SubNumber   int
	PlaceName   string
	VillageName string
	TownName    string
	Rooms       int
}

// Address returns the building's standard address in full, e.g.
// 东莞市东城街道主山社区鸿福路88号之一1栋.
func (b BuildingDetail) Address() string {
	return "东莞市" + b.TownName + b.VillageName + b.RoadName + DoorNumber(b.Number, b.SubNumber) + b.Label
}

// DoorNumber writes a doorplate number the standard way: 88号, or 88号之一
// for a sub-number.
func DoorNumber(number, sub int) string {
	s := strconv.Itoa(number) + "号"
	if sub > 0 {
		s += "之" + chineseSmall(sub)
	}
	return s
}

// chineseSmall writes 1..99 in Chinese numerals (一, 十二, 二十三); other
// values in Arabic digits.
func chineseSmall(n int) string {
	digits := []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n > 0 && n < 10:
		return digits[n]
	case n >= 10 && n < 100:
		s := ""
		if n/10 > 1 {
			s = digits[n/10]
		}
		s += "十"
		if n%10 > 0 {
			s += digits[n%10]
		}
		return s
	}
	return strconv.Itoa(n)
}

// Library reads the division hierarchy and the standard address library.
// Not-found results are errors that wrap derrors.NotFound.
type Library interface {
	Divisions(ctx context.Context, f DivisionFilter) ([]Division, error)
	Town(ctx context.Context, code string) (TownDetail, error)
	Grid(ctx context.Context, code string) (GridDetail, error)
	Building(ctx context.Context, id int64) (BuildingDetail, error)
}

// CodeInfo is what the store knows of a standard address code: its kind,
// the building of a room, and whether it was retired and for what.
type CodeInfo struct {
	Code       string
	Kind       string // "doorplate" or "room"
	BuildingID int64  // rooms: the building of the current room (the successor's, when retired)
	Retired    bool
	RetiredAt  *time.Time
	Successor  string // the current code at the end of the successor chain, "" if none
	Chain      []string
}
