package demo

import (
	"math/rand/v2"
	"strings"
)

// Word lists for the names the generator makes up. They follow the patterns
// of Dongguan's streets and places (鸿福路, 东城大道, 同沙新村一巷, 汇峰大厦,
// 长安工业区), without claiming that any such place exists where it is put.

var roadStems = strings.Fields(`
鸿福 振兴 环城 新安 同沙 龙泉 石龙 沿河 莞太 莞长 莞樟 莞龙 银湖 旗峰 东纵 金湖
运河 八一 人民 中山 解放 育华 光明 和平 建设 胜利 创业 富民 兴业 宏图 宏远 元美
鸿禧 御景 翠园 华南 黄金 太白 教育 文化 体育 科技 民生 青年 迎宾 振华 新华 莲花
荷花 桂花 兰园 竹园 松园 柏园 金鳌 银岭 凤凰 麒麟 龙腾 濂溪 滨海 环湖 湖景 湖滨
江滨 河堤 向阳 朝阳 东阳 南阳 西岭 北岸 东湖 西湖 南湖 碧水 金龙 银龙 玉兰 丰泰
丰华 裕丰 聚富 汇丰 永安 永泰 兴隆 昌盛 繁荣 康乐 健康 幸福 安居 安泰 宝山 宝岭
银山 金山 榕树 木棉 荔枝 芙蓉 牡丹 梅园 杏园 桃园 怡景 景湖 金凤 金鸡 新城 城南
城北 城东 城西 学院 工业 商业 站前 车站 港口 码头 滨江 沿江 振安 环岛 明珠 长青
金桥 银桥 红棉 紫荆 翠竹 青云 白云 彩虹 星光 月华 日辉 东华 西华 南华 北华 中兴
兴华 兴发 兴旺 益民 利民 为民 惠民 福民 福安 福星 福海 海滨 锦绣 锦华 锦田 田园
南山 北山 东山 西山 龙山 虎山 狮山 象山 鹿鸣 鹤鸣 凤鸣 莞穗 莞深 常虎 松山 广深
`)

var roadSuffixes = []string{"路", "路", "路", "街", "大街", "东路", "西路", "南路", "北路", "一路", "二路", "三路", "中路"}

var mainRoadSuffixes = []string{"大道", "大道", "路", "大路"}

// laneAreas name the quarters of a village: the lanes of a village block are
// 同沙新村一巷, 同沙新村二巷 ...
var laneAreas = strings.Fields(`
新村 东坊 西坊 南坊 北坊 上坊 下坊 中坊 老围 新围 东区 西区 南区 北区 大街 沿河
村前 村后 岭下 塘边 井头 围仔 上围 下围 新屋 旧屋 田心 涌边 坑尾 岗头
`)

var placePrefixes = strings.Fields(`
汇峰 鸿福 金丰 国贸 华凯 宏远 新世纪 银丰 东湖 盈峰 嘉华 环球 财富 星河 民盈 金域
碧水 翠苑 御景 君豪 富豪 丽景 华庭 锦绣 名都 金色 阳光 海德 世纪 帝豪 龙城 新城
东方 南方 海逸 丰泰 雅居 怡景 百佳 嘉荣 天安 松湖 理想 创新 智谷 数码 华南 中信
万豪 凯旋 港湾 滨江 湖畔 尚城 御园 雍景 天悦 金地 银湖 旗峰 黄旗 宝丰 兴业 恒丰
泰丰 广发 星城 金汇 聚龙 顺景 富华 永华 康华 光大 京华 长城 彩虹 钻石 翡翠 珠江
`)

var (
	estateSuffixes  = []string{"花园", "花园", "苑", "小区", "豪庭", "名苑", "雅苑", "山庄", "华府", "公馆", "家园", "新村"}
	towerSuffixes   = []string{"大厦", "大厦", "中心", "商务大厦", "国际大厦", "金融中心", "商业大厦", "大楼"}
	plazaSuffixes   = []string{"广场", "广场", "商业广场", "国际广场", "时代广场"}
	techSuffixes    = []string{"科技园", "科技园", "科技创新园", "智造园", "创新园", "软件园"}
	marketSuffixes  = []string{"市场", "农贸市场", "综合市场", "布料市场", "五金市场", "家具市场", "肉菜市场"}
	parkSuffixes    = []string{"工业区", "工业区", "工业园", "第二工业区", "第三工业区", "科技工业园", "五金工业园", "电子工业园"}
	chineseNumerals = strings.Fields("零 一 二 三 四 五 六 七 八 九 十")
)

