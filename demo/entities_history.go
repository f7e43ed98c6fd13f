package demo

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// Two years of supervision up to Config.Until, per town from the stream
// "history": the tasks pushed when an entity registered in that time and
// how they went, on-site inspections, the leads inspectors handed on,
// complaints, violations and the abnormal-operation list.
//
// Supervision is uneven on purpose: each village gets a propensity (a
// Kumaraswamy draw, Beta-like, from the stream "coverage" of the village),
// so some villages visit most of their entities every half year and some
// hardly any, as coverage maps of real cities show.

// An Inspection is an on-site inspection of the demo city, with where it
// took place: the town, grid and building of the entity's true site.
type Inspection struct {
	supervision.Inspection
	TownCode   string
	GridCode   string
	BuildingID int64
}

// A TaskEvent is a step of a task's history, as table task_events holds it.
type TaskEvent struct {
	TaskID int64
	At     time.Time
	Action string // push, receive, feedback, complete, return, inspect
	Actor  string
	Status supervision.TaskStatus
	Note   string
}

// A Lead is a lead of the demo city with the town it concerns.
type Lead struct {
	supervision.Lead
	TownCode string
}

// Rates of the history, tuned so that the city scale has about ten million
// inspections for two million entities (DESIGN.md section 6).
const (
	visitsPerDay  = 0.0135 // routine visits of an entity in the most diligent village: 90 % within 180 days
	hazardScale   = 1.2    // scales the hazards of formats into leads
	complaintRate = 0.03   // complaints per entity and year, before the format's and the building's factors
	violationRate = 0.014  // violation records per entity and year, besides those of leads
)

// coverage is, per scale, the Kumaraswamy distribution of the villages'
// propensity to inspect. At city scale its mean, 0.59, makes about five
// inspections an entity in two years, ten million in all (DESIGN.md
// section 6); a few villages fall under 20 % of their entities inspected
// within 180 days, some reach 90 %. The demo scale has as uneven a map with
// fewer diligent villages (mean 0.33, three inspections an entity), so that
// it loads in seconds.
var coverage = map[Scale]struct{ a, b float64 }{
	ScaleCity: {1.3, 0.9},
	ScaleDemo: {0.8, 1.6},
}

// worker is a grid worker (网格员): the inspector of a grid.
type worker struct {
	name string
	crs  string // what the phone app declares: gcj02, wgs84 or cgcs2000
}

type historyGen struct {
	*entityGen
	r        *rand.Rand
	cg       *caseGen // writes the addresses of complaints
	items    []supervision.Item
	codes    []string
	rules    []supervision.ScopeRule
	depts    map[string]string // code → name
	rho      map[string]float64
	workers  map[string][]worker
	hot      []float64
	answers  map[string]map[string]string
	penalty  int // violation numbers of the town
	tickets  int // complaint numbers of the town
	calendar supervision.Calendar
}

func (g *entityGen) history(ctx context.Context) error {
	h := &historyGen{
		entityGen: g,
		r:         newRand(g.cfg.Seed, g.c.TownCode, "history"),
		items:     supervision.DefaultItems(),
		rules:     supervision.DefaultRules(),
		depts:     map[string]string{},
		rho:       map[string]float64{},
		workers:   map[string][]worker{},
		answers:   map[string]map[string]string{},
	}
	h.cg = &caseGen{ct: g.ct, r: h.r}
	h.codes = supervision.ItemCodes(h.items)
	for _, d := range supervision.DefaultDepartments() {
		h.depts[d.Code] = d.Name
	}
	for _, v := range g.d.Villages {
		if v.TownCode == g.c.TownCode {
			u := newRand(g.cfg.Seed, v.Code, "coverage").Float64()
			k := coverage[g.cfg.Scale]
			h.rho[v.Code] = math.Pow(1-math.Pow(1-u, 1/k.b), 1/k.a)
		}
	}
	// About what the history comes to, so the slices grow seldom.
	n := len(g.c.Entities)
	g.c.Inspections = make([]Inspection, 0, n*4)
	g.c.Tasks = make([]supervision.Task, 0, n/2)
	g.c.TaskEvents = make([]TaskEvent, 0, n*2)
	h.hot = make([]float64, len(g.c.Buildings))
	for i := range h.hot {
		h.hot[i] = 1
		if h.r.Float64() < 0.05 {
			h.hot[i] = 6 // hot spots of complaints: a food court, a noisy block
		}
	}
	for i := range g.c.Entities {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		h.entity(i)
	}
	return nil
}

