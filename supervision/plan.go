package supervision

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"github.com/gridsentry/gridsentry/geo"
)

// Planning: the double-random (双随机) inspection campaigns, which draw
// entities at random with weights that favour the risky ones, and the
// visit plan of an inspector, ordered into a walking route.
// docs/planning.md explains the formula, the draw and the route.

// Limits of a campaign.
const (
	MaxCampaignDraws = 100000 // entities drawn at random by all quotas together
	MaxCampaignDays  = 60     // working days a campaign's checks may be given
	MaxCampaignSeed  = 1<<53 - 1
)

// A Quota asks for Count entities drawn at random in one town or one grid.
// New registrations there are included on top of the count.
type Quota struct {
	Town  string `json:"town,omitempty"`
	Grid  string `json:"grid,omitempty"`
	Count int    `json:"count"`
}

// Area returns the code of the quota's town or grid.
func (q Quota) Area() string { return q.Town + q.Grid }

// Level returns "town" or "grid".
func (q Quota) Level() string {
	if q.Grid != "" {
		return "grid"
	}
	return "town"
}

// covers reports whether a candidate lies in the quota's area.
func (q Quota) covers(c *Candidate) bool {
	if q.Grid != "" {
		return c.GridCode == q.Grid
	}
	return c.TownCode == q.Town
}

var (
	townCodeRE = regexp.MustCompile(`^[0-9]{9}$`)
	gridCodeRE = regexp.MustCompile(`^[0-9]{15}$`)
)

// ValidateQuotas checks the shape of a campaign's quotas: at least one,
// each naming one town (9 digits) or one grid (15 digits) once, a count
// from 0, and at most MaxCampaignDraws in all. Whether the areas exist and
// hold enough entities is for the draw to say.
func ValidateQuotas(qs []Quota) error {
	if len(qs) == 0 {
		return fieldErr("quotas", "is required: at least one {town or grid, count}")
	}
	total := 0
	for i, q := range qs {
		at := fmt.Sprintf("quotas[%d]", i)
		switch {
		case q.Town != "" && q.Grid != "":
			return fieldErr(at, "names both a town and a grid; a quota is for one area")
		case q.Town == "" && q.Grid == "":
			return fieldErr(at, "names no area: give town (9 digits) or grid (15 digits)")
		case q.Town != "" && !townCodeRE.MatchString(q.Town):
			return fieldErr(at+".town", "must be a 9-digit town code, not %q", q.Town)
		case q.Grid != "" && !gridCodeRE.MatchString(q.Grid):
			return fieldErr(at+".grid", "must be a 15-digit grid code, not %q", q.Grid)
		case q.Count < 0:
			return fieldErr(at+".count", "is %d; a count is 0 or more", q.Count)
		case q.Count > MaxCampaignDraws:
			return fieldErr(at+".count", "is %d; a campaign draws at most %d", q.Count, MaxCampaignDraws)
		}
		if j := slices.IndexFunc(qs[:i], func(o Quota) bool { return o.Area() == q.Area() }); j >= 0 {
			return fieldErr(at, "%s %s has a quota already (quotas[%d])", q.Level(), q.Area(), j)
		}
		total += q.Count
	}
	if total > MaxCampaignDraws {
		return fieldErr("quotas", "ask for %d entities in all; a campaign draws at most %d", total, MaxCampaignDraws)
	}
	return nil
}

// CampaignRequest is a double-random campaign as a coordinator asks for
// it. Filters narrow the candidates; the deadline is DueAt or DueDays
// working days (neither: the policy's check deadline).
type CampaignRequest struct {
	Name       string
	Seed       int64
	Quotas     []Quota
	DueAt      *time.Time
	DueDays    int
	Industries []string // industry letters; empty: every industry
	Kinds      []Kind   // empty: every kind
	Items      []string // inspection items of the checks; empty: every city item
	Department string   // who asks, recorded on the tasks; optional
	CreatedBy  string
	// NewEntityDays: registrations younger than this, never inspected, are
	// always drawn; 0 takes DefaultFlagConfig's.
	NewEntityDays int
}

// Params returns the parameters stored with the campaign.
func (r *CampaignRequest) Params() CampaignParams {
	return CampaignParams{Quotas: r.Quotas, Industries: r.Industries, Kinds: r.Kinds, Items: r.Items,
		Department: r.Department, NewEntityDays: r.NewEntityDays}
}

