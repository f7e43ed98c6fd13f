package supervision

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Statistics (统计分析): the counts of GET /v1/stats/..., by city, town,
// village, grid and department. The store reads them from rollups
// (migration 00014); this file holds their vocabulary and the arithmetic
// done on them once read: rates, medians, ranks and month-end estimates.

// The city the statistics cover when no town is given.
const (
	CityCode = "441900"
	CityName = "东莞市"
)

// UnlinkedName names the bucket of rows not linked to an area (a town, a
// village or a grid) yet: its code is "".
const UnlinkedName = "未关联"

// A Month is a calendar month in Beijing time.
type Month struct {
	Year  int
	Month time.Month
}

// The months a statistics query may name.
const (
	minStatsYear    = 1900
	maxStatsYear    = 2100
	MaxPeriodMonths = 120
)

// ParseMonth reads YYYY-MM.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Month{}, fmt.Errorf("%q is not a month: want YYYY-MM, such as 2026-03", s)
	}
	if t.Year() < minStatsYear || t.Year() > maxStatsYear {
		return Month{}, fmt.Errorf("%s is out of range: months run from %d-01 to %d-12", s, minStatsYear, maxStatsYear)
	}
	return Month{t.Year(), t.Month()}, nil
}

// MonthOf returns the month of t in Beijing time.
func MonthOf(t time.Time) Month {
	t = t.In(Beijing)
	return Month{t.Year(), t.Month()}
}

// MonthOfDate returns the month of a date as the database returns it (its
// day in UTC).
func MonthOfDate(d time.Time) Month {
	return Month{d.Year(), d.Month()}
}

// String writes YYYY-MM.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Date returns the first day of m, midnight UTC, as a date parameter.
func (m Month) Date() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC) }

