package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

type addressResult struct {
	Status  string  `json:"status"`
	Level   *string `json:"level"`
	Score   float64 `json:"score"`
	Address *struct {
		Code       string          `json:"code"`
		Full       string          `json:"full"`
		BuildingID int64           `json:"building_id"`
		GridCode   string          `json:"grid_code"`
		TownCode   string          `json:"town_code"`
		Location   json.RawMessage `json:"location"`
	} `json:"address"`
	Issues []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"issues"`
	Candidates []struct {
		Code  string  `json:"code"`
		Full  string  `json:"full"`
		Score float64 `json:"score"`
	} `json:"candidates"`
	Parsed map[string]any `json:"parsed"`
}

func (r addressResult) hasIssue(code string) bool {
	for _, i := range r.Issues {
		if i.Code == code {
			return true
		}
	}
	return false
}

// addressCity serves the demo city with the address index loaded and
// listening for library changes.
func addressCity(t *testing.T) (*httptest.Server, *postgres.DB, *postgres.AddressIndex) {
	t.Helper()
	db := pgtest.Demo(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.DiscardHandler)
	ix := postgres.NewAddressIndex(db, log)
	if err := ix.Load(ctx); err != nil {
		t.Fatal(err)
	}
	go ix.Run(ctx)
	srv := api.New(api.Config{}, db, db, log, api.WithAddresses(ix, db), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, db, ix
}

func postJSON(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func validate(t *testing.T, ts *httptest.Server, address string) addressResult {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"address": address})
	code, b := postJSON(t, ts.URL+"/v1/addresses/validate", string(body))
	if code != http.StatusOK {
		t.Fatalf("validate %q: status %d: %s", address, code, b)
	}
	var r addressResult
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAddresses(t *testing.T) {
	ts, db, ix := addressCity(t)
	ctx := context.Background()

	// A real room of the library, written the standard way.
	var roomCode, full, townName, roadName, label, unit, roomLabel string
	var number, sub int
	var buildingID int64
	err := db.Pool().QueryRow(ctx, `
		SELECT m.code, t.name, r.name, d.number, d.sub_number, b.label, m.unit, m.label, b.id
		FROM rooms m JOIN buildings b ON b.id = m.building_id JOIN doorplates d ON d.code = b.doorplate_code
		JOIN roads r ON r.code = d.road_code JOIN towns t ON t.code = b.town_code
		WHERE m.unit = '' AND m.label ~ '^[0-9]+$' AND b.status = 'existing' AND d.sub_number = 0
		  AND (SELECT count(*) FROM buildings x WHERE x.doorplate_code = d.code) = 1
		ORDER BY m.code LIMIT 1`).
		Scan(&roomCode, &townName, &roadName, &number, &sub, &label, &unit, &roomLabel, &buildingID)
	if err != nil {
		t.Fatal(err)
	}
	full = "东莞市" + townName + roadName + itoa(int64(number)) + "号" + label + roomLabel

	t.Run("a real room matches", func(t *testing.T) {
		r := validate(t, ts, full)
		if r.Status != "matched" || r.Address == nil || r.Address.Code != roomCode || *r.Level != "room" {
			t.Fatalf("validate %q = %+v, want room %s", full, r, roomCode)
		}
		if r.Address.BuildingID != buildingID || r.Address.GridCode == "" || !strings.Contains(string(r.Address.Location), "Point") {
			t.Errorf("address = %+v", r.Address)
		}
	})

	t.Run("a room that does not exist is refused with real candidates", func(t *testing.T) {
		r := validate(t, ts, "东莞市"+townName+roadName+itoa(int64(number))+"号"+label+"9999")
		if r.Status != "not_found" || r.Address != nil || !r.hasIssue("room_not_found") || len(r.Candidates) == 0 {
			t.Fatalf("got %+v, want not_found with room_not_found and candidates", r)
		}
	})

	t.Run("a number that does not exist is never snapped to a neighbour", func(t *testing.T) {
		r := validate(t, ts, "东莞市"+townName+roadName+"99999号")
		if r.Status != "not_found" || !r.hasIssue("number_not_found") || len(r.Candidates) == 0 {
			t.Fatalf("got %+v, want not_found with number_not_found and candidates", r)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			name, body string
			status     int
			field      string
		}{
			{"empty body", ``, 400, "body"},
			{"not JSON", `{"address": `, 400, "body"},
			{"missing address", `{}`, 400, "address"},
			{"address not a string", `{"address": 42}`, 400, "address"},
			{"unknown field", `{"adress": "x"}`, 400, "body"},
			{"malformed town", `{"address": "东莞市", "town": "abc"}`, 400, "town"},
			{"unknown town", `{"address": "东莞市", "town": "441900999"}`, 400, "town"},
			{"10 KB address", `{"address": "` + strings.Repeat("东", 3400) + `"}`, 400, "address"},
			{"two values", `{"address": "a"} {"address": "b"}`, 400, "body"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, b := postJSON(t, ts.URL+"/v1/addresses/validate", tc.body)
				var e errorBody
				_ = json.Unmarshal(b, &e)
				if code != tc.status || e.Error.Details["field"] != tc.field {
					t.Errorf("status %d, field %v, want %d naming %q: %s", code, e.Error.Details["field"], tc.status, tc.field, b)
				}
			})
		}
		for _, text := range []string{"", "   ", "12345", "😀😀😀", "<script>alert(1)</script>",
			"'; DROP TABLE rooms; --", "\xff\xfe东莞", "东莞市不存在路1号"} {
			body, _ := json.Marshal(map[string]string{"address": text})
			code, b := postJSON(t, ts.URL+"/v1/addresses/validate", string(body))
			var r addressResult
			if code != http.StatusOK || json.Unmarshal(b, &r) != nil || r.Status == "matched" || r.Status == "" {
				t.Errorf("validate %q: status %d %s, want 200 with invalid or not_found", text, code, b)
			}
		}
	})

	t.Run("batch keeps order and reports bad lines", func(t *testing.T) {
		lines := []string{
			`{"id": "a", "address": "` + full + `"}`,
			`{"id": "b"}`,
			`not json`,
			`{"id": "d", "address": "东莞市不存在路1号"}`,
		}
		resp, err := http.Post(ts.URL+"/v1/addresses/validate:batch", "application/x-ndjson",
			strings.NewReader(strings.Join(lines, "\n")+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out []map[string]any
		dec := json.NewDecoder(resp.Body)
		for {
			var v map[string]any
			if err := dec.Decode(&v); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		if len(out) != 4 {
			t.Fatalf("got %d lines, want 4: %v", len(out), out)
		}
		if out[0]["id"] != "a" || out[0]["status"] != "matched" || out[1]["error"] == nil || out[2]["error"] == nil ||
			out[3]["status"] != "not_found" || out[2]["line"] != float64(3) {
			t.Errorf("batch output = %v", out)
		}
	})

	t.Run("parse and search", func(t *testing.T) {
		code, b, _ := get(t, ts.URL+"/v1/addresses/parse?q="+urlq(full))
		if code != 200 || !strings.Contains(string(b), roadName) {
			t.Errorf("parse: %d %s", code, b)
		}
		prefix := []rune(roadName)
		code, b, _ = get(t, ts.URL+"/v1/addresses/search?limit=5&q="+urlq(townName+string(prefix[:len(prefix)-1])))
		var page struct {
			Items []struct{ Code, Full string } `json:"items"`
			Next  *string                       `json:"next"`
		}
		if code != 200 || json.Unmarshal(b, &page) != nil || len(page.Items) == 0 {
			t.Fatalf("search: %d %s", code, b)
		}
		code, b, _ = get(t, ts.URL+"/v1/addresses/search?q="+urlq(townName+roadName+itoa(int64(number))+"号"))
		if code != 200 || !strings.Contains(string(b), roomCode) && !strings.Contains(string(b), label) {
			t.Errorf("search for the doorplate: %d %s", code, b)
		}
		if code, _, _ := get(t, ts.URL+"/v1/addresses/search?q=x&limit=1000"); code != 400 {
			t.Errorf("limit=1000: status %d, want 400", code)
		}
	})

	t.Run("by code", func(t *testing.T) {
		code, b, _ := get(t, ts.URL+"/v1/addresses/"+roomCode)
		if code != 200 || !strings.Contains(string(b), `"retired":false`) {
			t.Errorf("room by code: %d %s", code, b)
		}
		if code, _, _ := get(t, ts.URL+"/v1/addresses/123"); code != 400 {
			t.Errorf("malformed code: %d, want 400", code)
		}
		if code, _, _ := get(t, ts.URL+"/v1/addresses/441900003999999999"); code != 404 {
			t.Errorf("unknown code: %d, want 404", code)
		}
	})

	t.Run("library changes reach the index", func(t *testing.T) {
		// A new room, then the old room retired in its favour.
		reloaded := ix.Reloaded()
		newCode := roomCode[:9] + "999999999"
		if _, err := db.Pool().Exec(ctx, `INSERT INTO rooms (code, building_id, unit, floor, label) VALUES ($1, $2, '', 9, '9901')`,
			newCode, buildingID); err != nil {
			t.Fatal(err)
		}
		select {
		case <-reloaded:
		case <-time.After(30 * time.Second):
			t.Fatal("the index did not reload within 30 s of the change")
		}
		r := validate(t, ts, "东莞市"+townName+roadName+itoa(int64(number))+"号"+label+"9901")
		if r.Status != "matched" || r.Address.Code != newCode {
			t.Fatalf("new room: %+v", r)
		}
		reloaded = ix.Reloaded()
		if _, err := db.Pool().Exec(ctx, `UPDATE rooms SET retired_at = now(), successor_code = $2 WHERE code = $1`,
			roomCode, newCode); err != nil {
			t.Fatal(err)
		}
		<-reloaded
		if r := validate(t, ts, full); r.Status == "matched" {
			t.Errorf("retired room still matches: %+v", r)
		}
		code, b, _ := get(t, ts.URL+"/v1/addresses/"+roomCode)
		if code != 200 || !strings.Contains(string(b), `"retired":true`) || !strings.Contains(string(b), newCode) {
			t.Errorf("retired code: %d %s", code, b)
		}
	})
}

func urlq(s string) string {
	var b bytes.Buffer
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex2(c)))
		}
	}
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
