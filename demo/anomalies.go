package demo

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/supervision"
)

// Anomalies the flags should find, injected per town after its entities
// from the stream "entities/anomalies" (so the entities before come out as
// they did), and the ground truth of every flag kind.
//
// Injected: cluster registrations (rooms, offices mostly, with 8 to 30
// entities), approved cluster-registration hosts (集群注册住所: a room or
// a doorplate of an office tower with many entities, which the rule must
// leave alone), trades a building does not suit (hazardous chemicals in
// offices, flats and shop houses), and one phone or one legal
// representative behind 6 to 15 entities. Besides, the fates of entities
// (see fate) make ghosts that are never found, businesses that moved or
// operate elsewhere, and businesses closed down (死火) that file no more
// annual reports; made-up addresses and entities in demolished or slated
// buildings come with the registrations.
//
// The truth is computed from what the generator knows, never from a
// linker: the true addresses, the fates, the injected groups. It holds
// active entities only, as the rules judge only those.

// A FlagTruth is an entity a flag of a kind should concern, as table
// demo_flag_truth holds it; Note says why, for a reader.
type FlagTruth struct {
	USCC supervision.USCC
	Kind supervision.FlagKind
	Note string
}

// A Host is an approved cluster-registration host (集群注册住所): a room or
// doorplate where many entities may register, as table cluster_hosts holds
// it.
type Host struct {
	AddressCode string
	Name        string
	ApprovedAt  time.Time // a day in Beijing time
	ApprovedBy  string
}

// Tuning of the anomalies and of the noise the flags must see through.
const (
	entitiesPerCluster = 600    // a town gets a cluster room per so many entities (at least 2)
	entitiesPerGroup   = 800    // and a shared phone, and a shared legal representative, per so many (at least 2)
	entitiesPerHazard  = 500    // and hazardous chemicals in an unsuitable building per so many (at least 3)
	latestNotFound     = 0.0005 // an operating business not found on its latest visit
	awayMinMetres      = 400    // an entity operating elsewhere is this far from its building's footprint, or farther
	awayMaxMetres      = 2000
	gpsNoiseMetres     = 30 // the farthest a check-in strays from where the inspector stands
)

// hostKinds name what hosts cluster registrations.
var hostKinds = []string{"创业孵化基地", "众创空间", "科技企业孵化器", "商务秘书服务中心", "电子商务产业园"}

// hazardItems are the permit items that put a trade where it does not belong.
var hazardItems = []string{"危险化学品经营（不带储存设施）", "危险化学品经营", "烟花爆竹零售"}

// chemicalsFormat is the format of chemical traders, who register in
// offices and, against the rules, in flats.
var chemicalsFormat = func() *format {
	for i := range formats {
		if slices.Contains(formats[i].trades, "化工") {
			return &formats[i]
		}
	}
	panic("demo: no format trades 化工")
}()

