package supervision_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridsentry/gridsentry/supervision"
)

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC) // 2026-12-01 04:00 in Beijing
	m := func(y int, mo time.Month) supervision.Month { return supervision.Month{Year: y, Month: mo} }
	for _, tc := range []struct {
		name, from, to string
		want           supervision.Period
		field          string // the parameter a refusal names
	}{
		{name: "default: the 12 months ending with the current month in Beijing", want: supervision.Period{From: m(2026, 1), To: m(2026, 12)}},
		{name: "to alone", to: "2025-06", want: supervision.Period{From: m(2024, 7), To: m(2025, 6)}},
		{name: "from alone runs to the current month", from: "2026-10", want: supervision.Period{From: m(2026, 10), To: m(2026, 12)}},
		{name: "one month", from: "2026-03", to: "2026-03", want: supervision.Period{From: m(2026, 3), To: m(2026, 3)}},
		{name: "120 months", from: "2016-01", to: "2025-12", want: supervision.Period{From: m(2016, 1), To: m(2025, 12)}},
		{name: "121 months", from: "2015-12", to: "2025-12", field: "from"},
		{name: "to before from", from: "2026-03", to: "2026-02", field: "to"},
		{name: "from after the current month", from: "2027-01", field: "from"},
		{name: "a day", from: "2026-03-01", field: "from"},
		{name: "month 13", to: "2026-13", field: "to"},
		{name: "one-digit month", from: "2026-3", field: "from"},
		{name: "year out of range", from: "1899-12", to: "1900-01", field: "from"},
		{name: "letters", to: "x", field: "to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := supervision.ParsePeriod(tc.from, tc.to, now)
			if tc.field != "" {
				var fe *supervision.FieldError
				if !errors.As(err, &fe) || fe.Field != tc.field {
					t.Fatalf("ParsePeriod(%q, %q) = %v, %v; want an error naming %s", tc.from, tc.to, got, err, tc.field)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParsePeriod(%q, %q) = %v, %v; want %v", tc.from, tc.to, got, err, tc.want)
			}
		})
	}
}

