package demo

import (
	"strings"

	"github.com/gridsentry/gridsentry/supervision"
)

// What market entities do and where they do it: the generator's formats of
// business (业态), each with its legal form, industry, the sites it takes,
// the words of its name and the items of its business scope. Like the rest
// of the generator these are assumptions tuned to look plausible, not data.

// site is the kind of building an entity takes.
type site int

const (
	siteHouse     site = iota // village house (握手楼): a shop below, flats above
	siteShopHouse             // shop house along a street
	siteEstate                // tower of a residential estate
	siteDorm                  // factory dormitory
	siteTower                 // office tower, science park, commercial tower
	siteMall                  // shopping plaza
	siteMarket                // market hall of stalls
	siteFactory               // factory building
	sitePublic                // school, clinic, government office
	numSites
)

// siteDensity gives, per site, the entities a building draws: a base and
// so many per room of each kind (flats and workshops; shops and stalls).
// Scaled by densityScale, they make about two entities a building.
var siteDensity = [numSites]struct{ base, flat, shop float64 }{
	siteHouse:     {0.5, 0.1, 0},
	siteShopHouse: {0.5, 0.45, 1.6},
	siteEstate:    {0.3, 0.025, 0},
	siteDorm:      {0.05, 0, 0},
	siteTower:     {1, 0.42, 0.8},
	siteMall:      {0, 0, 0.45},
	siteMarket:    {0, 0, 0.5},
	siteFactory:   {1.3, 0.12, 0},
	sitePublic:    {0.02, 0, 0},
}

// densityScale tunes the density of each scale to about two entities a
// building, the ratio of Dongguan's two million entities to its million
// buildings: the city scale has more estates and village houses.
var densityScale = map[Scale]float64{ScaleDemo: 1, ScaleCity: 1.45}

// siteKinds is, per site, the chance of an enterprise, an individual
// business and a cooperative: factories and offices hold companies, shops
// and stalls individual businesses, villages the farmers' cooperatives.
var siteKinds = [numSites][3]float64{
	siteHouse:     {0.07, 0.88, 0.05},
	siteShopHouse: {0.12, 0.88, 0},
	siteEstate:    {0.5, 0.5, 0},
	siteDorm:      {0.3, 0.7, 0},
	siteTower:     {0.85, 0.15, 0},
	siteMall:      {0.15, 0.85, 0},
	siteMarket:    {0.03, 0.97, 0},
	siteFactory:   {0.76, 0.22, 0.02},
	sitePublic:    {0.5, 0.5, 0},
}

var entityKinds = [3]supervision.Kind{supervision.Enterprise, supervision.Individual, supervision.Cooperative}

// A format is a kind of business.
type format struct {
	kind     supervision.Kind
	industry string            // GB/T 4754-2017 section
	trades   []string          // the trade its name gives: 便利店, 五金制品
	where    [numSites]float64 // how often it takes each site
	shop     bool              // takes a shop, a stall or the ground floor
	general  []string          // scope items without a permit: two to four are drawn
	permits  []scopeItem       // scope items a department licenses
	risk     float64           // how often inspectors come, relative to others
	complain float64           // complaints, relative to others
	hazards  []hazard          // what an inspector may hand on as a lead
	penalty  []string          // what a violation record says
}

// A scopeItem is drawn into a scope with chance p, written as one of texts.
type scopeItem struct {
	p     float64
	texts []string
}

// A hazard is a lead an inspection of the format hands on, with its chance
// per inspection. dept is the competent department, or "" when the grid
// does not know and the coordinator must decide.
type hazard struct {
	p        float64
	category string
	dept     string
	note     string
}

func items(p float64, texts ...string) scopeItem { return scopeItem{p, texts} }

// The standard phrases of scopes registered since 2021.
const (
	scopeGeneralEnd = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
	scopePermitEnd  = "（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以相关部门批准文件或许可证件为准）"
	scopeOldEnd     = "（依法须经批准的项目，经相关部门批准后方可开展经营活动）"
)

var (
	hazardFire      = hazard{0.003, "消防隐患", "", "疏散通道堆放杂物，灭火器过期"}
	hazardFood      = hazard{0.006, "食品安全", "amr_food", "现场发现过期食品，索证索票不全"}
	hazardSafety    = hazard{0.004, "安全生产隐患", "emergency", "车间易燃物料堆放混乱，未设警示标志"}
	hazardEquipment = hazard{0.002, "特种设备隐患", "amr_drug", "叉车、压力容器未按期检验"}
	hazardSewage    = hazard{0.002, "环境污染", "environment", "生产废水疑似未经处理直排"}
	hazardTobacco   = hazard{0.003, "无证销售卷烟", "tobacco", "现场陈列卷烟，未见烟草专卖零售许可证"}
	hazardPrice     = hazard{0.002, "价格违法", "", "商品未明码标价"}
	hazardAdvert    = hazard{0.001, "虚假广告", "", "门店宣传用语涉嫌虚假宣传"}
)

