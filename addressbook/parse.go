package addressbook

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Parse splits a typed address into its components. It reads the address in
// the order it is written (province, city, town, village, road and number,
// place, building, unit, floor, room) with suffix rules rather than a
// gazetteer: a road is what ends in 路, 大道, 街, 巷 …, a place what ends in
// 大厦, 花园, 工业区 …, a village what ends in 村 or 社区. Only the towns of
// Dongguan are known by name, because clerks write them without a suffix
// (东莞南城…, 长安乌沙社区…). Names are returned as written (after
// Normalize): typos such as 塘夏镇 stay for the matcher to correct.
//
// Decisions where the writing is ambiguous:
//
//   - 附3号 is doorplate 3 (附 is dropped); 88号附3号 is 88号之三.
//   - 108-110号 with an even difference is a range: Number 108, and the text
//     goes to Remarks. 108-1号 and 108号-1 are 108号之一.
//   - A phase stays in the place: 某某花园2期5栋 → Place 某某花园2期,
//     Building 5栋. 二期 keeps its Chinese numeral (it is part of a name).
//   - A name of two or more characters and 新村 is a place (an estate: 金域新村);
//     漱新村 is a village.
//   - A name ending in 村, 园, 城 … followed by a lane (黄村新屋一巷,
//     竹园塘边一巷) is read as the lane: village lanes carry the village's name.
//   - A number after the doorplate, a place, a building or a floor with no
//     word after it is a room: 5栋302, 3楼301, 汇峰大厦1501. 3-502 after a
//     doorplate or place is building 3, room 502; 3-2-502 is building 3,
//     unit 2, room 502. 厂房2101 is 厂房2, room 101 (a factory number of four
//     or more digits is read as building and three-digit room); 员工宿舍504 is
//     room 504 of 宿舍楼.
//   - Building is a canonical label (1号楼, 一栋, 第1栋, 1幢 → 1栋; A座; 厂房3,
//     3#厂房, 3栋厂房 → 3号厂房) and Room a key as RoomKey returns it (301,
//     铺位3, 档口12, B101).
//   - Of two places the later, more precise one is Place and the other goes
//     to Remarks; a second road does too (鸿福路与东城大道交汇处). A place
//     followed by 对面, 附近, 旁边 … is a landmark: it goes to Remarks with
//     that word, and is never the Place.
//   - Bracket contents and text no rule explains go to Remarks, in the order
//     written, separated by "; ". A leading field name (地址, 住所, 经营场所 …)
//     is dropped.
//
// Parse reads at most MaxParseRunes characters and ignores the rest. It never
// panics: invalid UTF-8, emoji, markup and empty input give empty or partial
// components. It is safe for concurrent use.
func Parse(s string) Components {
	c, _ := parse(s)
	return c
}

// parse returns the components of s and its normalized text, the same as
// Normalize(s), normalizing once: the matcher needs both.
func parse(s string) (Components, string) {
	buf := getNormBuf()
	n := normalizeText(s, true, buf)
	p := parser{r: n.text, notes: n.remarks, s: string(n.text)}
	for i, r := range p.r {
		p.off[i+1] = p.off[i] + int32(utf8.RuneLen(r))
	}
	p.admin()
	p.body()
	p.finish()
	putNormBuf(buf)
	return p.c, p.s
}

// span is a stretch r[start:end] of the normalized text.
type span struct{ start, end int }

// tokenKind is the kind of the last component the parser read.
type tokenKind uint8

const (
	tkNone tokenKind = iota
	tkRoad
	tkPlace
	tkDoor
	tkOther
)

type parser struct {
	r     []rune
	s     string                   // r as a string; components are pieces of it
	off   [MaxParseRunes + 1]int32 // byte offset in s of each rune of r
	pos   int
	c     Components
	notes []remark // bracket contents, then what body finds, by position

	townCode   string
	last       tokenKind // the last component read, and where it ended
	lastEnd    int
	placeStart int
	placeWeak  bool
	places     []span // places read so far; the last one is Place
	lastNote   int    // 1 + index in notes of the last note taken from the text; 0 for none
	noteEnd    int    // where that note ends
}

func (p *parser) text(i, j int) string { return p.s[p.off[i]:p.off[j]] }

// labelKey returns r[i:j] as labelKey does, without allocating.
func (p *parser) labelKey(i, j int) string {
	for k := i; k < j; k++ {
		if !isDigit(p.r[k]) {
			return p.text(i, j)
		}
	}
	for i < j-1 && p.r[i] == '0' {
		i++
	}
	return p.text(i, j)
}