// visit is an inspection to make, and the task it closes (-1 for none).
type visit struct {
	at   time.Time
	task int
}

func (h *historyGen) entity(i int) {
	e := &h.c.Entities[i]
	st := &h.states[i]
	b := &h.c.Buildings[st.site]
	end := h.until
	if !st.endAt.IsZero() && st.endAt.Before(end) {
		end = st.endAt
	}
	start := maxTime(h.from, st.regAt)
	var visits []visit
	if !st.regAt.Before(h.from) {
		visits = h.tasks(e, st, b, end)
	}
	if start.Before(end) {
		span := end.Sub(start)
		n := poisson(h.r, h.rho[b.VillageCode]*visitsPerDay*st.risk*span.Hours()/24)
		for range n {
			at := workTime(h.r, start.Add(time.Duration(h.r.Float64()*float64(span))), 9, 17)
			if at.After(start) && at.Before(end) {
				visits = append(visits, visit{at, -1})
			}
		}
	}
	slices.SortStableFunc(visits, func(a, b visit) int { return a.at.Compare(b.at) })
	var notFound time.Time
	for k, v := range visits {
		in := h.inspect(e, st, b, v.at, k == len(visits)-1)
		if v.task >= 0 {
			t := &h.c.Tasks[v.task]
			id := in.ID
			t.InspectionID = &id
			in.TaskIDs = []int64{t.ID}
			h.taskStep(v.task, in.At, "inspect", in.Inspector, supervision.TaskDone, "现场核查："+outcomeLabel[in.Outcome])
		}
		if in.Outcome == supervision.OutcomeNotFound && notFound.IsZero() {
			notFound = in.At
		}
		st.latest, st.latestAway = in.Outcome, st.fate == fateElsewhere && !in.At.Before(st.fateAt)
		h.c.Inspections = append(h.c.Inspections, in)
		h.leads(e, st, &h.c.Inspections[len(h.c.Inspections)-1])
	}
	if start.Before(end) {
		h.complaints(e, st, b, start, end)
		if h.r.Float64() < violationRate*end.Sub(start).Hours()/24/365 {
			at := workTime(h.r, start.Add(time.Duration(h.r.Float64()*float64(end.Sub(start)))), 9, 17)
			if at.Before(end) {
				h.violation(e, st, at, "东莞市市场监督管理局"+h.stem+"分局")
			}
		}
	}
	h.abnormal(e, st, end, notFound)
}

var outcomeLabel = map[supervision.Outcome]string{
	supervision.OutcomeOperating: "正常经营",
	supervision.OutcomeNotFound:  "查无此户",
	supervision.OutcomeMoved:     "已搬离",
	supervision.OutcomeClosed:    "已停业",
}

