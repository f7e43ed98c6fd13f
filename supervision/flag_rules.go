package supervision

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/geo"
)

// A VisitFact is an on-site inspection as the rules see it.
type VisitFact struct {
	ID        int64
	At        time.Time
	Inspector string
	Outcome   Outcome
	CRS       string // as the inspector's app declared it; Location is WGS84
	Location  geo.WGS84
	// DistanceM is the distance in metres from the point to the footprint
	// of the building the entity is linked to (0 inside it), or to its
	// address point when it has no building: exact when over the off-site
	// threshold, else a bound under it; negative when the entity has no
	// location.
	DistanceM float64
}

// EntityFacts are the facts about an entity the rules read: the
// registration, the link and the building, whether the address is an
// approved cluster host, the latest visit and its streak, complaints in
// the hot-spot window, and an overdue first check.
type EntityFacts struct {
	USCC         USCC
	Name         string
	Kind         Kind
	Status       Status
	Industry     string
	Scope        string
	AddressText  string // the registered address as typed
	RegisteredAt time.Time
	ReportYear   int
	LegalRep     string
	Phone        string
	IDNumber     string

	LinkStatus  addressbook.MatchStatus // "" when not linked yet
	LinkLevel   addressbook.MatchLevel
	LinkScore   float64
	LinkIssues  []string // issue codes
	AddressCode string
	BuildingID  int64
	GridCode    string
	VillageCode string
	TownCode    string
	Location    *geo.WGS84

	BuildingStatus string // "" without a building
	BuildingUse    string
	BuildingLabel  string
	Host           string // the approved cluster host's name, "" when the address is none

	LastInspectedAt *time.Time
	LastVisit       *VisitFact // the latest inspection, nil without one
	VisitStreak     int        // the latest visits in a row with LastVisit's outcome
	Complaints      int        // about the entity within the hot-spot window
	FirstCheck      *Task      // an open first check past its deadline
}

// A ComplaintArea is the complaints of one industry at a building or in a
// grid within the hot-spot window.
type ComplaintArea struct {
	Level       string // building or grid
	BuildingID  int64
	GridCode    string
	VillageCode string
	TownCode    string
	Location    *geo.WGS84
	Industry    string
	Count       int
	USCCs       []USCC // the entities complained about, if any
}

// FlagRules are the rules with their thresholds and restricted trades.
// Make them with NewFlagRules.
type FlagRules struct {
	Config FlagConfig
	Trades []RestrictedTrade
	trades *Router // the trades' keywords, indexed
	uses   map[string]bool
}

// NewFlagRules returns the rules with cfg's thresholds (defaults where
// zero) and the restricted trades ts.
func NewFlagRules(cfg FlagConfig, ts []RestrictedTrade) FlagRules {
	r := FlagRules{Config: cfg.WithDefaults(), Trades: ts, trades: NewRouter(tradeRules(ts)), uses: map[string]bool{}}
	for _, t := range ts {
		for _, u := range t.Uses {
			r.uses[u] = true
		}
	}
	return r
}

// AbnormalGround is the ground an entity not found at its registered
// address is listed on: 《企业经营异常名录管理暂行办法》第四条第（四）项.
const AbnormalGround = "通过登记的住所或者经营场所无法联系（《企业经营异常名录管理暂行办法》第四条第（四）项）"

// Entity returns the findings of the rules about one entity alone. Only
// active entities are judged.
func (r FlagRules) Entity(f *EntityFacts, now time.Time) []Finding {
	if f.Status != Active {
		return nil
	}
	var out []Finding
	for _, rule := range []func(*EntityFacts, time.Time) *Finding{
		r.address, r.building, r.restricted, r.OffSite, r.notFound, r.hotspot, r.dormant, r.blindSpot,
	} {
		if x := rule(f, now); x != nil {
			out = append(out, *x)
		}
	}
	return out
}

// about returns a finding of kind k about entity f.
func about(k FlagKind, f *EntityFacts, score float64, title string, ev map[string]any) *Finding {
	ev["entity"] = map[string]any{"uscc": string(f.USCC), "name": f.Name}
	return &Finding{Kind: k, Subject: "entity:" + string(f.USCC), USCC: f.USCC, USCCs: []USCC{f.USCC},
		AddressCode: f.AddressCode, BuildingID: f.BuildingID, GridCode: f.GridCode, VillageCode: f.VillageCode,
		TownCode: f.TownCode, Location: f.Location, Score: clampScore(score), Title: title, Evidence: ev}
}