// anomalies injects the anomalies of the town: more entities, and shared
// phones and legal representatives among them all.
func (g *entityGen) anomalies() error {
	// The rest of the town's entities draws from a stream of its own.
	g.r = newRand(g.cfg.Seed, g.c.TownCode, "entities", "anomalies")
	r := g.r
	// Hosts go to towers, or else to other buildings (an industrial
	// park's, a shop house), whose doorplate has that one building, so an
	// address naming the doorplate names the building.
	var towers, homes, unsuited, hostTowers, hostOthers []int32
	for bi := range g.c.Buildings {
		b := &g.c.Buildings[bi]
		if b.Status == addressbook.StatusDemolished {
			continue
		}
		fit := b.Status == addressbook.StatusExisting && len(g.ct.bldgRooms[bi]) > 0
		host := fit && g.oneBuilding(g.ct.bldgDoor[bi])
		switch g.sites[bi] {
		case siteTower:
			if fit {
				towers = append(towers, int32(bi))
			}
			if host {
				hostTowers = append(hostTowers, int32(bi))
			}
		case siteHouse, siteEstate:
			if fit {
				homes = append(homes, int32(bi))
			}
		}
		if host && g.sites[bi] != siteTower {
			hostOthers = append(hostOthers, int32(bi))
		}
		if b.Use == addressbook.UseResidential || b.Use == addressbook.UseOffice || b.Use == addressbook.UseMixed {
			unsuited = append(unsuited, int32(bi))
		}
	}
	if len(towers) == 0 {
		towers = homes
	}
	n := len(g.c.Entities)
	used := map[int32]bool{}
	// free returns a building of bs no anomaly took yet, or -1.
	free := func(bs []int32) int32 {
		for range 20 {
			if len(bs) == 0 {
				return -1
			}
			if bi := bs[r.IntN(len(bs))]; !used[bi] {
				used[bi] = true
				return bi
			}
		}
		return -1
	}
	var clusters [][]int // the entities of each cluster room
	add := func(bi int32, sp spec) (int, error) {
		err := g.entity(bi, sp)
		return len(g.c.Entities) - 1, err
	}

	// Hosts: a handful a town.
	for range 2 + r.IntN(3) + n/20000 {
		bi, roomOnly := free(hostTowers), false
		if bi < 0 {
			bi = free(hostOthers)
		}
		if bi < 0 {
			bi, roomOnly = free(towers), true // a science park: only rooms name one building
		}
		if bi < 0 {
			break
		}
		door := g.ct.bldgDoor[bi]
		t := target{level: LevelDoorplate, door: door, bldg: -1, room: -1}
		code := g.c.Doorplates[door].Code
		if roomOnly || r.IntN(2) == 0 {
			t = target{level: LevelRoom, door: door, bldg: bi, room: g.pickRoom(g.ct.bldgRooms[bi], false)}
			code = g.c.Rooms[t.room].Code
		}
		approved := workday(g.until.AddDate(-1-r.IntN(5), 0, -r.IntN(365)))
		g.c.Hosts = append(g.c.Hosts, Host{AddressCode: code, Name: "东莞市" + g.stem + g.tradeName() + pick(r, hostKinds),
			ApprovedAt: approved, ApprovedBy: "东莞市市场监督管理局" + g.stem + "分局"})
		for range 10 + r.IntN(31) {
			if _, err := add(bi, spec{at: &t}); err != nil {
				return err
			}
		}
	}

	// Cluster rooms: an office, now and then a flat, with 8 to 30 entities.
	for range max(2, n/entitiesPerCluster) {
		from := towers
		if r.Float64() < 0.2 {
			from = homes
		}
		bi := free(from)
		if bi < 0 {
			continue
		}
		t := target{level: LevelRoom, door: g.ct.bldgDoor[bi], bldg: bi, room: g.pickRoom(g.ct.bldgRooms[bi], false)}
		var members []int
		for range 8 + r.IntN(23) {
			i, err := add(bi, spec{at: &t})
			if err != nil {
				return err
			}
			members = append(members, i)
		}
		clusters = append(clusters, members)
	}

	// Hazardous chemicals where people live or work in offices.
	for range max(3, n/entitiesPerHazard) {
		bi := free(unsuited)
		if bi < 0 {
			continue
		}
		if _, err := add(bi, spec{format: chemicalsFormat, permit: pick(r, hazardItems)}); err != nil {
			return err
		}
	}

	// One phone, or one person, behind 6 to 15 entities: an agent's
	// cluster room, or entities anywhere in the town.
	group := func() []int {
		k := 6 + r.IntN(10)
		if len(clusters) > 0 && r.IntN(2) == 0 {
			if c := clusters[r.IntN(len(clusters))]; len(c) >= k {
				return c[:k]
			}
		}
		seen := map[int]bool{}
		var out []int
		for len(out) < min(k, len(g.c.Entities)) {
			if i := r.IntN(len(g.c.Entities)); !seen[i] {
				seen[i] = true
				out = append(out, i)
			}
		}
		return out
	}
	groups := max(2, n/entitiesPerGroup)
	for range groups {
		phone := g.phone()
		for _, i := range group() {
			g.c.Entities[i].Phone = phone
		}
	}
	for range groups {
		members := group()
		person := g.person()
		id := g.idNumber(g.c.Entities[members[0]].RegisteredAt)
		for _, i := range members {
			e := &g.c.Entities[i]
			if strings.HasPrefix(e.Name, "个体户") {
				e.Name = "个体户" + person
			}
			e.LegalRep, e.IDNumber = person, id
		}
	}
	return nil
}

// awayFrom returns a point where an entity of building b operates instead:
// awayMinMetres to awayMaxMetres from b's footprint.
func (g *entityGen) awayFrom(b *addressbook.Building) orb.Point {
	c := centroid(b)
	reach := 0.0 // from the centroid to the farthest corner
	for _, p := range b.Geom[0] {
		reach = max(reach, distanceM(c, p))
	}
	d := reach + awayMinMetres + gpsNoiseMetres + g.r.Float64()*(awayMaxMetres-awayMinMetres-gpsNoiseMetres)
	return snapPoint(offset(c, d, g.r.Float64()*2*math.Pi))
}

// offset returns the point d metres from c in direction angle (radians,
// counter-clockwise from east).
func offset(c orb.Point, d, angle float64) orb.Point {
	return orb.Point{
		c[0] + d*math.Cos(angle)/(111320*math.Cos(c[1]*math.Pi/180)),
		c[1] + d*math.Sin(angle)/110574,
	}
}

// distanceM returns the distance between two nearby points in metres.
func distanceM(a, b orb.Point) float64 {
	dx := (a[0] - b[0]) * 111320 * math.Cos(b[1]*math.Pi/180)
	dy := (a[1] - b[1]) * 110574
	return math.Hypot(dx, dy)
}

