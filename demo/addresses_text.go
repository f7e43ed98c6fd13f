package demo

import (
	"strings"
	"unicode/utf8"
)

// How an address is written: the parts of an address as a clerk types them,
// each of which the noise kinds rewrite, and the character tables behind
// the noise (numerals, traditional characters, full-width forms, typos).

// seg is a part of a written address, in the order parts are written.
type seg int

const (
	segProvince seg = iota
	segCity
	segTown
	segVillage
	segRoad
	segDoor
	segPlace
	segRemarkMid // a remark written right after the doorplate or place
	segBuilding
	segUnit
	segFloor
	segRoom
	segRemark
	numSegs
)

// label is a numbered part of an address written from a pattern: % in pat
// stands for n, or for key when the part has no number (the A of A座, the
// 301 of a flat). An empty pat leaves the part out.
type label struct {
	pat string
	n   int
	key string
	cn  bool // write n in Chinese numerals: 三栋, 一单元, 十五楼
}

func (l label) String() string {
	if l.pat == "" {
		return ""
	}
	v := l.key
	if l.n != 0 {
		if l.cn {
			v = chineseNumber(l.n)
		} else {
			v = itoa(l.n)
		}
	}
	return strings.Replace(l.pat, "%", v, 1)
}

// doorStyle is how a doorplate number is written.
type doorStyle int

const (
	doorHao       doorStyle = iota // 108号, 108号之一: the standard form
	doorDash                       // 108-1号
	doorZhiArabic                  // 108号之1
	doorArabicZhi                  // 108之1号
	doorHash                       // 108#, 108-1#
)

// door is the number of a doorplate as written; n == 0 leaves it out.
type door struct {
	n, sub int
	style  doorStyle
	cn     bool // 一百零八号
}

func (d door) String() string {
	if d.n == 0 {
		return ""
	}
	num := itoa(d.n)
	if d.cn {
		num = chineseNumber(d.n)
	}
	if d.sub == 0 {
		if d.style == doorHash {
			return num + "#"
		}
		return num + "号"
	}
	switch d.style {
	case doorDash:
		return num + "-" + itoa(d.sub) + "号"
	case doorZhiArabic:
		return num + "号之" + itoa(d.sub)
	case doorArabicZhi:
		return num + "之" + itoa(d.sub) + "号"
	case doorHash:
		return num + "-" + itoa(d.sub) + "#"
	}
	return num + "号之" + chineseNumber(d.sub)
}

// Full-width modes of an addr.
const (
	fwNone = iota
	fwAll  // the whole text: the IME was in full-width mode
	fwDoor // only the doorplate number
)

// addr is an address as written, part by part. The zero value writes
// nothing; text joins the parts.
type addr struct {
	province, city, town, village, road, place string
	door                                       door
	bldg, unit, floor, room                    label
	remark                                     string
	remarkMid                                  bool // the remark follows the doorplate or place

	seps        [numSegs]string // written before a part, unless it comes first
	lead, trail string
	trad        bool // in traditional characters
	fw          int  // fw*
}

// parts returns the written parts, indexed by seg.
func (a *addr) parts() [numSegs]string {
	var p [numSegs]string
	p[segProvince], p[segCity], p[segTown], p[segVillage] = a.province, a.city, a.town, a.village
	p[segRoad], p[segDoor], p[segPlace] = a.road, a.door.String(), a.place
	p[segBuilding], p[segUnit], p[segFloor], p[segRoom] = a.bldg.String(), a.unit.String(), a.floor.String(), a.room.String()
	if a.remarkMid {
		p[segRemarkMid] = a.remark
	} else {
		p[segRemark] = a.remark
	}
	if a.fw == fwDoor {
		p[segDoor] = fullwidth(p[segDoor])
	}
	return p
}

// digitAfterDoor reports whether the part written after the doorplate
// number starts with a digit.
func (a *addr) digitAfterDoor() bool {
	p := a.parts()
	for _, s := range p[segDoor+1:] {
		if s != "" {
			return s[0] >= '0' && s[0] <= '9'
		}
	}
	return false
}

// text writes the address.
func (a *addr) text() string {
	var b strings.Builder
	b.WriteString(a.lead)
	first := true
	for i, p := range a.parts() {
		if p == "" {
			continue
		}
		if !first {
			b.WriteString(a.seps[i])
		}
		b.WriteString(p)
		first = false
	}
	b.WriteString(a.trail)
	s := b.String()
	if a.trad {
		s = traditional(s)
	}
	if a.fw == fwAll {
		s = fullwidth(s)
	}
	return s
}