func (p *parser) setLast(k tokenKind, end int) {
	p.last, p.lastEnd, p.pos = k, end, end
}

// after reports whether the last component was of kind k and ended at i.
func (p *parser) after(k tokenKind, i int) bool { return p.last == k && p.lastEnd == i }

// note puts r[i:j] into the remarks and moves on to j. Neighbouring
// pieces of text join into one remark.
func (p *parser) note(i, j int) {
	if j <= i {
		return
	}
	if p.lastNote > 0 && p.noteEnd == i {
		p.notes[p.lastNote-1].text += p.text(i, j)
	} else {
		p.notes = append(p.notes, remark{at: i, text: p.text(i, j)})
		p.lastNote = len(p.notes)
	}
	p.noteEnd, p.pos = j, j
	p.last = tkOther
}

// finish settles the place (the last one read; earlier ones go to the
// remarks) and joins the remarks.
func (p *parser) finish() {
	p.c.Place = ""
	for k, sp := range p.places {
		if k == len(p.places)-1 {
			p.c.Place = p.text(sp.start, sp.end)
		} else {
			p.notes = append(p.notes, remark{at: sp.start, text: p.text(sp.start, sp.end)})
		}
	}
	p.c.Remarks = p.remarks()
}

func (p *parser) remarks() string {
	if len(p.notes) == 0 {
		return ""
	}
	slices.SortStableFunc(p.notes, func(a, b remark) int { return a.at - b.at })
	parts := make([]string, 0, len(p.notes))
	for _, n := range p.notes {
		parts = append(parts, n.text)
	}
	return strings.Join(parts, "; ")
}

// --- administrative levels ---------------------------------------------

// admin reads the province, city and town at the start, each possibly
// missing, informal or written twice (广东省东莞市东莞市长安镇长安…).
func (p *parser) admin() {
	for _, l := range fieldLabels {
		if hasAt(p.r, 0, l) && len(p.r) > len(l) {
			p.pos = len(l) // 地址：东莞市… (the colon is gone already)
			break
		}
	}
	for p.pos < len(p.r) {
		if p.c.City == "" && p.c.Town == "" {
			if n := p.provinceAt(p.pos); n > 0 {
				if p.c.Province == "" {
					p.c.Province = p.text(p.pos, p.pos+n)
				}
				p.pos += n
				continue
			}
		}
		if p.c.Town == "" {
			if n := p.cityAt(p.pos); n > 0 {
				if p.c.City == "" {
					p.c.City = p.text(p.pos, p.pos+n)
				}
				p.pos += n
				continue
			}
		}
		n, code := p.townAt(p.pos)
		if n == 0 {
			return
		}
		t := p.text(p.pos, p.pos+n)
		switch {
		case p.c.Town == "":
			p.c.Town, p.townCode = t, code
		case t == p.c.Town || code != "" && code == p.townCode:
			// The same town again, unless a stem starts a lane's name:
			// 常平镇常平西芳一巷 (but 长安镇长安乌沙社区).
			if a, _ := p.townAliasAt(p.pos); a != nil && !a.exact && p.roadFollows(p.pos) {
				return
			}
		default:
			return
		}
		p.pos += n
	}
}

// villageNear reports whether a village keyword ends a short name that
// starts at rs[j]: 路东社区, 巷头社区 and 中心社区 start with a road or place
// keyword, yet after a town's stem they are villages (滨海湾路东社区).
func villageNear(rs []rune, j int) bool {
	for k := j + 1; k <= j+3 && k < len(rs); k++ {
		if nameKeywordAt(rs, k, kwVillage) != nil {
			return true
		}
	}
	return false
}

// roadFollows reports whether the next name keyword after r[i] ends a road.
func (p *parser) roadFollows(i int) bool {
	for k := i + 1; k < len(p.r) && k < i+10 && isHan(p.r[k]); k++ {
		if kw := nameKeywordAt(p.r, k, 0); kw != nil && !kw.weak {
			return kw.class == kwRoad
		}
	}
	return false
}

// fieldLabels are the names of the form field that clerks sometimes paste
// with the address; Parse drops them.
var fieldLabels = [][]rune{[]rune("注册地址"), []rune("经营地址"), []rune("通讯地址"), []rune("详细地址"),
	[]rune("经营场所"), []rune("地址"), []rune("住所"), []rune("住址")}

