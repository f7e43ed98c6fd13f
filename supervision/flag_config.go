package supervision

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridsentry/gridsentry/addressbook"
)

// FlagConfig holds the thresholds of the rules. Zero fields take the
// defaults (DefaultFlagConfig); a JSON file with any of the fields
// overrides them (gridsentry serve -flag-config FILE).
type FlagConfig struct {
	// ClusterRoom: more active entities than this registered at one room
	// is a cluster registration, unless the room is an approved host.
	ClusterRoom int `json:"cluster_room"`
	// ClusterDoorplate: the same for entities that name a doorplate or a
	// building and no room.
	ClusterDoorplate int `json:"cluster_doorplate"`
	// LinkedParties: one contact phone, or one legal representative (name
	// and ID number), behind more active entities than this.
	LinkedParties int `json:"linked_parties"`
	// OffSiteMetres: a check-in farther than this from the registered
	// building's footprint (or its address point without one).
	OffSiteMetres float64 `json:"off_site_metres"`
	// NotFoundVisits: this many latest visits in a row found nobody (查无此户).
	NotFoundVisits int `json:"not_found_visits"`
	// HotspotDays is the window complaints are counted over.
	HotspotDays int `json:"hotspot_days"`
	// HotspotEntity, HotspotBuilding and HotspotGrid: at least this many
	// complaints in the window, per industry letter; "" is the default for
	// industries not listed.
	HotspotEntity   map[string]int `json:"hotspot_entity"`
	HotspotBuilding map[string]int `json:"hotspot_building"`
	HotspotGrid     map[string]int `json:"hotspot_grid"`
	// BlindSpotMonths: an active entity not inspected for this many months
	// (or never, registered that long ago) is a blind spot.
	BlindSpotMonths int `json:"blind_spot_months"`
	// NewEntityDays: registrations younger than this are new: a blind spot
	// only when their first check is overdue, and always drawn by campaigns.
	NewEntityDays int `json:"new_entity_days"`
}

// DefaultFlagConfig returns the default thresholds.
func DefaultFlagConfig() FlagConfig {
	return FlagConfig{
		ClusterRoom:      5,
		ClusterDoorplate: 12,
		LinkedParties:    5,
		OffSiteMetres:    300,
		NotFoundVisits:   1,
		HotspotDays:      365,
		HotspotEntity:    map[string]int{"": 3, "H": 4},
		HotspotBuilding:  map[string]int{"": 6, "H": 8},
		HotspotGrid:      map[string]int{"": 40, "H": 50},
		BlindSpotMonths:  12,
		NewEntityDays:    90,
	}
}

// WithDefaults returns c with every zero field set to its default.
func (c FlagConfig) WithDefaults() FlagConfig {
	d := DefaultFlagConfig()
	if c.ClusterRoom == 0 {
		c.ClusterRoom = d.ClusterRoom
	}
	if c.ClusterDoorplate == 0 {
		c.ClusterDoorplate = d.ClusterDoorplate
	}
	if c.LinkedParties == 0 {
		c.LinkedParties = d.LinkedParties
	}
	if c.OffSiteMetres == 0 {
		c.OffSiteMetres = d.OffSiteMetres
	}
	if c.NotFoundVisits == 0 {
		c.NotFoundVisits = d.NotFoundVisits
	}
	if c.HotspotDays == 0 {
		c.HotspotDays = d.HotspotDays
	}
	if c.HotspotEntity == nil {
		c.HotspotEntity = d.HotspotEntity
	}
	if c.HotspotBuilding == nil {
		c.HotspotBuilding = d.HotspotBuilding
	}
	if c.HotspotGrid == nil {
		c.HotspotGrid = d.HotspotGrid
	}
	if c.BlindSpotMonths == 0 {
		c.BlindSpotMonths = d.BlindSpotMonths
	}
	if c.NewEntityDays == 0 {
		c.NewEntityDays = d.NewEntityDays
	}
	return c
}

// ParseFlagConfig reads a JSON object of thresholds over the defaults,
// refusing unknown fields and values out of range.
func ParseFlagConfig(b []byte) (FlagConfig, error) {
	var c FlagConfig
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("flag config: %w", err)
	}
	c = c.WithDefaults()
	return c, c.Validate()
}

// Validate checks that every threshold is in range.
func (c FlagConfig) Validate() error {
	for _, x := range []struct {
		name   string
		v, max int
	}{
		{"cluster_room", c.ClusterRoom, 1000}, {"cluster_doorplate", c.ClusterDoorplate, 10000},
		{"linked_parties", c.LinkedParties, 10000}, {"not_found_visits", c.NotFoundVisits, 3},
		{"hotspot_days", c.HotspotDays, 3660}, {"blind_spot_months", c.BlindSpotMonths, 120},
		{"new_entity_days", c.NewEntityDays, 3660},
	} {
		if x.v < 1 || x.v > x.max {
			return fieldErr(x.name, "is %d; it must be 1 to %d", x.v, x.max)
		}
	}
	if c.OffSiteMetres < 10 || c.OffSiteMetres > 100000 {
		return fieldErr("off_site_metres", "is %g; it must be 10 to 100000", c.OffSiteMetres)
	}
	for name, m := range map[string]map[string]int{"hotspot_entity": c.HotspotEntity, "hotspot_building": c.HotspotBuilding, "hotspot_grid": c.HotspotGrid} {
		if _, ok := m[""]; !ok {
			return fieldErr(name, `needs a default under the key ""`)
		}
		for k, v := range m {
			if _, known := IndustryName(k); k != "" && !known {
				return fieldErr(name, "%q is not an industry letter", k)
			}
			if v < 1 {
				return fieldErr(name, "%q: %d; thresholds are at least 1", k, v)
			}
		}
	}
	return nil
}

