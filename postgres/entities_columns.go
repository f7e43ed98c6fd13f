package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/geo"
	"github.com/gridsentry/gridsentry/supervision"
)

// entityColumns are the columns scanEntity reads, in its order.
const entityColumns = `uscc, name, kind, status, registered_at, address_text, scope, industry,
	legal_rep, phone, id_number, coalesce(report_year, 0), changed_at, version, updated_at,
	coalesce(link_status, ''), coalesce(link_level, ''), coalesce(link_score, 0), link_issues,
	coalesce(address_code, ''), coalesce(building_id, 0), coalesce(grid_code, ''),
	coalesce(village_code, ''), coalesce(town_code, ''), location, linked_at, last_inspected_at`

// scanEntity reads a row of entityColumns.
func scanEntity(row pgx.Row) (supervision.EntityRecord, error) {
	var r supervision.EntityRecord
	var uscc, kind, status, linkStatus, linkLevel string
	var reportYear int16
	var score float32
	var issues []byte
	var loc []byte
	err := row.Scan(&uscc, &r.Name, &kind, &status, &r.RegisteredAt, &r.AddressText, &r.Scope, &r.Industry,
		&r.LegalRep, &r.Phone, &r.IDNumber, &reportYear, &r.ChangedAt, &r.Version, &r.UpdatedAt,
		&linkStatus, &linkLevel, &score, &issues,
		&r.Link.AddressCode, &r.Link.BuildingID, &r.Link.GridCode,
		&r.Link.VillageCode, &r.Link.TownCode, &loc, &r.LinkedAt, &r.LastInspectedAt)
	if err != nil {
		return r, err
	}
	r.USCC, r.Kind, r.Status = supervision.USCC(uscc), supervision.Kind(kind), supervision.Status(status)
	r.ReportYear = int(reportYear)
	r.RegisteredAt = time.Date(r.RegisteredAt.Year(), r.RegisteredAt.Month(), r.RegisteredAt.Day(), 0, 0, 0, 0, supervision.Beijing)
	r.Link.Status, r.Link.Level = addressbook.MatchStatus(linkStatus), addressbook.MatchLevel(linkLevel)
	r.Link.Score = float64(score)
	if len(issues) > 0 {
		if err := json.Unmarshal(issues, &r.Link.Issues); err != nil {
			return r, fmt.Errorf("entity %s: link issues: %w", uscc, err)
		}
		if len(r.Link.Issues) == 0 {
			r.Link.Issues = nil
		}
	}
	if loc != nil {
		g, err := geo.UnmarshalEWKB(loc)
		if err != nil {
			return r, fmt.Errorf("entity %s: location: %w", uscc, err)
		}
		if p, ok := g.(orb.Point); ok {
			w := geo.WGS84{Lon: p[0], Lat: p[1]}
			r.Link.Location = &w
			r.Link.H3 = supervision.Cells(w)
		}
	}
	return r, nil
}

// linkColumns are the columns of a link, in the order of linkValues.
var linkColumns = []string{"link_status", "link_level", "link_score", "link_issues", "address_code", "building_id",
	"grid_code", "village_code", "town_code", "location", "h3_7", "h3_8", "h3_9", "h3_10", "h3_11", "linked_at"}

func linkValues(l supervision.Link, at time.Time) ([]any, error) {
	issues := l.Issues
	if issues == nil {
		issues = []addressbook.Issue{}
	}
	ij, err := json.Marshal(issues)
	if err != nil {
		return nil, err
	}
	vals := []any{string(l.Status), string(l.Level), float32(l.Score), ij,
		nullString(l.AddressCode), nullInt(l.BuildingID), nullString(l.GridCode),
		nullString(l.VillageCode), nullString(l.TownCode)}
	if l.Location == nil {
		vals = append(vals, nil, nil, nil, nil, nil, nil)
	} else {
		b, err := geo.MarshalEWKB(orb.Point{l.Location.Lon, l.Location.Lat})
		if err != nil {
			return nil, err
		}
		vals = append(vals, b)
		cells := l.H3
		if len(cells) != supervision.MaxH3Res-supervision.MinH3Res+1 {
			cells = supervision.Cells(*l.Location)
		}
		for _, c := range cells {
			vals = append(vals, h3Int(c))
		}
	}
	return append(vals, at), nil
}

// h3Int stores a cell as a bigint: H3 indexes leave the top bit clear.
func h3Int(c h3.Cell) int64 { return int64(c) }

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullInt(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}
