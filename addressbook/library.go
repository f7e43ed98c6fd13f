package addressbook

import (
	"time"

	"github.com/paulmach/orb"
)

// Division levels, as used by the divisions API.
const (
	LevelTown    = "town"
	LevelVillage = "village"
	LevelGrid    = "grid"
)

// Town kinds: the town-level units of Dongguan are sub-districts, towns and
// functional zones.
const (
	TownKindSubdistrict = "街道"
	TownKindTown        = "镇"
	TownKindZone        = "功能区"
)

// Village kinds.
const (
	VillageKindVillage   = "村"
	VillageKindCommunity = "社区"
	VillageKindOther     = "其他"
)

// A Town is a town-level unit (镇/街道/功能区) with its 9-digit division code.
type Town struct {
	Code string // 9 digits, e.g. 441900003
	Name string // 东城街道
	Kind string // TownKind*
	Geom orb.MultiPolygon
}

// A Village is a village or community (村/社区) with a 12-digit code whose first
// nine digits are its town's code.
type Village struct {
	Code     string // 12 digits
	TownCode string
	Name     string
	Kind     string // VillageKind*
	Geom     orb.MultiPolygon
}

// A Grid is a management grid (网格), the unit a grid worker is responsible for.
// Its 15-digit code starts with its village's code.
type Grid struct {
	Code        string // 15 digits
	VillageCode string
	TownCode    string
	Name        string
	Geom        orb.MultiPolygon
}

// A Road is a road, street or lane (街路巷) within one town. Road names are
// unique within a town, not across the city.
type Road struct {
	Code     string // town code + 5 digits
	TownCode string
	Name     string // 鸿福路
	Geom     orb.MultiLineString
}

// Lifecycle of a standard address. A retired address keeps its code and names
// its successor, so an old code still resolves.
type Lifecycle struct {
	Version       int
	RetiredAt     *time.Time
	SuccessorCode string // empty when not retired or not replaced
}

// A Doorplate (门牌) is a road and a number, e.g. 鸿福路88号, or with a
// sub-number 88号之一 (written 88-1号).
type Doorplate struct {
	Code        string // town code + 7 digits
	RoadCode    string
	TownCode    string
	VillageCode string
	GridCode    string
	Number      int
	SubNumber   int // 0 when there is none
	Geom        orb.Point
	Lifecycle
}

// Building uses.
const (
	UseResidential = "residential"
	UseCommercial  = "commercial"
	UseOffice      = "office"
	UseIndustrial  = "industrial"
	UseMixed       = "mixed"
	UsePublic      = "public"
)

// Building statuses.
const (
	StatusExisting   = "existing"
	StatusDemolished = "demolished"
	StatusSlated     = "slated" // slated for demolition
)

// A Building (楼栋) is a footprint with its use, floors and status. It stands at
// a doorplate, may belong to a named place, and carries a label such as 1栋 or
// A座 that tells it apart from the other buildings at the same doorplate.
type Building struct {
	ID             int64
	DoorplateCode  string
	PlaceID        int64 // 0 when the building belongs to no named place
	Label          string
	Use            string // Use*
	Floors         int
	BasementFloors int
	Status         string // Status*
	TownCode       string
	VillageCode    string
	GridCode       string
	Geom           orb.Polygon
}

// A Room (户室) is a unit of a building: a flat, an office, a shop (铺位/档口)
// or a workshop floor. Floor is negative below ground and never zero.
type Room struct {
	Code       string // town code + 9 digits (18), unlike a doorplate's 16
	BuildingID int64
	Unit       string // 单元, empty when the building has none
	Floor      int
	Label      string // 301, 1501, 铺位3 ...
	Lifecycle
}

// Named place kinds.
const (
	PlaceTower          = "tower"           // 大厦
	PlaceEstate         = "estate"          // 花园, 小区, 苑
	PlaceIndustrialPark = "industrial_park" // 工业区, 工业园
	PlacePlaza          = "plaza"           // 广场
	PlaceTechPark       = "tech_park"       // 科技园
	PlaceMarket         = "market"          // 市场
)

// A Place is a named place (大厦, 花园, 工业区 ...) that people write instead of a
// road and number. It resolves to a doorplate and to its buildings.
type Place struct {
	ID            int64
	Name          string
	Kind          string // Place*
	TownCode      string
	VillageCode   string
	DoorplateCode string
	Geom          orb.Point
}
