package supervision

import (
	"slices"
	"testing"
	"time"
)

func TestTaskApply(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, Beijing) // a Friday
	for _, tc := range []struct {
		name     string
		from     TaskStatus
		assignee string
		step     TaskStep
		want     TaskStatus // "" when the step is refused
	}{
		{"receive a pushed task", TaskPushed, "amr_food", TaskStep{Action: TaskReceive}, TaskReceived},
		{"receive twice", TaskReceived, "amr_food", TaskStep{Action: TaskReceive}, ""},
		{"feedback", TaskReceived, "amr_food", TaskStep{Action: TaskAnswer, Feedback: "x"}, TaskFeedback},
		{"feedback that closes", TaskPushed, "amr_food", TaskStep{Action: TaskAnswer, Feedback: "x", Done: true}, TaskDone},
		{"feedback on a done task", TaskDone, "amr_food", TaskStep{Action: TaskAnswer, Feedback: "x"}, ""},
		{"complete", TaskFeedback, "amr_food", TaskStep{Action: TaskComplete}, TaskDone},
		{"return", TaskReceived, "amr_food", TaskStep{Action: TaskReturn, Reason: ReturnWrongDepartment}, TaskReturned},
		{"return to the coordinator from the coordinator", TaskPushed, CoordinatorCode, TaskStep{Action: TaskReturn, Reason: ReturnWrongDepartment}, ""},
		{"assign a returned task", TaskReturned, CoordinatorCode, TaskStep{Action: TaskAssign, Assignee: "health"}, TaskPushed},
		{"assign an open task of the coordinator", TaskPushed, CoordinatorCode, TaskStep{Action: TaskAssign, Assignee: "health"}, TaskPushed},
		{"assign a department's open task", TaskPushed, "amr_food", TaskStep{Action: TaskAssign, Assignee: "health"}, ""},
		{"inspect a done task", TaskDone, "441900003001001", TaskStep{Action: TaskInspect, InspectionID: 1}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.step.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			task := Task{ID: 7, Kind: TaskPermit, Status: tc.from, Assignee: tc.assignee, DueAt: now}
			err := task.Apply(tc.step, now, Policy{})
			switch {
			case tc.want == "" && err == nil:
				t.Errorf("applied, now %s; want refused", task.Status)
			case tc.want != "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && task.Status != tc.want:
				t.Errorf("status %s, want %s", task.Status, tc.want)
			}
			if tc.step.Action == TaskReturn && err == nil && task.Assignee != CoordinatorCode {
				t.Errorf("returned to %s, want the coordinator", task.Assignee)
			}
			if tc.step.Action == TaskAssign && err == nil {
				// Ten working days from Friday: the end of the second Friday after.
				if want := time.Date(2026, 12, 12, 0, 0, 0, 0, Beijing); !task.DueAt.Equal(want) {
					t.Errorf("due %v, want %v", task.DueAt, want)
				}
			}
		})
	}
}

func TestTaskStepValidate(t *testing.T) {
	for _, tc := range []struct {
		step  TaskStep
		field string
	}{
		{TaskStep{Action: TaskAnswer, Feedback: " "}, "feedback"},
		{TaskStep{Action: TaskReturn, Reason: "bored"}, "reason"},
		{TaskStep{Action: TaskAssign}, "assignee"},
		{TaskStep{Action: TaskAssign, Assignee: CoordinatorCode}, "assignee"},
		{TaskStep{Action: "dance"}, "action"},
	} {
		err := tc.step.Validate()
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != tc.field {
			t.Errorf("%+v: %v, want an error on %s", tc.step, err, tc.field)
		}
	}
}

func TestGroupVisits(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, Beijing) }
	task := func(id int64, uscc USCC, building int64, due int, items ...string) VisitTask {
		return VisitTask{Task: Task{ID: id, USCC: uscc, BuildingID: building, DueAt: day(due), Items: items}, Name: string(uscc)}
	}
	visits := GroupVisits([]VisitTask{
		task(1, "A", 10, 9, "address", "operation"),
		task(2, "B", 10, 5, "licence_display"),
		task(3, "A", 10, 7, "address", "permit"),
		task(4, "C", 0, 6, "address"),
		task(5, "D", 0, 8, "address"),
	})
	type got struct {
		building int64
		usccs    []USCC
		items    []string
		due      int
	}
	var g []got
	for _, v := range visits {
		x := got{building: v.BuildingID, items: v.Items, due: v.DueAt.Day()}
		for _, e := range v.Entities {
			x.usccs = append(x.usccs, e.USCC)
		}
		g = append(g, x)
	}
	want := []got{
		{10, []USCC{"B", "A"}, []string{"licence_display", "address", "permit", "operation"}, 5},
		{0, []USCC{"C"}, []string{"address"}, 6},
		{0, []USCC{"D"}, []string{"address"}, 8},
	}
	if len(g) != len(want) {
		t.Fatalf("got %d visits %+v, want %d", len(g), g, len(want))
	}
	for i := range want {
		if g[i].building != want[i].building || !slices.Equal(g[i].usccs, want[i].usccs) ||
			!slices.Equal(g[i].items, want[i].items) || g[i].due != want[i].due {
			t.Errorf("visit %d = %+v, want %+v", i, g[i], want[i])
		}
	}
	if a := visits[0].Entities[1]; !slices.Equal(a.Tasks, []int64{3, 1}) || !slices.Equal(a.Items, []string{"address", "permit", "operation"}) {
		t.Errorf("entity A = %+v", a)
	}
}
