package addressbook

// The suffix tables of the parser. A name (road, place, village) is the text
// up to the first keyword that ends it: 鸿福路, 汇峰大厦, 乌沙社区. Labels
// (numbers and letters) take their meaning from the word after them: 88号,
// 3栋, 15楼, 301室, 3号厂房.

// kwClass is what a name keyword makes of the text it ends.
type kwClass uint8

const (
	kwRoad kwClass = iota + 1
	kwPlace
	kwVillage
	kwTown
	kwBuilding // a building written as a word: 宿舍楼, 综合楼
	kwRemark   // 附近, 对面 …: the text is a remark
)

// nameKeyword ends a name.
type nameKeyword struct {
	text  []rune
	class kwClass
	// weak keywords also occur inside names; one is skipped when another
	// keyword follows it: 新城花园, 松园路, 城中社区.
	weak bool
	// minPrefix is how many runes the name needs before the keyword.
	minPrefix int
	// needDigit: 坊 ends a lane name only before its number (民田西坊3号,
	// but 民田西坊一巷).
	needDigit bool
}

var nameKeywords = func() map[rune][]*nameKeyword {
	m := map[rune][]*nameKeyword{}
	add := func(class kwClass, weak bool, minPrefix int, words ...string) {
		for _, w := range words {
			rs := []rune(w)
			m[rs[0]] = append(m[rs[0]], &nameKeyword{text: rs, class: class, weak: weak, minPrefix: minPrefix})
		}
	}
	add(kwRoad, false, 1, "路", "大道", "大路", "马路", "公路", "大街", "横巷", "横街")
	add(kwRoad, false, 2, "巷") // 深巷, 长巷 are villages: 深巷电子工业园
	add(kwRoad, true, 1, "街", "道")
	m['坊'] = append(m['坊'], &nameKeyword{text: []rune("坊"), class: kwRoad, weak: true, minPrefix: 1, needDigit: true})
	add(kwPlace, false, 1, "大厦", "花园", "广场", "工业区", "工业园区", "工业园", "科技园", "工业城",
		"市场", "小区", "大楼", "商场", "商城", "豪庭", "山庄", "华府", "公馆", "家园", "园区",
		"开发区", "高新区", "商业区", "厂区", "公寓", "酒店", "宾馆", "写字楼", "大院", "商业街",
		"步行街", "物流园", "产业园", "港区")
	add(kwPlace, true, 1, "苑", "中心", "城", "园", "新区", "基地", "厂", "码头")
	add(kwPlace, true, 2, "新村") // 金域新村 is an estate; 漱新村 a village
	add(kwVillage, false, 1, "社区", "村委会", "居委会", "村民委员会", "居民委员会", "村委", "居委", "生活区")
	add(kwVillage, true, 1, "村")
	add(kwTown, false, 2, "镇", "街道", "街道办", "街道办事处")
	add(kwBuilding, false, 0, "厂房", "宿舍", "仓库", "车间")
	add(kwRemark, false, 0, "附近", "旁边", "对面", "斜对面", "隔壁", "之间", "旁", "交汇处", "交界处",
		"交叉口", "路口", "后面", "背后", "楼下", "楼上", "门口", "一带", "周边", "边上", "侧")
	for r, ks := range m {
		sortLongestFirst(ks, func(k *nameKeyword) int { return len(k.text) })
		m[r] = ks
	}
	return m
}()

// nameKeywordAt returns the longest name keyword of class (any class when 0)
// that starts at rs[i].
func nameKeywordAt(rs []rune, i int, class kwClass) *nameKeyword {
	if i >= len(rs) {
		return nil
	}
	for _, k := range nameKeywords[rs[i]] {
		if (class == 0 || k.class == class) && hasAt(rs, i, k.text) {
			if k.needDigit && !(i+len(k.text) < len(rs) && isDigit(rs[i+len(k.text)])) {
				continue
			}
			return k
		}
	}
	return nil
}

// continuesName reports whether a name goes on at rs[i]: a name keyword
// (other than a remark) or a lane after a modifier (一巷, 东路, 3巷) starts
// there. 东城 in 东城大道 and 长安 in 长安工业区 are no towns.
func continuesName(rs []rune, i int) bool {
	if k := nameKeywordAt(rs, i, 0); k != nil && (k.class != kwRemark || k.text[0] == '路') {
		return true // 东城大道, 长安工业区, 东城路口
	}
	return laneAt(rs, i) > 0
}

