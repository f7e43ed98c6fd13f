package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// TestWorkflowStore checks what the API tests do not reach: the entity
// page's reads, concurrent steps on one task, and record imports.
func TestWorkflowStore(t *testing.T) {
	ctx := context.Background()
	db := demoLibrary(t)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool().Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// The demo load seeded the departments and the city's items.
	first := "91441900MT0000001"
	c, err := supervision.USCCCheck(first)
	if err != nil {
		t.Fatal(err)
	}
	uscc := supervision.USCC(first + string(c))
	exec(`INSERT INTO entities (uscc, name, kind, status, registered_at, address_text, changed_at, link_status,
			town_code, village_code, grid_code, building_id, location, h3_11, linked_at)
		SELECT $1, '东莞测试店', 'enterprise', 'active', '2026-01-05', '某路1号', now(), 'matched', town_code, village_code,
			grid_code, id, ST_PointOnSurface(geom), 1, now()
		FROM buildings ORDER BY id LIMIT 1`, string(uscc))
	var p geo.WGS84
	if err := db.Pool().QueryRow(ctx, `SELECT ST_X(location), ST_Y(location) FROM entities WHERE uscc = $1`, string(uscc)).Scan(&p.Lon, &p.Lat); err != nil {
		t.Fatal(err)
	}

	task, err := db.RequestCheck(ctx, supervision.CheckRequest{USCC: uscc, Department: "amr_food",
		Items: []string{"address"}, Reason: "核查"}, supervision.Policy{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("concurrent receives: one wins, the other is a conflict", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = db.StepTask(ctx, task.ID, supervision.TaskStep{Action: supervision.TaskReceive, Actor: "grid"}, supervision.Policy{})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, derrors.Conflict):
				t.Errorf("err = %v, want a conflict", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d receives succeeded, want 1", ok)
		}
		_, events, err := db.Task(ctx, task.ID)
		if err != nil || len(events) != 2 {
			t.Errorf("history %+v (%v), want push and one receive", events, err)
		}
	})

	t.Run("the entity page's reads", func(t *testing.T) {
		in, err := db.RecordInspection(ctx, supervision.Inspection{USCC: uscc, Inspector: "张三", At: time.Now(),
			Location: p, CRS: "wgs84", Items: map[string]string{"address": "consistent"}, Outcome: supervision.OutcomeOperating}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(in.TaskIDs) != 1 || in.TaskIDs[0] != task.ID {
			t.Errorf("closed %v, want [%d]", in.TaskIDs, task.ID)
		}
		if _, err := db.CreateLead(ctx, supervision.Lead{USCC: uscc, InspectionID: &in.ID, FromDepartment: "grid", Category: "无证经营"}); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 1, 10, 0, 0, 0, supervision.Beijing)
		rep, err := db.ImportComplaints(ctx, []supervision.Complaint{
			{Source: supervision.Source12345, ExternalID: "A1", At: at, Category: supervision.CategoryReport, USCC: uscc},
			{Source: supervision.Source12345, ExternalID: "A1", At: at, Category: supervision.CategoryReport, USCC: uscc},
			{Source: "fax", At: at, Category: supervision.CategoryReport, USCC: uscc},
		})
		if err != nil || rep.Inserted != 1 || rep.Unchanged != 1 || len(rep.Rejected) != 1 || rep.Rejected[0].Index != 2 {
			t.Errorf("import = %+v, %v; want 1 inserted, 1 unchanged, record 2 rejected", rep, err)
		}
		if _, _, err := db.AddViolation(ctx, supervision.Violation{USCC: uscc, ExternalID: "V1", At: at,
			Kind: supervision.ViolationWarning}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ListAbnormal(ctx, supervision.AbnormalListing{USCC: uscc, Reason: supervision.AbnormalNoReport,
			ListedAt: at}); err != nil {
			t.Fatal(err)
		}
		tasks, err1 := db.EntityTasks(ctx, uscc)
		ins, err2 := db.EntityInspections(ctx, uscc, 10)
		leads, err3 := db.EntityLeads(ctx, uscc)
		cs, err4 := db.EntityComplaints(ctx, uscc)
		vs, err5 := db.EntityViolations(ctx, uscc)
		as, err6 := db.EntityAbnormal(ctx, uscc)
		if err := errors.Join(err1, err2, err3, err4, err5, err6); err != nil {
			t.Fatal(err)
		}
		if len(tasks) != 1 || tasks[0].Status != supervision.TaskDone || len(ins) != 1 || ins[0].Location != p ||
			len(leads) != 1 || leads[0].Status != supervision.LeadCoordination || len(cs) != 1 || cs[0].Link.TownCode == "" ||
			len(vs) != 1 || len(as) != 1 || as[0].ListedAt.Format(time.DateOnly) != "2026-11-01" {
			t.Errorf("entity reads: %d tasks, %d inspections, %d leads, %d complaints, %d violations, %d listings: %+v %+v",
				len(tasks), len(ins), len(leads), len(cs), len(vs), len(as), leads, as)
		}
	})

	t.Run("unknown town and entity", func(t *testing.T) {
		if _, err := db.InspectionItems(ctx, "441900999"); !errors.Is(err, derrors.NotFound) {
			t.Errorf("items of an unknown town: %v, want not found", err)
		}
		other := supervision.USCC(first[:16] + "9")
		c, _ := supervision.USCCCheck(string(other))
		other += supervision.USCC(c)
		if _, err := db.RequestCheck(ctx, supervision.CheckRequest{USCC: other, Department: "amr_food", Items: []string{"address"}, Reason: "x"},
			supervision.Policy{}); !errors.Is(err, derrors.NotFound) {
			t.Errorf("check of an unknown entity: %v, want not found", err)
		}
	})
}
