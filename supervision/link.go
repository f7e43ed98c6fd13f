package supervision

import (
	"runtime"
	"sync"

	"github.com/uber/h3-go/v4"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/geo"
)

// H3 resolutions stored for every linked entity: 7 (about 5 km²) for city
// overviews to 11 (about 2,000 m²) for a block.
const (
	MinH3Res = 7
	MaxH3Res = 11
)

// A Link ties an entity to the standard address library: the address its
// registered text matched, with the matcher's verdict, and the building,
// grid, village and town it lies in, with the H3 cells of its location.
// Only a matched address gives an address code and a location; the town
// (and village) is kept whenever the matcher recognized it, so that an
// unmatched entity still lands in its town's lists.
type Link struct {
	Status      addressbook.MatchStatus
	Level       addressbook.MatchLevel
	Score       float64
	Issues      []addressbook.Issue // the reasons behind the verdict
	AddressCode string
	BuildingID  int64
	GridCode    string
	VillageCode string
	TownCode    string
	Location    *geo.WGS84
	H3          []h3.Cell // resolutions MinH3Res to MaxH3Res, in order; nil without a location
}

// LinkOf turns the matcher's verdict on an entity's registered address into
// its link.
func LinkOf(r addressbook.Result) Link {
	l := Link{Status: r.Status, Level: r.Level, Score: r.Score, Issues: r.Issues}
	if r.Status == addressbook.Matched && r.Address != nil {
		a := r.Address
		l.AddressCode, l.BuildingID = a.Code, a.BuildingID
		l.GridCode, l.VillageCode, l.TownCode = a.GridCode, a.VillageCode, a.TownCode
		if a.Lon != 0 || a.Lat != 0 {
			p := geo.WGS84{Lon: a.Lon, Lat: a.Lat}
			l.Location = &p
			l.H3 = Cells(p)
		}
		return l
	}
	// Not matched: keep the town (and village) the candidates agree on.
	for i, c := range r.Candidates {
		if i == 0 {
			l.TownCode, l.VillageCode = c.TownCode, c.VillageCode
			continue
		}
		if c.TownCode != l.TownCode {
			l.TownCode, l.VillageCode = "", ""
			break
		}
		if c.VillageCode != l.VillageCode {
			l.VillageCode = ""
		}
	}
	return l
}

// Cells returns the H3 cells of p at resolutions MinH3Res to MaxH3Res.
func Cells(p geo.WGS84) []h3.Cell {
	out := make([]h3.Cell, 0, MaxH3Res-MinH3Res+1)
	for res := MinH3Res; res <= MaxH3Res; res++ {
		out = append(out, p.Cell(res))
	}
	return out
}

// Same reports whether two links say the same thing, so that a re-link
// writes only the entities whose link changed.
func (l Link) Same(o Link) bool {
	if l.Status != o.Status || l.Level != o.Level || l.AddressCode != o.AddressCode ||
		l.BuildingID != o.BuildingID || l.GridCode != o.GridCode || l.VillageCode != o.VillageCode ||
		l.TownCode != o.TownCode || float32(l.Score) != float32(o.Score) || len(l.Issues) != len(o.Issues) {
		return false
	}
	for i := range l.Issues {
		if l.Issues[i].Code != o.Issues[i].Code {
			return false
		}
	}
	if (l.Location == nil) != (o.Location == nil) {
		return false
	}
	return l.Location == nil || *l.Location == *o.Location
}

// LinkEach links n registered addresses on every core: address(i) is the
// i-th text (ok false to skip it), and set(i, link) receives its link. set
// is called concurrently, for distinct i.
func LinkEach(ix *addressbook.Index, n int, address func(i int) (string, bool), set func(i int, l Link)) {
	workers := max(1, min(n, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if text, ok := address(i); ok {
					set(i, LinkOf(ix.Match(text, "")))
				}
			}
		}()
	}
	wg.Wait()
}