func TestPeriodPreviousAndMonths(t *testing.T) {
	p, err := supervision.ParsePeriod("2025-11", "2026-02", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(p.Months()); got != "[2025-11 2025-12 2026-01 2026-02]" {
		t.Errorf("Months = %s", got)
	}
	if prev := p.Previous(); prev.From.String() != "2025-07" || prev.To.String() != "2025-10" {
		t.Errorf("Previous = %s to %s, want 2025-07 to 2025-10", prev.From, prev.To)
	}
}

func ExampleGroupedMedian() {
	// Tasks answered within the day they were pushed: 2; after one whole
	// day: 3; after four: 1. The 3rd of 6 answers falls in day 1.
	fmt.Println(*supervision.GroupedMedian(map[int]int64{0: 2, 1: 3, 4: 1}))
	fmt.Println(supervision.GroupedMedian(map[int]int64{}) == nil)
	// Output:
	// 1.3
	// true
}

func TestGroupedMedian(t *testing.T) {
	for _, tc := range []struct {
		counts map[int]int64
		want   float64
	}{
		{map[int]int64{5: 1}, 5.5},
		{map[int]int64{2: 2, 3: 2}, 3},
		{map[int]int64{0: 1, 10: 1}, 1},
		{map[int]int64{0: 0, 7: 4}, 7.5},
	} {
		if got := supervision.GroupedMedian(tc.counts); got == nil || *got != tc.want {
			t.Errorf("GroupedMedian(%v) = %v, want %v", tc.counts, got, tc.want)
		}
	}
}

func TestRankIndustries(t *testing.T) {
	items := []supervision.IndustryStats{
		{Industry: "C", Complaints: 5, PreviousComplaints: 9},
		{Industry: "F", Complaints: 9, PreviousComplaints: 1},
		{Industry: "H", Complaints: 5, PreviousComplaints: 9},
		{Industry: "A", Complaints: 0, PreviousComplaints: 3},
	}
	supervision.RankIndustries(items)
	type row struct {
		Industry           string
		Rank, PreviousRank int
		Change             int64
	}
	var got []row
	for _, it := range items {
		got = append(got, row{it.Industry, it.Rank, it.PreviousRank, it.Change()})
	}
	want := []row{{"F", 1, 4, 8}, {"C", 2, 1, -4}, {"H", 2, 1, -4}, {"A", 4, 3, -3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ranks (-want +got):\n%s", diff)
	}
}

func TestTrendBuild(t *testing.T) {
	m := func(s string) supervision.Month {
		mo, err := supervision.ParseMonth(s)
		if err != nil {
			t.Fatal(err)
		}
		return mo
	}
	// 100 active now (in 2026-11). Registered: 10 in 2026-09, 5 in 2026-11;
	// cancelled: 2 in 2026-10. At the end of 2026-08: 100 - 15 + 2 = 87;
	// of 2026-09: 97; of 2026-10: 95; 2026-11 is not over.
	r := supervision.TrendReport{
		Period:     supervision.Period{From: m("2026-08"), To: m("2026-11")},
		ActiveNow:  100,
		Registered: map[supervision.Month]int64{m("2026-09"): 10, m("2026-11"): 5},
		Cancelled:  map[supervision.Month]int64{m("2026-10"): 2},
		Pushed:     map[supervision.Month]int64{m("2026-09"): 3},
	}
	r.Build(time.Date(2026, 11, 15, 0, 0, 0, 0, supervision.Beijing))
	var got []string
	for _, tm := range r.Months {
		active := "-"
		if tm.ActiveEnd != nil {
			active = fmt.Sprint(*tm.ActiveEnd)
		}
		got = append(got, fmt.Sprintf("%s +%d -%d =%s pushed %d", tm.Month, tm.Registrations, tm.Cancellations, active, tm.TasksPushed))
	}
	want := []string{"2026-08 +0 -0 =87 pushed 0", "2026-09 +10 -0 =97 pushed 3", "2026-10 +0 -2 =95 pushed 0", "2026-11 +5 -0 =- pushed 0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("months (-want +got):\n%s", diff)
	}
}

func TestAreaReportComplete(t *testing.T) {
	var a, b supervision.AreaStats
	a.Entities.Add("enterprise", "F", "active", 3)
	a.Entities.Add("enterprise", "F", "cancelled", 1)
	b.Entities.Add("individual", "H", "active", 2)
	b.Flags.Add("dormant", "open", 4)
	b.Flags.Add("dormant", "resolved", 1)
	b.Tasks = supervision.TaskCounts{Pushed: 4, Closed: 3, Overdue: 1}
	r := supervision.AreaReport{Items: []supervision.AreaStats{a, b}}
	r.Complete()
	for _, it := range append([]supervision.AreaStats{r.Total}, r.Items...) {
		if len(it.Entities.ByKind) != 3 || len(it.Entities.ByIndustry) != 2 || len(it.Flags.ByKind) != 1 {
			t.Errorf("%+v: every area should have the same keys: 3 kinds, industries F and H, flag kind dormant", it)
		}
	}
	tot := r.Total
	if tot.Entities.Total != 6 || tot.Entities.Active != 5 || tot.Entities.Cancelled != 1 || tot.Entities.ByIndustry["F"] != 3 ||
		tot.Flags.Open != 4 || tot.Flags.Resolved != 1 || tot.Tasks.Pushed != 4 {
		t.Errorf("total = %+v", tot)
	}
	if got := *tot.Tasks.Rate(tot.Tasks.Closed); got != 0.75 {
		t.Errorf("close rate = %v, want 0.75", got)
	}
	if r.Items[0].Tasks.Rate(0) != nil {
		t.Error("a rate of no pushed task should be null")
	}
}

func TestTopIndustries(t *testing.T) {
	got := supervision.TopIndustries(map[string]int64{"F": 3, "H": 5, "C": 3, "A": 1, "E": 0}, 3)
	want := []supervision.IndustryCount{{Industry: "H", Count: 5}, {Industry: "C", Count: 3}, {Industry: "F", Count: 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