// tasks pushes the tasks of a new registration at its registration time,
// plays out how they went until end, and returns the visit that closes the
// first check, if one is made.
func (h *historyGen) tasks(e *supervision.Entity, st *entState, b *addressbook.Building, end time.Time) []visit {
	r := h.r
	link := supervision.Link{TownCode: h.c.TownCode}
	if st.linked {
		link = supervision.Link{TownCode: b.TownCode, VillageCode: b.VillageCode, GridCode: b.GridCode, BuildingID: b.ID}
	}
	// Plan routes the scope again: hand it the clauses that route, which
	// route the same and are quicker to read than the whole scope.
	reg := *e
	reg.Status, reg.Scope = supervision.Active, st.routed
	var visits []visit
	rho := h.rho[b.VillageCode]
	for _, t := range (supervision.Policy{}).Plan(supervision.Change{New: reg, Link: link}, h.rules, h.codes, st.regAt) {
		t.ID = int64(len(h.c.Tasks) + 1)
		h.c.Tasks = append(h.c.Tasks, t)
		ti := len(h.c.Tasks) - 1
		h.taskStep(ti, t.PushedAt, "push", "system", supervision.TaskPushed, t.Reason)
		received := t.PushedAt.Add(time.Duration(1800+r.IntN(2*24*3600)) * time.Second)
		if r.Float64() < 0.92 {
			h.taskStep(ti, received, "receive", t.Assignee, supervision.TaskReceived, "")
		}
		x := r.Float64()
		if x < 0.04 {
			reason := pickString(r, "该主体不在本网格辖区", "经营范围不属本部门许可事项", "地址无法核实，请统筹部门重新分派")
			if t.Kind == supervision.TaskPermit {
				reason = "经营范围不属本部门许可事项，退回统筹"
			}
			at := received.Add(time.Duration(1+r.IntN(5)) * 24 * time.Hour)
			if h.taskStep(ti, at, "return", t.Assignee, supervision.TaskReturned, reason) {
				h.c.Tasks[ti].ReturnReason = reason
			}
			continue
		}
		// Neglected villages leave more checks undone and do more late.
		never, late := 0.03, 0.12
		if t.Kind.OnSite() {
			never, late = 0.01+0.05*(1-rho), 0.1+0.3*(1-rho)
		}
		if x < 0.04+never {
			continue
		}
		days := 1 + r.IntN(10)
		if r.Float64() < late {
			days = 11 + r.IntN(20)
		}
		at := workTime(r, h.calendar.Deadline(t.PushedAt, days).AddDate(0, 0, -1), 9, 17)
		for !at.After(received) {
			at = workTime(r, at.AddDate(0, 0, 1), 9, 17)
		}
		if t.Kind.OnSite() {
			if at.Before(end) {
				visits = append(visits, visit{at, ti})
			} else if end.Before(h.until) && h.taskStep(ti, end, "complete", "system", supervision.TaskDone, "主体已注销") {
				h.c.Tasks[ti].Feedback = "主体已注销"
			}
			continue
		}
		fb := pickString(r, "已核实，该主体已依法取得许可", "已告知经营者依法申请许可", "经核查，该主体暂未开展需许可的经营项目", "已纳入日常监管")
		if h.taskStep(ti, at, "feedback", t.Department, supervision.TaskFeedback, fb) {
			h.c.Tasks[ti].Feedback = fb
		}
		if r.Float64() < 0.97 {
			h.taskStep(ti, at.Add(time.Duration(r.IntN(2*24*3600))*time.Second), "complete", t.Department, supervision.TaskDone, "")
		}
	}
	return visits
}

// taskStep records a step of task ti at time at, unless at is after the
// history ends, and reports whether it did.
func (h *historyGen) taskStep(ti int, at time.Time, action, actor string, status supervision.TaskStatus, note string) bool {
	if !at.Before(h.until) {
		return false
	}
	t := &h.c.Tasks[ti]
	t.Status = status
	switch status {
	case supervision.TaskReceived:
		t.ReceivedAt = &at
	case supervision.TaskFeedback:
		t.FeedbackAt = &at
	case supervision.TaskDone:
		t.DoneAt = &at
	case supervision.TaskReturned:
		t.ReturnedAt = &at
	}
	h.c.TaskEvents = append(h.c.TaskEvents, TaskEvent{TaskID: t.ID, At: at, Action: action, Actor: actor, Status: status, Note: note})
	return true
}

