package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/supervision"
)

// The market entities of a town: a later stage than the contents, with
// streams of its own ("entities" and "entities/addresses" per town, then
// "history", see entities_history.go), so the address library comes out as
// it did without it.
//
// Each building draws a number of entities from its kind of site and rooms
// (siteDensity): shop houses and office towers many, estates few, demolished
// buildings almost none. Each entity gets a legal form and a format of
// business that suit the site, a registration date (growing over twenty
// years to Config.Until), a name, a business scope, a legal representative,
// and a registered address written by the address-case machinery: 96 % name
// a room, building or doorplate of the library with the noise clerks make,
// 4 % are made up. EntityTruth keeps what each one really names.

// An EntityTruth is the ground truth about an entity's registered address,
// as table demo_entity_truth holds it. The fields mean what those of
// AddressCase mean: Exists is false for a made-up address; TrueCode,
// TrueBuildingID and TrueDoorplate name what the text names (for a made-up
// one, the real part it hangs from, if any); Noise is a Noise* or
// Fabricated* kind.
type EntityTruth struct {
	USCC           supervision.USCC
	Exists         bool
	Noise          string
	TrueCode       string
	TrueBuildingID int64
	TrueDoorplate  string
}

// DefaultUntil is the day the history of the demo city runs up to when
// Config.Until is zero.
var DefaultUntil = time.Date(2026, 11, 1, 0, 0, 0, 0, supervision.Beijing)

// historyYears is how far back inspections, tasks, leads and records go.
const historyYears = 2

// Shares of registered addresses and statuses.
const (
	fabricatedShare = 0.04  // registered addresses that do not exist
	cancelledShare  = 0.045 // 注销
	revokedShare    = 0.015 // 吊销
	changedShare    = 0.25  // active entities changed since registration
	elsewhereShare  = 0.02  // operate elsewhere without telling (异地经营)
	registeredYears = 20.0  // registrations span this many years before Until
	growthPerYear   = 0.178 // makes about 30 % of them fall in the last two years
)

// fate is what became of an entity at its site, which inspections find out.
type fate int

const (
	fateOperating fate = iota
	fateGhost          // never there: 查无此户
	fateMoved          // operates elsewhere since fateAt
	fateClosed         // closed down since fateAt, not cancelled (死火)
	fateElsewhere      // operates elsewhere since fateAt, at away, and says nothing (异地经营)
)

// entState is what the history stage needs to know of an entity and the
// tables do not say.
type entState struct {
	format  *format
	site    int32 // index of the building it operates in (or claims to)
	room    int32 // its room, -1 when it names none
	regAt   time.Time
	endAt   time.Time // cancellation or revocation; zero for an active entity
	fate    fate
	fateAt  time.Time
	risk    float64 // how often inspectors come, relative
	linked  bool    // the registered address exists: tasks go to its grid
	permits []supervision.Routing
	routed  string    // the clauses of the scope the rules route, for Plan
	away    orb.Point // where an entity of fateElsewhere operates

	// What the latest inspection found, set by the history.
	latest     supervision.Outcome // "" when never inspected
	latestAway bool                // it checked in at away
}

// entityGen builds the entities of one town and their history.
type entityGen struct {
	cfg         Config
	until, from time.Time
	town        int // index of the town in the city, for codes unique city-wide
	d           *Divisions
	c           *TownContents
	ct          *caseTown
	cg          *caseGen // draws the registered addresses
	r           *rand.Rand
	stem        string // 长安 of 长安镇, as names write it
	doorIdx     map[string]int32
	usccAdd     uint64
	routes      *routeCache

	sites  []site
	states []entState
}

