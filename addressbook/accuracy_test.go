package addressbook_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/demo"
)

// townCollector keeps what the index needs of a generated city.
type townCollector struct {
	div   *demo.Divisions
	towns []addressbook.TownData
}

func (c *townCollector) Divisions(_ context.Context, d *demo.Divisions) error {
	c.div = d
	return nil
}

func (c *townCollector) Contents(_ context.Context, tc *demo.TownContents) error {
	td := addressbook.TownData{Roads: tc.Roads, Doorplates: tc.Doorplates, Places: tc.Places,
		Buildings: tc.Buildings, Rooms: tc.Rooms}
	for _, t := range c.div.Towns {
		if t.Code == tc.TownCode {
			td.Town = addressbook.Town{Code: t.Code, Name: t.Name, Kind: t.Kind}
		}
	}
	for _, v := range c.div.Villages {
		if v.TownCode == tc.TownCode {
			td.Villages = append(td.Villages, addressbook.Village{Code: v.Code, TownCode: v.TownCode, Name: v.Name, Kind: v.Kind})
		}
	}
	c.towns = append(c.towns, td)
	return nil
}

var (
	demoIndexOnce sync.Once
	demoIndex     *addressbook.Index
	demoIndexErr  error
)

// demoCityIndex builds the index of the demo city (seed 1) in memory.
func demoCityIndex(t testing.TB) *addressbook.Index {
	t.Helper()
	demoIndexOnce.Do(func() {
		c := &townCollector{}
		if _, demoIndexErr = demo.Generate(context.Background(), demo.Config{Scale: demo.ScaleDemo, Seed: 1}, c); demoIndexErr != nil {
			return
		}
		var towns []*addressbook.TownIndex
		for _, td := range c.towns {
			towns = append(towns, addressbook.BuildTown(td))
		}
		demoIndex = addressbook.NewIndex(towns)
	})
	if demoIndexErr != nil {
		t.Fatal(demoIndexErr)
	}
	return demoIndex
}

// TestAccuracy measures the matcher against the generator's messy and
// fabricated addresses: top-1 accuracy on existing ones (target ≥ 99%) and
// the false-match rate on fabricated ones (target ≤ 0.5%), per kind.
func TestAccuracy(t *testing.T) {
	ix := demoCityIndex(t)
	n := 20000
	if testing.Short() {
		n = 4000
	}
	cases, err := demo.GenerateAddressCases(context.Background(), demo.Config{Scale: demo.ScaleDemo, Seed: 1}, n)
	if err != nil {
		t.Fatal(err)
	}
	var tally demo.Tally
	var failures []string
	for _, c := range cases {
		r := ix.Match(c.Text, "")
		if ok := tally.Add(c, r); !ok && len(failures) < 400 {
			got := string(r.Status)
			if r.Address != nil {
				got += " " + r.Address.Full + " " + r.Address.Code
			}
			var issues []string
			for _, i := range r.Issues {
				issues = append(issues, i.Code)
			}
			failures = append(failures, fmt.Sprintf("%-22s %s\n      want %s %s %d %s\n      got  %s %v parsed %+v",
				c.Noise, c.Text, c.Level, c.TrueCode, c.TrueBuildingID, c.TrueDoorplate, got, issues, r.Parsed))
		}
	}
	t.Log("\n" + report(&tally))
	top1, falseMatch := tally.Top1(), tally.FalseMatches()
	for i, f := range failures {
		if i < 60 {
			t.Log(f)
		}
	}
	if top1 < 99 {
		t.Errorf("top-1 accuracy %.2f%%, want ≥ 99%%", top1)
	}
	if falseMatch > 0.5 {
		t.Errorf("false-match rate %.2f%%, want ≤ 0.5%%", falseMatch)
	}
}

// report formats a tally as a table, one row per kind.
func report(t *demo.Tally) string {
	kinds := make([]string, 0, len(t.ByKind))
	for k := range t.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var b strings.Builder
	fmt.Fprintf(&b, "%-24s %7s %8s\n", "kind", "cases", "correct")
	for _, k := range kinds {
		v := t.ByKind[k]
		fmt.Fprintf(&b, "%-24s %7d %7.2f%%\n", k, v[0], 100*float64(v[1])/float64(v[0]))
	}
	fmt.Fprintf(&b, "existing: top-1 %.2f%% of %d; fabricated: false matches %.2f%% of %d\n",
		t.Top1(), t.Existing, t.FalseMatches(), t.Fabricated)
	return b.String()
}

func TestSearch(t *testing.T) {
	ix := demoCityIndex(t)
	for _, tc := range []struct {
		q, want string
	}{
		{"东莞市长安镇长安大", "长安大道"},
		{"长安镇长安大道", "长安大道"},
	} {
		items, _ := ix.Search(tc.q, "", 0, 5)
		if len(items) == 0 || !strings.Contains(items[0].Full, tc.want) {
			t.Errorf("Search(%q) = %v, want %s first", tc.q, items, tc.want)
		}
	}
}
