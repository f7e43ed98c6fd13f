package supervision

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// ComplaintSource is the hotline a complaint came through.
type ComplaintSource string

// Complaint sources.
const (
	Source12345 ComplaintSource = "12345" // the government service hotline
	Source12315 ComplaintSource = "12315" // the market regulation hotline
	SourceOther ComplaintSource = "other" // letters, visits (信访), online
)

// ComplaintCategory tells a complaint (投诉, a consumer's own dispute) from a
// report (举报, a suspected violation).
type ComplaintCategory string

// Complaint categories.
const (
	CategoryComplaint ComplaintCategory = "complaint"
	CategoryReport    ComplaintCategory = "report"
)

// A Complaint is a complaint or report about a business. Its address text
// goes through the matcher like a registered address; the entity is known
// when the caller names it.
type Complaint struct {
	ID          int64
	Source      ComplaintSource
	ExternalID  string // the hotline's ticket number: re-importing it changes nothing
	At          time.Time
	Category    ComplaintCategory
	Industry    string
	USCC        USCC // empty when not known
	AddressText string
	Summary     string
	Link        Link
}

// Validate checks a complaint.
func (c *Complaint) Validate() error {
	switch c.Source {
	case Source12345, Source12315, SourceOther:
	default:
		return fieldErr("source", "unknown source %q: want 12345, 12315 or other", c.Source)
	}
	switch c.Category {
	case CategoryComplaint, CategoryReport:
	default:
		return fieldErr("category", "unknown category %q: want complaint or report", c.Category)
	}
	if c.At.IsZero() {
		return fieldErr("at", "is required")
	}
	if c.Industry != "" {
		if _, ok := IndustryName(c.Industry); !ok {
			return fieldErr("industry", "unknown industry %q: want a GB/T 4754-2017 section letter A to T", c.Industry)
		}
	}
	if c.AddressText == "" && c.USCC == "" {
		return fieldErr("address_text", "a complaint names an address or an entity (uscc)")
	}
	if len([]rune(c.Summary)) > MaxNotesRunes {
		return fieldErr("summary", "at most %d characters", MaxNotesRunes)
	}
	if len([]rune(c.AddressText)) > MaxAddressRunes {
		return fieldErr("address_text", "at most %d characters", MaxAddressRunes)
	}
	if len(c.ExternalID) > 64 {
		return fieldErr("external_id", "at most 64 characters")
	}
	return nil
}

// ViolationKind is the kind of a violation record.
type ViolationKind string

// Violation kinds.
const (
	ViolationPenalty ViolationKind = "penalty" // 行政处罚
	ViolationWarning ViolationKind = "warning" // 责令改正, 警告
	ViolationSerious ViolationKind = "serious" // 严重违法失信名单
)

// A Violation is a violation or penalty record of an entity (违法记录).
type Violation struct {
	ID          int64
	USCC        USCC
	ExternalID  string // the decision number (处罚决定书文号): re-importing it changes nothing
	At          time.Time
	Kind        ViolationKind
	Authority   string // the department that decided
	Description string
	Amount      float64 // fine in yuan, 0 if none
}

// Validate checks a violation record.
func (v *Violation) Validate() error {
	switch v.Kind {
	case ViolationPenalty, ViolationWarning, ViolationSerious:
	default:
		return fieldErr("kind", "unknown kind %q: want penalty, warning or serious", v.Kind)
	}
	if v.At.IsZero() {
		return fieldErr("at", "is required")
	}
	if v.Amount < 0 || v.Amount > 1e10 {
		return fieldErr("amount", "%v is not a plausible fine in yuan", v.Amount)
	}
	if len([]rune(v.Description)) > MaxNotesRunes {
		return fieldErr("description", "at most %d characters", MaxNotesRunes)
	}
	if len(v.ExternalID) > 64 {
		return fieldErr("external_id", "at most 64 characters")
	}
	return nil
}

// AbnormalReason is why an entity is on the abnormal-operation list
// (经营异常名录, 《市场主体登记管理条例》 and the SAMR rules on it).
type AbnormalReason string

// Abnormal-list reasons.
const (
	AbnormalNoReport    AbnormalReason = "no_annual_report" // 未按规定报送年度报告
	AbnormalUnreachable AbnormalReason = "unreachable"      // 通过登记的住所或者经营场所无法联系
	AbnormalFalseInfo   AbnormalReason = "false_info"       // 公示信息隐瞒真实情况、弄虚作假
	AbnormalNoDisclose  AbnormalReason = "no_disclosure"    // 未按规定公示即时信息
)

// ParseAbnormalReason checks a reason.
func ParseAbnormalReason(s string) (AbnormalReason, error) {
	switch r := AbnormalReason(s); r {
	case AbnormalNoReport, AbnormalUnreachable, AbnormalFalseInfo, AbnormalNoDisclose:
		return r, nil
	}
	return "", fmt.Errorf("unknown reason %q: want no_annual_report, unreachable, false_info or no_disclosure", s)
}

// An AbnormalListing is a period an entity spends on the abnormal-operation list.
type AbnormalListing struct {
	USCC      USCC
	Reason    AbnormalReason
	ListedAt  time.Time
	Authority string
	RemovedAt *time.Time
}

// Validate checks a listing as a client sends it: a known reason, and the
// deciding authority within the limit of a name.
func (a *AbnormalListing) Validate() error {
	if _, err := ParseAbnormalReason(string(a.Reason)); err != nil {
		return fieldErr("reason", "%v", err)
	}
	if n := utf8.RuneCountInString(a.Authority); n > MaxActorRunes {
		return fieldErr("authority", "has %d characters, at most %d", n, MaxActorRunes)
	}
	return nil
}
