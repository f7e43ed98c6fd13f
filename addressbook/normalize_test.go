package addressbook

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "东莞市长安镇乌沙社区兴发南路128号", "东莞市长安镇乌沙社区兴发南路128号"},
		{"full-width digits", "鸿福路１０８号", "鸿福路108号"},
		{"full-width letters", "Ａ座ｂ１０１", "A座B101"},
		{"ideographic space", "鸿福路　108号", "鸿福路108号"},
		{"spaces and tabs", " 东莞市 长安镇\t乌沙社区 ", "东莞市长安镇乌沙社区"},
		{"traditional", "東莞市長安鎮烏沙社區興發南路128號", "东莞市长安镇乌沙社区兴发南路128号"},
		{"lower case", "a座", "A座"},
		{"Chinese doorplate", "一百零八号", "108号"},
		{"Chinese floor", "三楼", "3楼"},
		{"ordinal building", "第一栋", "1栋"},
		{"Chinese unit", "十二单元", "12单元"},
		{"road numeral stays", "同沙一路", "同沙一路"},
		{"lane numeral stays", "九曲西区一巷", "九曲西区一巷"},
		{"lane numeral stays 2", "龙泉一巷", "龙泉一巷"},
		{"phase stays", "金域花园二期", "金域花园二期"},
		{"hash", "108#", "108号"},
		{"stray hash", "#鸿福路#88号", "鸿福路88号"},
		{"hash after a Chinese numeral", "三#厂房", "3号厂房"},
		{"dash sub-number", "108-1号", "108-1号"},
		{"之一", "108号之一", "108-1号"},
		{"之1号", "108之1号", "108-1号"},
		{"附", "鸿福路附3号", "鸿福路3号"},
		{"号附", "鸿福路88号附3号", "鸿福路88-3号"},
		{"round brackets", "鸿福路88号(自编A区)", "鸿福路88号"},
		{"full-width brackets", "鸿福路88号（自编A区）", "鸿福路88号"},
		{"square brackets", "鸿福路88号【旁边】", "鸿福路88号"},
		{"nested brackets", "鸿福路(一(二)三)88号", "鸿福路88号"},
		{"unclosed bracket keeps its text", "汇峰大厦（自编A区", "汇峰大厦自编A区"},
		{"stray closing bracket", "汇峰大厦)1501", "汇峰大厦1501"},
		{"punctuation", "东莞市，长安镇、乌沙社区。", "东莞市长安镇乌沙社区"},
		{"separator between digits", "88/1号", "88-1号"},
		{"space between digits", "3 502", "3-502"},
		{"emoji", "🏠鸿福路88号👍", "鸿福路88号"},
		{"circled number", "鸿福路⑧号", "鸿福路8号"},
		{"compatibility ideograph", "\uF9F1", "\u96A3"},
		{"invalid UTF-8", "鸿福路\xff\xfe88号", "鸿福路88号"},
		{"empty", "", ""},
		{"punctuation only", "，。！？", ""},
		{"html", "<b>鸿福路</b>", "B鸿福路B"},
		{"sql", "'; DROP TABLE x; --", "DROPTABLEX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeLong(t *testing.T) {
	long := strings.Repeat("鸿福路十号", 2000) // 10,000 runes
	got := Normalize(long)
	if n := utf8.RuneCountInString(got); n > MaxParseRunes {
		t.Errorf("Normalize of %d runes has %d runes, want at most %d", utf8.RuneCountInString(long), n, MaxParseRunes)
	}
	if again := Normalize(got); again != got {
		t.Errorf("Normalize is not idempotent on a long text:\n%q\n%q", got, again)
	}
}

// TestNFKCStable checks that the runes nfkcStable lets through are left
// alone by NFKC, and that foldWidth folds as NFKC does.
func TestNFKCStable(t *testing.T) {
	for r := rune(1); r < 0x30000; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		if nfkcStable(r) && !norm.NFKC.IsNormalString(s) {
			t.Errorf("nfkcStable(%U) but NFKC changes it", r)
		}
		if f := foldWidth(r); f != r && norm.NFKC.String(s) != string(f) {
			t.Errorf("foldWidth(%U) = %U, NFKC gives %q", r, f, norm.NFKC.String(s))
		}
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	for _, s := range append(benchAddresses,
		"五栋三零二", "鸿福路十号十号十号", "汇峰大厦（自编A区", "3五号", "108号-1", "#3#", "第一第二栋") {
		n := Normalize(s)
		if again := Normalize(n); again != n {
			t.Errorf("Normalize(%q) = %q, but Normalize of that = %q", s, n, again)
		}
	}
}

// TestParseNormalizesLikeNormalize: the matcher takes the normalized text
// from parse instead of normalizing twice, so the two must agree.
func TestParseNormalizesLikeNormalize(t *testing.T) {
	for _, s := range append(benchAddresses,
		"東莞市長安鎮興發南路126號1棟鋪位2", "汇峰大厦（自编A区）15楼", "\xff东莞１０８#", "") {
		if _, got := parse(s); got != Normalize(s) {
			t.Errorf("parse(%q) text = %q, Normalize = %q", s, got, Normalize(s))
		}
	}
}

func TestSimplify(t *testing.T) {
	for in, want := range map[string]string{
		"餐飲服務（不含ＫＴＶ）": "餐饮服务(不含KTV)",
		"日用百货销售；五金":   "日用百货销售;五金",
		"ｍ²　面积":       "m2 面积", // outside the quick path: NFKC
		"bad\xffbyte": "bad\uFFFDbyte",
	} {
		if got := Simplify(in); got != want {
			t.Errorf("Simplify(%q) = %q, want %q", in, got, want)
		}
	}
}