var formats = []format{
	// Individual businesses: shops, eateries, services.
	{kind: supervision.Individual, industry: "F", trades: []string{"便利店", "士多店", "商店", "百货店", "便利超市"},
		where: [numSites]float64{siteShopHouse: 10, siteHouse: 7, siteEstate: 1, siteMall: 1, siteMarket: 1, siteDorm: 3, siteFactory: 0.3}, shop: true,
		general: []string{"日用百货销售", "文具用品零售", "日用品销售（不含危险化学品）", "五金产品零售（不含烟花爆竹、危险化学品）", "化妆品零售"},
		permits: []scopeItem{items(0.85, "食品销售（仅销售预包装食品）", "预包装食品销售", "食品经营（销售预包装食品）", "预包装食品、散装食品零售"),
			items(0.55, "烟草制品零售", "卷烟零售", "卷烟、雪茄烟零售")},
		risk: 1.1, complain: 1.5, hazards: []hazard{hazardFood, hazardTobacco, hazardFire, hazardPrice},
		penalty: []string{"销售超过保质期的食品", "未取得烟草专卖零售许可证经营卷烟", "商品未明码标价"}},
	{kind: supervision.Individual, industry: "H", trades: []string{"餐馆", "饭店", "小吃店", "粉面店", "烧腊店", "快餐店", "大排档", "早餐店"},
		where: [numSites]float64{siteShopHouse: 10, siteHouse: 5, siteMall: 4, siteMarket: 2, siteFactory: 0.5, siteDorm: 1}, shop: true,
		general: []string{"食用农产品零售", "外卖递送服务"},
		permits: []scopeItem{items(0.95, "餐饮服务", "小型餐饮", "餐饮服务（不含凉菜、生食）", "小吃服务", "中型餐饮"),
			items(0.25, "食品销售（仅销售预包装食品）", "预包装食品销售"), items(0.1, "卷烟零售")},
		risk: 1.5, complain: 5, hazards: []hazard{hazardFood, hazardFood, hazardFire},
		penalty: []string{"未取得食品经营许可从事餐饮服务", "从业人员未取得健康证明", "餐饮具未经消毒"}},
	{kind: supervision.Individual, industry: "H", trades: []string{"奶茶店", "饮品店", "甜品店", "茶饮店"},
		where: [numSites]float64{siteShopHouse: 3, siteMall: 4, siteHouse: 1}, shop: true,
		general: []string{"日用百货销售", "外卖递送服务"},
		permits: []scopeItem{items(0.95, "饮品店", "饮品制售", "冷热饮品制售", "餐饮服务（饮品店）")},
		risk:    1.3, complain: 3, hazards: []hazard{hazardFood},
		penalty: []string{"使用超过保质期的食品原料", "从业人员未取得健康证明"}},
	{kind: supervision.Individual, industry: "F", trades: []string{"服装店", "鞋店", "服饰店", "时装店"},
		where: [numSites]float64{siteShopHouse: 4, siteMall: 6, siteMarket: 4, siteHouse: 1}, shop: true,
		general: []string{"服装服饰零售", "鞋帽零售", "针纺织品销售", "箱包销售", "服装服饰批发"},
		risk:    0.8, complain: 1.5, hazards: []hazard{hazardPrice, hazardAdvert},
		penalty: []string{"销售不合格服装", "商品未明码标价"}},
	{kind: supervision.Individual, industry: "F", trades: []string{"五金店", "建材店", "五金商行", "水电材料店", "五金交电店"},
		where: [numSites]float64{siteShopHouse: 5, siteHouse: 2, siteMarket: 3, siteFactory: 1}, shop: true,
		general: []string{"五金产品零售（不含危险化学品）", "建筑材料销售", "电线、电缆经营", "五金产品批发", "涂料销售（不含危险化学品）", "除烟花爆竹外的日用百货销售"},
		permits: []scopeItem{items(0.06, "危险化学品经营"), items(0.04, "烟花爆竹零售")},
		risk:    0.9, complain: 0.8, hazards: []hazard{hazardFire},
		penalty: []string{"销售不合格电线电缆", "未取得危险化学品经营许可证经营危险化学品"}},
	{kind: supervision.Individual, industry: "F", trades: []string{"手机店", "通讯店", "电器店", "数码店"},
		where: [numSites]float64{siteShopHouse: 3, siteMall: 3, siteHouse: 1}, shop: true,
		general: []string{"通讯设备销售", "电子产品销售", "通信设备修理", "家用电器销售", "计算机软硬件及辅助设备零售"},
		risk:    0.8, complain: 2, hazards: []hazard{hazardPrice, hazardAdvert},
		penalty: []string{"销售翻新手机未如实告知", "商品未明码标价"}},
	{kind: supervision.Individual, industry: "F", trades: []string{"水果店", "蔬菜档", "肉档", "生鲜店", "粮油店", "海鲜档"},
		where: [numSites]float64{siteMarket: 12, siteShopHouse: 2, siteHouse: 1}, shop: true,
		general: []string{"食用农产品零售", "水果零售", "新鲜蔬菜零售", "鲜肉零售", "水产品零售"},
		permits: []scopeItem{items(0.3, "食品销售（仅销售预包装食品）", "预包装食品销售", "散装食品销售")},
		risk:    1.2, complain: 2, hazards: []hazard{hazardFood, hazard{0.003, "计量违法", "", "电子秤疑似作弊"}},
		penalty: []string{"销售未经检疫的肉类", "使用不合格计量器具"}},
	{kind: supervision.Individual, industry: "O", trades: []string{"理发店", "美发店", "美容店", "美甲店", "发型设计室"},
		where: [numSites]float64{siteShopHouse: 5, siteHouse: 3, siteMall: 2, siteEstate: 0.5}, shop: true,
		general: []string{"美容服务（不含医疗美容）", "化妆品零售", "养生保健服务（非医疗）", "理发服务"},
		permits: []scopeItem{items(0.7, "美容美发服务", "美容美发")},
		risk:    1.1, complain: 3, hazards: []hazard{hazard{0.004, "非法医疗美容", "health", "现场疑似开展注射类医疗美容项目"}, hazardAdvert},
		penalty: []string{"预付卡经营未依法备案", "未取得公共场所卫生许可证经营"}},
	{kind: supervision.Individual, industry: "O", trades: []string{"汽车维修店", "摩托车维修店", "汽车修理厂", "轮胎店", "汽车美容店"},
		where: [numSites]float64{siteShopHouse: 3, siteHouse: 1, siteFactory: 1}, shop: true,
		general: []string{"汽车零配件零售", "摩托车及零配件零售", "汽车装饰用品销售", "洗车服务"},
		permits: []scopeItem{items(0.75, "机动车维修", "机动车维修经营", "摩托车维修")},
		risk:    1.1, complain: 2, hazards: []hazard{hazardFire, hazardSewage},
		penalty: []string{"未取得机动车维修经营备案从事维修", "使用假冒配件"}},
	{kind: supervision.Individual, industry: "O", trades: []string{"家电维修部", "洗衣店", "家政服务部", "开锁店", "干洗店"},
		where: [numSites]float64{siteShopHouse: 2, siteHouse: 2, siteEstate: 1}, shop: true,
		general: []string{"日用电器修理", "家用电器销售", "洗烫服务", "家政服务", "开锁服务", "日用百货销售"},
		risk:    0.8, complain: 1.5, hazards: []hazard{hazardPrice},
		penalty: []string{"收费未明码标价"}},
	{kind: supervision.Individual, industry: "F", trades: []string{"电子商务商行", "网店", "贸易商行", "电子商务经营部"},
		where:   [numSites]float64{siteEstate: 6, siteHouse: 4, siteTower: 1.5, siteDorm: 1},
		general: []string{"互联网销售（除销售需要许可的商品）", "日用百货销售", "服装服饰零售", "电子产品销售", "化妆品零售"},
		permits: []scopeItem{items(0.15, "食品互联网销售（仅销售预包装食品）", "预包装食品销售")},
		risk:    0.5, complain: 1.5, hazards: []hazard{hazardAdvert},
		penalty: []string{"网络交易未公示营业执照信息"}},
	{kind: supervision.Individual, industry: "F", trades: []string{"大药房", "药店", "医药商店"},
		where: [numSites]float64{siteShopHouse: 1.5, siteHouse: 0.5, siteMall: 0.3}, shop: true,
		general: []string{"第一类医疗器械销售", "保健食品（预包装）销售", "化妆品零售", "日用品销售"},
		permits: []scopeItem{items(0.95, "药品零售", "药品零售（不含中药饮片）"), items(0.7, "第二类医疗器械销售", "医疗器械经营")},
		risk:    1.4, complain: 1.5, hazards: []hazard{hazard{0.005, "药品质量", "amr_drug", "处方药未凭处方销售"}},
		penalty: []string{"处方药未凭处方销售", "执业药师不在岗销售处方药"}},
	{kind: supervision.Individual, industry: "Q", trades: []string{"诊所", "中医诊所", "口腔诊所", "门诊部"},
		where: [numSites]float64{siteShopHouse: 0.6, siteHouse: 0.3}, shop: true,
		general: []string{"健康咨询服务（不含诊疗服务）"},
		permits: []scopeItem{items(0.9, "诊所服务", "医疗服务", "门诊服务")},
		risk:    1.3, complain: 2, hazards: []hazard{hazard{0.004, "非法行医", "health", "执业人员资质存疑"}},
		penalty: []string{"超出登记范围开展诊疗活动"}},
	{kind: supervision.Individual, industry: "F", trades: []string{"废品回收站", "回收站", "再生资源回收点"},
		where: [numSites]float64{siteHouse: 1.5, siteFactory: 1}, shop: true,
		general: []string{"废旧物资回收（不含危险废物）", "再生资源销售", "金属废料和碎屑加工处理"},
		permits: []scopeItem{items(0.8, "再生资源回收（除生产性废旧金属）", "生产性废旧金属回收", "再生资源回收")},
		risk:    1.2, complain: 1, hazards: []hazard{hazardFire, hazardSewage},
		penalty: []string{"收购来源不明的生产性废旧金属"}},
	{kind: supervision.Individual, industry: "C", trades: []string{"五金加工店", "制衣厂", "模具加工部", "木器加工厂", "印花加工部"},
		where: [numSites]float64{siteFactory: 3, siteHouse: 1.5}, shop: true,
		general: []string{"五金加工", "服装加工", "模具加工", "木制品加工", "丝印加工"},
		permits: []scopeItem{items(0.05, "包装装潢印刷品印刷")},
		risk:    1.0, complain: 0.8, hazards: []hazard{hazardSafety, hazardFire, hazardSewage},
		penalty: []string{"生产场所未落实安全生产措施"}},
	{kind: supervision.Individual, industry: "H", trades: []string{"旅馆", "旅店", "招待所", "公寓"},
		where: [numSites]float64{siteHouse: 1, siteShopHouse: 1}, shop: true,
		general: []string{"日用百货销售", "停车场服务"},
		permits: []scopeItem{items(0.95, "住宿服务", "旅馆业", "住宿服务（旅业）")},
		risk:    1.4, complain: 2, hazards: []hazard{hazard{0.006, "住宿登记不规范", "police", "未按规定登记旅客身份信息"}, hazardFire},
		penalty: []string{"未取得特种行业许可证经营旅馆"}},
	{kind: supervision.Individual, industry: "F", trades: []string{"烟酒商行", "茶行", "烟酒店", "茶叶店"},
		where: [numSites]float64{siteShopHouse: 2, siteMall: 1, siteHouse: 0.5}, shop: true,
		general: []string{"茶具销售", "工艺美术品及收藏品零售（象牙及其制品除外）", "日用百货销售"},
		permits: []scopeItem{items(0.8, "烟草制品零售", "卷烟零售", "雪茄烟零售"), items(0.8, "食品销售（仅销售预包装食品）", "预包装食品销售", "酒类经营")},
		risk:    1.0, complain: 1, hazards: []hazard{hazardTobacco, hazard{0.002, "假冒伪劣", "", "疑似销售假冒名酒"}},
		penalty: []string{"销售假冒注册商标的商品"}},
	{kind: supervision.Individual, industry: "C", trades: []string{"图文快印店", "广告制作部", "打印店"},
		where: [numSites]float64{siteShopHouse: 1, siteHouse: 0.5, siteTower: 0.3}, shop: true,
		general: []string{"图文设计制作", "广告制作", "打字复印", "办公用品销售"},
		permits: []scopeItem{items(0.4, "其他印刷品印刷", "包装装潢印刷品印刷", "出版物零售")},
		risk:    0.8, complain: 0.5, hazards: []hazard{hazardAdvert},
		penalty: []string{"未取得印刷经营许可证承印印刷品"}},
	{kind: supervision.Individual, industry: "G", trades: []string{"快递驿站", "快递代收点", "物流服务部"},
		where: [numSites]float64{siteShopHouse: 1, siteHouse: 1, siteEstate: 0.5}, shop: true,
		general: []string{"快递服务（代收代派）", "装卸搬运", "国内货物运输代理"},
		risk:    0.7, complain: 1.5, hazards: []hazard{hazardFire},
		penalty: []string{"未按规定公示营业执照"}},
	{kind: supervision.Individual, industry: "F", trades: []string{"燃气供应站", "煤气站", "液化气店"},
		where: [numSites]float64{siteHouse: 0.3, siteShopHouse: 0.3}, shop: true,
		general: []string{"燃气器具零售", "厨具卫具及日用杂品零售"},
		permits: []scopeItem{items(0.9, "瓶装燃气经营", "瓶装燃气零售")},
		risk:    1.6, complain: 1, hazards: []hazard{hazard{0.01, "燃气安全隐患", "urban", "违规存放液化石油气钢瓶"}},
		penalty: []string{"未取得燃气经营许可证经营瓶装燃气"}},
	{kind: supervision.Individual, industry: "R", trades: []string{"棋牌室", "网吧", "桌球室", "游戏厅", "KTV"},
		where: [numSites]float64{siteShopHouse: 1, siteHouse: 0.4, siteMall: 0.5}, shop: true,
		general: []string{"棋牌室服务", "台球服务", "饮料零售"},
		permits: []scopeItem{items(0.55, "互联网上网服务", "歌舞娱乐活动", "游艺娱乐活动", "电子游艺")},
		risk:    1.5, complain: 3, hazards: []hazard{hazard{0.006, "违规经营娱乐场所", "culture", "接纳未成年人进入"}, hazardFire},
		penalty: []string{"未取得娱乐经营许可证从事娱乐活动"}},
	{kind: supervision.Individual, industry: "L", trades: []string{"地产代理部", "房产中介", "置业顾问部"},
		where: [numSites]float64{siteShopHouse: 1, siteMall: 0.3}, shop: true,
		general: []string{"住房租赁", "信息咨询服务（不含许可类信息咨询服务）"},
		permits: []scopeItem{items(0.8, "房地产经纪", "房地产经纪服务")},
		risk:    0.8, complain: 2.5, hazards: []hazard{hazardAdvert},
		penalty: []string{"未在经营场所公示服务项目和收费标准"}},
	{kind: supervision.Individual, industry: "F", trades: []string{"书店", "文具店", "书报亭"},
		where: [numSites]float64{siteShopHouse: 0.7, siteMall: 0.3}, shop: true,
		general: []string{"文具用品零售", "办公用品销售", "玩具销售"},
		permits: []scopeItem{items(0.7, "出版物零售", "图书、报刊零售")},
		risk:    0.7, complain: 0.5, penalty: []string{"销售非法出版物"}},
	{kind: supervision.Individual, industry: "P", trades: []string{"托管中心", "艺术培训室", "辅导中心"},
		where: [numSites]float64{siteShopHouse: 0.6, siteEstate: 0.4, siteHouse: 0.3}, shop: true,
		general: []string{"教育咨询服务（不含涉许可审批的教育培训活动）", "课外托管服务（不含学科培训）", "文艺培训（不含学科培训）"},
		permits: []scopeItem{items(0.15, "学科培训"), items(0.1, "托育服务")},
		risk:    1.2, complain: 4, hazards: []hazard{hazard{0.006, "违规学科培训", "education", "疑似违规开展学科类培训"}},
		penalty: []string{"预收费超出规定期限"}},

	// Enterprises: factories, traders, offices.
	{kind: supervision.Enterprise, industry: "C", trades: []string{"五金制品", "塑胶制品", "电子科技", "精密模具", "家具", "服装", "鞋业", "机械设备", "光电科技", "智能科技", "电线电缆", "玩具", "纸品", "新材料科技", "精密五金", "实业"},
		where:   [numSites]float64{siteFactory: 20, siteHouse: 0.3, siteTower: 0.5, siteShopHouse: 0.2},
		general: []string{"五金产品制造", "塑料制品制造", "电子元器件制造", "模具制造", "家具制造", "服装制造", "鞋制造", "通用设备制造（不含特种设备制造）", "货物进出口", "技术进出口", "金属表面处理及热处理加工（不含电镀）", "玩具制造", "纸制品制造", "电子产品销售"},
		permits: []scopeItem{items(0.06, "特种设备制造", "特种设备安装改造修理"), items(0.04, "危险化学品经营"), items(0.03, "危险废物经营"), items(0.03, "排污许可"), items(0.05, "包装装潢印刷品印刷")},
		risk:    0.9, complain: 0.3, hazards: []hazard{hazardSafety, hazardEquipment, hazardSewage, hazardFire},
		penalty: []string{"生产销售不合格产品", "未依法取得排污许可排放污染物", "特种设备未经定期检验继续使用"}},
	{kind: supervision.Enterprise, industry: "C", trades: []string{"印刷", "包装制品", "彩印包装", "纸品包装"},
		where:   [numSites]float64{siteFactory: 2},
		general: []string{"纸制品制造", "包装服务", "纸和纸板容器制造", "塑料包装箱及容器制造"},
		permits: []scopeItem{items(0.85, "包装装潢印刷品印刷", "印刷品装订服务", "其他印刷品印刷")},
		risk:    0.9, complain: 0.3, hazards: []hazard{hazardSafety, hazardFire},
		penalty: []string{"未取得印刷经营许可证从事印刷经营活动"}},
	{kind: supervision.Enterprise, industry: "F", trades: []string{"贸易", "商贸", "实业", "供应链管理", "进出口"},
		where:   [numSites]float64{siteTower: 8, siteEstate: 3, siteShopHouse: 2, siteHouse: 1, siteFactory: 2},
		general: []string{"日用百货销售", "五金产品批发", "电子产品销售", "货物进出口", "针纺织品及原料销售", "化工产品销售（不含许可类化工产品）", "供应链管理服务", "国内贸易代理", "塑料制品销售"},
		permits: []scopeItem{items(0.12, "食品销售", "预包装食品销售"), items(0.03, "危险化学品经营")},
		risk:    0.6, complain: 0.5, hazards: []hazard{hazardAdvert},
		penalty: []string{"未按规定公示年度报告", "虚假宣传"}},
	{kind: supervision.Enterprise, industry: "F", trades: []string{"食品", "食品贸易", "粮油", "农产品"},
		where:   [numSites]float64{siteTower: 1.5, siteShopHouse: 1, siteFactory: 1},
		general: []string{"食用农产品批发", "食用农产品零售", "农副产品销售"},
		permits: []scopeItem{items(0.9, "食品销售", "食品经营", "预包装食品销售", "散装食品批发"), items(0.15, "食品生产")},
		risk:    1.1, complain: 1, hazards: []hazard{hazardFood},
		penalty: []string{"经营标签不符合规定的预包装食品"}},
	{kind: supervision.Enterprise, industry: "F", trades: []string{"化工", "新材料", "石油化工", "能源"},
		where:   [numSites]float64{siteTower: 1, siteFactory: 1},
		general: []string{"化工产品销售（不含许可类化工产品）", "专用化学产品销售（不含危险化学品）", "塑料制品销售", "润滑油销售"},
		permits: []scopeItem{items(0.4, "危险化学品经营"), items(0.15, "成品油批发（限危险化学品）", "成品油零售")},
		risk:    1.2, complain: 0.3, hazards: []hazard{hazardSafety},
		penalty: []string{"未取得危险化学品经营许可证经营危险化学品"}},
	{kind: supervision.Enterprise, industry: "I", trades: []string{"信息科技", "网络科技", "软件", "数据科技", "智能科技"},
		where:   [numSites]float64{siteTower: 6, siteEstate: 1},
		general: []string{"软件开发", "信息技术咨询服务", "信息系统集成服务", "网络技术服务", "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广", "数据处理和存储支持服务"},
		risk:    0.5, complain: 0.3, penalty: []string{"未按规定公示即时信息"}},
	{kind: supervision.Enterprise, industry: "L", trades: []string{"商务咨询", "企业管理", "投资咨询", "管理咨询", "商务服务"},
		where:   [numSites]float64{siteTower: 5, siteEstate: 2, siteShopHouse: 0.5},
		general: []string{"企业管理咨询", "信息咨询服务（不含许可类信息咨询服务）", "市场营销策划", "会议及展览服务", "财务咨询", "商务代理代办服务"},
		risk:    0.5, complain: 0.5, hazards: []hazard{hazardAdvert},
		penalty: []string{"未按规定公示年度报告"}},
	{kind: supervision.Enterprise, industry: "L", trades: []string{"人力资源", "劳务派遣", "人力资源管理"},
		where:   [numSites]float64{siteTower: 1.5, siteShopHouse: 0.5},
		general: []string{"人力资源服务（不含职业中介活动、劳务派遣服务）", "劳务服务（不含劳务派遣）", "企业管理咨询"},
		permits: []scopeItem{items(0.6, "劳务派遣服务", "职业中介活动")},
		risk:    0.8, complain: 2, hazards: []hazard{hazard{0.005, "违规职业中介", "hrss", "收取求职者押金"}},
		penalty: []string{"未取得人力资源服务许可从事职业中介活动"}},
	{kind: supervision.Enterprise, industry: "G", trades: []string{"物流", "供应链", "运输", "货运代理"},
		where:   [numSites]float64{siteFactory: 2, siteTower: 1},
		general: []string{"普通货物仓储服务（不含危险化学品等需许可审批的项目）", "国内货物运输代理", "装卸搬运", "国际货物运输代理"},
		permits: []scopeItem{items(0.5, "道路货物运输（不含危险货物）", "道路货运经营", "道路普通货物运输")},
		risk:    0.8, complain: 0.5, hazards: []hazard{hazardFire, hazardSafety},
		penalty: []string{"未取得道路运输经营许可从事货运经营"}},
	{kind: supervision.Enterprise, industry: "E", trades: []string{"建筑工程", "装饰工程", "建设工程", "机电工程"},
		where:   [numSites]float64{siteTower: 1.5, siteShopHouse: 1, siteEstate: 0.5},
		general: []string{"住宅室内装饰装修", "建筑装饰材料销售", "园林绿化工程施工", "土石方工程施工"},
		permits: []scopeItem{items(0.6, "建设工程施工", "建筑施工", "房屋建筑和市政基础设施项目工程总承包")},
		risk:    0.7, complain: 1, hazards: []hazard{hazardSafety},
		penalty: []string{"超越资质等级承揽工程"}},
	{kind: supervision.Enterprise, industry: "K", trades: []string{"房地产", "物业管理", "置业", "房地产经纪"},
		where:   [numSites]float64{siteTower: 1.5, siteEstate: 1, siteShopHouse: 0.5},
		general: []string{"物业管理", "停车场服务", "住房租赁", "非居住房地产租赁"},
		permits: []scopeItem{items(0.4, "房地产经纪", "房地产开发经营")},
		risk:    0.6, complain: 2, penalty: []string{"发布虚假房源信息"}},
	{kind: supervision.Enterprise, industry: "H", trades: []string{"餐饮管理", "餐饮", "酒店管理", "饮食"},
		where:   [numSites]float64{siteTower: 1, siteShopHouse: 1, siteMall: 1, siteFactory: 0.5},
		general: []string{"餐饮管理", "酒店管理", "企业管理咨询"},
		permits: []scopeItem{items(0.85, "餐饮服务", "食品销售"), items(0.3, "住宿服务"), items(0.1, "酒类经营")},
		risk:    1.4, complain: 4, hazards: []hazard{hazardFood, hazardFire},
		penalty: []string{"未按规定进行食品安全自查", "餐饮具未经消毒"}},
	{kind: supervision.Enterprise, industry: "P", trades: []string{"教育科技", "教育咨询", "职业培训", "文化培训"},
		where:   [numSites]float64{siteTower: 1, siteShopHouse: 0.8, siteMall: 0.5},
		general: []string{"教育咨询服务（不含涉许可审批的教育培训活动）", "文艺培训（不含学科培训）", "体育培训（不含学科培训）"},
		permits: []scopeItem{items(0.25, "职业技能培训"), items(0.1, "学科培训", "托育服务")},
		risk:    1.2, complain: 4, hazards: []hazard{hazard{0.006, "违规学科培训", "education", "疑似违规开展学科类培训"}},
		penalty: []string{"发布虚假培训广告"}},
	{kind: supervision.Enterprise, industry: "F", trades: []string{"医疗器械", "医药", "生物科技", "健康科技"},
		where:   [numSites]float64{siteTower: 0.7, siteShopHouse: 0.3},
		general: []string{"第一类医疗器械销售", "保健食品（预包装）销售", "健康咨询服务（不含诊疗服务）"},
		permits: []scopeItem{items(0.8, "第二类医疗器械销售", "第三类医疗器械经营"), items(0.3, "药品批发", "药品零售")},
		risk:    1.0, complain: 1, hazards: []hazard{hazard{0.003, "医疗器械违规", "amr_drug", "经营无注册证的医疗器械"}},
		penalty: []string{"经营无合格证明文件的医疗器械"}},
	{kind: supervision.Enterprise, industry: "R", trades: []string{"文化传媒", "广告", "文化传播", "影视"},
		where:   [numSites]float64{siteTower: 1.5, siteEstate: 0.3},
		general: []string{"广告设计、代理", "组织文化艺术交流活动", "会议及展览服务", "摄影扩印服务"},
		permits: []scopeItem{items(0.2, "营业性演出", "演出经纪"), items(0.1, "出版物零售")},
		risk:    0.6, complain: 0.8, hazards: []hazard{hazardAdvert},
		penalty: []string{"发布违法广告"}},
	{kind: supervision.Enterprise, industry: "N", trades: []string{"环保科技", "环境工程", "环境技术"},
		where:   [numSites]float64{siteFactory: 0.3, siteTower: 0.3},
		general: []string{"污水处理及其再生利用", "环境保护专用设备销售", "固体废物治理"},
		permits: []scopeItem{items(0.5, "危险废物经营", "危险废物收集")},
		risk:    1.0, complain: 0.5, hazards: []hazard{hazardSewage},
		penalty: []string{"未按规定贮存危险废物"}},
	{kind: supervision.Enterprise, industry: "Q", trades: []string{"养老服务", "健康管理", "托育服务"},
		where:   [numSites]float64{siteEstate: 0.3, siteShopHouse: 0.2},
		general: []string{"健康咨询服务（不含诊疗服务）", "家政服务"},
		permits: []scopeItem{items(0.6, "养老服务", "居家养老服务"), items(0.3, "托育服务")},
		risk:    1.2, complain: 2, penalty: []string{"未按规定公示收费标准"}},
	{kind: supervision.Enterprise, industry: "O", trades: []string{"保安服务", "物业服务", "清洁服务"},
		where:   [numSites]float64{siteTower: 0.4},
		general: []string{"专业保洁、清洗、消毒服务", "家政服务", "安全咨询服务"},
		permits: []scopeItem{items(0.5, "保安服务")},
		risk:    0.8, complain: 1, penalty: []string{"未按规定公示年度报告"}},
	{kind: supervision.Enterprise, industry: "F", trades: []string{"汽车销售服务", "汽车贸易", "汽车服务"},
		where:   [numSites]float64{siteShopHouse: 0.5, siteFactory: 0.5},
		general: []string{"汽车新车销售", "二手车经销", "汽车零配件零售"},
		permits: []scopeItem{items(0.6, "机动车维修", "机动车检验检测服务")},
		risk:    0.9, complain: 3, penalty: []string{"销售不符合安全标准的汽车配件"}},
	{kind: supervision.Enterprise, industry: "M", trades: []string{"检测技术", "设计", "工程技术", "技术服务"},
		where:   [numSites]float64{siteTower: 1.2, siteFactory: 0.3},
		general: []string{"工程和技术研究和试验发展", "专业设计服务", "工业设计服务", "检验检测服务"},
		permits: []scopeItem{items(0.1, "特种设备检验检测")},
		risk:    0.5, complain: 0.3, penalty: []string{"未按规定公示年度报告"}},

	// Farmers' cooperatives.
	{kind: supervision.Cooperative, industry: "A", trades: []string{"蔬菜", "荔枝", "香蕉", "花卉", "水产养殖", "莞香", "果蔬"},
		where:   [numSites]float64{siteHouse: 10, siteFactory: 1, siteShopHouse: 0.5},
		general: []string{"组织收购、销售成员种植的农产品", "组织采购、供应成员所需的农业生产资料", "开展与农业生产经营有关的技术培训、技术交流和信息咨询服务", "蔬菜种植", "水果种植", "花卉种植"},
		permits: []scopeItem{items(0.15, "农药零售", "农药经营"), items(0.1, "农作物种子经营", "种子经营")},
		risk:    0.6, complain: 0.2, penalty: []string{"未按规定报送年度报告"}},
}