func clampScore(s float64) float64 { return math.Round(min(100, max(0, s))*10) / 10 }

func linkEvidence(f *EntityFacts) map[string]any {
	return map[string]any{"status": string(f.LinkStatus), "level": string(f.LinkLevel),
		"score": math.Round(f.LinkScore*1000) / 1000, "issues": nonNil(f.LinkIssues), "address_code": f.AddressCode}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// address: the registered address is not in the library, names a number
// or room that does not exist, or matched only at road, village or town
// level.
func (r FlagRules) address(f *EntityFacts, _ time.Time) *Finding {
	ev := map[string]any{"registered_address": "", "link": linkEvidence(f)}
	switch {
	case f.LinkStatus == "":
		return nil // not linked yet: the linker queues it again
	case f.LinkStatus == addressbook.NotFound || f.LinkStatus == addressbook.Invalid:
		reason, score, title := "not_in_library", 80.0, "登记地址不在标准地址库中"
		switch {
		case slices.Contains(f.LinkIssues, addressbook.IssueRoomNotFound):
			reason, score, title = "no_such_room", 90, "登记的户室在标准地址库中不存在"
		case slices.Contains(f.LinkIssues, addressbook.IssueNumberNotFound), slices.Contains(f.LinkIssues, addressbook.IssueBuildingNotFound):
			reason, score, title = "no_such_number", 85, "登记的门牌或楼栋在标准地址库中不存在"
		}
		ev["reason"] = reason
		return about(FlagAddress, f, score, title, withAddress(ev, f))
	case f.LinkStatus == addressbook.Ambiguous:
		ev["reason"] = "ambiguous"
		return about(FlagAddress, f, 50, "登记地址对应多个标准地址，无法确定", withAddress(ev, f))
	case f.LinkLevel == addressbook.AtRoad || f.LinkLevel == addressbook.AtVillage || f.LinkLevel == addressbook.AtTown:
		ev["reason"] = "coarse_match"
		return about(FlagAddress, f, 60, "登记地址仅匹配到"+levelName[f.LinkLevel]+"一级", withAddress(ev, f))
	}
	return nil
}

var levelName = map[addressbook.MatchLevel]string{addressbook.AtRoad: "街路巷", addressbook.AtVillage: "村（社区）", addressbook.AtTown: "镇街"}

func withAddress(ev map[string]any, f *EntityFacts) map[string]any {
	ev["registered_address"] = f.AddressText
	return ev
}

// building: the building is demolished or slated for demolition, or the
// matched address has no building at all.
func (r FlagRules) building(f *EntityFacts, _ time.Time) *Finding {
	if f.LinkStatus != addressbook.Matched {
		return nil
	}
	ev := map[string]any{"link": linkEvidence(f)}
	if f.BuildingID == 0 {
		ev["reason"] = "no_building"
		return about(FlagBuilding, f, 50, "登记地址没有对应的建筑物", ev)
	}
	ev["building"] = map[string]any{"id": f.BuildingID, "label": f.BuildingLabel, "status": f.BuildingStatus, "use": f.BuildingUse}
	switch f.BuildingStatus {
	case addressbook.StatusDemolished:
		ev["reason"] = "demolished"
		return about(FlagBuilding, f, 90, "登记地址所在建筑物已拆除", ev)
	case addressbook.StatusSlated:
		ev["reason"] = "slated"
		return about(FlagBuilding, f, 60, "登记地址所在建筑物已列入拆除计划", ev)
	}
	return nil
}

// restricted: a trade named in the scope that the building's use does not
// allow.
func (r FlagRules) restricted(f *EntityFacts, _ time.Time) *Finding {
	if r.trades == nil {
		r = NewFlagRules(r.Config, r.Trades)
	}
	if f.BuildingUse == "" || f.BuildingStatus == addressbook.StatusDemolished || !r.uses[f.BuildingUse] {
		return nil
	}
	var hits []map[string]any
	for _, rt := range r.trades.Route(f.Scope) {
		i := slices.IndexFunc(r.Trades, func(t RestrictedTrade) bool { return t.Code == rt.Department })
		if t := r.Trades[i]; slices.Contains(t.Uses, f.BuildingUse) {
			hits = append(hits, map[string]any{"trade": t.Code, "label": t.Label, "keywords": rt.Keywords, "unsuitable_uses": t.Uses})
		}
	}
	if len(hits) == 0 {
		return nil
	}
	labels := make([]string, len(hits))
	for i, h := range hits {
		labels[i] = h["label"].(string)
	}
	ev := map[string]any{"trades": hits, "scope": f.Scope,
		"building": map[string]any{"id": f.BuildingID, "label": f.BuildingLabel, "use": f.BuildingUse, "status": f.BuildingStatus}}
	return about(FlagRestricted, f, 60+10*float64(len(hits)),
		strings.Join(labels, "、")+"经营场所为"+useName[f.BuildingUse]+"建筑", ev)
}

var useName = map[string]string{
	addressbook.UseResidential: "住宅", addressbook.UseCommercial: "商业", addressbook.UseOffice: "办公",
	addressbook.UseIndustrial: "工业", addressbook.UseMixed: "商住", addressbook.UsePublic: "公共",
}

// OffSite judges the latest visit: a check-in farther than the threshold
// from the registered building's footprint, or an inspector's report that
// the business operates elsewhere (outcome moved).
func (r FlagRules) OffSite(f *EntityFacts, _ time.Time) *Finding {
	if f.Status != Active || f.LastVisit == nil {
		return nil
	}
	v := *f.LastVisit
	ev := map[string]any{"inspection": visitEvidence(v), "threshold_m": r.Config.OffSiteMetres}
	if f.BuildingID != 0 {
		ev["building"] = map[string]any{"id": f.BuildingID, "label": f.BuildingLabel}
	}
	switch {
	case v.Outcome == OutcomeMoved:
		ev["reason"] = "reported_elsewhere"
		return about(FlagOffSite, f, 80, "巡查发现该主体已不在登记地址经营", ev)
	case v.DistanceM > r.Config.OffSiteMetres:
		ev["reason"] = "far_from_building"
		ev["distance_m"] = math.Round(v.DistanceM)
		to := "登记建筑物"
		if f.BuildingID == 0 {
			ev["measured_to"] = "address_point"
			to = "登记地址"
		}
		return about(FlagOffSite, f, 60+(v.DistanceM-r.Config.OffSiteMetres)/25,
			fmt.Sprintf("现场签到位置距%s %.0f 米，疑似异地经营", to, v.DistanceM), ev)
	}
	return nil
}

func visitEvidence(v VisitFact) map[string]any {
	m := map[string]any{"id": v.ID, "at": v.At.In(Beijing).Format(time.RFC3339), "inspector": v.Inspector,
		"outcome": string(v.Outcome), "declared_crs": v.CRS,
		"point": []float64{math.Round(v.Location.Lon*1e6) / 1e6, math.Round(v.Location.Lat*1e6) / 1e6}}
	return m
}

// notFound: the latest visits, NotFoundVisits or more in a row, found
// nobody at the registered address.
func (r FlagRules) notFound(f *EntityFacts, _ time.Time) *Finding {
	v := f.LastVisit
	if v == nil || v.Outcome != OutcomeNotFound || f.VisitStreak < r.Config.NotFoundVisits {
		return nil
	}
	ev := map[string]any{"latest_visit": visitEvidence(*v), "visits_in_a_row": f.VisitStreak,
		"ground": AbnormalGround, "suggestion": "abnormal_listing"}
	return about(FlagNotFound, f, 60+15*float64(f.VisitStreak-1),
		fmt.Sprintf("最近 %d 次上门均查无此户，建议列入经营异常名录", f.VisitStreak), ev)
}

// hotspot: complaints about the entity in the window at or above its
// industry's threshold.
func (r FlagRules) hotspot(f *EntityFacts, _ time.Time) *Finding {
	t := threshold(r.Config.HotspotEntity, f.Industry)
	if f.Complaints < t {
		return nil
	}
	ev := map[string]any{"level": "entity", "industry": f.Industry, "complaints": f.Complaints,
		"threshold": t, "window_days": r.Config.HotspotDays}
	return about(FlagHotspot, f, 40+10*float64(f.Complaints-t+1),
		fmt.Sprintf("近 %d 天被投诉举报 %d 次", r.Config.HotspotDays, f.Complaints), ev)
}

// ReportDue returns the last year whose annual report was due by now: the
// report for a year is due by 30 June of the next.
func ReportDue(now time.Time) int {
	now = now.In(Beijing)
	if now.Before(time.Date(now.Year(), 7, 1, 0, 0, 0, 0, Beijing)) {
		return now.Year() - 2
	}
	return now.Year() - 1
}

// dormant (死火): found closed on the latest visit, and the annual report
// due last is missing.
func (r FlagRules) dormant(f *EntityFacts, now time.Time) *Finding {
	due := ReportDue(now)
	if f.LastVisit == nil || f.LastVisit.Outcome != OutcomeClosed || f.ReportYear >= due || f.RegisteredAt.Year() > due {
		return nil
	}
	ev := map[string]any{"inspection": visitEvidence(*f.LastVisit), "report_due_year": due, "status": string(f.Status)}
	if f.ReportYear > 0 {
		ev["last_report_year"] = f.ReportYear
	} else {
		ev["last_report_year"] = nil
	}
	return about(FlagDormant, f, 70, fmt.Sprintf("现场已停业且未报送 %d 年度年报，疑似死火主体", due), ev)
}

// blindSpot (盲点): an open first check past its deadline, or no inspection
// for BlindSpotMonths (never, for an entity registered that long ago).
func (r FlagRules) blindSpot(f *EntityFacts, now time.Time) *Finding {
	if t := f.FirstCheck; t != nil && t.StatusAt(now) == TaskOverdue {
		ev := map[string]any{"reason": "first_check_overdue", "task": map[string]any{"id": t.ID,
			"assignee": t.Assignee, "due_at": t.DueAt.In(Beijing).Format(time.RFC3339)},
			"registered_at": f.RegisteredAt.Format(time.DateOnly)}
		return about(FlagBlindSpot, f, 60, "新登记主体首次核查已超期", ev)
	}
	since := now.AddDate(0, -r.Config.BlindSpotMonths, 0)
	if !f.RegisteredAt.Before(since) || f.LastInspectedAt != nil && f.LastInspectedAt.After(since) {
		return nil
	}
	ev := map[string]any{"reason": "not_inspected", "months": r.Config.BlindSpotMonths,
		"registered_at": f.RegisteredAt.Format(time.DateOnly), "last_inspected_at": nil}
	score, title := 50.0, fmt.Sprintf("登记以来从未巡查（超过 %d 个月）", r.Config.BlindSpotMonths)
	if f.LastInspectedAt != nil {
		ev["last_inspected_at"] = f.LastInspectedAt.In(Beijing).Format(time.DateOnly)
		score, title = 40, fmt.Sprintf("超过 %d 个月未巡查", r.Config.BlindSpotMonths)
	}
	return about(FlagBlindSpot, f, score, title, ev)
}

// A Group is the active entities that share a registered address (kind
// FlagCluster), a phone or a legal representative (FlagParties), as the
// store gathers them: Key is the address code, the normalized phone
// (NormalizePhone) or the legal representative's name and upper-case ID
// number joined by "|"; Host names the approved cluster host at the
// address, if any. Members need their code, name, link level, address,
// building and divisions, location, legal representative, phone and ID
// number.
type Group struct {
	Kind    FlagKind
	Key     string
	Host    string
	Members []EntityFacts
}

// GroupSubject returns the subject of the flag about a group with key.
func GroupSubject(kind FlagKind, link, key string) string {
	switch {
	case kind == FlagCluster:
		return "address:" + key
	case link == "phone":
		return "phone:" + digest(key)
	}
	return "person:" + digest(key)
}

// PersonKey is the key of a legal representative: name and upper-case ID
// number, or "" without an ID number.
func PersonKey(name, idNumber string) string {
	if name == "" || idNumber == "" {
		return ""
	}
	return name + "|" + strings.ToUpper(idNumber)
}

// digest keys a group by a hash of personal data, not the data itself.
func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// NormalizePhone returns the digits of a phone number without a +86 or
// 0086 prefix, or "" when it has fewer than 7 digits. The store's
// flag_groups.sql normalizes the same way.
func NormalizePhone(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else if c >= '０' && c <= '９' {
			b.WriteRune('0' + c - '０')
		}
	}
	d := b.String()
	for _, p := range []string{"0086", "86"} {
		if len(d) == 11+len(p) && strings.HasPrefix(d, p) {
			d = d[len(p):]
		}
	}
	if len(d) < 7 {
		return ""
	}
	return d
}

