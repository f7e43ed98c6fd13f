package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gridsentry/gridsentry/supervision"
)

// The statistics as the API shows them (api/openapi/stats.json).

type periodJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func periodJSONOf(p supervision.Period) periodJSON {
	return periodJSON{From: p.From.String(), To: p.To.String()}
}

type entityCountsJSON struct {
	Total      int64            `json:"total"`
	Active     int64            `json:"active"`
	Cancelled  int64            `json:"cancelled"`
	Revoked    int64            `json:"revoked"`
	ByKind     map[string]int64 `json:"by_kind"`
	ByIndustry map[string]int64 `json:"by_industry"`
}

type taskCountsJSON struct {
	Pushed       int64    `json:"pushed"`
	Received     int64    `json:"received"`
	Answered     int64    `json:"answered"`
	Closed       int64    `json:"closed"`
	Returned     int64    `json:"returned"`
	Overdue      int64    `json:"overdue"`
	Open         int64    `json:"open"`
	ReceivedRate *float64 `json:"received_rate"`
	AnswerRate   *float64 `json:"answer_rate"`
	CloseRate    *float64 `json:"close_rate"`
	OverdueRate  *float64 `json:"overdue_rate"`
}

func taskCountsJSONOf(t supervision.TaskCounts) taskCountsJSON {
	return taskCountsJSON{Pushed: t.Pushed, Received: t.Received, Answered: t.Answered, Closed: t.Closed,
		Returned: t.Returned, Overdue: t.Overdue, Open: t.Open, ReceivedRate: t.Rate(t.Received),
		AnswerRate: t.Rate(t.Answered), CloseRate: t.Rate(t.Closed), OverdueRate: t.Rate(t.Overdue)}
}

type inspectionCountsJSON struct {
	Count          int64    `json:"count"`
	ActiveEntities int64    `json:"active_entities"`
	Covered        int64    `json:"covered"`
	CoverageRate   *float64 `json:"coverage_rate"`
}

type flagCountsJSON struct {
	Open      int64            `json:"open"`
	Confirmed int64            `json:"confirmed"`
	Dismissed int64            `json:"dismissed"`
	Resolved  int64            `json:"resolved"`
	ByKind    map[string]int64 `json:"by_kind"`
}

type complaintCountsJSON struct {
	Count      int64 `json:"count"`
	Complaints int64 `json:"complaints"`
	Reports    int64 `json:"reports"`
	Letters    int64 `json:"letters"`
}

type areaJSON struct {
	Code             string               `json:"code"`
	Name             string               `json:"name"`
	Entities         entityCountsJSON     `json:"entities"`
	NewRegistrations int64                `json:"new_registrations"`
	Tasks            taskCountsJSON       `json:"tasks"`
	Inspections      inspectionCountsJSON `json:"inspections"`
	Flags            flagCountsJSON       `json:"flags"`
	Complaints       complaintCountsJSON  `json:"complaints"`
}

func areaJSONOf(a supervision.AreaStats) areaJSON {
	e, in, f, c := a.Entities, a.Inspections, a.Flags, a.Complaints
	return areaJSON{Code: a.Code, Name: a.Name,
		Entities: entityCountsJSON{Total: e.Total, Active: e.Active, Cancelled: e.Cancelled, Revoked: e.Revoked,
			ByKind: nonNilMap(e.ByKind), ByIndustry: nonNilMap(e.ByIndustry)},
		NewRegistrations: a.NewRegistrations,
		Tasks:            taskCountsJSONOf(a.Tasks),
		Inspections: inspectionCountsJSON{Count: in.Count, ActiveEntities: in.ActiveEntities, Covered: in.Covered,
			CoverageRate: in.CoverageRate()},
		Flags: flagCountsJSON{Open: f.Open, Confirmed: f.Confirmed, Dismissed: f.Dismissed, Resolved: f.Resolved,
			ByKind: nonNilMap(f.ByKind)},
		Complaints: complaintCountsJSON{Count: c.Count, Complaints: c.Complaints, Reports: c.Reports, Letters: c.Letters},
	}
}

func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}

type areasJSON struct {
	AsOf   *time.Time `json:"as_of"`
	Period periodJSON `json:"period"`
	Total  areaJSON   `json:"total"`
	Items  []areaJSON `json:"items"`
}

func areasJSONOf(r supervision.AreaReport) areasJSON {
	out := areasJSON{AsOf: beijingPtr(r.AsOf), Period: periodJSONOf(r.Period), Total: areaJSONOf(r.Total),
		Items: make([]areaJSON, len(r.Items))}
	for i, a := range r.Items {
		out.Items[i] = areaJSONOf(a)
	}
	return out
}

type leadCountsJSON struct {
	Received int64 `json:"received"`
	Sent     int64 `json:"sent"`
	Open     int64 `json:"open"`
	Closed   int64 `json:"closed"`
}

type departmentJSON struct {
	Code             string         `json:"code"`
	Name             string         `json:"name"`
	Tasks            taskCountsJSON `json:"tasks"`
	MedianAnswerDays *float64       `json:"median_answer_days"`
	Leads            leadCountsJSON `json:"leads"`
}

