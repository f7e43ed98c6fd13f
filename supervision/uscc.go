package supervision

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// A USCC is a unified social credit code (统一社会信用代码, GB 32100-2015):
// 18 characters from the 31-character alphabet below, the last one a check
// character. The zero value is not a valid code; get one from ParseUSCC.
type USCC string

// usccAlphabet is the code's alphabet: digits and capital letters without
// I, O, S, V and Z. A character's value is its index.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are the weights of the first 17 characters: 3^(i) mod 31.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ParseUSCC validates s as a unified social credit code and returns it. Lower
// case letters and surrounding spaces are accepted and normalized. The error
// says what is wrong: the length, a character outside the alphabet (and
// where), or the check character, with the one expected.
func ParseUSCC(s string) (USCC, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if n := utf8.RuneCountInString(s); n != 18 {
		return "", fmt.Errorf("a unified social credit code has 18 characters, %q has %d", s, n)
	}
	sum := 0
	for i, r := range []rune(s) {
		v := strings.IndexRune(usccAlphabet, r)
		if v < 0 {
			return "", fmt.Errorf("character %d of %q is %q, which is not used in unified social credit codes (digits and capital letters except I, O, S, V, Z)", i+1, s, r)
		}
		if i >= 2 && i < 8 && v > 9 {
			return "", fmt.Errorf("characters 3 to 8 of %q must be the digits of an administrative division code", s)
		}
		if i < 17 {
			sum += v * usccWeights[i]
		}
	}
	want := usccAlphabet[(31-sum%31)%31]
	if s[17] != want {
		return "", fmt.Errorf("the check character of %q is %c, but the first 17 characters give %c (GB 32100-2015)", s, s[17], want)
	}
	return USCC(s), nil
}

// USCCCheck returns the check character for the first 17 characters of a
// code, which must come from the code's alphabet. The demo generator makes
// codes with it.
func USCCCheck(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("want 17 characters, got %d", len(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccAlphabet, first17[i])
		if v < 0 {
			return 0, fmt.Errorf("character %d (%q) is not in the code's alphabet", i+1, first17[i])
		}
		sum += v * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31], nil
}

// Kind returns the kind of entity the code's first two characters register
// (9 = market regulation authority: 91 enterprise, 92 individual business,
// 93 farmers' cooperative), and false for other registration authorities.
func (u USCC) Kind() (Kind, bool) {
	if len(u) < 2 || u[0] != '9' {
		return "", false
	}
	switch u[1] {
	case '1':
		return Enterprise, true
	case '2':
		return Individual, true
	case '3':
		return Cooperative, true
	}
	return "", false
}

// String returns the code.
func (u USCC) String() string { return string(u) }