var (
	guangdongProvince = []rune("广东省")
	guangdong         = []rune("广东")
	dongguanCity      = []rune("东莞市")
	dongguan          = []rune("东莞")
)

func (p *parser) provinceAt(i int) int {
	switch {
	case hasAt(p.r, i, guangdongProvince):
		return 3
	case hasAt(p.r, i, guangdong) && !continuesName(p.r, i+2):
		return 2
	}
	if p.c.Province != "" {
		return 0
	}
	return p.adminSuffixAt(i, '省', 2, 3)
}

func (p *parser) cityAt(i int) int {
	if hasAt(p.r, i, dongguan) {
		if a, _ := p.townAliasAt(i); a != nil {
			return 0 // 东莞港, 东莞生态园, 东莞滨海湾新区
		}
		if hasAt(p.r, i, dongguanCity) {
			return 3
		}
		if a, _ := p.townAliasAt(i + 2); a != nil || !continuesName(p.r, i+2) {
			return 2 // 东莞南城…, 东莞道滘…, but not 东莞大道
		}
		return 0
	}
	if p.c.City != "" {
		return 0 // only 东莞市 may be written twice
	}
	if a, _ := p.townAliasAt(i); a != nil {
		return 0
	}
	n := p.adminSuffixAt(i, '市', 2, 3)
	if n > 0 && i+n < len(p.r) && p.r[i+n] == '场' {
		return 0 // 虎门市场
	}
	return n
}

// adminSuffixAt returns the length of a name of min to max ideographs and
// suffix at r[i] (深圳市, 湖南省), or 0.
func (p *parser) adminSuffixAt(i int, suffix rune, min, max int) int {
	if i >= len(p.r) || !isHan(p.r[i]) {
		return 0
	}
	for k := min; k <= max && i+k < len(p.r); k++ {
		if !isHan(p.r[i+k-1]) || isChineseNumeral(p.r[i+k-1]) {
			return 0
		}
		if p.r[i+k] == suffix && !continuesName(p.r, i+k+1) {
			return k + 1
		}
	}
	return 0
}

// townAt returns the length and code of the town written at r[i]: a known
// alias, else an unknown name ending in 镇 or 街道 (a typo: 塘夏镇), whose
// code is empty.
func (p *parser) townAt(i int) (int, string) {
	if a, n := p.townAliasAt(i); a != nil {
		return n, a.code
	}
	if i >= len(p.r) || !isHan(p.r[i]) || isChineseNumeral(p.r[i]) {
		return 0, ""
	}
	for k := 2; k <= 4 && i+k < len(p.r); k++ {
		if !isHan(p.r[i+k-1]) {
			break
		}
		if p.r[i+k] == '镇' && !continuesName(p.r, i+k+1) {
			return k + 1, ""
		}
		if k <= 3 && hasAt(p.r, i+k, []rune("街道")) {
			return k + 2, ""
		}
	}
	return 0, ""
}

// townAliasAt returns the longest known town alias at r[i]. A stem counts
// only when no name goes on after it and it does not start a village name.
func (p *parser) townAliasAt(i int) (*townAlias, int) {
	if i+1 >= len(p.r) {
		return nil, 0
	}
	as := writtenTowns[[2]rune{p.r[i], p.r[i+1]}]
	for k := range as {
		a := &as[k]
		if !hasAt(p.r, i, a.text) {
			continue
		}
		j := i + len(a.text)
		if a.exact && hasAnyAt(p.r, j-1, villagesLikeSuffixes) {
			continue // 虎门镇口社区: 虎门, 镇口社区
		}
		if !a.exact && (hasAnyAt(p.r, i, villagesLikeTowns) || continuesName(p.r, j) && !villageNear(p.r, j)) {
			continue
		}
		return a, len(a.text)
	}
	return nil, 0
}

// --- the rest -------------------------------------------------------------

func (p *parser) body() {
	for p.pos < len(p.r) {
		start := p.pos
		if r := p.r[start]; isDigit(r) || isUpper(r) {
			if p.labelToken() {
				continue
			}
			if isDigit(r) {
				p.noise() // 13800138000: no number
				continue
			}
		}
		p.wordToken()
		if p.pos <= start { // cannot happen; never loop forever
			p.note(start, start+1)
		}
	}
}

// label is a run such as 88, 88-1, A, B101, 3F or 3-2-502.
type label struct {
	start, end int
	letters    []rune // leading letters: B of B101
	groups     []int  // the numbers, split at '-'
	suffix     []rune // letters after the first number: F of 3F
}

