package addressbook

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds start both fuzzers; testdata/fuzz holds what they found since.
var fuzzSeeds = []string{
	"东莞市长安镇乌沙社区兴发南路128号3栋502室",
	"广东省东莞市南城街道鸿福路88号之一汇峰大厦15楼1501（自编A区）",
	"虎门镇连升中路一百零八号2楼",
	"東莞市長安鎮烏沙社區興發南路128號3棟502室",
	"鸿福路１０８号",
	"鸿福路108#",
	"鸿福路88号之一一栋三楼三零一",
	"某某花园二期5栋1单元302",
	"厂房2101",
	"负一层B101",
	"(一(二)三",
	"",
	"12345",
	"<script>alert(1)</script>",
	"\xff\xfe\xfd",
	"🏠👍",
	"㈠㈡⑴",
	"十十十号号号",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Parse(s)
		v := reflect.ValueOf(c)
		for i := range v.NumField() {
			if fv := v.Field(i); fv.Kind() == reflect.String && !utf8.ValidString(fv.String()) {
				t.Errorf("Parse(%q).%s = %q is not valid UTF-8", s, v.Type().Field(i).Name, fv.String())
			}
		}
		if c.Number < 0 || c.SubNumber < 0 || c.Number > maxNumber || c.SubNumber > maxNumber {
			t.Errorf("Parse(%q): number %d-%d out of range", s, c.Number, c.SubNumber)
		}
		if c.Floor > maxNumber || c.Floor < -maxNumber {
			t.Errorf("Parse(%q): floor %d out of range", s, c.Floor)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q is not valid UTF-8", s, n)
		}
		if utf8.RuneCountInString(n) > MaxParseRunes {
			t.Fatalf("Normalize(%q) has %d runes", s, utf8.RuneCountInString(n))
		}
		if again := Normalize(n); again != n {
			t.Fatalf("Normalize is not idempotent:\nin   %q\nonce %q\ntwice %q", s, n, again)
		}
	})
}