// gridWorkers returns the grid workers of a grid: one to three, each with
// the phone app that declares their coordinates.
func (h *historyGen) gridWorkers(grid string) []worker {
	if ws, ok := h.workers[grid]; ok {
		return ws
	}
	r := newRand(h.cfg.Seed, grid, "workers")
	ws := make([]worker, 1+r.IntN(3))
	for k := range ws {
		name := surnames[weighted(r, surnameWeights)] + string(givenChars[r.IntN(len(givenChars))])
		if r.Float64() < 0.7 {
			name += string(givenChars[r.IntN(len(givenChars))])
		}
		ws[k] = worker{
			name: name + "（" + grid + "-" + pad(k+1, 2) + "）",
			crs:  []string{"gcj02", "gcj02", "gcj02", "gcj02", "gcj02", "wgs84", "wgs84", "wgs84", "cgcs2000", "cgcs2000"}[r.IntN(10)],
		}
	}
	h.workers[grid] = ws
	return ws
}

// inspect makes the inspection of a visit at time at, the entity's latest
// when last is set.
//
// What an inspector finds follows the entity's fate, so that the flags
// read from the latest visit can be told right or wrong: a ghost is never
// found, a business that moved is reported moved, one closed down closed,
// and one operating elsewhere is found there, where the inspector checks
// in. An operating business is now and then not found or closed on an
// earlier visit (nobody in, a holiday), on its latest hardly ever.
func (h *historyGen) inspect(e *supervision.Entity, st *entState, b *addressbook.Building, at time.Time, last bool) Inspection {
	r := h.r
	state := fateOperating
	if st.fate != fateOperating && !at.Before(st.fateAt) {
		state = st.fate
	}
	x := r.Float64()
	outcome := supervision.OutcomeOperating
	switch state {
	case fateOperating:
		switch {
		case last && x > 1-latestNotFound:
			outcome = supervision.OutcomeNotFound
		case last:
		case x > 0.98:
			outcome = supervision.OutcomeNotFound
		case x > 0.96:
			outcome = supervision.OutcomeClosed
		}
	case fateGhost:
		outcome = supervision.OutcomeNotFound
	case fateMoved:
		outcome = supervision.OutcomeMoved
	case fateClosed:
		outcome = supervision.OutcomeClosed
	}
	ws := h.gridWorkers(b.GridCode)
	w := ws[r.IntN(len(ws))]
	// GPS: a few metres to about thirty from the middle of the building,
	// or of where the business operates.
	c := centroid(b)
	if state == fateElsewhere {
		c = st.away
	}
	p := snapPoint(offset(c, min(gpsNoiseMetres, 2+math.Abs(r.NormFloat64())*8), r.Float64()*2*math.Pi))
	in := Inspection{
		Inspection: supervision.Inspection{
			ID:        int64(len(h.c.Inspections) + 1),
			USCC:      e.USCC,
			Inspector: w.name,
			At:        at,
			Location:  geo.FromPoint(p),
			CRS:       w.crs,
			Items:     h.answer(e, st, outcome, at),
			Outcome:   outcome,
		},
		TownCode:   b.TownCode,
		GridCode:   b.GridCode,
		BuildingID: b.ID,
	}
	in.Notes = pick(r, inspectionNotes[outcome])
	if state == fateElsewhere {
		in.Notes = pick(r, elsewhereNotes)
	}
	stamp := "insp/" + string(e.USCC[8:17]) + "/" + at.Format("0601021504")
	for k := range 1 + r.IntN(2) {
		in.Photos = append(in.Photos, stamp+"-"+itoa(k+1)+".jpg")
	}
	return in
}

var elsewhereNotes = []string{"该主体未在登记地址经营，已至实际经营场所核查", "实际经营场所与登记地址不符，现场签到", "经营者在他处经营，未办理变更登记"}

var inspectionNotes = map[supervision.Outcome][]string{
	supervision.OutcomeOperating: {"经营正常，证照齐全", "现场正常经营，已宣传年报", "正常经营，已提醒亮照经营", "经营正常，未发现异常", "现场经营，已核对登记信息"},
	supervision.OutcomeNotFound:  {"查无此户，该地址无此经营主体", "现场为住宅，无经营迹象", "门牌对应场所为其他商户", "多次上门无人，联系电话无法接通"},
	supervision.OutcomeMoved:     {"已搬离，新址不详", "经营者称已迁往他处经营", "原址已由其他商户经营"},
	supervision.OutcomeClosed:    {"已停业，卷闸门关闭", "店铺已结业，正在转让", "现场停产，设备已搬空"},
}