// readLabel reads the label at r[i]. It reports false for a run of more
// than three letters (a word: TCL) or a number too long to be one.
func (p *parser) readLabel(i int) (label, bool) {
	l := label{start: i}
	k := i
	for k < len(p.r) && isUpper(p.r[k]) {
		k++
	}
	if k-i > 3 {
		return l, false
	}
	l.letters = p.r[i:k]
	for {
		d := digitsEnd(p.r, k)
		if d == k {
			break
		}
		v, ok := atoiRunes(p.r[k:d])
		if !ok {
			return l, false
		}
		l.groups = append(l.groups, v)
		k = d
		if len(l.groups) == 1 {
			s := k
			for k < len(p.r) && isUpper(p.r[k]) && k-s < 2 {
				k++
			}
			if k < len(p.r) && isUpper(p.r[k]) {
				return l, false // 3ABC: a word
			}
			l.suffix = p.r[s:k]
		}
		if k+1 < len(p.r) && p.r[k] == '-' && isDigit(p.r[k+1]) {
			k++
			continue
		}
		break
	}
	l.end = k
	return l, true
}

// busy reports whether something below the doorplate was read already.
func (p *parser) busy() bool {
	return p.c.Building != "" || p.c.Unit != "" || p.c.Floor != 0 || p.c.Room != ""
}

// labelToken reads a label and the word after it. It reports false when the
// label is part of a name (TCL工业园) and should be read as a word.
func (p *parser) labelToken() bool {
	start := p.pos
	l, ok := p.readLabel(start)
	if !ok {
		return false
	}
	kw := labelKeywordAt(p.r, l.end)
	if kw != nil && kw.text[0] == '号' && (kw.kind == lkShop || kw.kind == lkStall) {
		if e := l.end + len(kw.text); e < len(p.r) && (isDigit(p.r[e]) || isUpper(p.r[e])) {
			kw = doorKeyword // 88号铺位3: the doorplate, then 铺位3
		}
	}
	end := l.end
	if kw != nil {
		end += kw.consume
	}
	if len(l.groups) == 0 {
		return p.letterLabel(l, kw, end)
	}
	key := p.labelKey(l.start, l.end)
	kind := labelKind(0)
	if kw != nil {
		kind = kw.kind
	}
	switch kind {
	case lkDoor:
		p.door(l, key, end)
	case lkBuilding:
		p.building(start, end, buildingLabel(key, p.r[l.end]))
	case lkBuildingWord:
		if kw.text[0] == '号' && p.after(tkRoad, start) && p.c.Number == 0 && len(l.letters) == 0 {
			p.door(l, key, l.end+1) // 兴业路18号宿舍楼: the doorplate, then the building
			return true
		}
		p.building(start, end, key+"号"+kw.word)
	case lkUnit:
		if p.c.Unit == "" {
			p.c.Unit = key + "单元"
			p.setLast(tkOther, end)
		} else {
			p.note(start, end)
		}
	case lkFloor:
		p.floor(l, start, end)
	case lkRoom:
		p.room(start, end, key)
	case lkShop:
		p.room(start, end, "铺位"+key)
	case lkStall:
		p.room(start, end, "档口"+key)
	case lkPhase:
		if p.after(tkPlace, start) {
			p.setPlace(p.placeStart, end)
		} else {
			p.note(start, end)
		}
	case lkLane, lkArea:
		p.note(start, end) // 3巷 after a road is read with the road
	default:
		p.bare(l, key, end)
	}
	return true
}

var doorKeyword = &labelKeyword{text: []rune("号"), kind: lkDoor, consume: 1}

// noise puts a run of digits, letters and '-' that is no label into the
// remarks, with the label word after it.
func (p *parser) noise() {
	start, end := p.pos, p.pos
	for end < len(p.r) && (isDigit(p.r[end]) || isUpper(p.r[end]) || p.r[end] == '-') {
		end++
	}
	if kw := labelKeywordAt(p.r, end); kw != nil {
		end += kw.consume
	}
	p.note(start, end)
}

