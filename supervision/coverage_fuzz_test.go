package supervision

import (
	"strconv"
	"testing"
)

// FuzzCoverageFilter feeds ParseCoverageFilter (the window, town, industry
// and kind parameters of the coverage tiles and statistics) arbitrary
// values. An accepted filter's values are within their documented ranges
// and its Key tells it from any other accepted filter (the tile cache
// keys on it); a rejection names the first parameter at fault.
func FuzzCoverageFilter(f *testing.F) {
	for _, s := range [][8]string{
		{"", "", "", "", "90", "441900003", "F", "enterprise"},
		{"180", "441900003", "F", "individual", "180", "441900003", "F", "individual"},
		{"1095", "", "T", "cooperative", "1096", "", "", ""},
		{"0", "44190000", "Z", "shop", "-1", "４４１９００００３", "f", "Enterprise"},
		{"+90", "441900003;i", "F;kx", "enterprise;@1", "090", "", "", ""},
		{"9999999999999999999999", "", "", "", " 90", "", "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])
	}
	f.Fuzz(func(t *testing.T, w1, t1, i1, k1, w2, t2, i2, k2 string) {
		a, errA := ParseCoverageFilter(w1, t1, i1, k1)
		checkCoverageFilter(t, [4]string{w1, t1, i1, k1}, a, errA)
		b, errB := ParseCoverageFilter(w2, t2, i2, k2)
		checkCoverageFilter(t, [4]string{w2, t2, i2, k2}, b, errB)
		if errA == nil && errB == nil && (a.Key() == b.Key()) != (a == b) {
			t.Fatalf("filters %+v and %+v have keys %q and %q", a, b, a.Key(), b.Key())
		}
	})
}

func checkCoverageFilter(t *testing.T, in [4]string, f CoverageFilter, err error) {
	t.Helper()
	window, town, industry, kind := in[0], in[1], in[2], in[3]
	// Which parameters are good, by the documented rules.
	n, werr := strconv.Atoi(window)
	good := map[string]bool{
		"window":   window == "" || werr == nil && n >= 1 && n <= MaxCoverageWindow,
		"town":     town == "" || digits(town, 9),
		"industry": industry == "",
		"kind":     kind == string(Enterprise) || kind == string(Individual) || kind == string(Cooperative) || kind == "",
	}
	for _, in := range Industries {
		good["industry"] = good["industry"] || industry == in.Code
	}
	if err != nil {
		fe, ok := err.(*FieldError)
		if !ok {
			t.Fatalf("ParseCoverageFilter%q: %v names no parameter", in, err)
		}
		for _, p := range []string{"window", "town", "industry", "kind"} {
			if !good[p] {
				if fe.Field != p {
					t.Fatalf("ParseCoverageFilter%q: %v names %s, but %s is the first at fault", in, err, fe.Field, p)
				}
				return
			}
		}
		t.Fatalf("ParseCoverageFilter%q: %v, but every parameter is good", in, err)
	}
	for p, ok := range good {
		if !ok {
			t.Fatalf("ParseCoverageFilter%q = %+v: accepted a bad %s", in, f, p)
		}
	}
	if w := f.Window(); w < 1 || w > MaxCoverageWindow || window == "" && w != DefaultCoverageWindow || window != "" && w != n {
		t.Fatalf("ParseCoverageFilter%q: window %d", in, w)
	}
	if f.TownCode != town || f.Industry != industry || string(f.Kind) != kind || !f.At.IsZero() {
		t.Fatalf("ParseCoverageFilter%q = %+v: the values are not the parameters", in, f)
	}
}