// addEntities adds to c (of the town with index ti in d) its market
// entities, their ground truth and their history up to cfg's Until.
// Building IDs of c are still local to the town.
func addEntities(ctx context.Context, cfg Config, d *Divisions, ti int, c *TownContents) error {
	ct := newCaseTown(d, c)
	if ct == nil {
		return fmt.Errorf("town %s is not in the divisions", c.TownCode)
	}
	until := cfg.until()
	g := &entityGen{
		cfg: cfg, until: until, from: until.AddDate(-historyYears, 0, 0),
		town: ti, d: d, c: c, ct: ct,
		cg:      &caseGen{ct: ct, r: newRand(cfg.Seed, c.TownCode, "entities", "addresses")},
		r:       newRand(cfg.Seed, c.TownCode, "entities"),
		stem:    townStem(ct.town.Name),
		routes:  newRouteCache(),
		usccAdd: newRand(cfg.Seed, "uscc").Uint64() % usccSpace,
	}
	g.doorIdx = make(map[string]int32, len(c.Doorplates))
	for i, dp := range c.Doorplates {
		g.doorIdx[dp.Code] = int32(i)
	}
	g.classify()
	var expect float64
	for bi := range c.Buildings {
		expect += g.density(int32(bi))
	}
	n := int(expect*1.05) + 16
	c.Entities = make([]supervision.Entity, 0, n)
	c.EntityTruth = make([]EntityTruth, 0, n)
	g.states = make([]entState, 0, n)
	for bi := range c.Buildings {
		if bi%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for range poisson(g.r, g.density(int32(bi))) {
			if err := g.entity(int32(bi), spec{}); err != nil {
				return err
			}
		}
	}
	if err := g.anomalies(); err != nil {
		return err
	}
	if err := g.history(ctx); err != nil {
		return err
	}
	g.flagTruth()
	return nil
}

// classify gives each building its kind of site.
func (g *entityGen) classify() {
	c := g.c
	placeKind := make(map[int64]string, len(c.Places))
	for _, p := range c.Places {
		placeKind[p.ID] = p.Kind
	}
	g.sites = make([]site, len(c.Buildings))
	for i := range c.Buildings {
		b := &c.Buildings[i]
		pk := placeKind[b.PlaceID]
		var s site
		switch b.Use {
		case addressbook.UseResidential:
			switch {
			case b.Label == "宿舍楼":
				s = siteDorm
			case pk == addressbook.PlaceEstate:
				s = siteEstate
			default:
				s = siteHouse
			}
		case addressbook.UseIndustrial:
			s = siteFactory
		case addressbook.UsePublic:
			s = sitePublic
		default:
			switch pk {
			case addressbook.PlaceMarket:
				s = siteMarket
			case addressbook.PlacePlaza:
				s = siteMall
			case "":
				s = siteShopHouse
			default:
				s = siteTower
			}
		}
		g.sites[i] = s
	}
}

// density is the number of entities building bi draws on average.
func (g *entityGen) density(bi int32) float64 {
	d := siteDensity[g.sites[bi]]
	lam := d.base
	for _, ri := range g.ct.bldgRooms[bi] {
		switch kindOfRoom(g.c.Rooms[ri].Label) {
		case roomShop, roomStall:
			lam += d.shop
		default:
			lam += d.flat
		}
	}
	switch g.c.Buildings[bi].Status {
	case addressbook.StatusDemolished:
		lam *= 0.15 // an anomaly: registered in a building that is gone
	case addressbook.StatusSlated:
		lam *= 0.8
	}
	return lam * densityScale[g.cfg.Scale]
}

// formatWeights is, per kind and site, the weight of each format.
var formatWeights = func() map[supervision.Kind]*[numSites][]float64 {
	m := map[supervision.Kind]*[numSites][]float64{}
	for _, k := range entityKinds {
		var w [numSites][]float64
		for s := range numSites {
			w[s] = make([]float64, len(formats))
			for i, f := range formats {
				if f.kind == k {
					w[s][i] = f.where[s]
				}
			}
		}
		m[k] = &w
	}
	return m
}()

func (g *entityGen) pickFormat(k supervision.Kind, s site) *format {
	w := formatWeights[k][s]
	if slices.Max(w) == 0 {
		return &formats[fallbackFormat[k]]
	}
	return &formats[weighted(g.r, w)]
}

// spec is what an injected anomaly decides of an entity; the zero spec
// decides nothing.
type spec struct {
	format *format // its format of business
	at     *target // what its registered address names, which exists
	permit string  // a permit item added to its scope
}

