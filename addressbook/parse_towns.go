package addressbook

import "strings"

// The town-level units of Dongguan (demo/data/towns.csv; a test keeps the two
// in step) and the ways clerks write them. Parse only needs to know where the
// town ends; it returns the town as written and the matcher resolves it.
var dongguanTowns = []struct {
	code, name string
	aliases    []string // besides the name and, for 镇 and 街道, the stem forms
}{
	{"441900003", "东城街道", nil},
	{"441900004", "南城街道", nil},
	{"441900005", "万江街道", nil},
	{"441900006", "莞城街道", nil},
	{"441900101", "石碣镇", nil},
	{"441900102", "石龙镇", nil},
	{"441900103", "茶山镇", nil},
	{"441900104", "石排镇", nil},
	{"441900105", "企石镇", nil},
	{"441900106", "横沥镇", nil},
	{"441900107", "桥头镇", nil},
	{"441900108", "谢岗镇", nil},
	{"441900109", "东坑镇", nil},
	{"441900110", "常平镇", nil},
	{"441900111", "寮步镇", nil},
	{"441900112", "樟木头镇", nil},
	{"441900113", "大朗镇", nil},
	{"441900114", "黄江镇", nil},
	{"441900115", "清溪镇", nil},
	{"441900116", "塘厦镇", nil},
	{"441900117", "凤岗镇", nil},
	{"441900118", "大岭山镇", nil},
	{"441900119", "长安镇", nil},
	{"441900121", "虎门镇", nil},
	{"441900122", "厚街镇", nil},
	{"441900123", "沙田镇", nil},
	{"441900124", "道滘镇", nil},
	{"441900125", "洪梅镇", nil},
	{"441900126", "麻涌镇", nil},
	{"441900127", "望牛墩镇", nil},
	{"441900128", "中堂镇", nil},
	{"441900129", "高埗镇", nil},
	{"441900401", "松山湖", []string{"松山湖高新区", "松山湖园区", "松山湖功能区", "松山湖管委会", "松山湖高新技术产业开发区"}},
	{"441900402", "东莞港", []string{"虎门港", "虎门港管委会"}},
	{"441900403", "东莞生态园", []string{"生态园"}},
	{"441900404", "东莞滨海湾新区", []string{"滨海湾新区", "滨海湾", "东莞滨海湾"}},
}

// villagesLikeTowns are the villages whose names start with a town's stem
// without being that stem plus 村 or 社区: 石龙坑村 is a village of 寮步, not
// 石龙镇's 坑村. A test derives the list from demo/data/villages.csv.
var villagesLikeTowns = [][]rune{
	[]rune("万江墟社区"), []rune("长安塘村"), []rune("石龙坑村"), []rune("茶山圩社区"), []rune("虎门寨社区"),
}

// villagesLikeSuffixes are the villages whose names start with a town's
// administrative suffix: in 虎门镇口社区 the town is 虎门 and the village
// 镇口社区. A test derives the list from demo/data/villages.csv.
var villagesLikeSuffixes = [][]rune{[]rune("镇口社区")}

// townAlias is one way of writing a town. An exact alias ends in an
// administrative suffix (长安镇, 南城区); a stem (长安, 松山湖) is a town only
// when no name goes on after it: 东城大道 and 长安工业区 are not towns.
type townAlias struct {
	text  []rune
	code  string
	exact bool
}

// writtenTowns indexes the aliases by their first two runes, longest first.
var writtenTowns = func() map[[2]rune][]townAlias {
	m := map[[2]rune][]townAlias{}
	add := func(text, code string, exact bool) {
		rs := []rune(text)
		key := [2]rune{rs[0], rs[1]}
		for _, a := range m[key] {
			if string(a.text) == text {
				return
			}
		}
		m[key] = append(m[key], townAlias{rs, code, exact})
	}
	for _, t := range dongguanTowns {
		stem, isSub := strings.CutSuffix(t.name, "街道")
		if !isSub {
			stem, _ = strings.CutSuffix(t.name, "镇")
		}
		add(t.name, t.code, stem != t.name || strings.HasSuffix(t.name, "新区"))
		if stem != t.name {
			add(stem, t.code, false)
			for _, suf := range []string{"区", "镇", "街道", "街道办", "街道办事处"} {
				add(stem+suf, t.code, true)
			}
		}
		for _, a := range t.aliases {
			add(a, t.code, strings.HasSuffix(a, "区") || strings.HasSuffix(a, "会"))
		}
	}
	for k, as := range m {
		sortLongestFirst(as, func(a townAlias) int { return len(a.text) })
		m[k] = as
	}
	return m
}()

// sortLongestFirst sorts s by descending length, keeping the order of equals.
func sortLongestFirst[T any](s []T, length func(T) int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && length(s[j]) > length(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