// Group returns the finding about a group over its threshold, or nil: a
// cluster of more entities at one room (ClusterRoom) or doorplate
// (ClusterDoorplate) than allowed, unless an approved host; more entities
// behind one phone or legal representative than LinkedParties.
func (r FlagRules) Group(g *Group) *Finding {
	n := len(g.Members)
	if n == 0 {
		return nil
	}
	cfg := r.Config
	members := slices.Clone(g.Members)
	slices.SortFunc(members, func(a, b EntityFacts) int { return strings.Compare(string(a.USCC), string(b.USCC)) })
	first := &members[0]
	var limit int
	var score float64
	var title, subject string
	ev := map[string]any{"count": n}
	switch {
	case g.Kind == FlagCluster:
		limit = cfg.ClusterDoorplate
		level := "doorplate"
		if first.LinkLevel == addressbook.AtRoom {
			limit, level = cfg.ClusterRoom, "room"
		}
		if n <= limit || g.Host != "" {
			return nil
		}
		subject = GroupSubject(FlagCluster, "", g.Key)
		ev["level"], ev["address_code"] = level, g.Key
		score = 50 + 5*float64(n-limit)
		title = fmt.Sprintf("同一%s登记 %d 户市场主体（阈值 %d），且非集群注册住所", map[string]string{"room": "户室", "doorplate": "门牌"}[level], n, limit)
	case !strings.Contains(g.Key, "|"):
		if limit = cfg.LinkedParties; n <= limit {
			return nil
		}
		subject = GroupSubject(FlagParties, "phone", g.Key)
		ev["link"], ev["phone"] = "phone", MaskPhone(g.Key)
		score = 40 + 5*float64(n-limit)
		title = fmt.Sprintf("同一联系电话关联 %d 户市场主体", n)
	default:
		if limit = cfg.LinkedParties; n <= limit {
			return nil
		}
		name, id, _ := strings.Cut(g.Key, "|")
		subject = GroupSubject(FlagParties, "person", g.Key)
		ev["link"], ev["legal_rep"], ev["id_number"] = "legal_rep", MaskName(name), MaskID(id)
		score = 40 + 5*float64(n-limit)
		title = fmt.Sprintf("同一法定代表人（经营者）关联 %d 户市场主体", n)
	}
	ev["threshold"] = limit
	usccs := make([]USCC, n)
	list := make([]map[string]any, n)
	for i := range members {
		m := &members[i]
		usccs[i] = m.USCC
		list[i] = map[string]any{"uscc": string(m.USCC), "name": m.Name, "town_code": m.TownCode, "address_code": m.AddressCode}
	}
	ev["entities"] = list
	f := &Finding{Kind: g.Kind, Subject: subject, USCCs: usccs, TownCode: first.TownCode, VillageCode: first.VillageCode,
		GridCode: first.GridCode, Location: first.Location, Score: clampScore(score), Title: title, Evidence: ev}
	if g.Kind == FlagCluster {
		f.AddressCode, f.BuildingID = g.Key, first.BuildingID
	}
	return f
}