// threshold returns m's threshold for an industry.
func threshold(m map[string]int, industry string) int {
	if v, ok := m[industry]; ok {
		return v
	}
	return m[""]
}

// A RestrictedTrade is a trade that buildings of some uses do not suit
// (rules as data, table restricted_trades): an entity whose business scope
// names one of the keywords outside a negation, in a building of one of the
// uses, is flagged.
type RestrictedTrade struct {
	Code     string   `json:"code"`
	Label    string   `json:"label"`
	Keywords []string `json:"keywords"`
	Uses     []string `json:"uses"`
}

// DefaultRestrictedTrades are the default restricted trades: catering,
// entertainment and internet cafés in residential buildings (noise, fumes,
// fire load: 住宅楼内不得新开办), hazardous chemicals, fireworks and
// bottled gas wherever people live or work in offices.
func DefaultRestrictedTrades() []RestrictedTrade {
	home := []string{addressbook.UseResidential}
	return []RestrictedTrade{
		{"catering", "餐饮", []string{"餐饮", "小吃", "饮品制售", "冷热饮品"}, home},
		{"entertainment", "歌舞娱乐", []string{"歌舞", "游艺", "娱乐", "营业性演出"}, home},
		{"internet_cafe", "互联网上网服务", []string{"上网服务", "网吧"}, home},
		{"hazardous_chemicals", "危险化学品", []string{"危险化学品", "烟花爆竹"},
			[]string{addressbook.UseResidential, addressbook.UseOffice, addressbook.UseMixed}},
		{"bottled_gas", "瓶装燃气", []string{"瓶装燃气"}, []string{addressbook.UseResidential, addressbook.UseOffice}},
	}
}

// ValidateTrades checks a set of restricted trades: unique codes, labels,
// keywords of 1 to 40 characters, known building uses.
func ValidateTrades(ts []RestrictedTrade) error {
	uses := []string{addressbook.UseResidential, addressbook.UseCommercial, addressbook.UseOffice,
		addressbook.UseIndustrial, addressbook.UseMixed, addressbook.UsePublic}
	for i, t := range ts {
		at := fmt.Sprintf("trades[%d]", i)
		if !tradeCode.MatchString(t.Code) {
			return fieldErr(at+".code", "%q is not a code (lower-case letters, digits, _)", t.Code)
		}
		if slices.IndexFunc(ts[:i], func(o RestrictedTrade) bool { return o.Code == t.Code }) >= 0 {
			return fieldErr(at+".code", "%q comes twice", t.Code)
		}
		if t.Label == "" {
			return fieldErr(at+".label", "is required")
		}
		if len(t.Keywords) == 0 {
			return fieldErr(at+".keywords", "is empty")
		}
		for j, k := range t.Keywords {
			if n := utf8.RuneCountInString(k); n == 0 || n > 40 {
				return fieldErr(fmt.Sprintf("%s.keywords[%d]", at, j), "a keyword has 1 to 40 characters")
			}
		}
		if len(t.Uses) == 0 {
			return fieldErr(at+".uses", "is empty")
		}
		for j, u := range t.Uses {
			if !slices.Contains(uses, u) {
				return fieldErr(fmt.Sprintf("%s.uses[%d]", at, j), "%q is not a building use (%v)", u, uses)
			}
		}
	}
	return nil
}

var tradeCode = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// tradeRules turns the trades into scope rules keyed by trade code, so
// Route finds them with its negation handling.
func tradeRules(ts []RestrictedTrade) []ScopeRule {
	out := make([]ScopeRule, len(ts))
	for i, t := range ts {
		out[i] = ScopeRule{Department: t.Code, Keywords: t.Keywords}
	}
	return out
}

// A ClusterHost is an approved cluster-registration host (集群注册住所):
// a standard address (room or doorplate code) where many entities may
// register, such as an incubator or a registered-agent office. The
// cluster rule spares it.
type ClusterHost struct {
	AddressCode string    `json:"address_code"`
	Name        string    `json:"name"`
	ApprovedAt  time.Time `json:"approved_at"` // a date
	ApprovedBy  string    `json:"approved_by"`
}

// Validate checks the host's fields: an address code of 16 (doorplate) or
// 18 (room) digits, a name, an approval date.
func (h *ClusterHost) Validate() error {
	if n := len(h.AddressCode); n != 16 && n != 18 || strings.Trim(h.AddressCode, "0123456789") != "" {
		return fieldErr("address_code", "%q is not a standard address code (16 digits for a doorplate, 18 for a room)", h.AddressCode)
	}
	if h.Name == "" || utf8.RuneCountInString(h.Name) > 200 {
		return fieldErr("name", "is required, at most 200 characters")
	}
	if h.ApprovedAt.IsZero() {
		return fieldErr("approved_at", "is required (YYYY-MM-DD)")
	}
	if utf8.RuneCountInString(h.ApprovedBy) > 200 {
		return fieldErr("approved_by", "has more than 200 characters")
	}
	return nil
}