// Validate checks a request at now against the city's inspection items
// (a campaign spans towns, so it asks for city items only). Empty Items
// become every city item, a zero NewEntityDays the default.
func (r *CampaignRequest) Validate(now time.Time, cityItems []Item) error {
	if strings.TrimSpace(r.Name) == "" || utf8.RuneCountInString(r.Name) > MaxNameRunes || !utf8.ValidString(r.Name) {
		return fieldErr("name", "is required, at most %d characters", MaxNameRunes)
	}
	if r.Seed < 0 || r.Seed > MaxCampaignSeed {
		return fieldErr("seed", "must be an integer from 0 to %d (exact in JSON everywhere)", int64(MaxCampaignSeed))
	}
	if err := ValidateQuotas(r.Quotas); err != nil {
		return err
	}
	switch {
	case r.DueAt != nil && r.DueDays != 0:
		return fieldErr("due_at", "is given with due_days; give one of them")
	case r.DueAt != nil && !r.DueAt.After(now):
		return fieldErr("due_at", "%s is not in the future", r.DueAt.Format(time.RFC3339))
	case r.DueAt != nil && r.DueAt.After(now.AddDate(1, 0, 0)):
		return fieldErr("due_at", "is more than a year away")
	case r.DueDays < 0 || r.DueDays > MaxCampaignDays:
		return fieldErr("due_days", "must be 1 to %d working days, not %d", MaxCampaignDays, r.DueDays)
	}
	for i, in := range r.Industries {
		if _, ok := IndustryName(in); !ok {
			return fieldErr(fmt.Sprintf("filters.industry[%d]", i), "%q is not an industry letter (A to T)", in)
		}
	}
	for i, k := range r.Kinds {
		if _, err := ParseKind(string(k)); err != nil {
			return fieldErr(fmt.Sprintf("filters.kind[%d]", i), "%v", err)
		}
	}
	codes := ItemCodes(cityItems)
	for i, code := range r.Items {
		if !slices.Contains(codes, code) {
			return fieldErr(fmt.Sprintf("items[%d]", i), "no city inspection item %q; the items are %s", code, strings.Join(codes, ", "))
		}
		if slices.Index(r.Items, code) != i {
			return fieldErr(fmt.Sprintf("items[%d]", i), "%q is named twice", code)
		}
	}
	if len(r.Items) == 0 {
		r.Items = codes
	}
	if r.NewEntityDays == 0 {
		r.NewEntityDays = DefaultFlagConfig().NewEntityDays
	}
	if r.NewEntityDays < 1 || r.NewEntityDays > 3660 {
		return fieldErr("new_entity_days", "must be 1 to 3660 days, not %d", r.NewEntityDays)
	}
	if utf8.RuneCountInString(r.CreatedBy) > MaxActorRunes || !utf8.ValidString(r.CreatedBy) {
		return fieldErr("created_by", "at most %d characters of valid UTF-8", MaxActorRunes)
	}
	return nil
}

// A Candidate is an active entity a campaign may draw, with the facts its
// weight comes from.
type Candidate struct {
	USCC            USCC
	TownCode        string
	GridCode        string
	Industry        string
	RegisteredAt    time.Time
	LastInspectedAt *time.Time // nil: never inspected
	OpenFlagScore   float64    // the sum of the scores of the open flags concerning it
	Complaints      int        // complaints about it in the last 365 days
	Violations      int        // warnings and penalties, ever
	Serious         int        // serious violations, ever
}

// IndustryRisk is the weight multiplier of an industry section (GB/T
// 4754-2017 letter); a letter not listed (or none) counts 1.
var IndustryRisk = map[string]float64{
	"H": 1.5, // 住宿和餐饮业: food safety, fire load
	"R": 1.5, // 文化、体育和娱乐业: crowds, licensed entertainment
	"F": 1.3, // 批发和零售业: food, drugs, counterfeit goods
	"Q": 1.3, // 卫生和社会工作: clinics
	"C": 1.2, // 制造业: product quality, special equipment
	"O": 1.2, // 居民服务、修理和其他服务业: beauty salons, prepaid cards
	"G": 1.1, // 交通运输、仓储和邮政业: vehicle repair, storage of goods
	"P": 1.1, // 教育: training
	"I": 0.8, // 信息传输、软件和信息技术服务业
	"M": 0.8, // 科学研究和技术服务业
}

// Caps of the weight's terms.
const (
	maxFlagScore     = 200 // open flag score counted, in points
	maxComplaintTerm = 3
	maxViolationTerm = 3
	maxStaleMonths   = 36
)