// letterLabel handles a label of letters only: A座, A栋, B区.
func (p *parser) letterLabel(l label, kw *labelKeyword, end int) bool {
	if kw == nil {
		return false
	}
	key := string(l.letters)
	switch kw.kind {
	case lkBuilding, lkFloor: // A座, A栋, A楼
		p.building(l.start, end, buildingLabel(key, p.r[l.end]))
	case lkBuildingWord:
		p.building(l.start, end, key+"号"+kw.word)
	case lkUnit:
		if p.c.Unit == "" {
			p.c.Unit = key + "单元"
			p.setLast(tkOther, end)
		} else {
			p.note(l.start, end)
		}
	case lkArea, lkDoor, lkPhase:
		p.note(l.start, end)
	case lkShop:
		p.room(l.start, end, "铺位"+key)
	case lkStall:
		p.room(l.start, end, "档口"+key)
	case lkRoom:
		p.room(l.start, end, key)
	default:
		return false
	}
	return true
}

// door handles a label followed by 号: the doorplate number, or a room
// after a building or floor (5栋302号).
func (p *parser) door(l label, key string, end int) {
	start := l.start
	if p.c.Number != 0 || p.busy() {
		p.room(start, end, key)
		return
	}
	if len(l.letters) > 0 || len(l.suffix) > 0 || len(l.groups) > 2 {
		p.note(start, end)
		return
	}
	p.c.Number = l.groups[0]
	if len(l.groups) == 2 {
		a, b := l.groups[0], l.groups[1]
		if b > a && (b-a)%2 == 0 {
			p.notes = append(p.notes, remark{at: start, text: p.text(start, end)}) // 108-110号
		} else {
			p.c.SubNumber = b
		}
	}
	p.setLast(tkDoor, end)
}

func (p *parser) building(start, end int, label string) {
	if p.c.Building != "" {
		p.note(start, end)
		return
	}
	p.c.Building = label
	p.setLast(tkOther, end)
}

func (p *parser) room(start, end int, key string) {
	if p.c.Room != "" {
		p.note(start, end)
		return
	}
	p.c.Room = key
	p.setLast(tkOther, end)
}

// floor handles 15楼, 3层, B1层.
func (p *parser) floor(l label, start, end int) {
	if len(l.groups) != 1 || len(l.suffix) > 0 || p.c.Floor != 0 {
		p.note(start, end)
		return
	}
	switch string(l.letters) {
	case "":
		p.c.Floor = l.groups[0]
	case "B":
		p.c.Floor = -l.groups[0] // B1层
	default:
		p.building(start, end, buildingLabel(p.labelKey(l.start, l.end), '楼')) // A3楼
		return
	}
	p.setLast(tkOther, end)
}

// bare handles a label with no word after it: the doorplate number after a
// road (鸿福路88), a floor (3F), a room (5栋302), or building, unit and room
// (3-502, 3-2-502).
func (p *parser) bare(l label, key string, end int) {
	start := l.start
	plain := len(l.letters) == 0 && len(l.suffix) == 0
	switch {
	case plain && p.c.Number == 0 && p.after(tkRoad, start) && len(l.groups) <= 2:
		p.door(l, key, end)
	case len(l.groups) == 1 && len(l.letters) == 0 && string(l.suffix) == "F":
		p.floor(label{start: start, end: end, groups: l.groups}, start, end) // 3F
	case plain && len(l.groups) == 3 && p.c.Building == "":
		p.c.Building = buildingLabel(itoaRunes(l.groups[0]), '栋')
		if p.c.Unit == "" {
			p.c.Unit = itoaRunes(l.groups[1]) + "单元"
		}
		p.room(start, end, itoaRunes(l.groups[2]))
	case plain && len(l.groups) == 2 && p.c.Building == "" && l.groups[1] >= 100 &&
		(p.c.Number != 0 || p.c.Place != ""):
		p.c.Building = buildingLabel(itoaRunes(l.groups[0]), '栋') // 3-502
		p.room(start, end, itoaRunes(l.groups[1]))
	case p.c.Number != 0 || p.c.Place != "" || p.busy():
		p.room(start, end, key)
	default:
		p.note(start, end)
	}
}

func itoaRunes(v int) string { return string(appendInt(nil, v)) }

// wordToken reads a name up to its keyword, a word with a meaning of its own
// (首层, 铺位3, 二期), or text no rule explains.
func (p *parser) wordToken() {
	start := p.pos
	i := start
	for i < len(p.r) {
		r := p.r[i]
		if isDigit(r) {
			if n := laneAt(p.r, i); n > 0 && i > start {
				p.name(start, i+n, kwRoad, false) // 同沙新村3巷
				return
			}
			break
		}
		if isUpper(r) {
			k := i
			for k < len(p.r) && isUpper(p.r[k]) {
				k++
			}
			if k-i <= 3 && k < len(p.r) && (isDigit(p.r[k]) || labelKeywordAt(p.r, k) != nil) {
				break // A座, B101: a label
			}
			i = k
			continue
		}
		if i == start {
			if p.leading() {
				return
			}
		} else if p.leadingAt(i) > 0 {
			break
		}
		if k, end := p.nameAt(start, i); k != nil {
			p.name(start, end, k.class, k.weak)
			return
		}
		i++
	}
	p.unclassified(start, i)
}

