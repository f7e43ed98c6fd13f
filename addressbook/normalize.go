package addressbook

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxParseRunes bounds the work of Normalize and Parse: they read the first
// MaxParseRunes characters of their input (after width folding) and ignore
// the rest, and Normalize's result is at most that long. A registered address
// is 20 to 60 characters; anything much longer is not an address, and the
// bound keeps a 10 KB paste from costing more than a real address does.
const MaxParseRunes = 256

// Normalize returns s in the canonical form the matcher compares:
//
//   - width folded (NFKC: full-width letters, digits and brackets become
//     ASCII, the ideographic space a space), traditional characters made
//     simplified (號 → 号, 棟 → 栋), ASCII letters upper-cased;
//   - whitespace, punctuation and symbols removed, except that a separator
//     between two digits becomes '-' (88/1, 3 502 → 88-1, 3-502), and the
//     content of brackets ((), [], {}, 【】, 〔〕, 〖〗) removed: Parse returns it
//     as Remarks;
//   - Chinese numerals in numeric positions written in Arabic digits: before
//     号 栋 幢 座 楼 层 单元 室 房 铺 档 (一百零八号 → 108号, 三楼 → 3楼, 第一栋 →
//     1栋, 十二单元 → 12单元), after 号之 and, at the end, right after a
//     building, floor or unit (五栋三零二 → 5栋302). Numerals inside names
//     stay: 同沙一路, 龙泉一巷, 九曲西区一巷, 麻一村, 二期, 第二工业区;
//   - doorplate numbers in one form: 108# → 108号; the sub-number of 108-1号,
//     108号之一, 108之1号 and 108号附1号 as 108-1号; 附3号 → 3号; 第1栋 → 1栋.
//
// Invalid UTF-8 bytes are dropped. Normalize is idempotent:
// Normalize(Normalize(s)) == Normalize(s). It is safe for concurrent use.
func Normalize(s string) string {
	buf := getNormBuf()
	n := normalizeText(s, false, buf)
	out := string(n.text)
	putNormBuf(buf)
	return out
}

// normBuf holds the scratch buffers of one normalization; the text that
// normalizeText returns may live in them, so the caller puts them back only
// when it is done with the text.
type normBuf struct {
	clean, conv, canon []rune
}

var normBufs = sync.Pool{New: func() any {
	return &normBuf{clean: make([]rune, 0, 96), conv: make([]rune, 0, 96), canon: make([]rune, 0, 96)}
}}

func getNormBuf() *normBuf { return normBufs.Get().(*normBuf) }

func putNormBuf(b *normBuf) {
	if cap(b.clean) > 4*MaxParseRunes || cap(b.conv) > 4*MaxParseRunes || cap(b.canon) > 4*MaxParseRunes {
		return
	}
	normBufs.Put(b)
}

// normalized is an address in canonical form with the remarks taken out of it.
type normalized struct {
	text    []rune
	remarks []remark
}

// remark is text Parse could not place in a component: bracket contents,
// 附近, free text. at is its position in the normalized text, which keeps the
// remarks in the order they were written.
type remark struct {
	at   int
	text string
}

// normalizeText normalizes s; with remarks, it also returns the normalized
// content of the brackets.
func normalizeText(s string, remarks bool, buf *normBuf) normalized {
	c := cleaner{remarks: remarks, main: buf.clean[:0]}
	if !c.run(s, true) {
		// Invalid UTF-8 or a rune that NFKC may change: prepare and start over.
		c = cleaner{remarks: remarks, main: buf.clean[:0]}
		c.run(prepare(s), false)
	}
	buf.clean = c.main
	text := finishRunes(c.main, buf)
	if len(text) > MaxParseRunes {
		text = truncateNormalized(text)
	}
	n := normalized{text: text}
	for _, b := range c.brackets {
		if t := finishRunes(b.text, nil); len(t) > 0 {
			n.remarks = append(n.remarks, remark{at: b.at, text: string(t)})
		}
	}
	return n
}

