package supervision

import "testing"

func TestHexResolution(t *testing.T) {
	for _, c := range []struct{ z, want int }{
		{0, 4}, {7, 4}, {8, 5}, {9, 6}, {10, 6}, {11, 7}, {12, 8}, {13, 9}, {14, 9}, {15, 10}, {16, 11}, {22, 11},
	} {
		if got := HexResolution(c.z); got != c.want {
			t.Errorf("HexResolution(%d) = %d, want %d", c.z, got, c.want)
		}
	}
}

func TestParseCoverageWindow(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"", DefaultCoverageWindow, true}, {"90", 90, true}, {"365", 365, true},
		{"0", 0, false}, {"-5", 0, false}, {"2000", 0, false}, {"half", 0, false},
	} {
		got, err := ParseCoverageWindow(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseCoverageWindow(%q) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestCoverageRatio(t *testing.T) {
	var m CoverageMetrics
	if m.Ratio() != 0 {
		t.Errorf("empty area: ratio %v, want 0", m.Ratio())
	}
	m.Add(CoverageMetrics{Entities: 4, Inspected: 1, NeverInspected: 2})
	m.Add(CoverageMetrics{Entities: 4, Inspected: 3, OverdueTasks: 1, OpenFlags: 2})
	if m.Ratio() != 0.5 || m.NeverInspected != 2 || m.OverdueTasks != 1 || m.OpenFlags != 2 {
		t.Errorf("sum %+v ratio %v, want 8 entities half inspected", m, m.Ratio())
	}
}