// Add returns the month n months after m (before, for n < 0).
func (m Month) Add(n int) Month {
	t := time.Date(m.Year, m.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	return Month{t.Year(), t.Month()}
}

// Index counts months from year 0, so that months subtract.
func (m Month) Index() int { return m.Year*12 + int(m.Month) - 1 }

// Before reports whether m comes before o.
func (m Month) Before(o Month) bool { return m.Index() < o.Index() }

// A Period is the months From to To, both included.
type Period struct {
	From, To Month
}

// ParsePeriod reads the from and to parameters of a statistics query
// (YYYY-MM, either may be empty): without to, the period ends with the
// month of now; without from, it is the twelve months ending with to. It
// refuses a period that ends before it begins or runs over
// MaxPeriodMonths, naming the parameter at fault.
func ParsePeriod(from, to string, now time.Time) (Period, error) {
	var p Period
	var err error
	p.To = MonthOf(now)
	if to != "" {
		if p.To, err = ParseMonth(to); err != nil {
			return p, fieldErr("to", "%v", err)
		}
	}
	p.From = p.To.Add(-11)
	if from != "" {
		if p.From, err = ParseMonth(from); err != nil {
			return p, fieldErr("from", "%v", err)
		}
	}
	switch {
	case p.To.Before(p.From) && to == "":
		return p, fieldErr("from", "%s is after the current month %s: give to as well", p.From, p.To)
	case p.To.Before(p.From):
		return p, fieldErr("to", "%s is before from, %s", p.To, p.From)
	case p.Len() > MaxPeriodMonths:
		return p, fieldErr("from", "the period %s to %s is %d months long; at most %d are allowed", p.From, p.To, p.Len(), MaxPeriodMonths)
	}
	return p, nil
}

// Len is the number of months in p.
func (p Period) Len() int { return p.To.Index() - p.From.Index() + 1 }

// Previous is the period of the same length that ends the month before p.
func (p Period) Previous() Period {
	return Period{From: p.From.Add(-p.Len()), To: p.From.Add(-1)}
}

// Months lists the months of p in order.
func (p Period) Months() []Month {
	out := make([]Month, 0, p.Len())
	for m := p.From; !p.To.Before(m); m = m.Add(1) {
		out = append(out, m)
	}
	return out
}

// EntityCounts counts market entities as they are now. ByKind and
// ByIndustry count the active ones.
type EntityCounts struct {
	Total, Active, Cancelled, Revoked int64
	ByKind                            map[string]int64
	ByIndustry                        map[string]int64
}

// Add counts n entities of kind, industry and status.
func (c *EntityCounts) Add(kind, industry, status string, n int64) {
	c.Total += n
	switch Status(status) {
	case Active:
		c.Active += n
		if c.ByKind == nil {
			c.ByKind, c.ByIndustry = map[string]int64{}, map[string]int64{}
		}
		c.ByKind[kind] += n
		c.ByIndustry[industry] += n
	case Cancelled:
		c.Cancelled += n
	case Revoked:
		c.Revoked += n
	}
}

// TaskCounts counts the tasks pushed within a period, as they stand now.
// Overdue ones are open past their due time now, or were closed after it.
type TaskCounts struct {
	Pushed, Received, Answered, Closed, Returned, Overdue, Open int64
}

// Rate returns n as a share of the pushed tasks, rounded to four places;
// nil when none were pushed.
func (c TaskCounts) Rate(n int64) *float64 { return share(n, c.Pushed) }

func (c *TaskCounts) add(o TaskCounts) {
	c.Pushed += o.Pushed
	c.Received += o.Received
	c.Answered += o.Answered
	c.Closed += o.Closed
	c.Returned += o.Returned
	c.Overdue += o.Overdue
	c.Open += o.Open
}

// InspectionCounts are the inspections made within a period and the
// coverage of the active entities: Covered counts those inspected since
// the period began (their latest inspection is in its first month or
// later), which for a period that ends with the current month is those
// inspected within it.
type InspectionCounts struct {
	Count, ActiveEntities, Covered int64
}

// CoverageRate is Covered as a share of the active entities; nil when there
// are none.
func (c InspectionCounts) CoverageRate() *float64 { return share(c.Covered, c.ActiveEntities) }

// FlagCounts counts flags as they are now by status; ByKind counts the
// open ones.
type FlagCounts struct {
	Open, Confirmed, Dismissed, Resolved int64
	ByKind                               map[string]int64
}

// Add counts n flags of kind and status.
func (c *FlagCounts) Add(kind, status string, n int64) {
	switch FlagStatus(status) {
	case FlagOpen:
		c.Open += n
		if c.ByKind == nil {
			c.ByKind = map[string]int64{}
		}
		c.ByKind[kind] += n
	case FlagConfirmed:
		c.Confirmed += n
	case FlagDismissed:
		c.Dismissed += n
	case FlagResolved:
		c.Resolved += n
	}
}

// ComplaintCounts counts what the public reported within a period: Count
// is every record, Complaints and Reports its two categories (投诉, 举报),
// Letters those from letters and visits (信访, source other), of either
// category.
type ComplaintCounts struct {
	Count, Complaints, Reports, Letters int64
}

// Add counts n records of source and category.
func (c *ComplaintCounts) Add(source, category string, n int64) {
	c.Count += n
	switch ComplaintCategory(category) {
	case CategoryComplaint:
		c.Complaints += n
	case CategoryReport:
		c.Reports += n
	}
	if ComplaintSource(source) == SourceOther {
		c.Letters += n
	}
}

// AreaStats is what an area (the city, a town, a village, a grid) holds:
// entities and flags now, the rest within a period.
type AreaStats struct {
	Code, Name       string
	Entities         EntityCounts
	NewRegistrations int64
	Tasks            TaskCounts
	Inspections      InspectionCounts
	Flags            FlagCounts
	Complaints       ComplaintCounts
}

// Empty reports whether a counts nothing.
func (a *AreaStats) Empty() bool {
	return a.Entities.Total == 0 && a.NewRegistrations == 0 && a.Tasks.Pushed == 0 && a.Tasks.Open == 0 &&
		a.Inspections.Count == 0 && a.Flags.Open+a.Flags.Confirmed+a.Flags.Dismissed+a.Flags.Resolved == 0 &&
		a.Complaints.Count == 0
}

// AddArea adds b's counts to a's.
func (a *AreaStats) AddArea(b *AreaStats) {
	e := &a.Entities
	e.Total += b.Entities.Total
	e.Active += b.Entities.Active
	e.Cancelled += b.Entities.Cancelled
	e.Revoked += b.Entities.Revoked
	e.ByKind = addCounts(e.ByKind, b.Entities.ByKind)
	e.ByIndustry = addCounts(e.ByIndustry, b.Entities.ByIndustry)
	a.NewRegistrations += b.NewRegistrations
	a.Tasks.add(b.Tasks)
	a.Inspections.Count += b.Inspections.Count
	a.Inspections.ActiveEntities += b.Inspections.ActiveEntities
	a.Inspections.Covered += b.Inspections.Covered
	f := &a.Flags
	f.Open += b.Flags.Open
	f.Confirmed += b.Flags.Confirmed
	f.Dismissed += b.Flags.Dismissed
	f.Resolved += b.Flags.Resolved
	f.ByKind = addCounts(f.ByKind, b.Flags.ByKind)
	c := &a.Complaints
	c.Count += b.Complaints.Count
	c.Complaints += b.Complaints.Complaints
	c.Reports += b.Complaints.Reports
	c.Letters += b.Complaints.Letters
}

func addCounts(to, from map[string]int64) map[string]int64 {
	if len(from) == 0 {
		return to
	}
	if to == nil {
		to = map[string]int64{}
	}
	for k, v := range from {
		to[k] += v
	}
	return to
}

// AreaReport is the statistics of an area's parts: the towns of the city,
// the villages of a town or the grids of a village, and their total.
type AreaReport struct {
	AsOf   *time.Time // when the rollups read were refreshed; nil: never
	Period Period
	Total  AreaStats
	Items  []AreaStats
}

// Complete fills the maps of every item and the total with every key any
// of them has, zero where absent (so that every item has the same
// fields, and a CSV the same columns), and sums the items into Total.
func (r *AreaReport) Complete() {
	r.Total = AreaStats{Code: r.Total.Code, Name: r.Total.Name}
	for i := range r.Items {
		r.Total.AddArea(&r.Items[i])
	}
	kinds := map[string]int64{string(Enterprise): 0, string(Individual): 0, string(Cooperative): 0}
	industries := zeroed(r.Total.Entities.ByIndustry)
	flagKinds := zeroed(r.Total.Flags.ByKind)
	for _, a := range append([]*AreaStats{&r.Total}, pointers(r.Items)...) {
		a.Entities.ByKind = withKeys(a.Entities.ByKind, kinds)
		a.Entities.ByIndustry = withKeys(a.Entities.ByIndustry, industries)
		a.Flags.ByKind = withKeys(a.Flags.ByKind, flagKinds)
	}
}

func pointers[T any](s []T) []*T {
	out := make([]*T, len(s))
	for i := range s {
		out[i] = &s[i]
	}
	return out
}

func zeroed(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k := range m {
		out[k] = 0
	}
	return out
}

func withKeys(m, keys map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(keys))
	for k := range keys {
		out[k] = m[k]
	}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// LeadCounts are a department's leads made within a period: received (it
// holds them now), sent (it passed them on), and of the received, those
// still open and those closed.
type LeadCounts struct {
	Received, Sent, Open, Closed int64
}

// DepartmentStats are the tasks and leads of a department.
type DepartmentStats struct {
	Code, Name string
	Tasks      TaskCounts
	// AnswerDays counts the answered tasks by whole days from push to the
	// first answer.
	AnswerDays map[int]int64
	Leads      LeadCounts
}

// MedianAnswerDays is the median time from push to answer, in days to one
// decimal, interpolated within the day it falls in; nil when no task was
// answered.
func (d DepartmentStats) MedianAnswerDays() *float64 { return GroupedMedian(d.AnswerDays) }

// GroupedMedian is the median of values counted by whole units (n values
// of u lie somewhere in [u, u+1)), interpolated within the unit it falls
// in, assuming the unit's values spread evenly, and rounded to one
// decimal; nil when there are none.
func GroupedMedian(counts map[int]int64) *float64 {
	var total int64
	units := make([]int, 0, len(counts))
	for u, n := range counts {
		if n > 0 {
			total += n
			units = append(units, u)
		}
	}
	if total == 0 {
		return nil
	}
	slices.Sort(units)
	half := float64(total) / 2
	var below int64
	for _, u := range units {
		n := counts[u]
		if float64(below+n) >= half {
			m := float64(u) + (half-float64(below))/float64(n)
			m = math.Round(m*10) / 10
			return &m
		}
		below += n
	}
	panic("unreachable")
}

// DepartmentReport is the statistics of every department.
type DepartmentReport struct {
	AsOf   *time.Time
	Period Period
	Items  []DepartmentStats
}

// TrendMonth is one month of an area's history.
type TrendMonth struct {
	Month                        Month
	Registrations, Cancellations int64
	// ActiveEnd estimates the active entities at the month's end: those
	// active now, less those registered since, plus those cancelled or
	// revoked since (by their last change). nil for months not over.
	ActiveEnd                                          *int64
	TasksPushed, TasksClosed, Inspections, FlagsRaised int64
	Complaints                                         int64
}

// TrendReport is an area's history month by month.
type TrendReport struct {
	AsOf             *time.Time
	Period           Period
	AreaCode, Area   string
	Months           []TrendMonth
	ActiveNow        int64
	Registered       map[Month]int64 // from the period's first month on, also after it
	Cancelled        map[Month]int64 // likewise
	Pushed, Closed   map[Month]int64
	Inspected        map[Month]int64
	Raised, Reported map[Month]int64
}

// Build fills Months from the counts by month, now being the current
// time.
func (r *TrendReport) Build(now time.Time) {
	current := MonthOf(now)
	r.Months = r.Months[:0]
	// Walking back from the latest month: the active at a month's end are
	// those active now, less the registrations after it, plus the
	// cancellations after it.
	var regAfter, cancelAfter int64
	latest := r.Period.To
	for m := range r.Registered {
		if latest.Before(m) {
			latest = m
		}
	}
	for m := range r.Cancelled {
		if latest.Before(m) {
			latest = m
		}
	}
	active := map[Month]int64{}
	for m := latest; !m.Before(r.Period.From); m = m.Add(-1) {
		active[m] = r.ActiveNow - regAfter + cancelAfter
		regAfter += r.Registered[m]
		cancelAfter += r.Cancelled[m]
	}
	for _, m := range r.Period.Months() {
		tm := TrendMonth{Month: m, Registrations: r.Registered[m], Cancellations: r.Cancelled[m],
			TasksPushed: r.Pushed[m], TasksClosed: r.Closed[m], Inspections: r.Inspected[m],
			FlagsRaised: r.Raised[m], Complaints: r.Reported[m]}
		if m.Before(current) {
			a := active[m]
			tm.ActiveEnd = &a
		}
		r.Months = append(r.Months, tm)
	}
}

// IndustryStats are the complaints about an industry (投诉举报热点行业) and
// the letters (信访事件易发行业) within a period and the one before.
type IndustryStats struct {
	Industry, Name string
	// Entities are the active ones now; NewRegistrations those registered
	// within the period.
	Entities, NewRegistrations int64
	// Complaints come by the hotlines (12345, 12315), of either category;
	// Letters are letters and visits (信访).
	Complaints, Letters int64
	Rank                int // by complaints, 1 for the most; ties share a rank
	PreviousComplaints  int64
	PreviousRank        int
}

// Per10k is the complaints per 10,000 active entities of the industry,
// to two decimals; nil when it has none.
func (s IndustryStats) Per10k() *float64 {
	if s.Entities == 0 {
		return nil
	}
	v := math.Round(float64(s.Complaints)*10000/float64(s.Entities)*100) / 100
	return &v
}

// Change is the complaints less those of the previous period.
func (s IndustryStats) Change() int64 { return s.Complaints - s.PreviousComplaints }

// IndustryLabel names an industry section, "未分类" for none.
func IndustryLabel(code string) string {
	if code == "" {
		return "未分类"
	}
	if name, ok := IndustryName(code); ok {
		return name
	}
	return code
}

// RankIndustries ranks items by complaints and by previous complaints
// (competition ranking: 1, 2, 2, 4) and sorts them by complaints, most
// first, then by industry code.
func RankIndustries(items []IndustryStats) {
	rank(items, func(s IndustryStats) int64 { return s.PreviousComplaints }, func(s *IndustryStats, r int) { s.PreviousRank = r })
	rank(items, func(s IndustryStats) int64 { return s.Complaints }, func(s *IndustryStats, r int) { s.Rank = r })
}

// rank sorts items by key, largest first (then by industry code), and
// gives each its competition rank.
func rank(items []IndustryStats, key func(IndustryStats) int64, set func(*IndustryStats, int)) {
	slices.SortStableFunc(items, func(a, b IndustryStats) int {
		if c := cmpDesc(key(a), key(b)); c != 0 {
			return c
		}
		return strings.Compare(a.Industry, b.Industry)
	})
	r := 0
	for i := range items {
		if i == 0 || key(items[i]) != key(items[i-1]) {
			r = i + 1
		}
		set(&items[i], r)
	}
}

func cmpDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// IndustryReport is the industries of an area by complaints.
type IndustryReport struct {
	AsOf             *time.Time
	Period, Previous Period
	Items            []IndustryStats
}

// IndustryCount is how many complaints an industry had.
type IndustryCount struct {
	Industry string
	Count    int64
}

// ComplaintHotSpot is an area's complaints (投诉举报, by the hotlines) and
// letters (信访) within a period, and its industries most complained about.
type ComplaintHotSpot struct {
	Code, Name          string
	Complaints, Letters int64
	TopIndustries       []IndustryCount // at most three, most first
	PreviousComplaints  int64
}

// Change is the complaints less those of the previous period.
func (a ComplaintHotSpot) Change() int64 { return a.Complaints - a.PreviousComplaints }

// TopIndustries returns the n industries with the most complaints, most
// first, then by code; industries without any are left out.
func TopIndustries(byIndustry map[string]int64, n int) []IndustryCount {
	out := make([]IndustryCount, 0, len(byIndustry))
	for k, v := range byIndustry {
		if v > 0 {
			out = append(out, IndustryCount{k, v})
		}
	}
	slices.SortFunc(out, func(a, b IndustryCount) int {
		if c := cmpDesc(a.Count, b.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Industry, b.Industry)
	})
	return out[:min(n, len(out))]
}

// ComplaintReport is the complaint hot spots of the towns of the city, or
// of the villages of a town.
type ComplaintReport struct {
	AsOf   *time.Time
	Period Period
	Level  string // "town" or "village"
	Items  []ComplaintHotSpot
}

// LeadFlow counts the leads that went from one department or source to the
// department holding them ("coordination" while the coordinator decides).
type LeadFlow struct {
	From, To            string
	Count, Open, Closed int64
}

// LeadReport is the flows of the leads made within a period.
type LeadReport struct {
	AsOf        *time.Time
	Period      Period
	Flows       []LeadFlow
	Departments map[string]string // code → name
}

// share returns n/of rounded to four places, nil when of is 0.
func share(n, of int64) *float64 {
	if of == 0 {
		return nil
	}
	v := math.Round(float64(n)/float64(of)*10000) / 10000
	return &v
}

// StatsLevel is what the items of an area report are.
type StatsLevel int

// The levels of an area report.
const (
	StatsCity    StatsLevel = iota // the towns of the city
	StatsTown                      // the villages of a town
	StatsVillage                   // the grids of a village
)

// StatsQuery asks for statistics within a period. The area is the village
// when VillageCode is given, else the town when TownCode is, else the
// city; an area report of the city with a TownCode shows that town only
// (the view of a town-scoped caller).
type StatsQuery struct {
	Period      Period
	Level       StatsLevel // of an area report
	TownCode    string
	VillageCode string
	Department  string    // only this department's figures (a department's caller)
	Now         time.Time // overdue tasks are those open past their due time now
}