// finishRunes applies the steps that follow cleaning: traditional to
// simplified, Chinese numerals, canonical doorplate numbers. It works in buf
// when buf is not nil.
func finishRunes(rs []rune, buf *normBuf) []rune {
	rs = toSimplified(rs)
	var conv, canon []rune
	if buf != nil {
		conv, canon = buf.conv[:0], buf.canon[:0]
	}
	conv = convertNumerals(conv, rs)
	canon = canonicalNumbers(canon, conv)
	if buf != nil {
		buf.conv, buf.canon = conv, canon
	}
	return canon
}

// truncateNormalized cuts a normalized text that came out longer than
// MaxParseRunes (十 → 10 lengthens it) so that it stays a fixed point of
// Normalize: a cut can leave a dangling '-' or a numeral that now ends the
// text, so the steps are applied again until nothing changes.
func truncateNormalized(rs []rune) []rune {
	for k := 0; ; k++ {
		if len(rs) > MaxParseRunes {
			rs = rs[:MaxParseRunes]
		}
		for len(rs) > 0 && rs[len(rs)-1] == '-' {
			rs = rs[:len(rs)-1]
		}
		if k == 4 {
			return rs // never longer than MaxParseRunes, whatever happens
		}
		next := finishRunes(rs, nil)
		if string(next) == string(rs) {
			return rs
		}
		rs = next
	}
}

// prepare bounds s, makes it valid UTF-8 and width-folds it (NFKC). Invalid
// bytes become U+FFFD, which cleaning drops. Most addresses are ASCII and CJK
// ideographs only and never get here: see cleaner.run.
func prepare(s string) string {
	s = truncateRunes(s, 4*MaxParseRunes) // NFKC expands; bound its work first
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return norm.NFKC.String(s)
}

// truncateRunes returns the first n runes of s, counting each invalid byte as one.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// nfkcStable reports whether NFKC leaves r alone whatever surrounds it.
func nfkcStable(r rune) bool {
	return r < 0x80 && r != 0 ||
		r >= 0x4E00 && r <= 0x9FFF || // CJK unified ideographs
		r >= 0x3400 && r <= 0x4DBF || // extension A
		r >= 0x3001 && r <= 0x3035 || // CJK punctuation: 、。〈〉《》「」【】〔〕〖〗
		r == 0x00B7 || r == 0x2014 || r == 0x2018 || r == 0x2019 || r == 0x201C || r == 0x201D
}

// foldWidth maps full-width ASCII to ASCII and the ideographic space to a
// space, as NFKC does.
func foldWidth(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

// bracketPair returns +1 for an opening bracket, -1 for a closing one.
func bracketPair(r rune) int {
	switch r {
	case '(', '[', '{', '【', '〔', '〖':
		return 1
	case ')', ']', '}', '】', '〕', '〗':
		return -1
	}
	return 0
}

// cleaner folds, upper-cases and strips punctuation, taking bracket contents
// aside.
type cleaner struct {
	remarks  bool
	main     []rune
	brackets []bracketText
	depth    int
	count    int
	sepMain  bool // a separator follows the last rune of main
	sepBr    bool // the same for the open bracket
}

type bracketText struct {
	at   int
	text []rune
}

// run cleans s. With strict, it stops and reports false at the first invalid
// byte or rune that NFKC might change, for the caller to prepare s first.
func (c *cleaner) run(s string, strict bool) bool {
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if strict && (r == utf8.RuneError && size == 1 || !nfkcStable(r) && !(r >= 0xFF01 && r <= 0xFF5E) && r != 0x3000) {
			return false
		}
		i += size
		if c.count == MaxParseRunes {
			break
		}
		c.count++
		r = foldWidth(r)
		if b := bracketPair(r); b != 0 {
			c.bracket(b)
			continue
		}
		switch kind := runeKind(r); kind {
		case rkKeep:
			if r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			if r == '#' && !c.numberBefore() {
				c.separator() // '#' means 号 only after a number or a letter
				continue
			}
			c.emit(r)
		case rkSeparator:
			c.separator()
		}
	}
	if c.depth > 0 {
		// An unclosed bracket: its content stays in the text.
		b := c.brackets[len(c.brackets)-1]
		c.brackets = c.brackets[:len(c.brackets)-1]
		c.depth = 0
		c.sepMain = true
		for _, r := range b.text {
			c.emit(r)
		}
	}
	return true
}

