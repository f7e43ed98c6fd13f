package supervision

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gridsentry/gridsentry/addressbook"
)

// A Department receives tasks and leads. Coordinator is the 统筹 office that
// takes returned tasks and leads whose competent department is unclear.
type Department struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	Coordinator bool   `json:"coordinator,omitempty"`
}

// CoordinatorCode is the department code of the coordinator (市/镇统筹).
const CoordinatorCode = "coordinator"

// A ScopeRule sends an entity to a department when its business scope
// names one of the keywords outside a negation (不含…, 除…外).
type ScopeRule struct {
	Department string   `json:"department"`
	Keywords   []string `json:"keywords"`
}

// DefaultDepartments are the departments of the default rules, and the
// coordinator.
func DefaultDepartments() []Department {
	return []Department{
		{Code: "amr_food", Name: "市场监管局（食品）"},
		{Code: "amr_drug", Name: "市场监管局（药品、医疗器械、特种设备）"},
		{Code: "emergency", Name: "应急管理局"},
		{Code: "tobacco", Name: "烟草专卖局"},
		{Code: "culture", Name: "文化广电旅游体育局"},
		{Code: "publishing", Name: "出版主管部门"},
		{Code: "police", Name: "公安局"},
		{Code: "transport", Name: "交通运输局"},
		{Code: "education", Name: "教育局"},
		{Code: "hrss", Name: "人力资源和社会保障局"},
		{Code: "health", Name: "卫生健康局"},
		{Code: "commerce", Name: "商务局"},
		{Code: "urban", Name: "城市管理和综合执法局"},
		{Code: "housing", Name: "住房和城乡建设局"},
		{Code: "agriculture", Name: "农业农村局"},
		{Code: "environment", Name: "生态环境局"},
		{Code: "civil", Name: "民政局"},
		{Code: CoordinatorCode, Name: "统筹协调办公室", Coordinator: true},
	}
}

// DefaultRules are the business-scope rules of DESIGN.md section 8. They are
// data: the database holds the editable copy, seeded from these.
func DefaultRules() []ScopeRule {
	return []ScopeRule{
		{"amr_food", []string{"食品销售", "预包装食品", "散装食品", "餐饮", "小吃", "饮品", "食品生产"}},
		{"amr_drug", []string{"药品零售", "医疗器械", "特种设备"}},
		{"emergency", []string{"危险化学品", "烟花爆竹"}},
		{"tobacco", []string{"卷烟", "烟草", "雪茄"}},
		{"culture", []string{"上网服务", "网吧", "歌舞", "娱乐", "游艺", "营业性演出"}},
		{"publishing", []string{"出版物", "印刷"}},
		{"police", []string{"旅馆", "住宿", "民宿", "保安服务"}},
		{"transport", []string{"道路货运", "道路客运", "机动车维修"}},
		{"education", []string{"学科培训"}},
		{"hrss", []string{"职业技能培训", "人力资源服务", "职业中介", "劳务派遣"}},
		{"health", []string{"诊所", "门诊", "医疗", "美容美发", "公共浴室", "托育"}},
		{"commerce", []string{"再生资源回收", "成品油"}},
		{"urban", []string{"瓶装燃气"}},
		{"housing", []string{"建筑施工", "房地产经纪"}},
		{"agriculture", []string{"农药", "兽药", "种子", "动物诊疗"}},
		{"environment", []string{"排污", "危险废物"}},
		{"civil", []string{"养老"}},
	}
}