// laneAt returns the length of a lane suffix at rs[i]: one to four modifiers
// (numerals, digits, directions), optionally a quarter (坊, 区) and more
// modifiers, and 巷, 路 or 街: 一巷, 东路, 3巷, 中一路, 南坊一巷.
func laneAt(rs []rune, i int) int {
	k := i
	for k < len(rs) && k-i < 4 && isLaneModifier(rs[k]) {
		k++
	}
	if k == i || k >= len(rs) {
		return 0
	}
	if (rs[k] == '坊' || rs[k] == '区') && k+1 < len(rs) && isLaneModifier(rs[k+1]) {
		// a quarter then its lane: 南坊一巷, 东区二巷
		k++
		for s := k; k < len(rs) && k-s < 4 && isLaneModifier(rs[k]); k++ {
		}
		if k >= len(rs) {
			return 0
		}
	}
	switch rs[k] {
	case '巷':
	case '路':
		if k+1 < len(rs) && rs[k+1] == '口' {
			return 0
		}
	case '街':
		if k+1 < len(rs) && rs[k+1] == '道' {
			return 0
		}
	case '坊':
		if !(k+1 < len(rs) && isDigit(rs[k+1])) {
			return 0
		}
	default:
		return 0
	}
	return k + 1 - i
}

// laneNameAt returns the length of a village lane's name at rs[i]: one to
// three ideographs (a quarter: 塘边, 新屋), numerals and 巷, or 0.
func laneNameAt(rs []rune, i int) int {
	k := i
	for k < len(rs) && k-i < 3 && isHan(rs[k]) && !isChineseNumeral(rs[k]) {
		if kw := nameKeywordAt(rs, k, 0); kw != nil && k > i {
			return 0
		}
		k++
	}
	if k == i {
		return 0
	}
	d := k
	for d < len(rs) && d-k < 3 && isChineseNumeral(rs[d]) {
		d++
	}
	if d == k || d >= len(rs) || rs[d] != '巷' {
		return 0
	}
	return d + 1 - i
}

func isLaneModifier(r rune) bool {
	if isDigit(r) || isChineseNumeral(r) {
		return true
	}
	switch r {
	case '东', '西', '南', '北', '中', '横', '直', '新', '前', '后', '上', '下':
		return true
	}
	return false
}

// labelKind is what the word after a label makes of it.
type labelKind uint8

const (
	lkDoor         labelKind = iota + 1 // 88号
	lkBuilding                          // 3栋, A座, 1号楼
	lkBuildingWord                      // 3号厂房
	lkUnit                              // 1单元
	lkFloor                             // 15楼, 3层
	lkRoom                              // 301室, 302房
	lkShop                              // 3号铺, 3铺位
	lkStall                             // 12档, 12号档口
	lkPhase                             // 2期
	lkLane                              // 3巷
	lkArea                              // A区, 3组: a remark
)

// labelKeyword is a word after a label. consume is how many of its runes the
// label takes (号楼下: only 号; 楼下 is a remark).
type labelKeyword struct {
	text    []rune
	kind    labelKind
	word    string // lkBuildingWord: 厂房, 宿舍 …
	consume int
}

var labelKeywords = func() map[rune][]*labelKeyword {
	m := map[rune][]*labelKeyword{}
	add := func(kind labelKind, word string, texts ...string) {
		for _, t := range texts {
			rs := []rune(t)
			m[rs[0]] = append(m[rs[0]], &labelKeyword{text: rs, kind: kind, word: word, consume: len(rs)})
		}
	}
	for _, w := range []string{"宿舍楼", "厂房", "宿舍", "仓库", "车间"} {
		add(lkBuildingWord, w, "号"+w, w, "栋"+w, "幢"+w, "座"+w) // 3号厂房, 3栋厂房
	}
	add(lkShop, "", "号铺位", "号商铺", "号铺", "铺位", "商铺", "铺")
	add(lkStall, "", "号档口", "号档位", "号档", "档口", "档位", "档")
	add(lkBuilding, "", "号楼", "号栋", "号幢", "号座", "栋", "幢", "座")
	add(lkRoom, "", "号房", "号室", "室", "房")
	add(lkDoor, "", "号")
	for _, t := range []string{"号楼下", "号楼上"} {
		rs := []rune(t)
		m['号'] = append(m['号'], &labelKeyword{text: rs, kind: lkDoor, consume: 1})
	}
	add(lkUnit, "", "单元")
	add(lkFloor, "", "楼", "层")
	add(lkPhase, "", "期")
	add(lkLane, "", "巷", "路", "街")
	add(lkArea, "", "区", "组")
	for r, ks := range m {
		sortLongestFirst(ks, func(k *labelKeyword) int { return len(k.text) })
		m[r] = ks
	}
	return m
}()

// labelKeywordAt returns the longest label keyword at rs[i], or nil.
func labelKeywordAt(rs []rune, i int) *labelKeyword {
	if i >= len(rs) {
		return nil
	}
	for _, k := range labelKeywords[rs[i]] {
		if hasAt(rs, i, k.text) {
			return k
		}
	}
	return nil
}