// entity adds an entity that operates in building bi.
func (g *entityGen) entity(bi int32, sp spec) error {
	r := g.r
	s := g.sites[bi]
	kind := entityKinds[weighted(r, siteKinds[s][:])]
	f := g.pickFormat(kind, s)
	if sp.format != nil {
		f, kind = sp.format, sp.format.kind
	}
	st := entState{format: f, site: bi, room: -1}

	// Registration: a working day over the last twenty years, more of them
	// lately; the time of day is when the registration system wrote it.
	x := r.Float64()
	ago := registeredYears - math.Log(1+x*(math.Exp(growthPerYear*registeredYears)-1))/growthPerYear
	day := g.until.AddDate(0, 0, -1-int(ago*365.25))
	if day = workday(day); !day.Before(g.until) {
		day = day.AddDate(0, 0, -3) // the Friday before, not the Monday after
	}
	st.regAt = day.Add(time.Duration(9*3600+r.IntN(8*3600)) * time.Second)
	registered := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, supervision.Beijing)

	e := supervision.Entity{Kind: kind, Status: supervision.Active, RegisteredAt: registered, Industry: f.industry}
	seq := len(g.c.Entities)
	if seq >= 1<<usccSeqBits {
		return fmt.Errorf("more than %d entities in town %s", 1<<usccSeqBits, g.c.TownCode)
	}
	e.USCC = g.uscc(kind, registered, seq)

	switch x := r.Float64(); {
	case x < cancelledShare+revokedShare:
		lo := st.regAt.Add(60 * 24 * time.Hour)
		if !lo.Before(g.until) {
			break
		}
		e.Status = supervision.Cancelled
		if x >= cancelledShare {
			e.Status = supervision.Revoked
		}
		st.endAt = workTime(r, lo.Add(time.Duration(r.Float64()*float64(g.until.Sub(lo)))), 9, 17)
		if !st.endAt.Before(g.until) {
			st.endAt = lo
		}
	}

	e.LegalRep = g.person()
	e.Name = g.name(f, kind, e.LegalRep)
	var scopeItems []string
	e.Scope, scopeItems = g.scope(f, kind, registered, sp.permit)
	e.Phone = g.phone()
	e.IDNumber = g.idNumber(registered)
	st.permits, st.routed = g.routes.route(scopeItems)

	ac := g.address(&st, registered, sp.at)
	e.AddressText = ac.Text
	st.linked = ac.Exists
	g.c.EntityTruth = append(g.c.EntityTruth, EntityTruth{
		USCC: e.USCC, Exists: ac.Exists, Noise: ac.Noise,
		TrueCode: ac.TrueCode, TrueBuildingID: ac.TrueBuildingID, TrueDoorplate: ac.TrueDoorplate,
	})

	g.fate(&st, ac.Exists)
	e.ReportYear = g.reportYear(&st, kind)
	e.ChangedAt = st.regAt
	switch {
	case !st.endAt.IsZero():
		e.ChangedAt = st.endAt
	case r.Float64() < changedShare:
		if span := g.until.Sub(st.regAt); span > 48*time.Hour {
			e.ChangedAt = workTime(r, st.regAt.Add(24*time.Hour+time.Duration(r.Float64()*float64(span-48*time.Hour))), 9, 17)
		}
	}
	if e.ChangedAt.Before(st.regAt) || !e.ChangedAt.Before(g.until) {
		e.ChangedAt = st.regAt
	}
	if st.risk = f.risk * math.Exp(0.4*r.NormFloat64()-0.08); st.fate == fateGhost {
		st.risk *= 0.8
	}
	g.c.Entities = append(g.c.Entities, e)
	g.states = append(g.states, st)
	return nil
}