// MaskName keeps the first character of a person's name.
func MaskName(s string) string {
	r := []rune(s)
	if len(r) <= 1 {
		return s
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

// Areas returns the complaint hot spots among buildings and grids.
func (r FlagRules) Areas(areas []ComplaintArea) []Finding {
	var out []Finding
	for _, a := range areas {
		m, subject, name := r.Config.HotspotBuilding, fmt.Sprintf("building:%d:%s", a.BuildingID, a.Industry), "该建筑物"
		if a.Level == "grid" {
			m, subject, name = r.Config.HotspotGrid, "grid:"+a.GridCode+":"+a.Industry, "该网格"
		}
		t := threshold(m, a.Industry)
		if a.Count < t {
			continue
		}
		industry, _ := IndustryName(a.Industry)
		usccs := slices.Clone(a.USCCs)
		slices.Sort(usccs)
		ev := map[string]any{"level": a.Level, "industry": a.Industry, "industry_name": industry, "complaints": a.Count,
			"threshold": t, "window_days": r.Config.HotspotDays, "entities": usccs}
		out = append(out, Finding{Kind: FlagHotspot, Subject: subject, USCCs: usccs, BuildingID: a.BuildingID,
			GridCode: a.GridCode, VillageCode: a.VillageCode, TownCode: a.TownCode, Location: a.Location,
			Score: clampScore(40 + 10*float64(a.Count-t+1)), Title: fmt.Sprintf("%s%s行业近 %d 天投诉举报 %d 件", name, industry, r.Config.HotspotDays, a.Count),
			Evidence: ev})
	}
	return out
}
