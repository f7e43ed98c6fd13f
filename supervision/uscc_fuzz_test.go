package supervision

import (
	"strings"
	"testing"
)

// FuzzParseUSCC checks that ParseUSCC accepts exactly the codes of
// GB 32100-2015: an accepted code is the input normalized, re-parses to
// itself and carries the check character USCCCheck computes, and no other
// check character is accepted after the same 17. From every input it also
// builds a code of the alphabet and checks that its check character round-
// trips.
func FuzzParseUSCC(f *testing.F) {
	for _, s := range []string{
		"91350100M000100Y43",    // a published code
		" 91350100m000100y43\t", // lower case and spaces
		"91350100M000100Y44",    // wrong check character
		"9135010",               // too short
		"91350100M000I00Y43",    // I is not in the alphabet
		"9135A100M000100Y43",    // a letter in the division code
		"91350100M000100Y4三",    // 18 runes, not 18 bytes
		"91350100M000100Y4ı",    // ı upper-cases to I
		"91350100M000100Y4ſ",    // ſ upper-cases to S
		"914419000000000000",
		"00000000000000000" + "0", // all zeros: the check of 0 is 0
		"",
		"\xff\xfe91350100M000100Y43",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUSCC(s)
		if err != nil {
			if u != "" || err.Error() == "" {
				t.Fatalf("ParseUSCC(%q) = %q, %q: a rejection returns no code and says why", s, u, err)
			}
		} else {
			checkUSCC(t, s, u)
		}

		// Any 17 characters of the alphabet (digits at 3 to 8) and their
		// check character make a code.
		var first [17]byte
		for i := range first {
			var b byte
			if i < len(s) {
				b = s[i]
			}
			n := len(usccAlphabet)
			if i >= 2 && i < 8 {
				n = 10
			}
			first[i] = usccAlphabet[int(b)%n]
		}
		c, err := USCCCheck(string(first[:]))
		if err != nil {
			t.Fatalf("USCCCheck(%q): %v", first, err)
		}
		code := string(first[:]) + string(c)
		got, err := ParseUSCC(code)
		if err != nil || string(got) != code {
			t.Fatalf("ParseUSCC(%q) = %q, %v: the check character of USCCCheck is refused", code, got, err)
		}
		checkUSCC(t, strings.ToLower(code), got)
	})
}

// checkUSCC checks the properties of u, accepted from s.
func checkUSCC(t *testing.T, s string, u USCC) {
	t.Helper()
	if want := strings.ToUpper(strings.TrimSpace(s)); string(u) != want {
		t.Fatalf("ParseUSCC(%q) = %q, want the input trimmed and upper-cased %q", s, u, want)
	}
	if len(u) != 18 {
		t.Fatalf("ParseUSCC(%q) = %q of %d bytes", s, u, len(u))
	}
	for i := 0; i < 18; i++ {
		if !strings.Contains(usccAlphabet, string(u[i])) || (i >= 2 && i < 8 && (u[i] < '0' || u[i] > '9')) {
			t.Fatalf("ParseUSCC(%q) = %q: character %d %q is not allowed there", s, u, i+1, u[i])
		}
	}
	if again, err := ParseUSCC(u.String()); err != nil || again != u {
		t.Fatalf("ParseUSCC(%q) = %q, %v: an accepted code does not re-parse to itself", u, again, err)
	}
	c, err := USCCCheck(string(u[:17]))
	if err != nil || c != u[17] {
		t.Fatalf("ParseUSCC(%q) = %q, whose check character is %c (%v)", s, u, c, err)
	}
	for i := 0; i < len(usccAlphabet); i++ {
		if other := usccAlphabet[i]; other != c {
			if _, err := ParseUSCC(string(u[:17]) + string(other)); err == nil {
				t.Fatalf("ParseUSCC accepted %s%c, whose check character is %c", u[:17], other, c)
			}
		}
	}
	k, ok := u.Kind()
	if wantOK := u[0] == '9' && u[1] >= '1' && u[1] <= '3'; ok != wantOK {
		t.Fatalf("%s.Kind() = %q, %v", u, k, ok)
	}
	if ok {
		if _, err := ParseKind(string(k)); err != nil {
			t.Fatalf("%s.Kind() = %q: %v", u, k, err)
		}
	}
}
