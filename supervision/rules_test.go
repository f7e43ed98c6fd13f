package supervision

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoute(t *testing.T) {
	tests := []struct {
		name  string
		scope string
		want  []Routing
	}{
		{"food", "预包装食品销售；餐饮服务", []Routing{{"amr_food", []string{"食品销售", "预包装食品", "餐饮"}}}},
		{"several departments", "烟草制品零售；餐饮服务；歌舞娱乐活动",
			[]Routing{{"amr_food", []string{"餐饮"}}, {"tobacco", []string{"烟草"}}, {"culture", []string{"歌舞", "娱乐"}}}},
		{"negation in brackets", "日用百货销售（不含危险化学品）", nil},
		{"negation of a list", "五金产品零售（不含危险化学品、烟花爆竹）；饮品店", []Routing{{"amr_food", []string{"饮品"}}}},
		{"negation ends with the clause", "化工产品销售（不含危险化学品）；危险化学品经营", []Routing{{"emergency", []string{"危险化学品"}}}},
		{"except … outside", "除烟花爆竹外的日用百货销售", nil},
		{"the standard approval phrase", "一般项目：软件开发（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）", nil},
		{"traditional and full-width", "餐飲服務；ＫＴＶ歌舞廳", []Routing{{"amr_food", []string{"餐饮"}}, {"culture", []string{"歌舞"}}}},
		{"not engaged in", "教育咨询服务（不得从事学科培训）", nil},
		{"keyword outside and inside a negation", "餐饮服务（不含餐饮具集中消毒）", []Routing{{"amr_food", []string{"餐饮"}}}},
		{"nothing", "软件开发；信息技术咨询服务", nil},
		{"bracketed 非", "养生保健服务（非医疗）", nil},
		{"the standard wording of freight", "道路货物运输（不含危险货物）", []Routing{{"transport", []string{"道路货物运输"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Route(DefaultRules(), tc.scope)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Route(%q) (-want +got):\n%s", tc.scope, diff)
			}
		})
	}
}

func TestValidateRules(t *testing.T) {
	deps := DefaultDepartments()
	if err := ValidateRules(DefaultRules(), deps); err != nil {
		t.Fatalf("default rules: %v", err)
	}
	bad := []ScopeRule{{Department: "nobody", Keywords: []string{"x"}}}
	if err := ValidateRules(bad, deps); err == nil {
		t.Error("a rule for an unknown department was accepted")
	}
	bad = []ScopeRule{{Department: "amr_food", Keywords: []string{" "}}}
	if err := ValidateRules(bad, deps); err == nil {
		t.Error("an empty keyword was accepted")
	}
}

func BenchmarkRoute(b *testing.B) {
	rules := DefaultRules()
	scope := "一般项目：日用百货销售；五金产品零售（不含危险化学品）；餐饮服务；烟草制品零售；" +
		"养生保健服务（非医疗）（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
	for b.Loop() {
		Route(rules, scope)
	}
}