// nameAt returns the keyword that ends a name started at r[start] with the
// keyword at r[i], and where the name ends.
func (p *parser) nameAt(start, i int) (*nameKeyword, int) {
	for _, k := range nameKeywords[p.r[i]] {
		if !hasAt(p.r, i, k.text) || i-start < k.minPrefix {
			continue
		}
		end := i + len(k.text)
		if k.needDigit && !(end < len(p.r) && isDigit(p.r[end])) {
			continue
		}
		if k.class == kwTown {
			if i-start > 4 {
				continue // a town's name is short
			}
			return k, end
		}
		if k.class == kwRemark {
			return k, end
		}
		if v := nameKeywordAt(p.r, end, kwVillage); v != nil {
			// 求富路社区, 花园新村社区, 乌沙村村委会: the village holds the name.
			for v != nil {
				end += len(v.text)
				v = nameKeywordAt(p.r, end, kwVillage)
			}
			return villageKeyword, end
		}
		if k.class != kwRoad && !(k.class == kwVillage && !k.weak) &&
			(nameKeywordAt(p.r, end, kwRoad) != nil || laneAt(p.r, end) > 0) {
			continue // 花园路, 工业区一路, 新村一巷: a road; but 西隅社区八一路
		}
		if k.weak {
			if n := nameKeywordAt(p.r, end, 0); n != nil && n.class != kwRemark {
				continue // 新城花园, 东城中心
			}
			if laneNameAt(p.r, end) > 0 {
				continue // 竹园塘边一巷, 黄村新屋一巷: a lane named after the village
			}
		}
		if k.class == kwPlace {
			for {
				if n := nameKeywordAt(p.r, end, kwPlace); n != nil && !n.weak && p.leadingAt(end) == 0 {
					end += len(n.text) // 汇峰大厦商场
					continue
				}
				if end < len(p.r) && p.r[end] == '区' {
					end++ // 科技园区
				}
				break
			}
		}
		return k, end
	}
	return nil, 0
}

var villageKeyword = &nameKeyword{class: kwVillage}

// name stores the name r[start:end] of class. weak tells that a place ended
// with a weak keyword (星河城), which the next place may continue.
func (p *parser) name(start, end int, class kwClass, weak bool) {
	switch class {
	case kwRoad:
		for n := laneAt(p.r, end); n > 0; n = laneAt(p.r, end) {
			end += n // 同沙大街一巷
		}
		if end+1 < len(p.r) && isDirection(p.r[end]) && isDigit(p.r[end+1]) {
			end++ // 石排大道中188号, 万江路北18号
		}
		if p.c.Road != "" {
			p.note(start, end)
			return
		}
		p.c.Road = p.text(start, end)
		p.setLast(tkRoad, end)
		if seg := segmentAt(p.r, end); seg > 0 {
			p.note(end, end+seg) // 莞樟路东城段88号: the segment is a remark
			p.setLast(tkRoad, end+seg)
		}
	case kwPlace:
		if p.after(tkPlace, start) && p.placeWeak {
			start = p.placeStart // 星河城购物中心
			p.places = p.places[:len(p.places)-1]
		}
		p.setPlace(start, end)
		p.placeWeak = weak
	case kwVillage:
		if p.c.Village != "" {
			p.note(start, end)
			return
		}
		p.c.Village = p.text(start, end)
		p.setLast(tkOther, end)
	case kwTown:
		if p.c.Town != "" || p.c.Road != "" || p.c.Place != "" || p.c.Number != 0 {
			p.note(start, end)
			return
		}
		p.c.Town = p.text(start, end)
		p.setLast(tkOther, end)
	case kwBuilding:
		p.building(start, end, p.text(start, end))
	case kwRemark:
		if n := len(p.places); n > 0 && p.after(tkPlace, start) && p.places[n-1].end == start {
			// 汇峰大厦对面: the place is a landmark, not the address.
			start = p.places[n-1].start
			p.places = p.places[:n-1]
			p.c.Place = ""
			if n > 1 {
				p.c.Place = p.text(p.places[n-2].start, p.places[n-2].end)
			}
		}
		p.note(start, end)
	default:
		p.note(start, end)
	}
}

