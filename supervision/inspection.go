package supervision

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridsentry/gridsentry/geo"
)

// The codes of the "4+2" inspection items.
const (
	ItemAddress        = "address"         // 登记地址信息核查
	ItemOperation      = "operation"       // 开业经营情况核查
	ItemPermit         = "permit"          // 许可办理情况核查
	ItemUnlicensed     = "unlicensed"      // 无证照经营线索巡查
	ItemLicenceDisplay = "licence_display" // 亮照经营
	ItemAnnualReport   = "annual_report"   // 年报
)

// An Item is one question of an on-site inspection, with the answers it
// allows. A town adds its own items (advertising, fire safety, ...) as data.
type Item struct {
	Code     string   `json:"code"`
	Label    string   `json:"label"`
	Answers  []string `json:"answers"`
	TownCode string   `json:"town_code,omitempty"` // empty for the city's items
}

// DefaultItems are the city's "4+2" items.
func DefaultItems() []Item {
	return []Item{
		{Code: ItemAddress, Label: "登记地址信息核查", Answers: []string{"consistent", "inconsistent"}},
		{Code: ItemOperation, Label: "开业经营情况核查", Answers: []string{"operating", "not_opened", "suspended", "closed"}},
		{Code: ItemPermit, Label: "许可办理情况核查", Answers: []string{"obtained", "not_required", "applying", "missing"}},
		{Code: ItemUnlicensed, Label: "无证照经营线索巡查", Answers: []string{"none", "found"}},
		{Code: ItemLicenceDisplay, Label: "亮照经营", Answers: []string{"displayed", "not_displayed"}},
		{Code: ItemAnnualReport, Label: "年报", Answers: []string{"filed", "not_filed"}},
	}
}

// ValidateItem checks an item a town defines.
func ValidateItem(it Item) error {
	if !itemCode(it.Code) {
		return fieldErr("code", "%q is not an item code: 1 to 40 lower-case letters, digits and _", it.Code)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(it.Label)); n == 0 || n > 60 {
		return fieldErr("label", "a label has 1 to 60 characters")
	}
	if len(it.Answers) < 2 || len(it.Answers) > 20 {
		return fieldErr("answers", "an item has 2 to 20 answers")
	}
	for i, a := range it.Answers {
		if !itemCode(a) || slices.Index(it.Answers, a) != i {
			return fieldErr(fmt.Sprintf("answers[%d]", i), "%q is not a distinct answer code: 1 to 40 lower-case letters, digits and _", a)
		}
	}
	return nil
}

func itemCode(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// ItemCodes returns the codes of items, in order.
func ItemCodes(items []Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Code
	}
	return out
}

// Outcome is what an inspector found at the registered address.
type Outcome string

// Outcomes.
const (
	OutcomeOperating Outcome = "operating" // operating here
	OutcomeNotFound  Outcome = "not_found" // 查无此户
	OutcomeMoved     Outcome = "moved"     // operating elsewhere
	OutcomeClosed    Outcome = "closed"    // closed down
)

// ParseOutcome checks an outcome.
func ParseOutcome(s string) (Outcome, error) {
	switch o := Outcome(s); o {
	case OutcomeOperating, OutcomeNotFound, OutcomeMoved, OutcomeClosed:
		return o, nil
	}
	return "", fmt.Errorf("unknown outcome %q: want operating, not_found, moved or closed", s)
}

// An Inspection is an on-site visit to an entity.
type Inspection struct {
	ID        int64
	USCC      USCC
	Inspector string
	At        time.Time
	Location  geo.WGS84 // converted from the declared CRS
	CRS       string    // as the app declared it: wgs84, cgcs2000 or gcj02
	Items     map[string]string
	Outcome   Outcome
	Notes     string
	Photos    []string
	TaskIDs   []int64 // the tasks it closed
}

// Limits of an inspection's free text.
const (
	MaxNotesRunes = 2000
	MaxPhotos     = 20
)

// Validate checks an inspection against the items of the entity's town:
// every answered item exists and has an allowed answer, and the outcome,
// time and free text are sensible. now bounds the time: a visit is not in
// the future (a few minutes of clock skew allowed).
func (in *Inspection) Validate(items []Item, now time.Time) error {
	if strings.TrimSpace(in.Inspector) == "" || utf8.RuneCountInString(in.Inspector) > MaxPersonRunes {
		return fieldErr("inspector", "is required, at most %d characters", MaxPersonRunes)
	}
	if in.At.IsZero() {
		return fieldErr("at", "is required")
	}
	if in.At.After(now.Add(10 * time.Minute)) {
		return fieldErr("at", "%s is in the future", in.At.Format(time.RFC3339))
	}
	if _, err := ParseOutcome(string(in.Outcome)); err != nil {
		return fieldErr("outcome", "%v", err)
	}
	if len(in.Items) == 0 {
		return fieldErr("items", "at least one item must be answered")
	}
	for code, answer := range in.Items {
		i := slices.IndexFunc(items, func(it Item) bool { return it.Code == code })
		if i < 0 {
			return fieldErr("items."+code, "no such inspection item here; the items are %s", strings.Join(ItemCodes(items), ", "))
		}
		if !slices.Contains(items[i].Answers, answer) {
			return fieldErr("items."+code, "%q is not an answer to %s; want one of %s", answer, items[i].Label, strings.Join(items[i].Answers, ", "))
		}
	}
	if utf8.RuneCountInString(in.Notes) > MaxNotesRunes || !utf8.ValidString(in.Notes) {
		return fieldErr("notes", "at most %d characters of valid UTF-8", MaxNotesRunes)
	}
	if len(in.Photos) > MaxPhotos {
		return fieldErr("photos", "at most %d photos", MaxPhotos)
	}
	for i, p := range in.Photos {
		if p == "" || len(p) > 500 || !utf8.ValidString(p) {
			return fieldErr(fmt.Sprintf("photos[%d]", i), "a photo reference has 1 to 500 bytes of valid UTF-8")
		}
	}
	return nil
}

// Answers reports whether the inspection answers every item a task asks
// for, so that it closes the task.
func (in *Inspection) Answers(t *Task) bool {
	if !t.Kind.OnSite() || !t.Status.Open() {
		return false
	}
	for _, code := range t.Items {
		if _, ok := in.Items[code]; !ok {
			return false
		}
	}
	return true
}