// ValidateRules checks a rule set against the departments: every rule names
// a known department that is not the coordinator, has keywords, and no
// keyword is empty or longer than 40 characters.
func ValidateRules(rules []ScopeRule, departments []Department) error {
	known := map[string]Department{}
	for _, d := range departments {
		known[d.Code] = d
	}
	for i, r := range rules {
		d, ok := known[r.Department]
		if !ok {
			return fieldErr(fmt.Sprintf("rules[%d].department", i), "unknown department %q", r.Department)
		}
		if d.Coordinator {
			return fieldErr(fmt.Sprintf("rules[%d].department", i), "the coordinator takes no scope rules")
		}
		if len(r.Keywords) == 0 {
			return fieldErr(fmt.Sprintf("rules[%d].keywords", i), "at least one keyword is needed")
		}
		for j, k := range r.Keywords {
			if n := utf8.RuneCountInString(strings.TrimSpace(k)); n == 0 || n > 40 {
				return fieldErr(fmt.Sprintf("rules[%d].keywords[%d]", i, j), "a keyword has 1 to 40 characters")
			}
		}
	}
	return nil
}

// A Routing is one department an entity goes to, with the keywords of its
// scope that sent it there.
type Routing struct {
	Department string   `json:"department"`
	Keywords   []string `json:"keywords"`
}

// Route returns the departments whose rules the business scope matches, in
// the order of the rules. A keyword counts only where it is not negated:
// "预包装食品销售（不含冷藏冷冻食品）" goes to food, "日用品销售（不含
// 危险化学品）" goes nowhere, "除烟花爆竹外的日用百货" neither. Traditional
// characters and full-width forms are normalized first.
func Route(rules []ScopeRule, scope string) []Routing {
	text := []rune(addressbook.Simplify(scope))
	negated := negatedSpans(text)
	var out []Routing
	for _, r := range rules {
		var hits []string
		for _, k := range r.Keywords {
			if occursOutside(text, []rune(k), negated) && !slices.Contains(hits, k) {
				hits = append(hits, k)
			}
		}
		if len(hits) == 0 {
			continue
		}
		if i := slices.IndexFunc(out, func(x Routing) bool { return x.Department == r.Department }); i >= 0 {
			out[i].Keywords = append(out[i].Keywords, hits...)
			continue
		}
		out = append(out, Routing{Department: r.Department, Keywords: hits})
	}
	return out
}

// negationPrefixes open a span that runs to the end of the clause.
var negationPrefixes = []string{"不含", "不包含", "不包括", "不涉及", "不得从事", "不从事", "不经营", "不得经营", "禁止"}

// clauseEnd reports whether r ends a clause of a business scope. The
// enumeration comma 、 does not: 不含危险化学品、烟花爆竹 negates both.
func clauseEnd(r rune) bool {
	switch r {
	case '；', ';', '。', '，', ',', '）', ')', '】', ']', '：', ':', '\n':
		return true
	}
	return false
}

// negatedSpans returns [start, end) rune ranges of text under a negation.
func negatedSpans(text []rune) [][2]int {
	var spans [][2]int
	for i := 0; i < len(text); i++ {
		if text[i] == '除' {
			// 除X外: X up to the next 外 in the same clause.
			for j := i + 1; j < len(text) && j-i <= 60 && !clauseEnd(text[j]); j++ {
				if text[j] == '外' {
					spans = append(spans, [2]int{i + 1, j})
					break
				}
			}
			continue
		}
		for _, p := range negationPrefixes {
			pr := []rune(p)
			if hasAt(text, pr, i) {
				j := i + len(pr)
				for j < len(text) && !clauseEnd(text[j]) {
					j++
				}
				spans = append(spans, [2]int{i + len(pr), j})
				break
			}
		}
	}
	return spans
}

func hasAt(text, sub []rune, i int) bool {
	if i+len(sub) > len(text) {
		return false
	}
	for k, r := range sub {
		if text[i+k] != r {
			return false
		}
	}
	return true
}

// occursOutside reports whether kw occurs in text at least once outside
// the negated spans.
func occursOutside(text, kw []rune, negated [][2]int) bool {
	if len(kw) == 0 {
		return false
	}
	for i := 0; i+len(kw) <= len(text); i++ {
		if !hasAt(text, kw, i) {
			continue
		}
		inside := false
		for _, s := range negated {
			if i >= s[0] && i < s[1] {
				inside = true
				break
			}
		}
		if !inside {
			return true
		}
	}
	return false
}