// Weight is an entity's weight in a draw and the terms it is made of, so
// that a drawn entity can be explained:
//
//	weight = industry × (1 + flags + complaints + violations + inspection)
//
//	flags      = min(open flag score, 200) / 100                 0 … 2
//	complaints = min(0.5 × complaints in the last 365 days, 3)   0 … 3
//	violations = min(0.5 × warnings and penalties
//	                 + 1.5 × serious violations, 3)               0 … 3
//	inspection = min(months since the last inspection, 36) / 12  0 … 3 (never: 3)
//	industry   = IndustryRisk[letter], else 1                     0.8 … 1.5
type Weight struct {
	Weight     float64 `json:"weight"`
	Flags      float64 `json:"flags"`
	Complaints float64 `json:"complaints"`
	Violations float64 `json:"violations"`
	Inspection float64 `json:"inspection"`
	Industry   float64 `json:"industry"`

	// The facts behind the terms.
	OpenFlagScore         float64 `json:"open_flag_score"`
	ComplaintsLastYear    int     `json:"complaints_last_year"`
	ViolationCount        int     `json:"violation_count"`
	SeriousCount          int     `json:"serious_count"`
	MonthsSinceInspection *int    `json:"months_since_inspection"` // null: never inspected
	IndustryCode          string  `json:"industry_code"`
}

// WeightOf returns a candidate's weight at now.
func WeightOf(c Candidate, now time.Time) Weight {
	w := Weight{OpenFlagScore: c.OpenFlagScore, ComplaintsLastYear: c.Complaints, ViolationCount: c.Violations,
		SeriousCount: c.Serious, IndustryCode: c.Industry, Industry: 1}
	if r, ok := IndustryRisk[c.Industry]; ok {
		w.Industry = r
	}
	w.Flags = min(max(c.OpenFlagScore, 0), maxFlagScore) / 100
	w.Complaints = min(0.5*float64(c.Complaints), maxComplaintTerm)
	w.Violations = min(0.5*float64(c.Violations)+1.5*float64(c.Serious), maxViolationTerm)
	w.Inspection = maxStaleMonths / 12
	if c.LastInspectedAt != nil {
		m := max(int(now.Sub(*c.LastInspectedAt).Hours()/24/30.4375), 0)
		w.MonthsSinceInspection = &m
		w.Inspection = float64(min(m, maxStaleMonths)) / 12
	}
	w.Weight = w.Industry * (1 + w.Flags + w.Complaints + w.Violations + w.Inspection)
	return w
}

// IsNew reports whether a candidate is a new registration at now:
// registered within newDays days and never inspected. A campaign always
// includes them.
func (c Candidate) IsNew(now time.Time, newDays int) bool {
	return c.LastInspectedAt == nil && c.RegisteredAt.After(now.AddDate(0, 0, -newDays))
}

// DrawReason says why a campaign holds an entity.
type DrawReason string

// Draw reasons.
const (
	ReasonNew   DrawReason = "new"   // a new registration, always included
	ReasonDrawn DrawReason = "drawn" // drawn at random
)

// A Pick is an entity a campaign holds, the quota it fills and why.
type Pick struct {
	USCC   USCC
	Quota  int // index of the quota in the request
	Reason DrawReason
	Weight Weight
}

// QuotaCount is how a quota was filled.
type QuotaCount struct {
	Quota
	Candidates int `json:"candidates"` // active entities in the area that passed the filters
	New        int `json:"new"`        // new registrations, included on top of the count
	Drawn      int `json:"drawn"`
}

// Sampling holds the parameters of a draw besides the quotas.
type Sampling struct {
	Seed          int64
	Now           time.Time
	NewEntityDays int // FlagConfig.NewEntityDays
}