// answer answers the "4+2" items. Equal answers share one map: the
// inspections of a city hold millions of them.
func (h *historyGen) answer(e *supervision.Entity, st *entState, outcome supervision.Outcome, at time.Time) map[string]string {
	r := h.r
	a := [6]string{"consistent", "operating", "not_required", "none", "not_displayed", "not_filed"}
	switch outcome {
	case supervision.OutcomeOperating:
		if st.fate == fateElsewhere && !at.Before(st.fateAt) {
			a[0] = "inconsistent"
		}
		if r.Float64() < 0.03 {
			a[1] = "suspended"
		}
		if len(st.permits) > 0 {
			a[2] = []string{"obtained", "applying", "missing"}[weighted(r, []float64{91, 6, 3})]
		}
		if r.Float64() < 0.9 {
			a[4] = "displayed"
		}
	case supervision.OutcomeClosed:
		a[1] = "closed"
		if r.Float64() < 0.2 {
			a[1] = "suspended"
		}
	case supervision.OutcomeNotFound:
		a[0], a[1] = "inconsistent", pickString(r, "not_opened", "closed")
	case supervision.OutcomeMoved:
		a[0] = "inconsistent"
	}
	if r.Float64() < 0.004 {
		a[3] = "found"
	}
	if due := lastDue(at); e.ReportYear >= due || st.regAt.Year() > due {
		a[5] = "filed"
	}
	key := strings.Join(a[:], ",")
	if m, ok := h.answers[key]; ok {
		return m
	}
	m := make(map[string]string, len(a))
	for i, code := range h.codes {
		m[code] = a[i]
	}
	h.answers[key] = m
	return m
}

// Leads. The competent department of a category the grid cannot name is
// decided by the coordinator among these.
var leadDepartments = map[string][]string{
	"消防隐患": {"emergency", "housing", "urban"},
	"无照经营": {"amr_food", "amr_food", "culture", "commerce"},
	"价格违法": {"amr_food"},
	"虚假广告": {"amr_food"},
	"假冒伪劣": {"amr_food"},
	"计量违法": {"amr_food"},
}

var leadResults = []string{"已立案查处", "已责令整改", "已责令整改", "经核查不属实", "已督促办理许可"}

// leads hands on what the inspection in found.
func (h *historyGen) leads(e *supervision.Entity, st *entState, in *Inspection) {
	r := h.r
	if in.Items[supervision.ItemPermit] == "missing" && len(st.permits) > 0 && r.Float64() < 0.5 {
		p := st.permits[r.IntN(len(st.permits))]
		h.lead(e, st, in, e.USCC, "无证经营", p.Department, "经营范围涉及"+strings.Join(p.Keywords, "、")+"，现场未能出示许可证")
	}
	if in.Items[supervision.ItemUnlicensed] == "found" {
		h.lead(e, st, in, "", "无照经营", "", "相邻铺位疑似无照经营")
	}
	if in.Outcome != supervision.OutcomeOperating {
		return
	}
	for _, hz := range st.format.hazards {
		if r.Float64() < hz.p*hazardScale {
			h.lead(e, st, in, e.USCC, hz.category, hz.dept, hz.note)
		}
	}
}