func (c *cleaner) bracket(b int) {
	switch {
	case b > 0 && c.depth == 0:
		c.depth = 1
		c.brackets = append(c.brackets, bracketText{at: len(c.main)})
		c.sepBr = false
	case b > 0:
		c.depth++
		c.separator()
	case c.depth == 0:
		c.separator() // a closing bracket with no opening one
	case c.depth == 1:
		c.depth = 0
		c.sepMain = true
		if !c.remarks {
			c.brackets = c.brackets[:0]
		}
	default:
		c.depth--
		c.separator()
	}
}

// numberBefore reports whether the text (or the open bracket) ends with a
// digit, a capital letter or a Chinese numeral, with no separator since.
func (c *cleaner) numberBefore() bool {
	buf, sep := c.main, c.sepMain
	if c.depth > 0 {
		buf, sep = c.brackets[len(c.brackets)-1].text, c.sepBr
	}
	if sep || len(buf) == 0 {
		return false
	}
	last := buf[len(buf)-1]
	return isDigit(last) || isUpper(last) || isChineseNumeral(last)
}

func (c *cleaner) separator() {
	if c.depth > 0 {
		c.sepBr = true
	} else {
		c.sepMain = true
	}
}

// emit appends r to the text or the open bracket. A separator between two
// digits becomes '-'.
func (c *cleaner) emit(r rune) {
	buf, sep := &c.main, &c.sepMain
	if c.depth > 0 {
		b := &c.brackets[len(c.brackets)-1]
		buf, sep = &b.text, &c.sepBr
	}
	if *sep && isDigit(r) && len(*buf) > 0 {
		if last := (*buf)[len(*buf)-1]; isDigit(last) || last == '号' {
			*buf = append(*buf, '-') // 88/1 → 88-1; 108号-1: see canonicalNumbers
		}
	}
	*sep = false
	*buf = append(*buf, r)
}

type runeKindT uint8

const (
	rkKeep runeKindT = iota
	rkSeparator
	rkDrop
)

// runeKind tells what cleaning does with r: keep letters, digits, ideographs
// and '#'; drop combining marks; turn everything else (spaces, punctuation,
// symbols, controls, '-') into a separator.
func runeKind(r rune) runeKindT {
	switch {
	case r >= '0' && r <= '9', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r == '#':
		return rkKeep
	case r < 0x80:
		return rkSeparator
	case r >= 0x4E00 && r <= 0x9FFF:
		return rkKeep
	case unicode.IsLetter(r) || unicode.IsNumber(r):
		return rkKeep
	case unicode.Is(unicode.M, r):
		return rkDrop
	}
	return rkSeparator
}

// Simplify returns free text (a business scope, a complaint) in the forms
// Normalize uses, without Normalize's address rewriting or length bound:
// valid UTF-8, width-folded (NFKC) and with simplified characters.
func Simplify(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	rs := []rune(s)
	quick := true
	for i, r := range rs {
		switch {
		case nfkcStable(r):
		case r >= 0xFF01 && r <= 0xFF5E || r == 0x3000:
			rs[i] = foldWidth(r)
		default:
			quick = false
		}
	}
	if !quick {
		rs = []rune(norm.NFKC.String(s))
	}
	return string(toSimplified(rs))
}
