package addressbook

import "slices"

// Chinese numerals in addresses: 一百零八号, 三楼, 第一栋, 三零一室, and the
// financial forms (壹贰叁) that some clerks copy from contracts.

// maxNumber is the largest number Parse reads as a doorplate number, floor or
// room; longer digit runs are not numbers but noise (phone numbers, codes).
const maxNumber = 999999

// chineseDigit returns the value of a Chinese digit, or -1 when r is none.
func chineseDigit(r rune) int {
	switch r {
	case '零', '〇':
		return 0
	case '一', '壹':
		return 1
	case '二', '两', '贰':
		return 2
	case '三', '叁':
		return 3
	case '四', '肆':
		return 4
	case '五', '伍':
		return 5
	case '六', '陆':
		return 6
	case '七', '柒':
		return 7
	case '八', '捌':
		return 8
	case '九', '玖':
		return 9
	}
	return -1
}

// chineseUnit returns the value of a Chinese numeral unit (十, 百, 千), or 0.
func chineseUnit(r rune) int {
	switch r {
	case '十', '拾':
		return 10
	case '百', '佰':
		return 100
	case '千', '仟':
		return 1000
	}
	return 0
}

func isChineseNumeral(r rune) bool { return chineseDigit(r) >= 0 || chineseUnit(r) > 0 }

// parseChineseNumber reads a run of Chinese numerals: positional digits
// (三零一 = 301, 二〇二 = 202) or digits with units (一百零八 = 108, 十二 = 12,
// 二十 = 20, 一百一 = 110 as it is spoken). It reports false for a run that is
// no well-formed number (十十, 百) or exceeds maxNumber.
func parseChineseNumber(rs []rune) (int, bool) {
	if len(rs) == 0 {
		return 0, false
	}
	hasUnit := false
	for _, r := range rs {
		if chineseUnit(r) > 0 {
			hasUnit = true
			break
		}
	}
	if !hasUnit {
		v := 0
		for _, r := range rs {
			v = v*10 + chineseDigit(r)
			if v > maxNumber {
				return 0, false
			}
		}
		return v, true
	}
	total, cur, lastUnit := 0, -1, 0
	zero := false
	for _, r := range rs {
		if u := chineseUnit(r); u > 0 {
			if lastUnit != 0 && u >= lastUnit {
				return 0, false
			}
			if cur < 0 {
				if u != 10 || zero {
					return 0, false // 百 alone, 一百零十
				}
				cur = 1 // 十二, 一百十
			}
			total += cur * u
			cur, lastUnit, zero = -1, u, false
			continue
		}
		d := chineseDigit(r)
		if cur >= 0 {
			return 0, false // two digits in a row: 一二百
		}
		if d == 0 {
			if zero || lastUnit == 0 {
				return 0, false // 零零, or 零 before any unit
			}
			zero = true
			continue
		}
		cur = d
	}
	if cur >= 0 {
		if !zero && lastUnit >= 100 {
			total += cur * lastUnit / 10 // 一百一 = 110, 三千五 = 3500
		} else {
			total += cur
		}
	} else if zero {
		return 0, false // 一百零
	}
	if total > maxNumber {
		return 0, false
	}
	return total, true
}

// numberSuffixes are what makes a Chinese numeral a number rather than part of
// a name: 一百零八号, 三楼, 十二单元. Names keep their numerals: 同沙一路,
// 龙泉一巷, 麻一村, 二期, 第二工业区.
var numberSuffixes = [][]rune{
	[]rune("号"), []rune("栋"), []rune("幢"), []rune("座"), []rune("楼"), []rune("层"),
	[]rune("单元"), []rune("室"), []rune("房"), []rune("铺"), []rune("档"), []rune("#"),
}

// roomMarkers are the labels after which a bare numeral at the end of the
// text is a room: 五栋三零二, 三楼三零一.
func isRoomMarker(r rune) bool {
	switch r {
	case '栋', '幢', '座', '楼', '层', '元':
		return true
	}
	return false
}