// lead opens a lead from an inspection and plays out its history until the
// history ends.
func (h *historyGen) lead(e *supervision.Entity, st *entState, in *Inspection, uscc supervision.USCC, category, dept, note string) {
	r := h.r
	inID := in.ID
	loc := in.Location
	l := Lead{Lead: supervision.Lead{
		ID: int64(len(h.c.Leads) + 1), USCC: uscc, InspectionID: &inID, FromDepartment: in.GridCode,
		Category: category, Description: note, Location: &loc,
	}, TownCode: in.TownCode}
	at := in.At.Add(time.Duration(300+r.IntN(7200)) * time.Second)
	var status supervision.LeadStatus
	holder := ""
	step := func(action supervision.LeadAction, actor, to, note string) bool {
		if !at.Before(h.until) {
			return false
		}
		next, nh, err := supervision.NextLead(status, action, holder, to)
		if err != nil {
			panic("demo: lead " + err.Error()) // the steps below follow the rules
		}
		status, holder = next, nh
		l.History = append(l.History, supervision.LeadEvent{At: at, Action: action, Actor: actor, Department: holder, Status: status, Note: note})
		return true
	}
	later := func(minHours, maxHours int) {
		at = at.Add(time.Duration(minHours*3600+r.IntN((maxHours-minHours)*3600)) * time.Second)
	}
	decide := func() bool {
		later(24, 7*24)
		cands := leadDepartments[category]
		if len(cands) == 0 {
			cands = []string{dept, dept, "amr_food"}
		}
		return step(supervision.LeadDecide, supervision.CoordinatorCode, pick(r, cands), "")
	}
	if !step(supervision.LeadCreate, in.Inspector, dept, note) {
		return
	}
	ok := true
	switch x := r.Float64(); {
	case holder == "":
		ok = decide()
	case x < 0.08:
		later(24, 3*24)
		other := otherDepartment(holder)
		for _, d := range leadDepartments[category] {
			if d != holder {
				other = d
				break
			}
		}
		ok = step(supervision.LeadTransfer, holder, other, "不属本部门职责，转交")
	case x < 0.13:
		later(24, 3*24)
		ok = step(supervision.LeadEscalate, holder, "", "职责不清，提请统筹") && decide()
	}
	if ok {
		later(12, 3*24)
		ok = step(supervision.LeadAccept, holder, "", "")
	}
	if ok {
		later(5*24, 45*24)
		result := pick(r, leadResults)
		if step(supervision.LeadClose, holder, "", result) {
			l.Result = result
			if result == "已立案查处" && uscc != "" {
				vat := workTime(r, at.Add(time.Duration(10+r.IntN(50))*24*time.Hour), 9, 17)
				if vat.Before(h.until) && (st.endAt.IsZero() || vat.Before(st.endAt)) {
					h.violation(e, st, vat, h.depts[holder])
				}
			}
		}
	}
	l.Status, l.Department = status, holder
	l.CreatedAt, l.UpdatedAt = l.History[0].At, l.History[len(l.History)-1].At
	h.c.Leads = append(h.c.Leads, l)
}

// otherDepartment returns a department other than code for a transfer: the
// food department, or the emergency department when code is food.
func otherDepartment(code string) string {
	if code == "amr_food" {
		return "emergency"
	}
	return "amr_food"
}

// violation records a violation of e decided at time at by authority.
func (h *historyGen) violation(e *supervision.Entity, st *entState, at time.Time, authority string) {
	r := h.r
	h.penalty++
	v := supervision.Violation{
		ID:          int64(len(h.c.Violations) + 1),
		USCC:        e.USCC,
		At:          at,
		Authority:   authority,
		Description: pick(r, st.format.penalty),
	}
	word := "罚"
	switch x := r.Float64(); {
	case x < 0.25:
		v.Kind, word = supervision.ViolationWarning, "责改"
	case x < 0.28:
		v.Kind, word = supervision.ViolationSerious, "严违"
	default:
		v.Kind = supervision.ViolationPenalty
		// 500 to 200,000 yuan, log-uniform, in hundreds.
		v.Amount = math.Round(500*math.Pow(400, r.Float64())/100) * 100
	}
	v.ExternalID = "东" + h.stem + "市监" + word + "〔" + itoa(at.Year()) + "〕" + itoa(h.penalty) + "号"
	h.c.Violations = append(h.c.Violations, v)
}