type departmentsJSON struct {
	AsOf   *time.Time       `json:"as_of"`
	Period periodJSON       `json:"period"`
	Items  []departmentJSON `json:"items"`
}

func departmentsJSONOf(r supervision.DepartmentReport) departmentsJSON {
	out := departmentsJSON{AsOf: beijingPtr(r.AsOf), Period: periodJSONOf(r.Period), Items: make([]departmentJSON, len(r.Items))}
	for i, d := range r.Items {
		l := d.Leads
		out.Items[i] = departmentJSON{Code: d.Code, Name: d.Name, Tasks: taskCountsJSONOf(d.Tasks),
			MedianAnswerDays: d.MedianAnswerDays(),
			Leads:            leadCountsJSON{Received: l.Received, Sent: l.Sent, Open: l.Open, Closed: l.Closed}}
	}
	return out
}

type trendMonthJSON struct {
	Month         string `json:"month"`
	Registrations int64  `json:"registrations"`
	Cancellations int64  `json:"cancellations"`
	ActiveEnd     *int64 `json:"active_end"`
	TasksPushed   int64  `json:"tasks_pushed"`
	TasksClosed   int64  `json:"tasks_closed"`
	Inspections   int64  `json:"inspections"`
	FlagsRaised   int64  `json:"flags_raised"`
	Complaints    int64  `json:"complaints"`
}

type areaNameJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type trendJSON struct {
	AsOf   *time.Time       `json:"as_of"`
	Period periodJSON       `json:"period"`
	Area   areaNameJSON     `json:"area"`
	Months []trendMonthJSON `json:"months"`
}

func trendJSONOf(r supervision.TrendReport) trendJSON {
	out := trendJSON{AsOf: beijingPtr(r.AsOf), Period: periodJSONOf(r.Period), Area: areaNameJSON{r.AreaCode, r.Area},
		Months: make([]trendMonthJSON, len(r.Months))}
	for i, m := range r.Months {
		out.Months[i] = trendMonthJSON{Month: m.Month.String(), Registrations: m.Registrations, Cancellations: m.Cancellations,
			ActiveEnd: m.ActiveEnd, TasksPushed: m.TasksPushed, TasksClosed: m.TasksClosed, Inspections: m.Inspections,
			FlagsRaised: m.FlagsRaised, Complaints: m.Complaints}
	}
	return out
}

type industryJSON struct {
	Industry           string   `json:"industry"`
	Name               string   `json:"name"`
	Entities           int64    `json:"entities"`
	NewRegistrations   int64    `json:"new_registrations"`
	Complaints         int64    `json:"complaints"`
	Letters            int64    `json:"letters"`
	Per10k             *float64 `json:"per_10k"`
	Rank               int      `json:"rank"`
	PreviousComplaints int64    `json:"previous_complaints"`
	PreviousRank       int      `json:"previous_rank"`
	Change             int64    `json:"change"`
}

type industriesJSON struct {
	AsOf     *time.Time     `json:"as_of"`
	Period   periodJSON     `json:"period"`
	Previous periodJSON     `json:"previous"`
	Items    []industryJSON `json:"items"`
}

func industriesJSONOf(r supervision.IndustryReport) industriesJSON {
	out := industriesJSON{AsOf: beijingPtr(r.AsOf), Period: periodJSONOf(r.Period), Previous: periodJSONOf(r.Previous),
		Items: make([]industryJSON, len(r.Items))}
	for i, it := range r.Items {
		out.Items[i] = industryJSON{Industry: it.Industry, Name: it.Name, Entities: it.Entities,
			NewRegistrations: it.NewRegistrations, Complaints: it.Complaints, Letters: it.Letters, Per10k: it.Per10k(),
			Rank: it.Rank, PreviousComplaints: it.PreviousComplaints, PreviousRank: it.PreviousRank, Change: it.Change()}
	}
	return out
}

type industryCountJSON struct {
	Industry string `json:"industry"`
	Count    int64  `json:"count"`
}

type hotSpotJSON struct {
	Code               string              `json:"code"`
	Name               string              `json:"name"`
	Complaints         int64               `json:"complaints"`
	Letters            int64               `json:"letters"`
	TopIndustries      []industryCountJSON `json:"top_industries"`
	PreviousComplaints int64               `json:"previous_complaints"`
	Change             int64               `json:"change"`
}

type complaintsJSON struct {
	AsOf   *time.Time    `json:"as_of"`
	Period periodJSON    `json:"period"`
	Level  string        `json:"level"`
	Items  []hotSpotJSON `json:"items"`
}

func complaintsJSONOf(r supervision.ComplaintReport) complaintsJSON {
	out := complaintsJSON{AsOf: beijingPtr(r.AsOf), Period: periodJSONOf(r.Period), Level: r.Level,
		Items: make([]hotSpotJSON, len(r.Items))}
	for i, a := range r.Items {
		top := make([]industryCountJSON, len(a.TopIndustries))
		for j, t := range a.TopIndustries {
			top[j] = industryCountJSON{t.Industry, t.Count}
		}
		out.Items[i] = hotSpotJSON{Code: a.Code, Name: a.Name, Complaints: a.Complaints, Letters: a.Letters,
			TopIndustries: top, PreviousComplaints: a.PreviousComplaints, Change: a.Change()}
	}
	return out
}