// Draw draws a campaign's entities from the candidates, quota by quota:
// every new registration of the area, and Count others drawn at random
// without replacement, each with a chance that grows with its weight
// (Efraimidis–Spirakis: the Count largest keys u^(1/weight), u uniform in
// (0, 1) from a hash of the seed and the entity's code). The draw depends
// only on the seed and the candidates, not on their order. A candidate
// fills the first quota whose area holds it, grid quotas before town
// quotas, so a grid's quota within a town's does not draw it twice.
// A quota asking for more than its area can give is an error naming it.
func Draw(cands []Candidate, quotas []Quota, s Sampling) ([]Pick, []QuotaCount, error) {
	if err := ValidateQuotas(quotas); err != nil {
		return nil, nil, err
	}
	cs := slices.Clone(cands)
	slices.SortFunc(cs, func(a, b Candidate) int { return cmp.Compare(a.USCC, b.USCC) })
	cs = slices.CompactFunc(cs, func(a, b Candidate) bool { return a.USCC == b.USCC })

	order := make([]int, len(quotas)) // grid quotas first, then towns, each as given
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(quotas[a].Level(), quotas[b].Level()) }) // "grid" < "town"
	members := make([][]int, len(quotas))
	for ci := range cs {
		for _, qi := range order {
			if quotas[qi].covers(&cs[ci]) {
				members[qi] = append(members[qi], ci)
				break
			}
		}
	}
	seedMix := splitmix64(uint64(s.Seed))
	counts := make([]QuotaCount, len(quotas))
	var picks []Pick
	for qi, q := range quotas {
		counts[qi] = QuotaCount{Quota: q, Candidates: len(members[qi])}
		type keyed struct {
			ci  int
			key float64 // log of u^(1/w): larger is drawn first
			w   Weight
		}
		var pool []keyed
		for _, ci := range members[qi] {
			c := cs[ci]
			w := WeightOf(c, s.Now)
			if c.IsNew(s.Now, s.NewEntityDays) {
				picks = append(picks, Pick{USCC: c.USCC, Quota: qi, Reason: ReasonNew, Weight: w})
				counts[qi].New++
				continue
			}
			pool = append(pool, keyed{ci: ci, key: math.Log(unitHash(seedMix, c.USCC)) / w.Weight, w: w})
		}
		if q.Count > len(pool) {
			at := fmt.Sprintf("quotas[%d].count", qi)
			if len(members[qi]) == 0 {
				return nil, nil, fieldErr(at, "asks for %d in %s %s, but no active entity there matches the campaign", q.Count, q.Level(), q.Area())
			}
			return nil, nil, fieldErr(at, "asks for %d in %s %s, but only %d can be drawn there (%d candidates, of which %d new registrations are included anyway)",
				q.Count, q.Level(), q.Area(), len(pool), len(members[qi]), counts[qi].New)
		}
		slices.SortFunc(pool, func(a, b keyed) int {
			if c := cmp.Compare(b.key, a.key); c != 0 {
				return c
			}
			return cmp.Compare(cs[a.ci].USCC, cs[b.ci].USCC)
		})
		for _, k := range pool[:q.Count] {
			picks = append(picks, Pick{USCC: cs[k.ci].USCC, Quota: qi, Reason: ReasonDrawn, Weight: k.w})
		}
		counts[qi].Drawn = q.Count
	}
	return picks, counts, nil
}

// unitHash returns a number in (0, 1) from the seed and a code: the same
// pair always gives the same number, and the numbers of different codes
// are independent for the draw's purposes.
func unitHash(seedMix uint64, u USCC) float64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(u))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seedMix)
	_, _ = h.Write(b[:])
	x := splitmix64(h.Sum64() ^ seedMix)
	return (float64(x>>11) + 0.5) / (1 << 53)
}

// splitmix64 is the finalizer of SplitMix64 (Steele, Lea, Flood 2014): it
// spreads every input bit over the output.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// WalkingRoute orders points into a short walking route: nearest neighbour from
// the start, then 2-opt until no exchange of two legs shortens it, on
// great-circle distance. Without a start the route begins at points[0]
// (the caller passes its most urgent stop first). The route is open: it
// ends at its last stop. It returns the order of the points and the length
// in metres, start leg included. Equal inputs give equal routes.
func WalkingRoute(start *orb.Point, points []orb.Point) (order []int, metres float64) {
	nodes, offset := points, 0
	if start != nil {
		nodes, offset = append([]orb.Point{*start}, points...), 1
	}
	if len(nodes) == 0 {
		return nil, 0
	}
	path := twoOpt(nodes, nearestNeighbour(nodes))
	order = make([]int, 0, len(points))
	for _, n := range path[offset:] {
		order = append(order, n-offset)
	}
	return order, pathLength(nodes, path)
}

// nearestNeighbour returns a path over every node from node 0, each step
// to the nearest node not yet visited (the lowest index on a tie).
func nearestNeighbour(nodes []orb.Point) []int {
	path := make([]int, 1, len(nodes))
	seen := make([]bool, len(nodes))
	seen[0] = true
	for len(path) < len(nodes) {
		at, next, best := nodes[path[len(path)-1]], -1, math.Inf(1)
		for i, p := range nodes {
			if d := orbgeo.Distance(at, p); !seen[i] && d < best {
				next, best = i, d
			}
		}
		seen[next] = true
		path = append(path, next)
	}
	return path
}