// fate decides what became of the entity at its site.
func (g *entityGen) fate(st *entState, exists bool) {
	r := g.r
	// at returns a time between t0 and the end of the entity's life.
	at := func(t0 time.Time) time.Time {
		end := g.until
		if !st.endAt.IsZero() {
			end = st.endAt
		}
		if !t0.Before(end) {
			return t0
		}
		return t0.Add(time.Duration(r.Float64() * float64(end.Sub(t0))))
	}
	ghost := 0.025
	if s := g.sites[st.site]; s == siteTower || s == siteEstate {
		ghost *= 2 // cluster registrations in offices and flats
	}
	switch x := r.Float64(); {
	case !exists:
		st.fate, st.fateAt = fateGhost, st.regAt
	case g.c.Buildings[st.site].Status == addressbook.StatusDemolished:
		st.fate = fateMoved
		if x < 0.4 {
			st.fate = fateClosed
		}
		st.fateAt = at(maxTime(st.regAt, g.from.AddDate(-1, 0, 0)))
	case !st.endAt.IsZero():
		// Cancelled or revoked: closed some months before.
		st.fate, st.fateAt = fateClosed, maxTime(st.regAt, st.endAt.Add(-time.Duration(30+r.IntN(330))*24*time.Hour))
	case x < ghost:
		st.fate, st.fateAt = fateGhost, st.regAt
	case x < ghost+0.04:
		st.fate, st.fateAt = fateMoved, at(st.regAt)
	case x < ghost+0.04+elsewhereShare:
		st.fate, st.fateAt = fateElsewhere, at(st.regAt)
		st.away = g.awayFrom(&g.c.Buildings[st.site])
	case x < ghost+0.09+elsewhereShare:
		st.fate, st.fateAt = fateClosed, at(st.regAt)
	}
}

// reportYear returns the last year the entity filed an annual report for.
// The report for a year is due by 30 June of the next.
func (g *entityGen) reportYear(st *entState, kind supervision.Kind) int {
	r := g.r
	end := g.until
	if !st.endAt.IsZero() {
		end = st.endAt
	}
	if st.fate == fateClosed && st.fateAt.Before(end) {
		end = st.fateAt // a business closed down files no more reports
	}
	reg := st.regAt.Year()
	due := lastDue(end)
	diligent := map[supervision.Kind]float64{supervision.Enterprise: 0.96, supervision.Individual: 0.95, supervision.Cooperative: 0.9}[kind]
	if st.fate == fateGhost || st.fate == fateClosed && st.fateAt.Before(end) {
		diligent = 0.7
	}
	if r.Float64() < diligent {
		// Some file the report of the year just ended before the deadline.
		if due+1 >= reg && due+1 < end.Year() && r.Float64() < 0.6 {
			return due + 1
		}
		if due >= reg {
			return due
		}
		return 0
	}
	if due > reg {
		return reg + r.IntN(due-reg)
	}
	return 0
}

// lastDue returns the last year whose annual report was due by t.
func lastDue(t time.Time) int {
	t = t.In(supervision.Beijing)
	if t.After(time.Date(t.Year(), 7, 1, 0, 0, 0, 0, supervision.Beijing)) {
		return t.Year() - 1
	}
	return t.Year() - 2
}

// USCC codes: 9 (market regulation), the kind, 441900, and a nine-character
// organization code whose last six characters are a bijection of the
// town's index and the entity's number in it, so codes are unique across
// the city and look random.
const (
	usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	usccSpace    = 31 * 31 * 31 * 31 * 31 * 31
	usccMul      = 387420489 // 3^18: prime to 31, so multiplying by it permutes the space
	usccSeqBits  = 22        // entities per town: 4 million
)

// usccEra is when codes started to be given with registrations (1 October
// 2015); entities registered before got codes converted from their old ones.
var usccEra = time.Date(2015, 10, 1, 0, 0, 0, 0, supervision.Beijing)

func (g *entityGen) uscc(kind supervision.Kind, registered time.Time, seq int) supervision.USCC {
	n := uint64(g.town)<<usccSeqBits | uint64(seq)
	y := (usccMul*n + g.usccAdd) % usccSpace
	var b strings.Builder
	b.Grow(18)
	b.WriteByte('9')
	b.WriteByte(map[supervision.Kind]byte{supervision.Enterprise: '1', supervision.Individual: '2', supervision.Cooperative: '3'}[kind])
	b.WriteString("441900")
	digit := func() byte { return byte('0' + g.r.IntN(10)) }
	switch {
	case !registered.Before(usccEra) && kind == supervision.Individual:
		b.WriteString("MA5")
	case !registered.Before(usccEra):
		b.WriteString("MA4")
	case kind == supervision.Individual:
		b.Write([]byte{'L', digit(), digit()})
	default:
		b.Write([]byte{"3567"[g.r.IntN(4)], digit(), digit()})
	}
	var core [6]byte
	for i := 5; i >= 0; i-- {
		core[i] = usccAlphabet[y%31]
		y /= 31
	}
	b.Write(core[:])
	check, err := supervision.USCCCheck(b.String())
	if err != nil {
		panic("demo: " + err.Error()) // the characters come from the alphabet
	}
	b.WriteByte(check)
	return supervision.USCC(b.String())
}