// complaints draws the complaints and reports about e between start and
// end: most about eateries, shops, services and training, more in hot-spot
// buildings.
func (h *historyGen) complaints(e *supervision.Entity, st *entState, b *addressbook.Building, start, end time.Time) {
	r := h.r
	span := end.Sub(start)
	n := poisson(r, complaintRate*st.format.complain*h.hot[st.site]*span.Hours()/24/365)
	for range n {
		at := start.Add(time.Duration(r.Float64() * float64(span)))
		day := at.In(supervision.Beijing)
		at = time.Date(day.Year(), day.Month(), day.Day(), 8+r.IntN(14), r.IntN(60), r.IntN(60), 0, supervision.Beijing)
		if !at.Before(end) || at.Before(start) {
			continue
		}
		h.tickets++
		c := supervision.Complaint{
			ID:       int64(len(h.c.Complaints) + 1),
			At:       at,
			Category: supervision.CategoryComplaint,
			Industry: e.Industry,
		}
		if r.Float64() < 0.3 || st.fate == fateGhost {
			c.Category = supervision.CategoryReport // nobody buys from a business that is not there
		}
		ticket := at.Format("20060102") + pad(h.town, 2) + pad(h.tickets, 6)
		switch x := r.Float64(); {
		case x < 0.55:
			c.Source, c.ExternalID = supervision.Source12345, "DG12345-"+ticket
		case x < 0.95:
			c.Source, c.ExternalID = supervision.Source12315, "12315-"+ticket
		default:
			c.Source, c.ExternalID = supervision.SourceOther, "XF-"+ticket
		}
		if r.Float64() < 0.75 {
			c.USCC = e.USCC
		}
		c.Summary = h.summary(e, st, c.Category)
		c.AddressText, c.Link = h.complaintAddress(st, b)
		h.c.Complaints = append(h.c.Complaints, c)
	}
}

var (
	complaintSummaries = map[string][]string{
		"H": {"就餐后出现腹泻，要求商家赔偿", "外卖食品中发现异物", "菜品价格与菜单标价不符", "商家拒绝开具发票"},
		"F": {"购买的商品存在质量问题，商家拒绝退换", "商品结算价格高于标价", "购买到过期食品", "商家拒绝履行七天无理由退货"},
		"O": {"办理会员卡后商家拒绝退款", "服务收费与标价不符", "维修后故障依旧，商家拒绝返修"},
		"P": {"培训机构拒绝退还剩余课时费用", "培训机构关门，预付费无法退还"},
		"R": {"场所噪音扰民", "预付费卡无法使用"},
		"Q": {"收费项目未事先告知", "服务态度差，收费不透明"},
	}
	reportSummaries = []string{"举报该店无证经营", "举报该店销售过期食品", "举报该场所占道经营、噪音扰民", "举报该店虚假宣传", "举报该场所存在消防安全隐患"}
)

func (h *historyGen) summary(e *supervision.Entity, st *entState, cat supervision.ComplaintCategory) string {
	if cat == supervision.CategoryReport {
		if st.fate == fateGhost {
			return "举报该地址无实际经营，涉嫌虚假登记"
		}
		return pick(h.r, reportSummaries)
	}
	if s, ok := complaintSummaries[e.Industry]; ok {
		return pick(h.r, s)
	}
	return pickString(h.r, "商家拒绝协商处理消费纠纷", "服务质量差，商家拒绝退款")
}

// complaintNoises are how callers describe where a business is.
var complaintNoises = []caseKind{kClean, kNoAdmin, kWithVillage, kRemarks, kRemarks, kPlaceInsteadOfRoad, kBuildingVariant, kRoomVariant, kSpaces, kTypo}

