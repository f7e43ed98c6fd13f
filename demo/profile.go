package demo

// What kind of place each town is, and how much of the city it holds. These
// are the generator's assumptions, tuned to look plausible, not data.

// townClass says what a town's land is mostly used for.
type townClass int

const (
	classUrban   townClass = iota // the four sub-districts: estates, towers, shops
	classTown                     // manufacturing towns: urban villages and factories
	classWater                    // the river towns of the north-west: villages, farmland
	classTech                     // 松山湖: science park
	classPort                     // 东莞港: port and industry
	classEco                      // 生态园: wetland park, little building
	classNewZone                  // 滨海湾: new district
)

// townWeights is each town's share of the city's doorplates, roughly in
// proportion to its resident population (seventh census, in ten thousands),
// and its class.
var townWeights = map[string]struct {
	weight float64
	class  townClass
}{
	"441900003": {60, classUrban},  // 东城
	"441900004": {34, classUrban},  // 南城
	"441900005": {30, classUrban},  // 万江
	"441900006": {17, classUrban},  // 莞城
	"441900101": {26, classWater},  // 石碣
	"441900102": {15, classTown},   // 石龙
	"441900103": {17, classTown},   // 茶山
	"441900104": {22, classTown},   // 石排
	"441900105": {16, classTown},   // 企石
	"441900106": {21, classTown},   // 横沥
	"441900107": {18, classTown},   // 桥头
	"441900108": {11, classTown},   // 谢岗
	"441900109": {18, classTown},   // 东坑
	"441900110": {41, classTown},   // 常平
	"441900111": {43, classTown},   // 寮步
	"441900112": {13, classTown},   // 樟木头
	"441900113": {37, classTown},   // 大朗
	"441900114": {27, classTown},   // 黄江
	"441900115": {32, classTown},   // 清溪
	"441900116": {50, classTown},   // 塘厦
	"441900117": {38, classTown},   // 凤岗
	"441900118": {30, classTown},   // 大岭山
	"441900119": {66, classTown},   // 长安
	"441900121": {64, classTown},   // 虎门
	"441900122": {44, classTown},   // 厚街
	"441900123": {18, classWater},  // 沙田
	"441900124": {14, classWater},  // 道滘
	"441900125": {6, classWater},   // 洪梅
	"441900126": {13, classWater},  // 麻涌
	"441900127": {9, classWater},   // 望牛墩
	"441900128": {16, classWater},  // 中堂
	"441900129": {22, classWater},  // 高埗
	"441900401": {11, classTech},   // 松山湖
	"441900402": {3, classPort},    // 东莞港
	"441900403": {3, classEco},     // 东莞生态园
	"441900404": {6, classNewZone}, // 东莞滨海湾新区
}

// blockKind is what a block of the street grid is used for.
type blockKind int

const (
	blockEmpty      blockKind = iota // farmland, water, hills, parks
	blockVillage                     // urban village: 握手楼 along narrow lanes
	blockShops                       // shop houses along the streets
	blockEstate                      // residential estates (花园, 小区)
	blockCommercial                  // towers, plazas, markets
	blockIndustrial                  // factories and industrial parks
	blockTech                        // science park offices
	blockPublic                      // schools, clinics, offices of government
	numBlockKinds
)

// blockMix gives, for a class, the weights of block kinds at the town centre
// and at the edge of the town; in between they are interpolated.
var blockMix = map[townClass][2][numBlockKinds]float64{
	//                empty village shops estate commercial industrial tech public
	classUrban:   {{0, 25, 15, 22, 20, 5, 0, 13}, {5, 35, 10, 12, 5, 30, 0, 3}},
	classTown:    {{0, 32, 25, 10, 12, 11, 0, 10}, {8, 30, 5, 3, 2, 52, 0, 0}},
	classWater:   {{0, 45, 30, 6, 5, 4, 0, 10}, {25, 40, 5, 0, 0, 30, 0, 0}},
	classTech:    {{5, 0, 5, 20, 10, 15, 40, 5}, {10, 10, 0, 15, 0, 20, 40, 5}},
	classPort:    {{10, 10, 10, 0, 5, 65, 0, 0}, {20, 5, 0, 0, 0, 75, 0, 0}},
	classEco:     {{30, 30, 10, 0, 0, 10, 10, 10}, {60, 20, 0, 0, 0, 10, 10, 0}},
	classNewZone: {{0, 10, 10, 25, 15, 10, 25, 5}, {10, 15, 0, 20, 5, 25, 25, 0}},
}

// roomsPerPlot is the number of rooms behind a typical doorplate, the unit
// of plotCost.
const roomsPerPlot = 7.0

// scaleParams sizes a scale.
type scaleParams struct {
	doorplates  int     // the city's share target, in doorplates (see plotCost)
	gridsPerVil float64 // average grids per village
	expect      Totals  // what the contents came to with seed 1, for Plan
}

var scales = map[Scale]scaleParams{
	ScaleDemo: {doorplates: 30_000, gridsPerVil: 2,
		expect: Totals{Roads: 3_700, Doorplates: 26_300, Places: 1_200, Buildings: 33_400, Rooms: 247_000,
			Entities: 64_100, Inspections: 177_500, Tasks: 30_700, TaskEvents: 97_300, Leads: 3_400, LeadEvents: 11_500,
			Complaints: 6_300, Violations: 1_900, AbnormalListings: 3_400}},
	ScaleCity: {doorplates: 960_000, gridsPerVil: 5,
		expect: Totals{Roads: 30_000, Doorplates: 960_000, Places: 10_600, Buildings: 1_019_000, Rooms: 6_725_000,
			Entities: 1_995_000, Inspections: 9_680_000, Tasks: 978_000, TaskEvents: 3_125_000, Leads: 188_000,
			LeadEvents: 642_000, Complaints: 218_000, Violations: 71_700, AbnormalListings: 111_700}},
}
