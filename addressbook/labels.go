package addressbook

import "strings"

// Building and room labels are written many ways; their keys make the
// variants meet. The matcher keys the library's labels and the parsed
// components with the same functions.

// BuildingKey returns the comparison key of a building label:
//
//	1栋, 一栋, 1幢, 1座, 1号楼, 第1栋, 1号栋, 01栋 → "1"
//	A座, A栋, A幢, a座 → "A"
//	3号厂房, 厂房3, 3#厂房, 3厂房, 3栋厂房 → "厂房3" (also 宿舍, 仓库, 车间, 宿舍楼)
//	宿舍楼, 宿舍, 员工宿舍 → "宿舍楼"; 3号宿舍 → "宿舍楼3"
//	综合楼 → itself
//
// Other labels are returned normalized.
func BuildingKey(label string) string {
	if key, ok := plainLabelKey(label); ok {
		return key
	}
	for _, suf := range []string{"栋", "座", "幢"} {
		if head, ok := strings.CutSuffix(label, suf); ok && head != "" {
			if key, ok := plainLabelKey(head); ok {
				return key // the library's own labels: 1栋, A座
			}
		}
	}
	rs := []rune(Normalize(label))
	if len(rs) > 0 && rs[0] == '第' {
		rs = rs[1:]
	}
	if rest, ok := cutPrefix(rs, []rune("员工")); ok && len(rest) > 0 {
		rs = rest // 员工宿舍楼
	}
	for _, w := range buildingWordRunes {
		word := string(w)
		if word == "宿舍" {
			word = "宿舍楼" // 宿舍 = 宿舍楼
		}
		if string(rs) == string(w) {
			return word
		}
		if hasAt(rs, 0, w) && isLabelRunes(rs[len(w):]) {
			return word + labelKey(rs[len(w):]) // 厂房3
		}
		if head, ok := cutSuffix(rs, w); ok {
			for _, suf := range [][]rune{[]rune("号"), []rune("栋"), []rune("幢"), []rune("座")} {
				if h, ok := cutSuffix(head, suf); ok {
					head = h
					break
				}
			}
			if isLabelRunes(head) {
				return word + labelKey(head) // 3号厂房, 3栋厂房
			}
		}
	}
	for _, suf := range buildingSuffixes {
		if head, ok := cutSuffix(rs, suf); ok && isLabelRunes(head) {
			return labelKey(head)
		}
	}
	if isLabelRunes(rs) {
		return labelKey(rs)
	}
	return string(rs)
}

// RoomKey returns the comparison key of a room label:
//
//	301, 301室, 301房, 301号, 301号房, 三零一室 → "301"
//	铺位3, 3号铺, 3号铺位, 商铺3, 3铺 → "铺位3"
//	档口12, 12号档口, 12档, 档位12 → "档口12"
//	B101, b101 → "B101" (a basement room)
//
// Other labels are returned normalized.
func RoomKey(label string) string {
	if key, ok := plainLabelKey(label); ok {
		return key
	}
	rs := []rune(Normalize(label))
	for _, set := range []struct {
		prefix string
		words  [][]rune
	}{{"铺位", shopKeyWords}, {"档口", stallKeyWords}} {
		for _, w := range set.words {
			if hasAt(rs, 0, w) && isLabelRunes(rs[len(w):]) {
				return set.prefix + labelKey(rs[len(w):])
			}
			if head, ok := cutSuffix(rs, w); ok {
				head, _ = cutSuffix(head, []rune("号"))
				if isLabelRunes(head) {
					return set.prefix + labelKey(head)
				}
			}
		}
	}
	for _, suf := range roomSuffixes {
		if head, ok := cutSuffix(rs, suf); ok && isLabelRunes(head) {
			return labelKey(head)
		}
	}
	if isLabelRunes(rs) {
		return labelKey(rs)
	}
	return string(rs)
}

var (
	buildingWordRunes = [][]rune{[]rune("宿舍楼"), []rune("厂房"), []rune("宿舍"), []rune("仓库"), []rune("车间")}
	buildingSuffixes  = [][]rune{[]rune("号楼"), []rune("号栋"), []rune("号幢"), []rune("号座"), []rune("栋楼"),
		[]rune("栋"), []rune("幢"), []rune("座"), []rune("楼"), []rune("号")}
	shopKeyWords  = [][]rune{[]rune("铺位"), []rune("商铺"), []rune("铺")}
	stallKeyWords = [][]rune{[]rune("档口"), []rune("档位"), []rune("档")}
	roomSuffixes  = [][]rune{[]rune("号房"), []rune("号室"), []rune("室"), []rune("房"), []rune("号")}
)

// plainLabelKey is the fast path of the keys for the labels that need no
// normalizing: ASCII digits and capital letters (301, 12, B101, A).
func plainLabelKey(label string) (string, bool) {
	if label == "" || len(label) > 16 {
		return "", label == ""
	}
	zeros := 0
	digits := true
	for i := 0; i < len(label); i++ {
		c := label[i]
		switch {
		case c >= '0' && c <= '9':
			if c == '0' && zeros == i && i < len(label)-1 {
				zeros++
			}
		case c >= 'A' && c <= 'Z':
			digits = false
		default:
			return "", false
		}
	}
	if digits {
		return label[zeros:], true
	}
	return label, true
}

// isLabelRunes reports whether rs is a label: ASCII capital letters, digits
// and '-', starting with a letter or digit.
func isLabelRunes(rs []rune) bool {
	if len(rs) == 0 || rs[0] == '-' {
		return false
	}
	for _, r := range rs {
		if !isDigit(r) && !isUpper(r) && r != '-' {
			return false
		}
	}
	return true
}

// labelKey returns a label as a key: without leading zeros when it is a
// number (01 → 1).
func labelKey(rs []rune) string {
	for _, r := range rs {
		if !isDigit(r) {
			return string(rs)
		}
	}
	i := 0
	for i < len(rs)-1 && rs[i] == '0' {
		i++
	}
	return string(rs[i:])
}

// buildingLabel returns the canonical label of the building with key (a
// number or letters) written with suffix: 1栋 for 1栋, 1幢, 1号楼; A座 for A座;
// A栋 for A栋 and A幢.
func buildingLabel(key string, suffix rune) string {
	if suffix == '座' && key != "" && !isDigit(rune(key[len(key)-1])) {
		return key + "座"
	}
	return key + "栋"
}

func cutPrefix(rs, prefix []rune) ([]rune, bool) {
	if !hasAt(rs, 0, prefix) {
		return rs, false
	}
	return rs[len(prefix):], true
}

func cutSuffix(rs, suffix []rune) ([]rune, bool) {
	if len(rs) < len(suffix) || !hasAt(rs, len(rs)-len(suffix), suffix) {
		return rs, false
	}
	return rs[:len(rs)-len(suffix)], true
}