// setPlace makes r[start:end] the place.
func (p *parser) setPlace(start, end int) {
	if n := len(p.places); n > 0 && p.places[n-1].start == start {
		p.places[n-1].end = end // 新城花园2期
	} else {
		p.places = append(p.places, span{start, end})
	}
	p.c.Place, p.placeStart = p.text(start, end), start
	p.setLast(tkPlace, end)
}

var (
	floorOne   = [][]rune{[]rune("首层"), []rune("首楼"), []rune("底层"), []rune("地面层")}
	basement   = [][]rune{[]rune("地下室"), []rune("地下层"), []rune("地库"), []rune("负层")}
	minusFloor = [][]rune{[]rune("负"), []rune("地下")}
	shopWords  = [][]rune{[]rune("铺位"), []rune("商铺"), []rune("铺")}
	stallWords = [][]rune{[]rune("档口"), []rune("档位"), []rune("档")}
	buildWords = [][]rune{[]rune("厂房"), []rune("宿舍"), []rune("仓库"), []rune("车间")}
)

// leadingAt returns the length of a word at r[i] that has a meaning of its
// own and so ends the name before it: floors (首层, 负1层, 地下室), shops and
// stalls (铺位3, 档口12), numbered buildings (厂房3), or 0.
func (p *parser) leadingAt(i int) int {
	n, _ := p.leadingWord(i)
	return n
}

type leadKind uint8

const (
	leadFloor leadKind = iota + 1
	leadShop
	leadStall
	leadBuilding     // 厂房3
	leadBuildingName // 宿舍楼, 综合楼
)

// buildingNames are buildings known by a word rather than a number. They
// stand alone: in 员工宿舍楼 the building is 宿舍楼.
var buildingNames = [][]rune{[]rune("宿舍楼"), []rune("综合楼"), []rune("办公楼"), []rune("行政楼"),
	[]rune("研发楼"), []rune("科研楼"), []rune("主楼"), []rune("副楼"), []rune("裙楼")}

// leadingWord returns the length and kind of the word at r[i] for leadingAt.
func (p *parser) leadingWord(i int) (int, leadKind) {
	if i >= len(p.r) {
		return 0, 0
	}
	switch p.r[i] {
	case '首', '底', '地', '负', '宿', '综', '办', '行', '研', '科', '主', '副', '裙', '铺', '商', '档', '厂', '仓', '车':
	default:
		return 0, 0
	}
	for _, w := range floorOne {
		if hasAt(p.r, i, w) {
			return len(w), leadFloor
		}
	}
	for _, w := range basement {
		if hasAt(p.r, i, w) {
			return len(w), leadFloor
		}
	}
	for _, w := range minusFloor {
		if hasAt(p.r, i, w) {
			d := digitsEnd(p.r, i+len(w))
			if d > i+len(w) && d < len(p.r) && (p.r[d] == '层' || p.r[d] == '楼') {
				return d + 1 - i, leadFloor
			}
		}
	}
	for _, w := range buildingNames {
		if hasAt(p.r, i, w) {
			return len(w), leadBuildingName
		}
	}
	for _, set := range []struct {
		words [][]rune
		kind  leadKind
	}{{shopWords, leadShop}, {stallWords, leadStall}, {buildWords, leadBuilding}} {
		for _, w := range set.words {
			if hasAt(p.r, i, w) {
				if l, ok := p.readLabel(i + len(w)); ok && l.end > i+len(w) && (len(l.groups) > 0 || set.kind != leadBuilding) {
					return l.end - i, set.kind
				}
			}
		}
	}
	return 0, 0
}

// leading reads a word with a meaning of its own at the current position,
// or a phase after a place (二期, 第二期). It reports whether it read one.
func (p *parser) leading() bool {
	i := p.pos
	n, kind := p.leadingWord(i)
	if n > 0 {
		end := i + n
		switch kind {
		case leadFloor:
			if p.c.Floor != 0 {
				p.note(i, end)
				return true
			}
			p.c.Floor = floorOfWord(p.r[i:end])
			p.setLast(tkOther, end)
		case leadShop, leadStall, leadBuilding:
			w := p.r[i:end]
			k := 0
			for k < len(w) && !isDigit(w[k]) && !isUpper(w[k]) {
				k++
			}
			key := labelKey(w[k:])
			switch kind {
			case leadShop:
				p.room(i, end, "铺位"+key)
			case leadStall:
				p.room(i, end, "档口"+key)
			default:
				p.numberedBuilding(i, end, string(w[:k]), w[k:])
			}
		case leadBuildingName:
			p.building(i, end, p.text(i, end))
		}
		return true
	}
	if p.after(tkPlace, i) {
		k := i
		if k < len(p.r) && p.r[k] == '第' {
			k++
		}
		d := k
		for d < len(p.r) && isChineseNumeral(p.r[d]) {
			d++
		}
		if d > k && d < len(p.r) && p.r[d] == '期' {
			p.setPlace(p.placeStart, d+1)
			return true
		}
	}
	return false
}