var cnDigits = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// chineseNumber writes n in Chinese numerals as people write house numbers:
// 108 → 一百零八, 110 → 一百一十, 15 → 十五, 2005 → 二千零五. Numbers from
// 10,000 stay in Arabic numerals.
func chineseNumber(n int) string {
	switch {
	case n < 0:
		return "负" + chineseNumber(-n)
	case n < 10:
		return cnDigits[n]
	case n < 20:
		if n == 10 {
			return "十"
		}
		return "十" + cnDigits[n-10]
	case n >= 10000:
		return itoa(n)
	}
	var b strings.Builder
	units := [...]string{"千", "百", "十", ""}
	started, zero := false, false
	for i, div := range [...]int{1000, 100, 10, 1} {
		d := n / div % 10
		if d == 0 {
			zero = started
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		b.WriteString(cnDigits[d])
		b.WriteString(units[i])
		started = true
	}
	return b.String()
}

// isNumeral reports whether r is a Chinese numeral of a name (八一路, 一巷).
func isNumeral(r rune) bool {
	return strings.ContainsRune("零一二三四五六七八九十百千两", r)
}

// fullwidth writes the printable ASCII of s in its full-width forms:
// 108号 → １０８号, A座 → Ａ座. Spaces stay.
func fullwidth(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r > ' ' && r < 0x7f }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f {
			return r + 0xfee0
		}
		return r
	}, s)
}

// traditional writes s in traditional characters, as far as the table
// knows them: every character of the reference names and the word lists.
func traditional(s string) string {
	return strings.Map(func(r rune) rune {
		if t, ok := toTraditional[r]; ok {
			return t
		}
		return r
	}, s)
}

// pairTable reads a string of character pairs "万萬业業..." into a map.
func pairTable(pairs string) map[rune]rune {
	m := make(map[rune]rune)
	rs := []rune(strings.Join(strings.Fields(pairs), ""))
	if len(rs)%2 != 0 {
		panic("demo: odd pair table")
	}
	for i := 0; i < len(rs); i += 2 {
		m[rs[i]] = rs[i+1]
	}
	return m
}

// toTraditional maps simplified characters to traditional ones. It covers
// the characters that differ among the town and village names, the word
// lists of names.go, the words the noise kinds write (号, 楼, 层 ...) and
// the characters typos bring in (checked against OpenCC's STCharacters).
// Where a simplified character stands for more than one traditional one,
// it maps to the one place names use (后 → 後 of 村后); characters that
// place names keep in traditional writing (涌 of 麻涌, 斗, 余, 里, 峰) stay.
var toTraditional = pairTable(`
万萬 业業 东東 严嚴 丰豐 为為 丽麗 义義 乌烏 乐樂 乡鄉 云雲 仓倉 体體 兰蘭 兴興 冈岡
农農 冲沖 凤鳳 凫鳧 凯凱 刘劉 则則 创創 务務 区區 华華 单單 卢盧 厂廠 厦廈 双雙 发發
号號 后後 吓嚇 吴吳 园園 围圍 国國 图圖 圣聖 场場 坝壩 堑塹 头頭 孙孫 学學 宁寧 宝寶
宾賓 尧堯 岗崗 岛島 岭嶺 峡峽 广廣 庄莊 庆慶 庙廟 张張 怀懷 态態 护護 数數 旧舊 时時
杨楊 栅柵 栋棟 树樹 档檔 桥橋 横橫 欧歐 汇匯 沥瀝 涡渦 渔漁 湾灣 滨濱 炉爐 炼煉 狮獅
环環 电電 码碼 禄祿 窑窯 窝窩 简簡 红紅 纪紀 纵縱 绣繡 维維 综綜 缪繆 罗羅 联聯 胜勝
腾騰 芦蘆 苏蘇 荆荊 荣榮 药藥 莲蓮 蚬蜆 设設 诸諸 谢謝 贝貝 财財 贸貿 赵趙 车車 软軟
辉輝 边邊 达達 运運 还還 远遠 连連 迳逕 邓鄧 钻鑽 铁鐵 银銀 铺鋪 锋鋒 锦錦 镇鎮 长長
门門 闸閘 阇闍 阳陽 际際 陇隴 陈陳 顺順 颜顏 风風 飞飛 饶饒 馆館 马馬 骏駿 鱼魚 鳌鰲
鸡雞 鸣鳴 鸥鷗 鸿鴻 鹅鵝 鹤鶴 麦麥 齐齊 龙龍 悦悅 温溫
层層 负負 员員 编編 对對 会會 医醫 开開 产產 册冊 注註 报報 办辦 仅僅 实實 营營 经經
处處 侧側 两兩 厅廳 样樣 织織 众眾 条條 楼樓 黄黃
乔喬 仪儀 们們 侨僑 励勵 历歷 启啓 圆圓 导導 尝嘗 弯彎 桦樺 涟漣 笼籠 纱紗 纽紐 缤繽 蓝藍
贺賀 较較 辽遼 钢鋼 钱錢 铜銅 铭銘 镁鎂 闯闖 韦韋 韵韻 领領
`)

