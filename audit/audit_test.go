package audit_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/derrors"
)

// wantField fails t unless err is an Invalid error naming field ("" wants nil).
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Errorf("err = %v, want nil", err)
		}
		return
	}
	var de *derrors.Error
	if !errors.As(err, &de) || !errors.Is(err, derrors.Invalid) || de.Field != field {
		t.Errorf("err = %v, want an invalid error on field %q", err, field)
	}
}

func TestValidate(t *testing.T) {
	api := audit.Entry{TokenID: 7, Role: "admin", Action: audit.Write, Method: "POST",
		Route: "/v1/tasks/{id}/receive", Object: "id=42", Status: 200, Remote: "10.0.0.1", RequestID: "abc"}
	cli := audit.Entry{Actor: audit.CLIActor("root"), Action: audit.Write, Route: "import library",
		Detail: map[string]any{"rows": 1200}}
	with := func(e audit.Entry, f func(*audit.Entry)) audit.Entry { f(&e); return e }
	for _, tc := range []struct {
		name  string
		e     audit.Entry
		field string
	}{
		{"a request under a token", api, ""},
		{"a local command", cli, ""},
		{"a public route with an actor", with(api, func(e *audit.Entry) { e.TokenID, e.Actor = 0, "anonymous" }), ""},
		{"every action is known", with(cli, func(e *audit.Entry) { e.Action = audit.ReadAudit }), ""},
		{"no action", with(api, func(e *audit.Entry) { e.Action = "" }), "action"},
		{"unknown action", with(api, func(e *audit.Entry) { e.Action = "delete" }), "action"},
		{"nobody", with(api, func(e *audit.Entry) { e.TokenID = 0 }), "actor"},
		{"negative token", with(api, func(e *audit.Entry) { e.TokenID = -1 }), "token_id"},
		{"status below 100", with(api, func(e *audit.Entry) { e.Status = 99 }), "status"},
		{"status above 599", with(api, func(e *audit.Entry) { e.Status = 600 }), "status"},
		{"role too long", with(api, func(e *audit.Entry) { e.Role = strings.Repeat("r", audit.MaxRole+1) }), "role"},
		{"object at its bound", with(api, func(e *audit.Entry) { e.Object = strings.Repeat("o", audit.MaxObject) }), ""},
		{"object over its bound", with(api, func(e *audit.Entry) { e.Object = strings.Repeat("o", audit.MaxObject+1) }), "object"},
		{"remote not UTF-8", with(api, func(e *audit.Entry) { e.Remote = "10.0.0.1, \xff" }), "remote"},
		{"route with NUL", with(api, func(e *audit.Entry) { e.Route = "/v1/\x00" }), "route"},
		{"request id too long", with(api, func(e *audit.Entry) { e.RequestID = strings.Repeat("a", 65) }), "request_id"},
		{"detail not JSON", with(cli, func(e *audit.Entry) { e.Detail = map[string]any{"c": make(chan int)} }), "detail"},
		{"detail too large", with(cli, func(e *audit.Entry) {
			e.Detail = map[string]any{"q": strings.Repeat("x", audit.MaxDetailBytes)}
		}), "detail"},
		{"detail with NUL", with(cli, func(e *audit.Entry) { e.Detail = map[string]any{"q": "a\x00b"} }), "detail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantField(t, tc.e.Validate(), tc.field)
		})
	}
}

