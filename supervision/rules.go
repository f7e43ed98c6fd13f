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
		{"amr_food", []string{"食品销售", "食品经营", "预包装食品", "散装食品", "餐饮", "小吃", "饮品", "食品生产"}},
		{"amr_drug", []string{"药品零售", "医疗器械", "特种设备"}},
		{"emergency", []string{"危险化学品", "烟花爆竹"}},
		{"tobacco", []string{"卷烟", "烟草", "雪茄"}},
		{"culture", []string{"上网服务", "网吧", "歌舞", "娱乐", "游艺", "营业性演出"}},
		{"publishing", []string{"出版物", "印刷"}},
		{"police", []string{"旅馆", "住宿", "民宿", "保安服务"}},
		{"transport", []string{"道路货运", "道路货物运输", "道路客运", "道路旅客运输", "机动车维修"}},
		{"education", []string{"学科培训"}},
		{"hrss", []string{"职业技能培训", "人力资源服务", "职业中介", "劳务派遣"}},
		{"health", []string{"诊所", "门诊", "医疗", "美容美发", "公共浴室", "托育"}},
		{"commerce", []string{"再生资源回收", "成品油"}},
		{"urban", []string{"瓶装燃气"}},
		{"housing", []string{"建筑施工", "建设工程施工", "房地产经纪"}},
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
	return NewRouter(rules).Route(scope)
}

// A Router is a rule set indexed for routing many scopes: Route without
// indexing the keywords again for each.
type Router struct {
	rules   []ScopeRule
	byFirst map[rune][]keywordRef
}

type keywordRef struct{ rule, kw int }

// NewRouter indexes the keywords of rules by their first character.
func NewRouter(rules []ScopeRule) *Router {
	r := &Router{rules: rules, byFirst: map[rune][]keywordRef{}}
	for i, rule := range rules {
		for j, k := range rule.Keywords {
			if first, _ := utf8.DecodeRuneInString(k); k != "" {
				r.byFirst[first] = append(r.byFirst[first], keywordRef{i, j})
			}
		}
	}
	return r
}

// Route returns the departments whose rules the business scope matches, as
// the function Route does.
func (rt *Router) Route(scope string) []Routing {
	text := addressbook.Simplify(scope)
	var negated [][2]int
	negatedDone := false
	var found map[keywordRef]bool
	for at, c := range text {
		for _, x := range rt.byFirst[c] {
			if found[x] || !strings.HasPrefix(text[at:], rt.rules[x.rule].Keywords[x.kw]) {
				continue
			}
			if !negatedDone {
				negated, negatedDone = negatedSpans(text), true
			}
			if !inSpans(at, negated) {
				if found == nil {
					found = map[keywordRef]bool{}
				}
				found[x] = true
			}
		}
	}
	if found == nil {
		return nil
	}
	var out []Routing
	for i, r := range rt.rules {
		var hits []string
		for j, k := range r.Keywords {
			if found[keywordRef{i, j}] && !slices.Contains(hits, k) {
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

func inSpans(at int, spans [][2]int) bool {
	for _, s := range spans {
		if at >= s[0] && at < s[1] {
			return true
		}
	}
	return false
}

// negationPrefixes open a span that runs to the end of the clause: 不含…,
// and a bracketed 非… as in 养生保健服务（非医疗）.
var negationPrefixes = []string{"不含", "不包含", "不包括", "不涉及", "不得从事", "不从事", "不经营", "不得经营", "禁止", "(非"}

// clauseEnd reports whether r ends a clause of a business scope. The
// enumeration comma 、 does not: 不含危险化学品、烟花爆竹 negates both.
func clauseEnd(r rune) bool {
	switch r {
	case '；', ';', '。', '，', ',', '）', ')', '】', ']', '：', ':', '\n':
		return true
	}
	return false
}

// clauseEndAt returns the byte offset of the end of the clause that goes
// on at byte i of text, at most limit bytes on (limit < 0: no limit).
func clauseEndAt(text string, i, limit int) int {
	for j, r := range text[i:] {
		if clauseEnd(r) || limit >= 0 && j > limit {
			return i + j
		}
	}
	return len(text)
}

// negatedSpans returns [start, end) byte ranges of text under a negation.
func negatedSpans(text string) [][2]int {
	var spans [][2]int
	for _, p := range negationPrefixes {
		for off := 0; ; {
			i := strings.Index(text[off:], p)
			if i < 0 {
				break
			}
			start := off + i + len(p)
			spans = append(spans, [2]int{start, clauseEndAt(text, start, -1)})
			off = start
		}
	}
	// 除X外: X up to the next 外 in the same clause, within 60 characters.
	for off := 0; ; {
		i := strings.Index(text[off:], "除")
		if i < 0 {
			break
		}
		start := off + i + len("除")
		end := clauseEndAt(text, start, 60*3)
		if j := strings.Index(text[start:end], "外"); j >= 0 {
			spans = append(spans, [2]int{start, start + j})
		}
		off = start
	}
	return spans
}
