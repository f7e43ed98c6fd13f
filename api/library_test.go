package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

type importAnswer struct {
	Inserted, Updated, Unchanged, Retired, Rejected int
	Errors                                          []struct {
		Line   int
		Code   string
		Reason string
	}
	ErrorsTruncated bool `json:"errors_truncated"`
}

func post(t *testing.T, url, contentType string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestLibraryImportExport(t *testing.T) {
	db := pgtest.Demo(t)
	srv := api.New(api.Config{MaxBatchBytes: 8 << 20}, db, db, slog.New(slog.DiscardHandler), api.WithLibraryFiles(db, db), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	t.Run("rejected rows are a 200 with their lines", func(t *testing.T) {
		file := "type,code,road_code,number,name,lon,lat,wkt\n" +
			"road,44190000399901,,,测试大道,,,\"LINESTRING(113.7795 22.9475,113.7837 22.9468)\"\n" +
			"doorplate,4419000039990001,44190000399901,1,,113.78,22.9474,\n" +
			"doorplate,44190000399900,44190000399901,2,,113.78,22.9474,\n" +
			"doorplate,4419000039990003,44190000399901,3,,13.78,22.9474,\n"
		code, body := post(t, ts.URL+"/v1/library/import?kind=addresses&format=csv", "text/csv", []byte(file))
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		var a importAnswer
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatal(err)
		}
		if a.Inserted != 2 || a.Rejected != 2 || len(a.Errors) != 2 || a.Errors[0].Line != 4 || a.Errors[1].Line != 5 ||
			!strings.Contains(a.Errors[1].Reason, "extent") || a.ErrorsTruncated {
			t.Errorf("answer %s", body)
		}
	})

	for _, tc := range []struct {
		name, query, contentType, body string
		status                         int
		field                          string
	}{
		{"no kind", "format=csv", "text/csv", "type,code\n", 400, "kind"},
		{"unknown kind", "kind=shops&format=csv", "text/csv", "type,code\n", 400, "kind"},
		{"unknown format", "kind=all&format=xlsx", "text/csv", "type,code\n", 400, "format"},
		{"no format", "kind=all", "application/octet-stream", "type,code\n", 400, "format"},
		{"format from the content type", "kind=all", "text/csv; charset=utf-8", "type,code\n", 200, ""},
		{"not a library file", "kind=all&format=csv", "text/csv", "a,b\n1,2\n", 400, ""},
		{"not a feature collection", "kind=all&format=geojson", "application/geo+json", `{"type":"Point"}`, 400, ""},
		{"bad dry_run", "kind=all&format=csv&dry_run=maybe", "text/csv", "type,code\n", 400, "dry_run"},
		{"too large", "kind=all&format=csv", "text/csv", "type,code\n" + strings.Repeat("road,x\n", 2<<20), 413, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, ts.URL+"/v1/library/import?"+tc.query, tc.contentType, []byte(tc.body))
			if code != tc.status {
				t.Fatalf("status %d, want %d: %s", code, tc.status, body)
			}
			if tc.field != "" && !strings.Contains(string(body), `"field":"`+tc.field+`"`) {
				t.Errorf("body %s does not name the field %s", body, tc.field)
			}
		})
	}

	t.Run("too large, streamed", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			_, _ = pw.Write([]byte("type,code,road_code,number,lon,lat\n"))
			line := []byte("doorplate,4419000039990009,44190000399901,9,113.78,22.9474\n")
			for i := 0; i < (9<<20)/len(line); i++ {
				if _, err := pw.Write(line); err != nil {
					return
				}
			}
			pw.Close()
		}()
		resp, err := http.Post(ts.URL+"/v1/library/import?kind=addresses&format=csv", "text/csv", pr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		pr.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d: %s", resp.StatusCode, body)
		}
	})

	t.Run("an export imports back unchanged", func(t *testing.T) {
		code, body, hdr := get(t, ts.URL+"/v1/library/export?kind=all&format=geojson&town=441900003")
		if code != http.StatusOK || hdr.Get("Content-Type") != "application/geo+json" ||
			!strings.Contains(hdr.Get("Content-Disposition"), "gridsentry-all-441900003.geojson") {
			t.Fatalf("export: %d %v", code, hdr)
		}
		if !strings.Contains(string(body), "测试大道") {
			t.Errorf("the export lacks the imported road")
		}
		code, answer := post(t, ts.URL+"/v1/library/import?kind=all&format=geojson&dry_run=true", "application/geo+json", body)
		var a importAnswer
		_ = json.Unmarshal(answer, &a)
		if code != http.StatusOK || a.Unchanged == 0 || a.Inserted+a.Updated+a.Rejected != 0 {
			t.Errorf("re-import of the export: %d %s", code, answer)
		}
	})

	t.Run("export errors", func(t *testing.T) {
		for q, want := range map[string]int{"kind=all&town=441900999": 404, "kind=all&town=4419": 400, "kind=x": 400, "kind=all&format=xml": 400} {
			if code, body, _ := get(t, ts.URL+"/v1/library/export?"+q); code != want {
				t.Errorf("%s: %d, want %d: %s", q, code, want, body)
			}
		}
	})
}