type leadFlowJSON struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Count  int64  `json:"count"`
	Open   int64  `json:"open"`
	Closed int64  `json:"closed"`
}

type leadsJSON struct {
	AsOf        *time.Time        `json:"as_of"`
	Period      periodJSON        `json:"period"`
	Flows       []leadFlowJSON    `json:"flows"`
	Departments map[string]string `json:"departments"`
}

func leadsJSONOf(r supervision.LeadReport) leadsJSON {
	out := leadsJSON{AsOf: beijingPtr(r.AsOf), Period: periodJSONOf(r.Period), Flows: make([]leadFlowJSON, len(r.Flows)),
		Departments: nonNilMap(r.Departments)}
	for i, f := range r.Flows {
		out.Flows[i] = leadFlowJSON{From: f.From, To: f.To, Count: f.Count, Open: f.Open, Closed: f.Closed}
	}
	return out
}

// write answers with v as JSON, or, for format=csv, with rows (a slice of
// the items v lists) as CSV: UTF-8 with a byte order mark, as the entity
// export writes it, a header row, and one row per item, its nested fields
// flattened (tasks.pushed is the column tasks_pushed, top_industries[0]
// .count is top_industries_1_count); zero, an empty item, gives the header
// when there is no row. The rollups' as_of travels in the X-Stats-As-Of
// header.
func (req statsRequest) write(w http.ResponseWriter, asOf *time.Time, v, rows, zero any) error {
	if !req.csv {
		writeJSON(w, http.StatusOK, v)
		return nil
	}
	b, err := statsCSV(rows, zero)
	if err != nil {
		return err
	}
	p := req.q.Period
	name := fmt.Sprintf("stats-%s-%s-%s.csv", req.name, p.From, p.To)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	if asOf != nil {
		w.Header().Set("X-Stats-As-Of", asOf.Format(time.RFC3339))
	}
	writeBody(w, http.StatusOK, "text/csv; charset=utf-8", b)
	return nil
}

// statsCSV writes rows, a slice of JSON-encodable items, as CSV; zero's
// columns are the header when there is no row.
func statsCSV(rows, zero any) ([]byte, error) {
	j, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(j, &items); err != nil {
		return nil, err
	}
	var header []string
	if len(items) == 0 {
		z, err := json.Marshal(zero)
		if err != nil {
			return nil, err
		}
		if header, _, err = flattenJSON(z); err != nil {
			return nil, err
		}
	}
	flat := make([]map[string]string, len(items))
	for i, it := range items {
		keys, vals, err := flattenJSON(it)
		if err != nil {
			return nil, err
		}
		flat[i] = make(map[string]string, len(keys))
		for k, key := range keys {
			flat[i][key] = vals[k]
		}
		header = mergeColumns(header, keys)
	}
	var buf bytes.Buffer
	buf.WriteString("\uFEFF") // Excel reads UTF-8 without it as the local code page
	cw := csv.NewWriter(&buf)
	if err := cw.Write(header); err != nil {
		return nil, err
	}
	rec := make([]string, len(header))
	for _, f := range flat {
		for i, k := range header {
			rec[i] = f[k]
		}
		if err := cw.Write(rec); err != nil {
			return nil, err
		}
	}
	cw.Flush()
	return buf.Bytes(), cw.Error()
}

// flattenJSON lists the leaves of a JSON value, in order, each named by
// its path: object keys and 1-based array positions joined with "_".
// Strings are guarded against spreadsheet formulas (cell); null is empty.
func flattenJSON(b []byte) (keys, vals []string, err error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		join := func(k string) string {
			if path == "" {
				return k
			}
			return path + "_" + k
		}
		switch t := tok.(type) {
		case json.Delim:
			for i := 1; dec.More(); i++ {
				key := strconv.Itoa(i)
				if t == '{' {
					k, err := dec.Token()
					if err != nil {
						return err
					}
					key = k.(string)
				}
				if err := walk(join(key)); err != nil {
					return err
				}
			}
			_, err := dec.Token() // the closing delimiter
			return err
		case string:
			keys, vals = append(keys, path), append(vals, cell(t))
		case json.Number:
			keys, vals = append(keys, path), append(vals, t.String())
		case bool:
			keys, vals = append(keys, path), append(vals, strconv.FormatBool(t))
		case nil:
			keys, vals = append(keys, path), append(vals, "")
		}
		return nil
	}
	return keys, vals, walk("")
}

// mergeColumns adds the columns of one row to header: a column not seen
// yet goes right after the one before it in the row, so that the items of
// a list longer in a later row (the top industries) stay together.
func mergeColumns(header, row []string) []string {
	for i, k := range row {
		if slices.Contains(header, k) {
			continue
		}
		at := 0
		if i > 0 {
			at = slices.Index(header, row[i-1]) + 1
		}
		header = slices.Insert(header, at, k)
	}
	return header
}
