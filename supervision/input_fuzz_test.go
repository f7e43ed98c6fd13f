package supervision

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// inputFields are the JSON names of EntityInput's fields: what a FieldError
// of a registration line may name.
var inputFields = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeOf(EntityInput{})
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = true
	}
	return m
}()

// FuzzEntityInput feeds DecodeEntityInput and EntityInput.Entity (a line of
// the registration feed, the body of PUT /v1/entities/{uscc}, a row of an
// entity import) arbitrary bytes. Every input gives either a valid entity
// or an error: one naming a field of the line, or saying that the line is
// not one JSON object. An accepted entity is written back as a line and
// must read back the same.
func FuzzEntityInput(f *testing.F) {
	for _, s := range []string{
		`{"uscc":"91441900MA4W000011","name":"东莞市鸿福贸易有限公司","kind":"enterprise","status":"active","registered_at":"2021-03-04","address_text":"东莞市南城街道鸿福路88号3栋502室","scope":"预包装食品销售","industry":"F","legal_rep":"张三","phone":"13800138000","id_number":"441900199001011234","report_year":2023,"changed_at":"2026-11-27T09:30:00+08:00","change":"new"}`,
		`{"uscc":"92441900MA5A12345D","name":" 李记小吃 ","registered_at":"2019-01-01","address_text":"虎门镇连升中路一百零八号","change":"change","changed_at":"2026-11-27T01:30:00Z"}`,
		`{"uscc":"91441900MA4W000011","change":"cancel","changed_at":"2026-11-27T09:30:00+08:00"}`,
		`{"uscc":"91441900MA4W000011","change":"cancel","status":"revoked","changed_at":"2026-11-27T09:30:00+08:00"}`,
		`{"uscc":"91441900MA4W000011","change":"cancel","status":"active","changed_at":"2026-11-27T09:30:00+08:00"}`,
		`{"uscc":"91441900MA4W000011","change":"cancel","status":"bogus"}`,
		`{"uscc":"91441900MA4W000011","name":"x","kind":"individual","registered_at":"2021-03-04","address_text":"a"}`,
		`{"uscc":"91441900MA4W000011","name":"x","registered_at":"1978-12-31","address_text":"a"}`,
		`{"uscc":"91441900MA4W000011","name":"x","registered_at":"2021-02-30","address_text":"a"}`,
		`{"uscc":"91441900MA4W000011","changed_at":"2099-01-01T00:00:00Z","change":"new"}`,
		`{"uscc":"91441900MA4W000011","report_year":"2023"}`,
		`{"uscc":"91441900MA4W000011","report_year":1e99}`,
		`{"uscc":"91441900MA4W000011","mystery":1}`,
		`{"uscc":"91441900MA4W000011"} {"uscc":"x"}`,
		`{"uscc":"91441900MA4W000011","name":"\ud800"}`,
		`{"uscc":`,
		`[1,2]`,
		`"91441900MA4W000011"`,
		`null`,
		`{}`,
		``,
		"{\"name\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, Beijing)
	f.Fuzz(func(t *testing.T, line []byte) {
		in, err := DecodeEntityInput(line)
		if err != nil {
			checkInputError(t, line, err, true)
			return
		}
		e, err := in.Entity(now)
		if err != nil {
			checkInputError(t, line, err, false)
			return
		}
		checkEntity(t, line, in, e, now)

		// Written back as a line, it reads back the same.
		out := InputOf(e)
		out.Change = in.Change
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		in2, err := DecodeEntityInput(b)
		if err != nil {
			t.Fatalf("%s\nwritten back as %s: %v", line, b, err)
		}
		e2, err := in2.Entity(now)
		if err != nil {
			t.Fatalf("%s\nwritten back as %s: %v", line, b, err)
		}
		if !SameRegistration(&e, &e2) || !e.ChangedAt.Equal(e2.ChangedAt) || in.Cancellation() != in2.Cancellation() {
			t.Fatalf("%s\nreads as   %+v\nwritten as %s\nreads back %+v", line, e, b, e2)
		}
	})
}

// checkInputError checks that err names a field of the line, or (from the
// decoder) says that the line is not one JSON object.
func checkInputError(t *testing.T, line []byte, err error, decoding bool) {
	t.Helper()
	fe, ok := err.(*FieldError)
	switch {
	case !ok && decoding:
		if msg := err.Error(); !strings.HasPrefix(msg, "malformed JSON") && msg != "more than one JSON value" {
			t.Fatalf("DecodeEntityInput(%q): %q is neither a field's error nor malformed JSON", line, msg)
		}
	case !ok:
		t.Fatalf("Entity of %q: %v (%T) names no field", line, err, err)
	case fe.Field == "":
		t.Fatalf("%q: %q names an empty field", line, err)
	case fe.Message == "":
		t.Fatalf("%q: the error of field %s says nothing", line, fe.Field)
	case !inputFields[fe.Field]:
		// Only the decoder may name a field the line has but the input
		// does not know.
		if !decoding || fe.Message != "unknown field" {
			t.Fatalf("%q: %q names %q, not a field of the line", line, err, fe.Field)
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(line, &members) == nil {
			if _, ok := members[fe.Field]; !ok {
				t.Fatalf("%q: %q names %q, which the line does not have", line, err, fe.Field)
			}
		}
	}
}

// checkEntity checks what an accepted entity must satisfy.
func checkEntity(t *testing.T, line []byte, in EntityInput, e Entity, now time.Time) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s\nreads as %+v: %s", line, e, strings.TrimSpace(fmt.Sprintf(format, args...)))
	}
	if u, err := ParseUSCC(e.USCC.String()); err != nil || u != e.USCC {
		fail("the code does not re-parse: %v", err)
	}
	if in.ChangedAt == "" && !e.ChangedAt.Equal(now) || e.ChangedAt.After(now.Add(10*time.Minute)) {
		fail("change time %v is not the line's, nor now, or it is in the future", e.ChangedAt)
	}
	if !e.RegisteredAt.IsZero() {
		d := e.RegisteredAt.In(Beijing)
		if d.Year() < 1979 || d.After(now.Add(24*time.Hour)) || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
			fail("registration date %v is implausible or not a Beijing midnight", e.RegisteredAt)
		}
	}
	for _, s := range []string{e.Name, e.AddressText, e.Scope, e.Industry, e.LegalRep, e.Phone, e.IDNumber} {
		if s != strings.TrimSpace(s) || !utf8.ValidString(s) {
			fail("text %q is not trimmed valid UTF-8", s)
		}
		if strings.ContainsRune(s, 0) && !in.Cancellation() {
			fail("text %q holds a NUL, which PostgreSQL text cannot", s)
		}
	}
	if in.Cancellation() {
		if e.Status != Cancelled && e.Status != Revoked {
			fail("a cancel change sets status %q", e.Status)
		}
		return
	}
	v := e
	if err := v.Validate(); err != nil || !reflect.DeepEqual(v, e) {
		fail("an accepted entity does not validate unchanged: %v\n%+v", err, v)
	}
	if _, err := ParseKind(string(e.Kind)); err != nil {
		fail("%v", err)
	}
	if _, err := ParseStatus(string(e.Status)); err != nil {
		fail("%v", err)
	}
	if e.RegisteredAt.IsZero() || e.Name == "" || e.AddressText == "" {
		fail("a required field is empty")
	}
}