// twoOpt shortens an open path that keeps its first node: it reverses a
// stretch path[i..j] whenever that shortens the path, until none does.
// Each pass is O(n²); a pass that changes nothing ends it.
func twoOpt(nodes []orb.Point, path []int) []int {
	path = slices.Clone(path)
	d := func(a, b int) float64 { return orbgeo.Distance(nodes[path[a]], nodes[path[b]]) }
	n := len(path)
	const eps = 1e-6 // metres: ignore rounding noise, so that it ends
	for improved := true; improved; {
		improved = false
		for i := 1; i < n-1; i++ {
			for j := i + 1; j < n; j++ {
				before, after := d(i-1, i), d(i-1, j)
				if j+1 < n {
					before += d(j, j+1)
					after += d(i, j+1)
				}
				if after < before-eps {
					slices.Reverse(path[i : j+1])
					improved = true
				}
			}
		}
	}
	return path
}

func pathLength(nodes []orb.Point, path []int) float64 {
	total := 0.0
	for i := 1; i < len(path); i++ {
		total += orbgeo.Distance(nodes[path[i-1]], nodes[path[i]])
	}
	return total
}

// A PlanStop is a visit in a plan: its place in the route and the walk
// from the stop before (or the start).
type PlanStop struct {
	Visit
	Order     int     // 1, 2, … in route order; stops without a location come last
	LegMetres float64 // from the previous stop or the start; 0 for the first without a start
	Routed    bool    // false: no location, so not on the route
}

// A Plan is an inspector's visits ordered into a walking route.
type Plan struct {
	Start  *geo.WGS84
	Stops  []PlanStop
	Metres float64 // length of the route, start leg included
	Route  orb.LineString
}

// PlanVisits orders visits into a route from start (nil: from the first
// visit, the most urgent as GroupVisits orders them). Visits without a
// location follow the route in their given order.
func PlanVisits(visits []Visit, start *geo.WGS84) Plan {
	p := Plan{Start: start}
	var located []int
	var points []orb.Point
	for i, v := range visits {
		if v.Location != nil {
			located = append(located, i)
			points = append(points, v.Location.Point())
		}
	}
	var sp *orb.Point
	if start != nil {
		s := start.Point()
		sp = &s
		p.Route = append(p.Route, s)
	}
	order, metres := WalkingRoute(sp, points)
	p.Metres = metres
	prev := sp
	for _, k := range order {
		pt := points[k]
		leg := 0.0
		if prev != nil {
			leg = orbgeo.Distance(*prev, pt)
		}
		p.Stops = append(p.Stops, PlanStop{Visit: visits[located[k]], Order: len(p.Stops) + 1, LegMetres: leg, Routed: true})
		p.Route = append(p.Route, pt)
		prev = &pt
	}
	for _, v := range visits {
		if v.Location == nil {
			p.Stops = append(p.Stops, PlanStop{Visit: v, Order: len(p.Stops) + 1})
		}
	}
	return p
}

// A Campaign is a stored double-random campaign: the request it was drawn
// with, what it drew and the check task of each entity drawn.
type Campaign struct {
	ID        int64
	Name      string
	Seed      int64
	Params    CampaignParams
	CreatedBy string
	CreatedAt time.Time
	DueAt     time.Time
	Counts    CampaignCounts
	Entities  []CampaignEntity // in the order drawn: quota by quota, new registrations first
}

// CampaignParams are the parameters of a draw besides the seed, as stored
// with the campaign: with the seed and the data as it was at the campaign's
// creation they give the same draw.
type CampaignParams struct {
	Quotas        []Quota  `json:"quotas"`
	Industries    []string `json:"industries,omitempty"`
	Kinds         []Kind   `json:"kinds,omitempty"`
	Items         []string `json:"items"`
	Department    string   `json:"department,omitempty"`
	NewEntityDays int      `json:"new_entity_days"`
}

// CampaignCounts sum up a campaign's draw.
type CampaignCounts struct {
	Candidates int          `json:"candidates"`
	New        int          `json:"new"`
	Drawn      int          `json:"drawn"`
	Tasks      int          `json:"tasks"`
	Quotas     []QuotaCount `json:"quotas"`
}

// NewCampaignCounts sums the counts of the quotas.
func NewCampaignCounts(qs []QuotaCount) CampaignCounts {
	c := CampaignCounts{Quotas: qs}
	for _, q := range qs {
		c.Candidates += q.Candidates
		c.New += q.New
		c.Drawn += q.Drawn
	}
	c.Tasks = c.New + c.Drawn
	return c
}

// A CampaignEntity is an entity a campaign holds, why, and its check task.
type CampaignEntity struct {
	USCC       USCC
	Name       string
	TownCode   string
	GridCode   string
	Quota      string // the town or grid code of the quota it fills
	Reason     DrawReason
	Weight     Weight
	TaskID     int64
	TaskStatus TaskStatus
	DueAt      time.Time
}
