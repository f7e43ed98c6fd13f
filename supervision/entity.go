package supervision

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is the legal form of a market entity.
type Kind string

// Kinds.
const (
	Enterprise  Kind = "enterprise"  // 企业
	Individual  Kind = "individual"  // 个体工商户
	Cooperative Kind = "cooperative" // 农民专业合作社
)

// Status is the registration status of a market entity.
type Status string

// Statuses.
const (
	Active    Status = "active"    // 存续 (在业)
	Cancelled Status = "cancelled" // 注销
	Revoked   Status = "revoked"   // 吊销
)

// ParseKind checks a kind.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case Enterprise, Individual, Cooperative:
		return k, nil
	}
	return "", fmt.Errorf("unknown kind %q: want enterprise, individual or cooperative", s)
}

// ParseStatus checks a status.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case Active, Cancelled, Revoked:
		return st, nil
	}
	return "", fmt.Errorf("unknown status %q: want active, cancelled or revoked", s)
}

// An Entity is a market entity (市场主体) as the registration system knows it.
// Phone and IDNumber are personal data: stored as given, shown masked.
type Entity struct {
	USCC         USCC
	Name         string
	Kind         Kind
	Status       Status
	RegisteredAt time.Time // the registration date, midnight Beijing time
	AddressText  string    // 住所/经营场所 as registered
	Scope        string    // 经营范围
	Industry     string    // GB/T 4754-2017 section letter, see Industries
	LegalRep     string    // 法定代表人 or 经营者
	Phone        string
	IDNumber     string
	ReportYear   int       // the last year an annual report was filed, 0 if none
	ChangedAt    time.Time // when the registration system last changed the entity
}

// Limits of the entity's text fields, in characters.
const (
	MaxNameRunes    = 200
	MaxAddressRunes = 200
	MaxScopeRunes   = 4000
	MaxPersonRunes  = 100
)

// FieldError is a validation error that names the field at fault. The api
// package turns it into a 400 naming the field.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Validate checks what the registration system must send: a name, a kind
// that agrees with the code, a status, a registration date, the registered
// address, text within the limits, and a known industry.
func (e *Entity) Validate() error {
	if strings.TrimSpace(e.Name) == "" {
		return fieldErr("name", "is required")
	}
	if k, ok := e.USCC.Kind(); ok && e.Kind != "" && k != e.Kind {
		return fieldErr("kind", "is %s, but the code %s registers a %s", e.Kind, e.USCC, k)
	}
	if e.Kind == "" {
		k, ok := e.USCC.Kind()
		if !ok {
			return fieldErr("kind", "is required (the code does not say)")
		}
		e.Kind = k
	}
	if _, err := ParseKind(string(e.Kind)); err != nil {
		return fieldErr("kind", "%v", err)
	}
	if e.Status == "" {
		e.Status = Active
	}
	if _, err := ParseStatus(string(e.Status)); err != nil {
		return fieldErr("status", "%v", err)
	}
	if e.RegisteredAt.IsZero() {
		return fieldErr("registered_at", "is required")
	}
	if strings.TrimSpace(e.AddressText) == "" {
		return fieldErr("address_text", "is required")
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"name", e.Name, MaxNameRunes},
		{"address_text", e.AddressText, MaxAddressRunes},
		{"scope", e.Scope, MaxScopeRunes},
		{"legal_rep", e.LegalRep, MaxPersonRunes},
		{"phone", e.Phone, 40},
		{"id_number", e.IDNumber, 40},
	} {
		if !utf8.ValidString(f.value) {
			return fieldErr(f.name, "is not valid UTF-8")
		}
		if strings.ContainsRune(f.value, 0) {
			return fieldErr(f.name, "holds a NUL character")
		}
		if n := utf8.RuneCountInString(f.value); n > f.max {
			return fieldErr(f.name, "has %d characters, at most %d are allowed", n, f.max)
		}
	}
	if e.Industry != "" {
		if _, ok := IndustryName(e.Industry); !ok {
			return fieldErr("industry", "unknown industry %q: want a GB/T 4754-2017 section letter A to T", e.Industry)
		}
	}
	if e.ReportYear != 0 && (e.ReportYear < 1990 || e.ReportYear > 2100) {
		return fieldErr("report_year", "%d is not a plausible year", e.ReportYear)
	}
	return nil
}

// Industries are the sections (门类) of GB/T 4754-2017, the national
// classification of economic activities.
var Industries = []struct{ Code, Name string }{
	{"A", "农、林、牧、渔业"},
	{"B", "采矿业"},
	{"C", "制造业"},
	{"D", "电力、热力、燃气及水生产和供应业"},
	{"E", "建筑业"},
	{"F", "批发和零售业"},
	{"G", "交通运输、仓储和邮政业"},
	{"H", "住宿和餐饮业"},
	{"I", "信息传输、软件和信息技术服务业"},
	{"J", "金融业"},
	{"K", "房地产业"},
	{"L", "租赁和商务服务业"},
	{"M", "科学研究和技术服务业"},
	{"N", "水利、环境和公共设施管理业"},
	{"O", "居民服务、修理和其他服务业"},
	{"P", "教育"},
	{"Q", "卫生和社会工作"},
	{"R", "文化、体育和娱乐业"},
	{"S", "公共管理、社会保障和社会组织"},
	{"T", "国际组织"},
}

// IndustryName returns the name of an industry section.
func IndustryName(code string) (string, bool) {
	for _, in := range Industries {
		if in.Code == code {
			return in.Name, true
		}
	}
	return "", false
}

// MaskPhone hides the middle of a phone number: 13812345678 → 138****5678.
// Short numbers keep only their last two characters.
func MaskPhone(s string) string { return mask(s, 3, 4) }

// MaskID hides an identity document number but its first and last
// characters: 44190019900101123X → 4****************X.
func MaskID(s string) string { return mask(s, 1, 1) }

func mask(s string, head, tail int) string {
	r := []rune(s)
	if len(r) == 0 {
		return ""
	}
	if len(r) <= head+tail {
		head, tail = 0, min(2, len(r)/2)
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}

// Beijing is China Standard Time. China keeps no daylight saving time, so a
// fixed zone is exact and needs no time zone database.
var Beijing = time.FixedZone("CST", 8*3600)

func errorsAs(err error, target any) bool { return errors.As(err, target) }