// complaintAddress writes where the business of a complaint really is, as
// a caller describes it, and links it from the truth.
func (h *historyGen) complaintAddress(st *entState, b *addressbook.Building) (string, supervision.Link) {
	r := h.r
	level := []string{LevelRoom, LevelBuilding, LevelDoorplate}[weighted(r, []float64{30, 40, 30})]
	t := target{level: level, door: h.ct.bldgDoor[st.site], bldg: st.site, room: -1}
	rooms := h.ct.bldgRooms[st.site]
	switch {
	case level == LevelDoorplate:
		t.bldg = -1
	case level == LevelRoom && st.room >= 0 && h.c.Rooms[st.room].BuildingID == b.ID:
		t.room = st.room
	case level == LevelRoom && len(rooms) > 0:
		t.room = rooms[r.IntN(len(rooms))]
	default:
		t.level = LevelBuilding
	}
	bd := &build{}
	if k := complaintNoises[r.IntN(len(complaintNoises))]; k == kClean || !h.cg.writeAt(bd, t, []caseKind{k}) {
		bd = &build{}
		h.cg.writeAt(bd, t, nil)
	}
	text := resolve([]draft{h.cg.draft(bd, kClean, nil)}, nil)[0].Text
	dp := &h.c.Doorplates[t.door]
	l := supervision.Link{Status: addressbook.Matched, Score: 1, AddressCode: dp.Code,
		GridCode: dp.GridCode, VillageCode: dp.VillageCode, TownCode: dp.TownCode}
	loc := geo.FromPoint(dp.Geom)
	switch t.level {
	case LevelRoom:
		l.Level, l.AddressCode = addressbook.AtRoom, h.c.Rooms[t.room].Code
	case LevelBuilding:
		l.Level = addressbook.AtBuilding
	default:
		l.Level = addressbook.AtDoorplate
	}
	if t.bldg >= 0 {
		l.BuildingID, l.GridCode, l.VillageCode = b.ID, b.GridCode, b.VillageCode
		loc = geo.FromPoint(snapPoint(centroid(b)))
	}
	l.Location = &loc
	return text, l
}

// abnormal puts e on the abnormal-operation list: for an annual report not
// filed (most), for not being found at its address, now and then for false
// information or undisclosed changes.
func (h *historyGen) abnormal(e *supervision.Entity, st *entState, end time.Time, notFound time.Time) {
	r := h.r
	authority := "东莞市市场监督管理局" + h.stem + "分局"
	list := func(reason supervision.AbnormalReason, at time.Time, removed bool) {
		at = workday(at)
		if !at.Before(end) || !at.Before(h.until) {
			return
		}
		a := supervision.AbnormalListing{USCC: e.USCC, Reason: reason, ListedAt: at, Authority: authority}
		if removed {
			rm := workday(at.AddDate(0, 0, 20+r.IntN(200)))
			if !rm.Before(h.until) {
				return
			}
			a.RemovedAt = &rm
		}
		h.c.AbnormalListings = append(h.c.AbnormalListings, a)
	}
	july := func(year int) time.Time {
		return time.Date(year, 7, 1, 0, 0, 0, 0, supervision.Beijing).AddDate(0, 0, r.IntN(60))
	}
	due := lastDue(end)
	reg := st.regAt.Year()
	switch {
	case due >= reg && e.ReportYear < due && r.Float64() < 0.4:
		list(supervision.AbnormalNoReport, july(due+1), false)
	case due-1 >= reg && r.Float64() < 0.015:
		// Filed the year before late, and was taken off the list.
		list(supervision.AbnormalNoReport, july(due), true)
	}
	if !notFound.IsZero() && (st.fate == fateGhost || st.fate == fateMoved) && r.Float64() < 0.2 {
		list(supervision.AbnormalUnreachable, notFound.AddDate(0, 0, 20+r.IntN(70)), r.Float64() < 0.1)
	}
	start := maxTime(h.from, st.regAt)
	some := func() time.Time { return start.Add(time.Duration(r.Float64() * float64(end.Sub(start)))) }
	if st.fate == fateGhost && !st.linked && start.Before(end) && r.Float64() < 0.05 {
		list(supervision.AbnormalFalseInfo, some(), false)
	}
	if e.Kind == supervision.Enterprise && start.Before(end) && r.Float64() < 0.002 {
		list(supervision.AbnormalNoDisclose, some(), r.Float64() < 0.5)
	}
}