func TestClean(t *testing.T) {
	long := strings.Repeat("地", audit.MaxObject) // 3 bytes a character
	e := audit.Entry{
		TokenID: 3, Action: audit.Write,
		Route:  "/v1/entities/{uscc}",
		Object: "uscc=\xff\xfe" + "\x00",
		Remote: strings.Repeat("10.0.0.1, ", 100),
		Detail: map[string]any{
			"q":     []any{"a\x00b", strings.Repeat("x", 2000)},
			"k\x00": 1,
			"n":     map[string]any{"bad": "\xff"},
			"rows":  1200,
		},
	}
	got := e.Clean()
	if err := got.Validate(); err != nil {
		t.Fatalf("Validate(Clean(e)) = %v", err)
	}
	// One U+FFFD for the run of bad bytes, one for the NUL.
	if want := "uscc=\uFFFD\uFFFD"; got.Object != want {
		t.Errorf("Object = %q, want %q", got.Object, want)
	}
	if len(got.Remote) != audit.MaxRemote || !strings.HasSuffix(got.Remote, "…") || !strings.HasPrefix(got.Remote, "10.0.0.1, 10.0.0.1") {
		t.Errorf("Remote = %q (%d bytes), want the first %d bytes ending in …", got.Remote, len(got.Remote), audit.MaxRemote)
	}
	if got.Route != e.Route || got.TokenID != 3 {
		t.Errorf("Clean changed a clean field: %+v", got)
	}
	b, _ := json.Marshal(got.Detail)
	want := "{\"k\uFFFD\":1,\"n\":{\"bad\":\"\uFFFD\"},\"q\":[\"a\uFFFDb\",\"" + strings.Repeat("x", audit.MaxDetailString-3) + "…\"],\"rows\":1200}"
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("Detail (-want +got):\n%s", diff)
	}

	e.Object = long
	if got := e.Clean().Object; len(got) > audit.MaxObject || !utf8.ValidString(got) || !strings.HasSuffix(got, "地…") {
		t.Errorf("a long object of 3-byte characters cleans to %d bytes, valid %v, ending %q",
			len(got), utf8.ValidString(got), got[len(got)-6:])
	}

	big := map[string]any{}
	for i := range 100 {
		big[strings.Repeat("k", i+1)] = strings.Repeat("v", 500)
	}
	d := audit.Entry{Actor: "cli:root", Action: audit.Export, Detail: big}.Clean().Detail
	if d["truncated"] != true || len(d) != 2 {
		t.Errorf("a detail of 50 kB cleans to %v, want a note that it was truncated", d)
	}
	if (audit.Entry{Actor: "x", Action: audit.Read}).Clean().Detail != nil {
		t.Error("Clean gave a detail to an entry without one")
	}
}

// FuzzClean: whatever a caller sends, the clean entry is valid.
func FuzzClean(f *testing.F) {
	f.Add("/v1/entities/{uscc}", "uscc=914419001234567890", "10.0.0.1", "q")
	f.Add("\xff", "\x00", strings.Repeat("é", 400), "\xc3")
	f.Fuzz(func(t *testing.T, route, object, remote, detail string) {
		e := audit.Entry{Actor: remote, Action: audit.Read, Route: route, Object: object, Remote: remote,
			RequestID: object, Method: route, Role: detail, TownCode: detail, Department: detail,
			Detail: map[string]any{detail: []any{object, remote}}}
		if e.Actor == "" {
			e.Actor = "x"
		}
		if err := e.Clean().Validate(); err != nil {
			t.Errorf("Validate(Clean(%+v)) = %v", e, err)
		}
	})
}

func TestEntryJSON(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 30, 15, 0, time.FixedZone("CST", 8*3600))
	for _, tc := range []struct {
		name string
		e    audit.Entry
		want string
	}{
		{"a request under a token",
			audit.Entry{ID: 1, At: at, TokenID: 7, Role: "grid_manager", TownCode: "441900003", Department: "amr_food",
				Action: audit.Unmask, Method: "GET", Route: "/v1/entities/{uscc}", Object: "uscc=9144", Status: 200,
				Remote: "10.1.2.3", RequestID: "4f2a", Detail: map[string]any{"query": "unmask=true"}},
			`{"id":1,"at":"2026-11-27T09:30:15+08:00","token_id":7,"role":"grid_manager","town_code":"441900003",` +
				`"department":"amr_food","actor":null,"action":"unmask","method":"GET","route":"/v1/entities/{uscc}",` +
				`"object":"uscc=9144","status":200,"remote":"10.1.2.3","request_id":"4f2a","detail":{"query":"unmask=true"}}`},
		{"a command",
			audit.Entry{ID: 2, At: at.UTC(), Actor: "cli:root", Action: audit.Write, Route: "import library"},
			`{"id":2,"at":"2026-11-27T01:30:15Z","token_id":null,"role":null,"town_code":null,"department":null,` +
				`"actor":"cli:root","action":"write","method":null,"route":"import library","object":null,"status":null,` +
				`"remote":null,"request_id":null,"detail":{}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.e)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(b)); diff != "" {
				t.Errorf("JSON (-want +got):\n%s", diff)
			}
		})
	}
}
