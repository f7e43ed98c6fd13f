package main

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/gridsentry/gridsentry/demo"
)

// The table of the benchmark suite (gridsentry bench): rows of figures with
// the targets the issues and the README set, judged, headed with the
// machine, the commit and the database; written as Markdown.

// benchRow is one line of the table.
type benchRow struct {
	What   string       // what was measured
	Value  string       // the figures
	Target string       // the target as written, "" when none is set
	Note   string       // how it was measured, or where a recorded figure comes from
	Checks []benchCheck // the target, judged; none: not judged
}

// benchCheck judges one figure against its target.
type benchCheck struct {
	Name    string  // the figure, named in a missed target: "p99"
	Got     float64 // in Unit
	Limit   float64 // in Unit
	AtLeast bool    // the target is a floor (a rate), else a ceiling (a time, a size)
	Unit    string  // "ms", "/s", "MB"
}

// met reports whether the figure meets its target. A figure that is not a
// number (NaN: not measured) does not.
func (c benchCheck) met() bool {
	if math.IsNaN(c.Got) {
		return false
	}
	if c.AtLeast {
		return c.Got >= c.Limit
	}
	return c.Got <= c.Limit
}

// verdict says whether the row meets its targets: "" when it has none,
// "yes", or "no" with what missed.
func (r benchRow) verdict() string {
	if len(r.Checks) == 0 {
		return ""
	}
	var missed []string
	for _, c := range r.Checks {
		if c.met() {
			continue
		}
		op := ">"
		if c.AtLeast {
			op = "<"
		}
		missed = append(missed, fmt.Sprintf("%s %s %s %s%s", c.Name, trimFloat(c.Got), op, trimFloat(c.Limit), c.Unit))
	}
	if len(missed) == 0 {
		return "yes"
	}
	return "**no**: " + strings.Join(missed, "; ")
}

// trimFloat writes f with at most one decimal, none when it is whole.
func trimFloat(f float64) string {
	if math.IsNaN(f) {
		return "n/a"
	}
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

// benchReport is the whole table with its heading.
type benchReport struct {
	Scale    demo.Scale
	Started  time.Time
	Took     time.Duration
	Commit   string
	Machine  machineInfo
	Database string // one line on the database and whether it was built or reused
	Rows     []benchRow
	Notes    []string // printed under the table
}

// markdown writes the report as a Markdown heading line, paragraph and table.
func (r *benchReport) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s scale**, %s, commit %s; the run took %s.\n\n", r.Scale, r.Started.UTC().Format("2006-01-02 15:04 UTC"),
		r.Commit, fmtDuration(r.Took))
	fmt.Fprintf(&b, "Machine: %s.\n\n", r.Machine)
	if r.Database != "" {
		fmt.Fprintf(&b, "Database: %s\n\n", r.Database)
	}
	b.WriteString("| what | measured | target | met | how |\n|---|---|---|---|---|\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCell(row.What), mdCell(row.Value), mdCell(row.Target), mdCell(row.verdict()), mdCell(row.Note))
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

// missed returns the rows that missed a target.
func (r *benchReport) missed() []benchRow {
	var out []benchRow
	for _, row := range r.Rows {
		if v := row.verdict(); v != "" && v != "yes" {
			out = append(out, row)
		}
	}
	return out
}

// mdCell makes s safe in a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// fmtDuration writes d as a person reads it: 85 µs, 4.2 ms, 120 ms, 3.6 s,
// 4 min 11 s.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Round(time.Microsecond).Microseconds())
	case d < 100*time.Millisecond:
		return trimFloat(float64(d.Microseconds())/1000) + " ms"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
	case d < time.Minute:
		return trimFloat(math.Round(d.Seconds()*10)/10) + " s"
	}
	d = d.Round(time.Second)
	m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
	if m >= 60 {
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	}
	return fmt.Sprintf("%d min %d s", m, s)
}

// msOf returns d in milliseconds.
func msOf(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// fmtMS writes a latency in milliseconds with one decimal.
func fmtMS(d time.Duration) string { return fmt.Sprintf("%.1f", msOf(d)) }

var printer = message.NewPrinter(language.English)

// fmtCount writes n with thousands separators: 1,995,162.
func fmtCount[T int | int64 | float64](n T) string {
	if f, ok := any(n).(float64); ok {
		return printer.Sprintf("%.0f", f)
	}
	return printer.Sprintf("%d", n)
}

// fmtBytes writes a size in MiB, or GiB from 1 GiB.
func fmtBytes[T int | int64 | uint64 | float64](n T) string {
	f := float64(n)
	if f >= 1<<30 {
		return fmt.Sprintf("%.2f GiB", f/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", f/(1<<20))
}

// machineInfo describes where the figures were measured.
type machineInfo struct {
	CPU      string
	Cores    int
	RAM      uint64 // bytes
	OS       string
	Load     float64 // one-minute load average at the start
	LoadEnd  float64 // and at the end
	Postgres string
	PostGIS  string
}

func (m machineInfo) String() string {
	s := fmt.Sprintf("%s, %d cores, %s RAM, %s", m.CPU, m.Cores, fmtBytes(m.RAM), m.OS)
	if m.Load > 0 {
		s += fmt.Sprintf(", load average %.1f at the start", m.Load)
		if m.LoadEnd > 0 {
			s += fmt.Sprintf(", %.1f at the end", m.LoadEnd)
		}
	}
	if m.Postgres != "" {
		s += fmt.Sprintf("; PostgreSQL %s, PostGIS %s", m.Postgres, m.PostGIS)
	}
	return s
}

// loadAverage returns the one-minute load average, 0 when unknown.
func loadAverage() float64 {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0
	}
	la, err := fs.LoadAvg()
	if err != nil {
		return 0
	}
	return la.Load1
}

// readMachine describes this machine from /proc and /etc/os-release; what
// cannot be read is left blank or "unknown".
func readMachine() machineInfo {
	m := machineInfo{CPU: "unknown CPU", Cores: runtime.NumCPU(), OS: runtime.GOOS, Load: loadAverage()}
	if fs, err := procfs.NewDefaultFS(); err == nil {
		if cpus, err := fs.CPUInfo(); err == nil && len(cpus) > 0 && cpus[0].ModelName != "" {
			m.CPU = cpus[0].ModelName
		}
		if mi, err := fs.Meminfo(); err == nil && mi.MemTotalBytes != nil {
			m.RAM = *mi.MemTotalBytes
		}
	}
	if f, err := os.Open("/etc/os-release"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	return m
}

// Markers around a scale's table in the README.
func readmeMarkers(scale demo.Scale) (begin, end string) {
	return fmt.Sprintf("<!-- bench:%s:begin -->", scale), fmt.Sprintf("<!-- bench:%s:end -->", scale)
}

// spliceReadme replaces what lies between the markers of scale in doc with
// table; the markers stay. Each marker must appear once, in order.
func spliceReadme(doc string, scale demo.Scale, table string) (string, error) {
	begin, end := readmeMarkers(scale)
	if strings.Count(doc, begin) != 1 || strings.Count(doc, end) != 1 {
		return "", fmt.Errorf("the README needs one %s and one %s line around the table", begin, end)
	}
	i, j := strings.Index(doc, begin)+len(begin), strings.Index(doc, end)
	if j < i {
		return "", errors.New("the README's bench markers are in the wrong order")
	}
	return doc[:i] + "\n" + strings.TrimSpace(table) + "\n" + doc[j:], nil
}
