package addressbook

import (
	"sync"

	"github.com/longbridgeapp/opencc"
)

// Traditional to simplified conversion (t2s) with OpenCC's dictionaries.
//
// Building the converter takes about 8 ms and 0.5 MB; converting a 30
// character address takes about 20 µs, too slow to run on every address at
// 50,000 addresses a second. Almost every address is written in simplified
// characters already, so toSimplified first looks each rune up in
// traditionalRunes, the runes of the dictionary that t2s changes, and calls
// the converter only when it finds one. A test keeps the table in step with
// the dictionary of the OpenCC version in go.mod.
//
// Note that importing github.com/longbridgeapp/opencc registers a -dir flag
// on flag.CommandLine (it is unused with the embedded dictionaries); our
// commands use their own flag sets.

// t2sConverter is built on first use; an OpenCC converter only reads its
// dictionaries and is safe for concurrent use.
var t2sConverter = sync.OnceValue(func() *opencc.OpenCC {
	cc, err := opencc.New("t2s")
	if err != nil {
		// Only a broken build of the module can fail here (the dictionaries
		// are embedded); TestToSimplified catches it. Leave the text as is.
		return nil
	}
	return cc
})

// traditionalSet is a bitmap of traditionalRunes over the planes that hold
// CJK ideographs.
var traditionalSet = sync.OnceValue(func() []uint64 {
	set := make([]uint64, traditionalLimit/64)
	for _, r := range traditionalRunes {
		if r < traditionalLimit {
			set[r/64] |= 1 << (r % 64)
		}
	}
	return set
})

// traditionalLimit bounds the runes of traditionalSet: planes 0 to 2.
const traditionalLimit = 0x30000

// inTraditionalSet reports whether t2s may change r; set is traditionalSet().
func inTraditionalSet(set []uint64, r rune) bool {
	return r >= 0x3400 && r < traditionalLimit && set[r/64]&(1<<(r%64)) != 0
}

// toSimplified returns rs with traditional characters made simplified; rs
// itself when it has none.
func toSimplified(rs []rune) []rune {
	set := traditionalSet()
	found := false
	for _, r := range rs {
		if inTraditionalSet(set, r) {
			found = true
			break
		}
	}
	if !found {
		return rs
	}
	cc := t2sConverter()
	if cc == nil {
		return rs
	}
	out, err := cc.Convert(string(rs))
	if err != nil {
		return rs
	}
	return []rune(out)
}
