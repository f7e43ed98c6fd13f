package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/api"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/demo"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// demoCity returns a test server over a fresh database holding the demo city.
func demoCity(t *testing.T) (*httptest.Server, *postgres.DB) {
	t.Helper()
	db := pgtest.Demo(t)
	srv := api.New(api.Config{MaxBodyBytes: 1 << 10}, db, db, slog.New(slog.DiscardHandler), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, db
}

type errorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func get(t *testing.T, url string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

func TestAPI(t *testing.T) {
	ts, db := demoCity(t)
	ctx := context.Background()

	t.Run("towns inside the outline without overlap", func(t *testing.T) {
		code, body, hdr := get(t, ts.URL+"/v1/divisions?level=town")
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		if ct := hdr.Get("Content-Type"); ct != "application/geo+json" {
			t.Errorf("Content-Type = %q", ct)
		}
		fc, err := geojson.UnmarshalFeatureCollection(body)
		if err != nil {
			t.Fatal(err)
		}
		if len(fc.Features) != 36 {
			t.Fatalf("got %d towns, want 36", len(fc.Features))
		}
		outline, err := demo.Outline()
		if err != nil {
			t.Fatal(err)
		}
		outlineEWKB, err := geo.MarshalEWKB(outline)
		if err != nil {
			t.Fatal(err)
		}
		// Check the served geometry (not the stored one) with PostGIS.
		var geoms []string
		for _, f := range fc.Features {
			g, err := geojson.NewGeometry(f.Geometry).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			geoms = append(geoms, string(g))
		}
		var outside, overlaps int
		var invalid int
		err = db.Pool().QueryRow(ctx, `
			WITH t AS (SELECT i, ST_SetSRID(ST_GeomFromGeoJSON(g), 4326) AS geom
			           FROM unnest($1::text[]) WITH ORDINALITY AS u(g, i)),
			     o AS (SELECT ST_Buffer(ST_GeomFromEWKB($2), 0.000001) AS geom)
			SELECT (SELECT count(*) FROM t, o WHERE NOT ST_Within(t.geom, o.geom)),
			       (SELECT count(*) FROM t a JOIN t b ON a.i < b.i
			        WHERE ST_Intersects(a.geom, b.geom)
			          AND ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 1),
			       (SELECT count(*) FROM t WHERE NOT ST_IsValid(t.geom))`,
			geoms, outlineEWKB).Scan(&outside, &overlaps, &invalid)
		if err != nil {
			t.Fatal(err)
		}
		if outside != 0 || overlaps != 0 || invalid != 0 {
			t.Errorf("%d towns outside the outline, %d overlapping pairs (> 1 m²), %d invalid; want 0", outside, overlaps, invalid)
		}
		for _, f := range fc.Features {
			if f.Properties["name"] == "" || f.Properties["kind"] == "" || f.Properties["level"] != "town" {
				t.Errorf("feature %v lacks name/kind/level: %v", f.ID, f.Properties)
			}
		}
	})

	t.Run("villages of one town", func(t *testing.T) {
		code, body, _ := get(t, ts.URL+"/v1/divisions?level=village&town=441900003")
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		fc, err := geojson.UnmarshalFeatureCollection(body)
		if err != nil {
			t.Fatal(err)
		}
		if len(fc.Features) == 0 {
			t.Fatal("no villages in 东城街道")
		}
		for _, f := range fc.Features {
			if f.Properties["town_code"] != "441900003" {
				t.Errorf("village %v of town %v, want 441900003", f.ID, f.Properties["town_code"])
			}
		}
	})

	t.Run("town, grid and building", func(t *testing.T) {
		code, body, _ := get(t, ts.URL+"/v1/towns/441900119")
		if code != http.StatusOK {
			t.Fatalf("town: status %d: %s", code, body)
		}
		f, err := geojson.UnmarshalFeature(body)
		if err != nil {
			t.Fatal(err)
		}
		if f.Properties["name"] != "长安镇" || f.Properties.MustInt("grid_count") == 0 || f.Properties.MustInt("building_count") == 0 {
			t.Errorf("town properties = %v", f.Properties)
		}

		var gridCode string
		var buildingID int64
		if err := db.Pool().QueryRow(ctx, `SELECT grid_code, id FROM buildings ORDER BY id LIMIT 1`).Scan(&gridCode, &buildingID); err != nil {
			t.Fatal(err)
		}
		code, body, _ = get(t, ts.URL+"/v1/grids/"+gridCode)
		if code != http.StatusOK {
			t.Fatalf("grid: status %d: %s", code, body)
		}
		if f, err = geojson.UnmarshalFeature(body); err != nil {
			t.Fatal(err)
		}
		if f.Properties["code"] != gridCode || f.Properties.MustInt("building_count") == 0 {
			t.Errorf("grid properties = %v", f.Properties)
		}

		code, body, _ = get(t, ts.URL+"/v1/buildings/"+itoa(buildingID))
		if code != http.StatusOK {
			t.Fatalf("building: status %d: %s", code, body)
		}
		if f, err = geojson.UnmarshalFeature(body); err != nil {
			t.Fatal(err)
		}
		addr, _ := f.Properties["address"].(string)
		if !strings.HasPrefix(addr, "东莞市") || !strings.Contains(addr, "号") || f.Properties["grid_code"] != gridCode {
			t.Errorf("building properties = %v", f.Properties)
		}
		if f.Geometry.GeoJSONType() != "Polygon" {
			t.Errorf("building geometry is %s, want Polygon", f.Geometry.GeoJSONType())
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			name, path string
			status     int
			code       string
			field      string
		}{
			{"unknown route", "/v1/nothing-here", 404, "not_found", ""},
			{"malformed building id", "/v1/buildings/abc", 400, "invalid", "id"},
			{"negative building id", "/v1/buildings/-4", 400, "invalid", "id"},
			{"building id out of range", "/v1/buildings/99999999999999999999", 400, "invalid", "id"},
			{"unknown building", "/v1/buildings/999999999", 404, "not_found", ""},
			{"malformed town code", "/v1/towns/4419", 400, "invalid", "code"},
			{"unknown town", "/v1/towns/441900999", 404, "not_found", ""},
			{"malformed grid code", "/v1/grids/x'--", 400, "invalid", "code"},
			{"unknown grid", "/v1/grids/441900003999999", 404, "not_found", ""},
			{"bad level", "/v1/divisions?level=province", 400, "invalid", "level"},
			{"malformed town filter", "/v1/divisions?town=44190%27--", 400, "invalid", "town"},
			{"unknown town filter", "/v1/divisions?level=grid&town=441900999", 404, "not_found", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, body, hdr := get(t, ts.URL+tc.path)
				if status != tc.status {
					t.Fatalf("status = %d, want %d: %s", status, tc.status, body)
				}
				var e errorBody
				if err := json.Unmarshal(body, &e); err != nil {
					t.Fatalf("body is not the error shape: %s", body)
				}
				if e.Error.Code != tc.code || e.Error.Message == "" {
					t.Errorf("error = %+v, want code %q with a message", e.Error, tc.code)
				}
				if tc.field != "" && e.Error.Details["field"] != tc.field {
					t.Errorf("details.field = %v, want %q", e.Error.Details["field"], tc.field)
				}
				if e.Error.Details["request_id"] != hdr.Get("X-Request-Id") {
					t.Errorf("request id in body %v, header %q", e.Error.Details["request_id"], hdr.Get("X-Request-Id"))
				}
			})
		}
	})

	t.Run("oversized body", func(t *testing.T) {
		resp, err := http.Post(ts.URL+"/v1/divisions", "application/json", strings.NewReader(strings.Repeat("x", 4<<10)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status = %d, want 413", resp.StatusCode)
		}
		var e errorBody
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Error.Code != "too_large" {
			t.Errorf("error = %+v, %v; want code too_large", e.Error, err)
		}
	})

	t.Run("wrong method", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodDelete, ts.URL+"/v1/towns/441900003", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("status = %d, want 405", resp.StatusCode)
		}
	})

	t.Run("health, readiness and metrics", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/readyz", "/openapi.json"} {
			if code, body, _ := get(t, ts.URL+p); code != http.StatusOK {
				t.Errorf("%s: status %d: %s", p, code, body)
			}
		}
		code, body, _ := get(t, ts.URL+"/metrics")
		if code != http.StatusOK {
			t.Fatalf("metrics: status %d", code)
		}
		for _, want := range []string{
			`gridsentry_http_requests_total{code="200",method="GET",route="/v1/towns/{code}"}`,
			`gridsentry_http_requests_total{code="404",method="GET",route="unmatched"}`,
			`gridsentry_http_request_duration_seconds_bucket{method="GET",route="/v1/divisions"`,
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// asAdmin lets the requests of tests about other features through as a
// city-wide admin; access_test.go tests the tokens themselves.
var asAdmin = api.WithFixedPrincipal(auth.Principal{Role: auth.Admin})
