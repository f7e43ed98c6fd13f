package addressbook

import "testing"

func TestParseChineseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"一", 1, true},
		{"十", 10, true},
		{"十二", 12, true},
		{"二十", 20, true},
		{"二十五", 25, true},
		{"一百", 100, true},
		{"一百零八", 108, true},
		{"一百一十", 110, true},
		{"一百一", 110, true}, // as spoken
		{"一百十", 110, true},
		{"三千五", 3500, true},
		{"一千零一", 1001, true},
		{"两百", 200, true},
		{"三零一", 301, true}, // positional digits
		{"一五零一", 1501, true},
		{"二〇二", 202, true},
		{"壹佰零捌", 108, true}, // financial numerals
		{"", 0, false},
		{"百", 0, false},
		{"十十", 0, false},
		{"一二百", 0, false},
		{"一百零", 0, false},
		{"零十", 0, false},
		{"一百零零八", 0, false},
		{"九九九九九九九", 0, false}, // over maxNumber
	}
	for _, tt := range tests {
		name := tt.in
		if name == "" {
			name = "empty"
		}
		t.Run(name, func(t *testing.T) {
			got, ok := parseChineseNumber([]rune(tt.in))
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseChineseNumber(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestConvertNumerals(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"doorplate", "一百零八号", "108号"},
		{"floor", "三楼", "3楼"},
		{"floor 层", "十二层", "12层"},
		{"ordinal building", "第一栋", "1栋"},
		{"unit", "十二单元", "12单元"},
		{"room", "三零一室", "301室"},
		{"shop", "三号铺", "3号铺"},
		{"stall", "十二档", "12档"},
		{"hash", "三#", "3#"},
		{"sub-number", "88号之一", "88号之1"},
		{"room at the end", "5栋三零二", "5栋302"},
		{"room at the end after unit", "1单元三零二", "1单元302"},
		{"road keeps its numeral", "同沙一路", "同沙一路"},
		{"lane keeps its numeral", "龙泉一巷", "龙泉一巷"},
		{"lane in a quarter", "九曲西区一巷", "九曲西区一巷"},
		{"village keeps its numeral", "麻一村", "麻一村"},
		{"phase keeps its numeral", "金域花园二期", "金域花园二期"},
		{"ordinal in a name", "月塘第二工业区", "月塘第二工业区"},
		{"road then number", "八一路十号", "八一路10号"},
		{"not at the end", "5栋三组", "5栋三组"},
		{"numbers stay apart", "3五号", "3-5号"},
		{"malformed stays", "十十号", "十十号"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(convertNumerals(nil, []rune(tt.in))); got != tt.want {
				t.Errorf("convertNumerals(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCanonicalNumbers(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"hash", "108#", "108号"},
		{"hash before 号", "108#号", "108号"},
		{"hash building", "3#厂房", "3号厂房"},
		{"hash after letter", "A#楼", "A号楼"},
		{"号之", "88号之1", "88-1号"},
		{"号之号", "88号之1号", "88-1号"},
		{"之号", "88之1号", "88-1号"},
		{"号附", "88号附3号", "88-3号"},
		{"附 alone", "鸿福路附3号", "鸿福路3号"},
		{"附近 stays", "88号附近", "88号附近"},
		{"dash after 号", "108号-1", "108-1号"},
		{"dash after 号 before building", "108号-1栋", "108号1栋"},
		{"dash after 号 before a room", "108号-1501", "108号1501"},
		{"ordinal", "第1栋", "1栋"},
		{"ordinal phase stays", "第2期", "第2期"},
		{"sub-number form stays", "108-1号", "108-1号"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(canonicalNumbers(nil, []rune(tt.in))); got != tt.want {
				t.Errorf("canonicalNumbers(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