// confusables are the characters a clerk types by mistake for a character
// of a name: homophones picked from the IME list (塘厦 → 塘夏, 道滘 → 道教,
// 高埗 → 高步) and look-alikes (石碣 → 石竭). Each line entry is a character
// followed by its confusions.
var confusables = func() map[rune][]rune {
	m := make(map[rune][]rune)
	for _, f := range strings.Fields(`
厦夏下 滘教窖 埗步埠 碣竭揭 涌甬勇 沥历力 樟章彰 岭领令 塘唐糖 岗冈钢 坑炕 凤风奉 麻马
洪宏红 梅眉枚 虎琥 寮辽僚 朗郎浪 黄簧璜 江姜 清青晴 溪西希 茶查搽 排牌 企启起 横衡恒
桥乔侨 谢榭 常长尝 平坪萍 步埠部 木目 大太 安按鞍 门们 厚后候 沙砂纱 田甜 道到稻 望旺
牛纽 墩敦礅 中钟忠 堂棠唐 高膏糕 松淞 湖胡 港岗 态太 园元圆 滨宾缤 湾弯 城成程 东冬
南楠 万方 石右 龙隆笼 鸿宏 福富 振震 兴星 环寰还 新欣心 同铜童 泉全 沿延 河和荷 太泰
银垠 旗棋琪 峰锋蜂 纵综 金今锦 运云韵 人仁 山珊 解介 放方访 育玉郁 华化桦 光广 明名铭
和禾 建健键 胜圣盛 利莉 创闯 业叶 富付 民敏 图途 宏洪 远源 元源 美镁 禧喜熹 御玉裕
景井锦 翠萃 白柏佰 教较 文纹汶 科可 技枝 青清菁 迎盈 宾滨斌 莲连涟 荷河 桂贵 花华 兰蓝澜
竹筑 柏伯 鳌敖熬 麒祺琪 麟鳞琳 腾藤滕 濂廉镰 堤提 向响 阳杨洋 朝潮 岸按案 碧壁璧 玉钰
丰峰封 泰太 裕御愈 聚巨 汇会惠 永泳咏 隆龙 昌倡 盛胜晟 荣容蓉 康慷 乐勒 幸杏辛 居局
宝保堡 榕蓉容 棉绵 荔丽励 枝芝 芙扶 蓉容榕 丹单 杏幸 桃陶 怡宜仪 鸡机 学雪 院苑 工公功
商尚 站战 前钱 码马玛 头投 岛导 珠朱株 红洪虹 紫梓 荆京晶 云芸 彩采 虹红宏 星兴 月悦越
辉晖挥 锦金 绣秀 狮师 象像 鹿禄麓 鸣明铭 鹤贺 穗遂 深森 广光 益溢 惠慧 国果 贸茂 凯恺铠
世市 纪记 盈营赢 嘉佳家 球求 财才材 域玉誉 苑院 君军均 豪毫濠 丽力莉 庭廷亭 名明铭 都督
德得 帝蒂 方芳 逸毅溢 雅亚 佳嘉家 天添 理里礼 想相 智志 谷古 数树 信讯 旋璇 畔伴泮 尚上
雍拥 悦越 恒衡 发法 顺舜 京经晶 翡菲斐 坊芳 围韦维 仔子 坭泥 陂坡波 磡勘堪 蚬现 圩于宇
`) {
		rs := []rune(f)
		m[rs[0]] = rs[1:]
	}
	return m
}()

// withinOneEdit reports whether a and b differ by at most one inserted,
// deleted or replaced character.
func withinOneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) > utf8.UTFMax {
		return false
	}
	// Skip the common prefix and suffix; what is left of each must be at
	// most one character.
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			break
		}
		a, b = a[na:], b[nb:]
	}
	for a != "" && b != "" {
		ra, na := utf8.DecodeLastRuneInString(a)
		rb, nb := utf8.DecodeLastRuneInString(b)
		if ra != rb {
			break
		}
		a, b = a[:len(a)-na], b[:len(b)-nb]
	}
	return utf8.RuneCountInString(a) <= 1 && utf8.RuneCountInString(b) <= 1
}