// numberedBuilding reads a building written word first (厂房3). A room may
// follow the number: 厂房2-101, and with no separator 厂房2101, where a
// building number of four or more digits is read as a building and a room
// of three (厂房 2101 → 2号厂房, 101).
func (p *parser) numberedBuilding(i, end int, word string, label []rune) {
	l, _ := p.readLabel(end - len(label))
	room := ""
	switch {
	case len(l.letters) == 0 && len(l.suffix) == 0 && len(l.groups) == 2:
		label, room = appendInt(nil, l.groups[0]), itoaRunes(l.groups[1])
	case len(l.letters) == 0 && len(l.suffix) == 0 && len(l.groups) == 1 && len(label) >= 4 && label[len(label)-3] != '0':
		label, room = label[:len(label)-3], labelKey(label[len(label)-3:])
	}
	if p.c.Building != "" {
		p.note(i, end)
		return
	}
	if word == "宿舍" && room == "" && len(l.groups) == 1 && len(label) >= 3 && label[0] != '0' {
		p.building(i, end, "宿舍楼") // 员工宿舍504: room 504 of the dormitory
		p.room(i, end, labelKey(label))
		return
	}
	p.building(i, end, labelKey(label)+"号"+word)
	if room != "" {
		p.room(i, end, room)
	}
}

// floorOfWord returns the floor of 首层, 地下室, 负2层, 地下1层.
func floorOfWord(w []rune) int {
	d := 0
	for d < len(w) && !isDigit(w[d]) {
		d++
	}
	if d == len(w) {
		if w[0] == '首' || w[0] == '底' || w[0] == '地' && w[1] == '面' {
			return 1
		}
		return -1
	}
	v, _ := atoiRunes(w[d:digitsEnd(w, d)])
	if v == 0 {
		return -1
	}
	return -v
}

// unclassified handles r[start:i], text with no keyword: a road written
// without its suffix when a doorplate number follows, a place when a
// building, floor or room follows, else a remark.
func (p *parser) unclassified(start, i int) {
	if i <= start {
		i = start + 1
	}
	if i < len(p.r) && hasHanRune(p.r[start:i]) {
		if isDigit(p.r[i]) || isUpper(p.r[i]) {
			l, ok := p.readLabel(i)
			kw := labelKeywordAt(p.r, l.end)
			switch {
			case !ok:
			case kw != nil && kw.kind == lkDoor && len(l.groups) > 0 && p.c.Road == "" && p.c.Number == 0:
				p.c.Road = p.text(start, i)
				p.setLast(tkRoad, i)
				return
			case p.c.Place == "" && (kw == nil || kw.kind != lkArea && kw.kind != lkLane && kw.kind != lkDoor):
				p.name(start, i, kwPlace, false)
				return
			}
		} else if n, kind := p.leadingWord(i); n > 0 && kind != leadBuildingName && kind != leadBuilding && p.c.Place == "" {
			p.name(start, i, kwPlace, false)
			return
		}
	}
	p.note(start, i)
}

func isDirection(r rune) bool {
	switch r {
	case '东', '西', '南', '北', '中':
		return true
	}
	return false
}

// segmentAt returns the length of a road segment written after the road at
// rs[i] (东城段, 北段), or 0.
func segmentAt(rs []rune, i int) int {
	for k := i; k < len(rs) && k-i < 5; k++ {
		if !isHan(rs[k]) {
			return 0
		}
		if rs[k] == '段' {
			return k + 1 - i
		}
		if kw := nameKeywordAt(rs, k, 0); kw != nil && !kw.weak {
			return 0
		}
	}
	return 0
}

func isHan(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || r >= 0x20000 && r <= 0x2FFFF
}

func hasHanRune(rs []rune) bool {
	for _, r := range rs {
		if isHan(r) {
			return true
		}
	}
	return false
}