// numeral writes n (1 to 99) in Chinese numerals: 3 → 三, 12 → 十二, 25 → 二十五.
func numeral(n int) string {
	switch {
	case n <= 10:
		return chineseNumerals[n]
	case n < 20:
		return "十" + chineseNumerals[n-10]
	case n%10 == 0:
		return chineseNumerals[n/10] + "十"
	default:
		return chineseNumerals[n/10] + "十" + chineseNumerals[n%10]
	}
}

// townStem is the town's name without 街道/镇, as used in road and place names.
func townStem(name string) string {
	switch name {
	case "东莞港":
		return "港城"
	case "东莞生态园":
		return "生态园"
	case "东莞滨海湾新区":
		return "滨海湾"
	}
	return strings.TrimSuffix(strings.TrimSuffix(name, "街道"), "镇")
}

// villageStem is the village's name without 村/社区, unless that leaves a
// single character (一村 stays 一村).
func villageStem(name string) string {
	stem, _ := splitVillageName(name)
	if len([]rune(stem)) < 2 {
		return name
	}
	return stem
}

// namer hands out names unique within a town.
type namer struct {
	used map[string]bool
	r    *rand.Rand
}

func newNamer(r *rand.Rand) *namer { return &namer{used: make(map[string]bool), r: r} }

func pick(r *rand.Rand, words []string) string { return words[r.IntN(len(words))] }

// claim reports whether name is free, and takes it if it is.
func (n *namer) claim(name string) bool {
	if n.used[name] {
		return false
	}
	n.used[name] = true
	return true
}

// unique takes the first free name that gen makes in a few tries, or else
// the first free phase(base, k) for k = 2, 3 ... (金域花园二期).
func (n *namer) unique(gen func() string, phase func(base string, k int) string) string {
	for range 12 {
		if s := gen(); n.claim(s) {
			return s
		}
	}
	base := gen()
	for k := 2; ; k++ {
		if s := phase(base, k); n.claim(s) {
			return s
		}
	}
}

func phaseSuffix(base string, k int) string {
	if k <= 99 {
		return base + numeral(k) + "期"
	}
	return base + itoa(k) + "号"
}

// roadName returns a street name such as 振兴路 or 同沙东路.
func (n *namer) roadName(main bool) string {
	suffixes := roadSuffixes
	if main {
		suffixes = mainRoadSuffixes
	}
	return n.unique(
		func() string { return pick(n.r, roadStems) + pick(n.r, suffixes) },
		func(_ string, k int) string { return pick(n.r, roadStems) + numeral(k%99+1) + "路" },
	)
}

// placeName returns the name of a named place of kind, in village v.
func (n *namer) placeName(kind, town, village string) string {
	var gen func() string
	prefix := func() string { return pick(n.r, placePrefixes) }
	switch kind {
	case "estate":
		gen = func() string { return prefix() + pick(n.r, estateSuffixes) }
	case "tower":
		gen = func() string { return prefix() + pick(n.r, towerSuffixes) }
	case "plaza":
		gen = func() string { return prefix() + pick(n.r, plazaSuffixes) }
	case "tech_park":
		gen = func() string {
			if n.r.IntN(3) == 0 {
				return town + pick(n.r, techSuffixes)
			}
			return prefix() + pick(n.r, techSuffixes)
		}
	case "market":
		gen = func() string {
			if n.r.IntN(2) == 0 {
				return village + pick(n.r, marketSuffixes)
			}
			return prefix() + pick(n.r, marketSuffixes)
		}
	default: // industrial_park
		gen = func() string {
			switch n.r.IntN(4) {
			case 0:
				return town + pick(n.r, parkSuffixes)
			case 1:
				return prefix() + pick(n.r, parkSuffixes)
			}
			return village + pick(n.r, parkSuffixes)
		}
	}
	return n.unique(gen, phaseSuffix)
}