// tradeName returns a 字号 of two characters: 鸿达, 金利.
func (g *entityGen) tradeName() string {
	a := g.r.IntN(len(tradeNameChars))
	b := g.r.IntN(len(tradeNameChars) - 1)
	if b >= a {
		b++
	}
	return string([]rune{tradeNameChars[a], tradeNameChars[b]})
}

func (g *entityGen) name(f *format, kind supervision.Kind, person string) string {
	r := g.r
	trade := pick(r, f.trades)
	switch kind {
	case supervision.Enterprise:
		prefix := []string{"东莞市", "东莞市", "东莞市", "东莞市", "东莞市", "东莞市", "广东", "东莞"}[r.IntN(8)]
		suffix := "有限公司"
		switch x := r.Float64(); {
		case x < 0.04 && f.industry == "C":
			return "东莞市" + g.stem + g.tradeName() + trade + "厂"
		case x < 0.06:
			suffix = "有限责任公司"
		}
		return prefix + g.tradeName() + trade + suffix
	case supervision.Cooperative:
		if r.IntN(2) == 0 {
			return "东莞市" + g.stem + g.tradeName() + trade + "专业合作社"
		}
		return "东莞市" + g.stem + trade + "种植专业合作社"
	}
	switch x := r.Float64(); {
	case x < 0.1:
		return "个体户" + person
	case x < 0.2:
		return g.tradeName() + trade
	case x < 0.5:
		return "东莞市" + g.ct.town.Name + g.tradeName() + trade
	}
	return "东莞市" + g.stem + g.tradeName() + trade
}

// scope writes the business scope: items of the format, with the
// standard phrases of its time. It returns the items too.
func (g *entityGen) scope(f *format, kind supervision.Kind, registered time.Time, extra string) (string, []string) {
	r := g.r
	var general, permit []string
	n := 2 + r.IntN(3)
	if kind == supervision.Individual {
		n = 1 + r.IntN(3)
	}
	for _, i := range r.Perm(len(f.general)) {
		if len(general) == n {
			break
		}
		general = append(general, f.general[i])
	}
	for _, it := range f.permits {
		if r.Float64() < it.p {
			permit = append(permit, pick(r, it.texts))
		}
	}
	if extra != "" && !slices.Contains(permit, extra) {
		permit = append(permit, extra)
	}
	all := append(general, permit...)
	switch {
	case registered.Year() >= 2021 && kind != supervision.Individual:
		s := "一般项目：" + strings.Join(general, "；") + scopeGeneralEnd
		if len(permit) > 0 {
			s += "许可项目：" + strings.Join(permit, "；") + scopePermitEnd
		}
		return s, all
	case kind == supervision.Individual:
		return strings.Join(append(permit, general...), pickString(r, "；", "、", "，")), all
	}
	s := strings.Join(all, "；")
	if len(permit) > 0 || r.IntN(2) == 0 {
		s += "。" + scopeOldEnd
	}
	return s, all
}

// routeCache routes business scopes made of items, routing each item once.
// Items are whole clauses (a negation inside one ends with it, a keyword
// never spans two), so the routing of a scope is what the rules find in its
// items, merged as supervision.Route merges them.
type routeCache struct {
	rules []supervision.ScopeRule
	items map[string]map[string]bool // item → department+"\x00"+keyword found
}

func newRouteCache() *routeCache {
	return &routeCache{rules: supervision.DefaultRules(), items: map[string]map[string]bool{}}
}