// flagTruth writes the ground truth of the flags about the town's entities.
func (g *entityGen) flagTruth() {
	cfg := supervision.DefaultFlagConfig()
	due := supervision.ReportDue(g.until)
	trades := supervision.DefaultRestrictedTrades()
	tradeRules := make([]supervision.ScopeRule, len(trades))
	unsuitable := map[string]bool{}
	var keywords []string
	for i, t := range trades {
		tradeRules[i] = supervision.ScopeRule{Department: t.Code, Keywords: t.Keywords}
		keywords = append(keywords, t.Keywords...)
		for _, u := range t.Uses {
			unsuitable[u] = true
		}
	}
	// mayName reports whether a scope may name a trade; Route decides.
	mayName := func(scope string) bool {
		return slices.ContainsFunc(keywords, func(k string) bool { return strings.Contains(scope, k) })
	}
	hosts := map[string]bool{}
	for _, h := range g.c.Hosts {
		hosts[h.AddressCode] = true
	}
	var out []FlagTruth
	add := func(i int, k supervision.FlagKind, note string) {
		out = append(out, FlagTruth{USCC: g.c.Entities[i].USCC, Kind: k, Note: note})
	}
	// Groups of active entities: the true room or doorplate, the phone, the
	// legal representative.
	type key struct{ kind, value string }
	groups := map[key][]int{}
	for i := range g.c.Entities {
		e, t, st := &g.c.Entities[i], &g.c.EntityTruth[i], &g.states[i]
		if e.Status != supervision.Active {
			continue
		}
		if t.Exists {
			if t.TrueCode != "" {
				groups[key{"room", t.TrueCode}] = append(groups[key{"room", t.TrueCode}], i)
			} else {
				groups[key{"doorplate", t.TrueDoorplate}] = append(groups[key{"doorplate", t.TrueDoorplate}], i)
			}
		}
		if p := supervision.NormalizePhone(e.Phone); p != "" {
			groups[key{"phone", p}] = append(groups[key{"phone", p}], i)
		}
		if e.LegalRep != "" && e.IDNumber != "" {
			k := key{"legal_rep", e.LegalRep + "|" + strings.ToUpper(e.IDNumber)}
			groups[k] = append(groups[k], i)
		}

		b := &g.c.Buildings[st.site]
		if !t.Exists {
			add(i, supervision.FlagAddress, t.Noise)
		}
		if t.Exists && (b.Status == addressbook.StatusDemolished || b.Status == addressbook.StatusSlated) {
			add(i, supervision.FlagBuilding, b.Status)
		}
		if t.Exists && b.Status != addressbook.StatusDemolished && unsuitable[b.Use] && mayName(e.Scope) {
			var hits []string
			for _, rt := range supervision.Route(tradeRules, e.Scope) {
				j := slices.IndexFunc(trades, func(x supervision.RestrictedTrade) bool { return x.Code == rt.Department })
				if slices.Contains(trades[j].Uses, b.Use) {
					hits = append(hits, rt.Department)
				}
			}
			if len(hits) > 0 {
				add(i, supervision.FlagRestricted, strings.Join(hits, ",")+" in "+b.Use)
			}
		}
		switch {
		case st.latestAway:
			add(i, supervision.FlagOffSite, "operates elsewhere")
		case st.latest == supervision.OutcomeMoved:
			add(i, supervision.FlagOffSite, "moved")
		}
		if st.fate == fateGhost && st.latest == supervision.OutcomeNotFound {
			add(i, supervision.FlagNotFound, "ghost")
		}
		if st.fate == fateClosed && st.latest == supervision.OutcomeClosed && e.ReportYear < due && e.RegisteredAt.Year() <= due {
			add(i, supervision.FlagDormant, fmt.Sprintf("closed since %s, last report %d", st.fateAt.Format(time.DateOnly), e.ReportYear))
		}
	}
	for k, members := range groups {
		limit, kind := cfg.LinkedParties, supervision.FlagParties
		switch k.kind {
		case "room":
			limit, kind = cfg.ClusterRoom, supervision.FlagCluster
		case "doorplate":
			limit, kind = cfg.ClusterDoorplate, supervision.FlagCluster
		}
		if len(members) <= limit || kind == supervision.FlagCluster && hosts[k.value] {
			continue
		}
		for _, i := range members {
			add(i, kind, fmt.Sprintf("%d entities share the %s", len(members), k.kind))
		}
	}
	// One row per kind and entity (an entity may share a phone and a legal
	// representative), in a stable order.
	slices.SortFunc(out, func(a, b FlagTruth) int {
		if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
			return c
		}
		if c := strings.Compare(string(a.USCC), string(b.USCC)); c != 0 {
			return c
		}
		return strings.Compare(a.Note, b.Note)
	})
	g.c.FlagTruth = slices.CompactFunc(out, func(a, b FlagTruth) bool { return a.Kind == b.Kind && a.USCC == b.USCC })
}