// fallbackFormat is, per kind, the format of an entity whose site takes no
// format of its kind.
var fallbackFormat = func() map[supervision.Kind]int {
	m := map[supervision.Kind]int{}
	for i, f := range formats {
		if _, ok := m[f.kind]; !ok && (f.kind != supervision.Individual || strings.Contains(f.trades[0], "电子商务")) {
			m[f.kind] = i
		}
	}
	return m
}()

// Words of names.
var (
	tradeNameChars = []rune("鸿宏金银华盛兴隆顺发达利恒信佳美富源丰泰昌荣瑞祥福乐安康新创益通宇鑫森辉耀星晨朗嘉骏腾凯旺裕亿万和协联合众诚卓越博弘锦川")
	surnames       = []string{"陈", "李", "黄", "张", "王", "刘", "林", "梁", "吴", "何", "罗", "叶", "郑", "邓", "周", "杨", "钟", "谢", "蔡", "袁", "卢", "莫", "曾", "彭", "徐", "赖", "朱", "胡", "苏", "邱", "温", "冯", "方", "麦", "卢", "袁", "祁", "尹"}
	surnameWeights = []float64{12, 8, 8, 7, 6, 6, 5, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0.3, 0.3}
	givenChars     = []rune("伟强敏静丽军杰娟涛明超勇艳华平刚辉芳玲燕斌波霞鹏峰建国志文俊红梅英健亮林新海荣浩宇欣婷雪琳晓嘉锦振永佳子怡思泽凯梓家秀兰桂春金玉凤德")
	// idRegions are the first six digits of identity numbers: Dongguan
	// and the home counties of many of its migrants.
	idRegions = []string{"441900", "441900", "441900", "445281", "441581", "441523", "440882", "441621", "445221",
		"430524", "430922", "431023", "431281", "511321", "513030", "412726", "413026", "362430", "360731",
		"452130", "450881", "421127", "522121", "350583"}
	phonePrefixes = []string{"130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
		"153", "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "183", "185", "186",
		"187", "188", "189", "191", "195", "198", "199"}
)