// TestInputOf checks that an entity written as an input line reads back
// the same, the registration date on the same Beijing day.
func TestInputOf(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, Beijing)
	e := Entity{USCC: "91441900MA4W000011", Name: "东莞市鸿福贸易有限公司", Kind: Enterprise, Status: Active,
		RegisteredAt: time.Date(2021, 3, 4, 0, 0, 0, 0, Beijing), AddressText: "东莞市南城街道鸿福路88号3栋502室",
		Scope: "预包装食品销售", Industry: "F", LegalRep: "张三", Phone: "13800138000", IDNumber: "441900199001011234",
		ReportYear: 2023, ChangedAt: time.Date(2026, 11, 27, 1, 30, 0, 123000, time.UTC)}
	in := InputOf(e)
	if in.RegisteredAt != "2021-03-04" || in.ChangedAt != "2026-11-27T01:30:00.000123Z" {
		t.Errorf("InputOf: registered_at %q, changed_at %q", in.RegisteredAt, in.ChangedAt)
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	in2, err := DecodeEntityInput(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	e2, err := in2.Entity(now)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if !SameRegistration(&e, &e2) || !e2.ChangedAt.Equal(e.ChangedAt) || !e2.RegisteredAt.Equal(e.RegisteredAt) {
		t.Errorf("read back\n%+v\nwant\n%+v", e2, e)
	}
}