// Building, unit and room labels of the generator, parsed back into labels
// that the noise kinds can rewrite.

// leadingNumber splits "12号厂房" into 12 and "号厂房"; n is 0 when s does not
// start with a digit.
func leadingNumber(s string) (n int, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' && i < 6 {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, s[i:]
}

// buildingLabel parses a building label: 3栋, A座, A栋, 3号厂房, 宿舍楼.
func buildingLabel(s string) label {
	if n, rest := leadingNumber(s); n > 0 {
		return label{pat: "%" + rest, n: n}
	}
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
		return label{pat: "%" + s[1:], key: s[:1]}
	}
	return label{pat: s}
}

// buildingKey is what tells a building apart from the others at its
// doorplate however its label is written: the number of 3栋 and 3号厂房, the
// letter of A座 and A栋, or the whole label.
func buildingKey(s string) string {
	if n, _ := leadingNumber(s); n > 0 {
		return itoa(n)
	}
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
		return s[:1]
	}
	return s
}

func unitLabel(s string) label {
	if s == "" {
		return label{}
	}
	if n, rest := leadingNumber(s); n > 0 {
		return label{pat: "%" + rest, n: n}
	}
	return label{pat: s}
}

// roomKind is what a room label names.
type roomKind int

const (
	roomFlat     roomKind = iota // 301, 1501: the floor and the number on it
	roomShop                     // 铺位3
	roomStall                    // 档口12
	roomBasement                 // B101
)

func kindOfRoom(s string) roomKind {
	switch {
	case strings.HasPrefix(s, "铺位"):
		return roomShop
	case strings.HasPrefix(s, "档口"):
		return roomStall
	case strings.HasPrefix(s, "B"):
		return roomBasement
	}
	return roomFlat
}

func roomLabel(s string) label {
	switch kindOfRoom(s) {
	case roomShop:
		n, _ := leadingNumber(strings.TrimPrefix(s, "铺位"))
		return label{pat: "铺位%", n: n}
	case roomStall:
		n, _ := leadingNumber(strings.TrimPrefix(s, "档口"))
		return label{pat: "档口%", n: n}
	}
	return label{pat: "%", key: s}
}

// Name stems: the part of a name a typo may touch, which leaves the
// suffixes (路, 巷, 花园, 镇) and the numerals of a name alone.

var roadNameSuffixes = []string{"大道", "大路", "大街", "东路", "西路", "南路", "北路", "中路", "一路", "二路", "三路", "路", "街", "巷"}

var placeNameSuffixes = func() []string {
	var all []string
	for _, l := range [][]string{estateSuffixes, towerSuffixes, plazaSuffixes, techSuffixes, marketSuffixes, parkSuffixes} {
		all = append(all, l...)
	}
	return all
}()

// trimLongestSuffix trims the longest of suffixes from s.
func trimLongestSuffix(s string, suffixes []string) string {
	best := ""
	for _, x := range suffixes {
		if len(x) > len(best) && strings.HasSuffix(s, x) && len(x) < len(s) {
			best = x
		}
	}
	return strings.TrimSuffix(s, best)
}

func trimNumerals(s string) string {
	return strings.TrimRightFunc(s, func(r rune) bool { return isNumeral(r) || r == '横' })
}

// roadStem is 振兴 of 振兴路, 同沙新村 of 同沙新村横三巷.
func roadStem(name string) string {
	s := trimLongestSuffix(name, roadNameSuffixes)
	if t := trimNumerals(s); t != "" {
		return t
	}
	return s // a name of numerals only
}

// placeStem is 汇峰 of 汇峰大厦, 金域 of 金域花园二期.
func placeStem(name string) string {
	s := name
	if strings.HasSuffix(s, "期") {
		s = trimNumerals(strings.TrimSuffix(s, "期"))
	} else if strings.HasSuffix(s, "号") {
		s = strings.TrimRight(strings.TrimSuffix(s, "号"), "0123456789")
	}
	return trimLongestSuffix(s, placeNameSuffixes)
}

// writtenTownStem is the town's name as people shorten it: 长安 of 长安镇,
// 南城 of 南城街道, 生态园 of 东莞生态园, 滨海湾 of 东莞滨海湾新区.
func writtenTownStem(name, kind string) string {
	if kind == "功能区" {
		s := strings.TrimPrefix(name, "东莞")
		if t := strings.TrimSuffix(s, "新区"); t != "" {
			s = t
		}
		return s
	}
	return strings.TrimSuffix(strings.TrimSuffix(name, "街道"), "镇")
}