// hasAt reports whether rs[i:] starts with w.
func hasAt(rs []rune, i int, w []rune) bool {
	if i < 0 || len(rs)-i < len(w) {
		return false
	}
	for k, r := range w {
		if rs[i+k] != r {
			return false
		}
	}
	return true
}

func hasAnyAt(rs []rune, i int, ws [][]rune) bool {
	for _, w := range ws {
		if hasAt(rs, i, w) {
			return true
		}
	}
	return false
}

// convertNumerals appends in to out with the Chinese numerals in numeric
// positions written in Arabic digits: before a number suffix (一百零八号 →
// 108号, 第一栋 → 1栋, 三#), after 号之 (号之一 → 号之1), and at the end of the
// text right after a building, floor or unit (五栋三零二 → 5栋302).
func convertNumerals(out, in []rune) []rune {
	for i := 0; i < len(in); {
		if !isChineseNumeral(in[i]) {
			out = append(out, in[i])
			i++
			continue
		}
		j := i
		for j < len(in) && isChineseNumeral(in[j]) {
			j++
		}
		sub := afterSubMarker(out)
		if sub && j-i >= 2 && !hasChineseUnit(in[i:j]) {
			// 8号之一一栋: 之一 is the sub-number, the next numeral the building's.
			out = appendInt(out, chineseDigit(in[i]))
			out = append(out, '号')
			i++
			continue
		}
		if numericPosition(out, in, j) {
			if v, ok := parseChineseNumber(in[i:j]); ok {
				if n := len(out); n > 0 && out[n-1] == '第' {
					out = out[:n-1]
				}
				if n := len(out); n > 0 && isDigit(out[n-1]) {
					out = append(out, '-') // 3五号: keep the numbers apart
				}
				out = appendInt(out, v)
				if sub && j < len(in) && isDigit(in[j]) {
					out = append(out, '号') // 8号之一1栋: the sub-number ends here
				}
				i = j
				continue
			}
		}
		out = append(out, in[i:j]...)
		i = j
	}
	return out
}

// afterSubMarker reports whether out ends with 号之 (or #之) or a digit and
// 之, where a sub-number follows.
func afterSubMarker(out []rune) bool {
	n := len(out)
	return n >= 2 && out[n-1] == '之' && (out[n-2] == '号' || out[n-2] == '#' || isDigit(out[n-2]))
}

func hasChineseUnit(rs []rune) bool {
	for _, r := range rs {
		if chineseUnit(r) > 0 {
			return true
		}
	}
	return false
}

// numericPosition reports whether the numeral run that ends at in[j] (and
// follows out) stands for a number.
func numericPosition(out, in []rune, j int) bool {
	if hasAnyAt(in, j, numberSuffixes) {
		return true
	}
	if afterSubMarker(out) {
		return true
	}
	n := len(out)
	return j == len(in) && n > 0 && isRoomMarker(out[n-1]) && (out[n-1] != '元' || n >= 2 && out[n-2] == '单')
}

// labelSuffixes are the suffixes after which a leading 第 is dropped: 第1栋 → 1栋.
var labelSuffixes = [][]rune{
	[]rune("号"), []rune("栋"), []rune("幢"), []rune("座"), []rune("楼"), []rune("层"),
	[]rune("单元"), []rune("室"),
}

// canonicalNumbers appends in to out with doorplate numbers in their
// canonical form: 108# → 108号, 108号之1 / 108之1号 / 108号附1号 / 108号-1 → 108-1号,
// 附3号 → 3号, 第1栋 → 1栋. (Cleaning keeps a '#' only after a number or a
// letter.)
func canonicalNumbers(out, in []rune) []rune {
	out, again := canonicalNumbersOnce(out, in)
	// One rewrite can make another: 0之0#之0 → 0-0号之0 → 0-0-0号. Each
	// pass that rewrites removes a 之, 附, 第 or 号-, so this ends.
	for k := 0; again && k <= len(in); k++ {
		out, again = canonicalNumbersOnce(make([]rune, 0, len(out)), out)
	}
	return out
}