// route returns the routing of a scope made of items, and the items that
// make it, joined as clauses: a scope that routes the same.
func (rc *routeCache) route(items []string) ([]supervision.Routing, string) {
	found := map[string]bool{}
	var routed []string
	for _, it := range items {
		hits, ok := rc.items[it]
		if !ok {
			hits = map[string]bool{}
			for _, r := range supervision.Route(rc.rules, it) {
				for _, k := range r.Keywords {
					hits[r.Department+"\x00"+k] = true
				}
			}
			rc.items[it] = hits
		}
		for k := range hits {
			found[k] = true
		}
		if len(hits) > 0 {
			routed = append(routed, it)
		}
	}
	var out []supervision.Routing
	for _, r := range rc.rules {
		var hits []string
		for _, k := range r.Keywords {
			if found[r.Department+"\x00"+k] && !slices.Contains(hits, k) {
				hits = append(hits, k)
			}
		}
		if len(hits) == 0 {
			continue
		}
		if i := slices.IndexFunc(out, func(x supervision.Routing) bool { return x.Department == r.Department }); i >= 0 {
			out[i].Keywords = append(out[i].Keywords, hits...)
			continue
		}
		out = append(out, supervision.Routing{Department: r.Department, Keywords: hits})
	}
	return out, strings.Join(routed, "；")
}

// person returns a name: 陈志强, 李敏.
func (g *entityGen) person() string {
	r := g.r
	s := surnames[weighted(r, surnameWeights)]
	s += string(givenChars[r.IntN(len(givenChars))])
	if r.Float64() < 0.8 {
		s += string(givenChars[r.IntN(len(givenChars))])
	}
	return s
}

// phone returns a mobile number: 1[3-9] and nine digits.
func (g *entityGen) phone() string {
	b := []byte(pick(g.r, phonePrefixes))
	for range 8 {
		b = append(b, byte('0'+g.r.IntN(10)))
	}
	return string(b)
}

// idNumber returns an identity number (GB 11643-1999) of someone between 20
// and 62 years old at registration, with its check character.
func (g *entityGen) idNumber(registered time.Time) string {
	r := g.r
	birth := registered.AddDate(-20-r.IntN(42), 0, -r.IntN(365))
	b := []byte(pick(r, idRegions) + birth.Format("20060102"))
	for range 3 {
		b = append(b, byte('0'+r.IntN(10)))
	}
	return string(b) + string(idCheck(string(b)))
}