// canonicalNumbersOnce makes one pass of canonicalNumbers and reports
// whether it rewrote anything.
func canonicalNumbersOnce(out, in []rune) ([]rune, bool) {
	changed := false
	if slices.Contains(in, '#') {
		// 108# → 108号 first, so that 108#之1 reads as 108号之1.
		hashless := make([]rune, 0, len(in))
		for i, r := range in {
			switch {
			case r != '#':
				hashless = append(hashless, r)
			case i+1 < len(in) && in[i+1] == '号':
			default:
				hashless = append(hashless, '号')
			}
		}
		in, changed = hashless, true
	}
	for i := 0; i < len(in); {
		r := in[i]
		last := rune(0)
		if len(out) > 0 {
			last = out[len(out)-1]
		}
		switch {
		case r == '第' && i+1 < len(in) && isDigit(in[i+1]):
			if hasAnyAt(in, digitsEnd(in, i+1), labelSuffixes) {
				i++ // 第1栋 → 1栋
				changed = true
				continue
			}
		case r == '附' && i+1 < len(in) && isDigit(in[i+1]):
			j := digitsEnd(in, i+1)
			if j < len(in) && in[j] == '号' || j == len(in) {
				changed = true
				if last == '号' && len(out) >= 2 && isDigit(out[len(out)-2]) {
					out = append(out[:len(out)-1], '-') // 88号附3号 → 88-3号
					out = append(out, in[i+1:j]...)
					out = append(out, '号')
					i = skipRune(in, j, '号')
					continue
				}
				i++ // 附3号 → 3号
				continue
			}
		case r == '号' && isDigit(last) && i+2 < len(in) && in[i+1] == '之' && isDigit(in[i+2]):
			j := digitsEnd(in, i+2) // 88号之1 → 88-1号
			out = append(out, '-')
			out = append(out, in[i+2:j]...)
			out = append(out, '号')
			i = skipRune(in, j, '号')
			changed = true
			continue
		case r == '号' && i+1 < len(in) && in[i+1] == '-':
			// The cleaner keeps a separator between 号 and a digit: 108号-1
			// is 108号之一 when one or two digits end the text or a name
			// follows; else the '-' goes (108号-1栋, 88号 1501).
			changed = true
			j := digitsEnd(in, i+2)
			if isDigit(last) && j-(i+2) <= 2 && (j == len(in) || !hasAnyAt(in, j, numberSuffixes) && !isDigit(in[j]) && in[j] != '-') {
				out = append(out, '-')
				out = append(out, in[i+2:j]...)
				out = append(out, '号')
				i = j
				continue
			}
			out = append(out, '号')
			i += 2
			continue
		case r == '之' && isDigit(last) && i+1 < len(in) && isDigit(in[i+1]):
			if j := digitsEnd(in, i+1); j < len(in) && in[j] == '号' {
				out = append(out, '-') // 88之1号 → 88-1号
				out = append(out, in[i+1:j]...)
				out = append(out, '号')
				i = j + 1
				changed = true
				continue
			}
		}
		out = append(out, r)
		i++
	}
	return out, changed
}

func skipRune(rs []rune, i int, r rune) int {
	if i < len(rs) && rs[i] == r {
		return i + 1
	}
	return i
}

// digitsEnd returns the end of the run of ASCII digits that starts at i.
func digitsEnd(rs []rune, i int) int {
	for i < len(rs) && isDigit(rs[i]) {
		i++
	}
	return i
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isUpper(r rune) bool { return r >= 'A' && r <= 'Z' }

// appendInt appends the decimal digits of v ≥ 0.
func appendInt(out []rune, v int) []rune {
	var buf [20]rune
	i := len(buf)
	for {
		i--
		buf[i] = rune('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(out, buf[i:]...)
}

// atoiRunes reads a run of ASCII digits; ok is false when it is empty or
// exceeds maxNumber.
func atoiRunes(rs []rune) (v int, ok bool) {
	if len(rs) == 0 {
		return 0, false
	}
	for _, r := range rs {
		if !isDigit(r) {
			return 0, false
		}
		v = v*10 + int(r-'0')
		if v > maxNumber {
			return 0, false
		}
	}
	return v, true
}