// idCheck returns the check character of the first 17 digits of an
// identity number.
func idCheck(first17 string) byte {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

// The noise of registered addresses. Since 2018 registrations pick the
// standard address from the library, so newer ones are cleaner.
var (
	fabricatedWeights = []float64{kWrongNumber: 25, kWrongRoom: 35, kWrongRoad: 20, kWrongBuilding: 20}
	noiseWeights      = func() []float64 {
		w := slices.Clone(kindShares[:kWrongNumber])
		w[kClean] = 0
		return w
	}()
)

// address writes the registered address of an entity operating in st.site,
// or a made-up one, and moves st.site to where a made-up one hangs from.
// With at, it writes at (of st.site), with noise, and never makes one up.
func (g *entityGen) address(st *entState, registered time.Time, at *target) AddressCase {
	r := g.r
	if at == nil && r.Float64() < fabricatedShare {
		if d, ok := g.cg.one(caseKind(weighted(r, fabricatedWeights))); ok {
			ac := resolve([]draft{d}, nil)[0]
			switch di, ok := g.doorIdx[ac.TrueDoorplate]; {
			case ac.TrueBuildingID != 0:
				st.site = int32(ac.TrueBuildingID - 1)
			case ok && len(g.ct.doorBldgs[di]) > 0:
				st.site = g.ct.doorBldgs[di][0]
			}
			return ac
		}
	}
	clean := 0.3
	if registered.Year() >= 2018 {
		clean = 0.55
	}
	for range 8 {
		var noises []caseKind
		k := kClean
		if r.Float64() >= clean {
			k = caseKind(weighted(r, noiseWeights))
			switch k {
			case kCombined:
				noises = g.cg.pickCombo()
			default:
				noises = []caseKind{k}
			}
		}
		var t target
		if at != nil {
			t = *at
		} else {
			t = g.target(st, g.cg.pickLevel(noises))
		}
		if k == kZoneForTown && !g.zoneable(t) {
			continue
		}
		b := &build{}
		if g.cg.writeAt(b, t, noises) {
			st.room = t.room
			var combo []caseKind
			if k == kCombined {
				combo = noises
			}
			return resolve([]draft{g.cg.draft(b, k, combo)}, nil)[0]
		}
	}
	b := &build{}
	t := g.target(st, LevelRoom)
	if at != nil {
		t = *at
	}
	g.cg.writeAt(b, t, nil)
	st.room = t.room
	return resolve([]draft{g.cg.draft(b, kClean, nil)}, nil)[0]
}

// zoneable reports whether t may be written with a functional zone for its
// town (see fillPools).
func (g *entityGen) zoneable(t target) bool {
	ct := g.ct
	return ct.doorZone[t.door] >= 0 && ct.uniqueVil[ct.villages[g.c.Doorplates[t.door].VillageCode]]
}

// target returns the part of the entity's building its address names at
// level: a shop takes a shop, a stall or the ground floor, an office an
// upper floor. An address names a doorplate only when the doorplate (and
// the place at it) has that one building; else it names the building, as
// registration requires.
func (g *entityGen) target(st *entState, level string) target {
	ct := g.ct
	bi := st.site
	t := target{level: level, door: ct.bldgDoor[bi], bldg: bi, room: -1}
	rooms := ct.bldgRooms[bi]
	switch {
	case level == LevelDoorplate && !g.oneBuilding(t.door):
		t.level = LevelBuilding
	case level == LevelDoorplate:
		t.bldg = -1
	case level == LevelRoom && len(rooms) == 0:
		t.level = LevelBuilding
	case level == LevelRoom:
		t.room = g.pickRoom(rooms, st.format.shop)
	}
	return t
}

// oneBuilding reports whether doorplate di, and the place at it, if any,
// have one building: what an address naming the doorplate names.
func (g *entityGen) oneBuilding(di int32) bool {
	pi := g.ct.doorPlace[di]
	return len(g.ct.doorBldgs[di]) == 1 && (pi < 0 || len(g.ct.placeBldgs[pi]) <= 1)
}

func (g *entityGen) pickRoom(rooms []int32, shop bool) int32 {
	n := 0
	for _, ri := range rooms {
		if g.shopRoom(ri) == shop {
			n++
		}
	}
	if n == 0 {
		return rooms[g.r.IntN(len(rooms))]
	}
	k := g.r.IntN(n)
	for _, ri := range rooms {
		if g.shopRoom(ri) == shop {
			if k == 0 {
				return ri
			}
			k--
		}
	}
	panic("unreachable")
}

// shopRoom reports whether room ri is a shop, a stall or on the ground floor.
func (g *entityGen) shopRoom(ri int32) bool {
	rm := &g.c.Rooms[ri]
	k := kindOfRoom(rm.Label)
	return k == roomShop || k == roomStall || rm.Floor == 1
}

// workday returns the day of t, or the Monday after when t falls on a
// weekend.
func workday(t time.Time) time.Time {
	t = t.In(supervision.Beijing)
	switch t.Weekday() {
	case time.Saturday:
		t = t.AddDate(0, 0, 2)
	case time.Sunday:
		t = t.AddDate(0, 0, 1)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, supervision.Beijing)
}

// workTime returns a time on the working day of t between the hours from
// and to (Beijing time), to the second.
func workTime(r *rand.Rand, t time.Time, from, to int) time.Time {
	return workday(t).Add(time.Duration(from*3600+r.IntN((to-from)*3600)) * time.Second)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// poisson draws from a Poisson distribution of mean lam.
func poisson(r *rand.Rand, lam float64) int {
	if lam <= 0 {
		return 0
	}
	if lam > 30 {
		return max(0, int(math.Round(lam+math.Sqrt(lam)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lam), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// centroid returns the mean of a building's outer ring, without its
// closing point: inside the convex footprints the generator draws.
func centroid(b *addressbook.Building) orb.Point {
	ring := b.Geom[0]
	n := len(ring) - 1
	if n <= 0 {
		return ring[0]
	}
	var x, y float64
	for _, p := range ring[:n] {
		x += p[0]
		y += p[1]
	}
	return orb.Point{x / float64(n), y / float64(n)}
}
