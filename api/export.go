package api

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/supervision"
)

// EntityExporter streams market entities for bulk exports. The entity
// reader given to WithEntityReader enables GET /v1/entities/export when it
// is one too.
type EntityExporter interface {
	// EachEntity calls fn with every entity f selects (f.Limit aside), in
	// USCC order, one at a time as they are read, and stops at fn's first
	// error.
	EachEntity(ctx context.Context, f supervision.EntityFilter, fn func(supervision.EntityRecord) error) error
}

// exportFlushRows is how many rows an export writes between flushes to the
// client, so that a slow export shows its progress.
const exportFlushRows = 10000

// entityFormats are the formats of an entity export: content type and file
// name extension.
var entityFormats = map[string]struct{ contentType, ext string }{
	"csv":     {"text/csv; charset=utf-8", "csv"},
	"ndjson":  {"application/x-ndjson", "ndjson"},
	"geojson": {"application/geo+json", "geojson"},
}

// GET /v1/entities/export?format=csv|ndjson|geojson&<the filters of GET /v1/entities>:
// every entity the filters select, streamed as it is read. A town-scoped
// token exports its town only.
func (s *Server) exportEntities(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	format, err := exportFormat(q)
	if err != nil {
		return err
	}
	q.Del("format")
	if q, err = withoutParams(q, "an export: it holds every entity the filters select", "limit", "cursor"); err != nil {
		return err
	}
	req, err := entitySearchOfQuery(q)
	if err != nil {
		return err
	}
	return s.exportFilter(w, r, req, format)
}

// exportFormat reads the format of an export: csv unless given.
func exportFormat(q url.Values) (string, error) {
	format := "csv"
	if v := q["format"]; len(v) > 1 {
		return "", derrors.Field("format", "is given %d times; give it once", len(v))
	} else if len(v) == 1 && v[0] != "" {
		format = v[0]
	}
	if _, ok := entityFormats[format]; !ok {
		return "", derrors.Field("format", "must be csv, ndjson or geojson, not %q", format)
	}
	return format, nil
}

// exportFilter streams every entity the filters of req select in format,
// narrowed to the caller's scope: the export of GET /v1/entities/export
// and of a saved filter's GET /v1/filters/{id}/export. It holds one of the
// export slots while it streams.
func (s *Server) exportFilter(w http.ResponseWriter, r *http.Request, req entitySearch, format string) error {
	ex, ok := s.reader.(EntityExporter)
	if !ok {
		return derrors.New(derrors.Unavailable, "entity exports are not enabled on this server")
	}
	release, err := s.startExport()
	if err != nil {
		return err
	}
	defer release()
	f, err := screen(r.Context(), req)
	if err != nil {
		return err
	}
	full := unmasked(r.Context())
	ft := entityFormats[format]

	// The status and headers wait for the first row, so that a query that
	// fails to start is an ordinary error response.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(bulkDeadline))
	bw := bufio.NewWriterSize(w, 64<<10)
	var enc entityEncoder
	start := func() error {
		name := "entities-" + time.Now().In(supervision.Beijing).Format("20060102") + "." + ft.ext
		w.Header().Set("Content-Type", ft.contentType)
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		w.WriteHeader(http.StatusOK)
		enc = newEntityEncoder(format, bw)
		return enc.begin()
	}
	n := 0
	err = ex.EachEntity(r.Context(), f, func(rec supervision.EntityRecord) error {
		if enc == nil {
			if err := start(); err != nil {
				return err
			}
		}
		if err := enc.write(entityJSONOf(rec, full)); err != nil {
			return err
		}
		if n++; n%exportFlushRows == 0 {
			if err := enc.flush(); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			_ = rc.Flush()
		}
		return nil
	})
	if err != nil && enc == nil {
		return err
	}
	if err == nil && enc == nil { // nothing selected: the header row or an empty collection
		err = start()
	}
	if err == nil {
		err = enc.end()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		// The status is sent: abort the response, so that the client sees a
		// broken transfer rather than a file that merely looks short.
		s.log.WarnContext(r.Context(), "entity export failed mid-stream", "request_id", requestID(r.Context()),
			"rows", n, "err", strings.TrimSpace(err.Error()))
		panic(http.ErrAbortHandler)
	}
	return nil
}

// entityEncoder writes the entities of an export in one format.
type entityEncoder interface {
	begin() error // what comes before the first entity
	write(e entityJSON) error
	flush() error // pass what the encoder holds on to its writer
	end() error   // what comes after the last entity, flushed
}

func newEntityEncoder(format string, w io.Writer) entityEncoder {
	switch format {
	case "ndjson":
		return &ndjsonEncoder{enc: json.NewEncoder(w)}
	case "geojson":
		return &geojsonEncoder{w: w, enc: json.NewEncoder(w)}
	}
	return &csvEncoder{w: w, cw: csv.NewWriter(w)}
}

// entityRow is an entity as a row of a CSV export or the properties of a
// GeoJSON feature: flat, for spreadsheets and GIS tools, with personal data
// as masked as in entityJSON.
type entityRow struct {
	USCC            string     `json:"uscc"`
	Name            string     `json:"name"`
	Kind            string     `json:"kind"`
	Status          string     `json:"status"`
	RegisteredAt    string     `json:"registered_at"` // YYYY-MM-DD
	AddressText     string     `json:"address_text"`
	Industry        *string    `json:"industry"`
	LegalRep        string     `json:"legal_rep"`
	Phone           string     `json:"phone"`
	IDNumber        string     `json:"id_number"`
	LinkStatus      string     `json:"link_status"` // "unlinked" for an entity not linked yet, as the filter says
	AddressCode     *string    `json:"address_code"`
	TownCode        *string    `json:"town_code"`
	VillageCode     *string    `json:"village_code"`
	GridCode        *string    `json:"grid_code"`
	BuildingID      *int64     `json:"building_id"`
	LastInspectedAt *time.Time `json:"last_inspected_at"`
}

func entityRowOf(e entityJSON) (entityRow, *geojson.Geometry) {
	row := entityRow{
		USCC: e.USCC, Name: e.Name, Kind: e.Kind, Status: e.Status, RegisteredAt: e.RegisteredAt,
		AddressText: e.AddressText, Industry: e.Industry, LegalRep: e.LegalRep, Phone: e.Phone, IDNumber: e.IDNumber,
		LinkStatus: supervision.LinkUnlinked, LastInspectedAt: e.LastInspectedAt,
	}
	l := e.Link
	if l == nil {
		return row, nil
	}
	row.LinkStatus, row.AddressCode, row.BuildingID = l.Status, l.AddressCode, l.BuildingID
	row.TownCode, row.VillageCode, row.GridCode = l.TownCode, l.VillageCode, l.GridCode
	return row, l.Location
}

// csvColumns are the columns of a CSV export.
var csvColumns = []string{"uscc", "name", "kind", "status", "registered_at", "address_text", "industry",
	"legal_rep", "phone", "id_number", "link_status", "address_code", "town_code", "village_code", "grid_code",
	"building_id", "lon", "lat", "last_inspected_at"}

// csvEncoder writes CSV in UTF-8 with a byte order mark, without which
// Excel reads Chinese as mojibake, and a header row. An absent value is an
// empty cell.
type csvEncoder struct {
	w   io.Writer
	cw  *csv.Writer
	rec []string
}

func (c *csvEncoder) begin() error {
	if _, err := io.WriteString(c.w, "\uFEFF"); err != nil {
		return err
	}
	c.rec = make([]string, len(csvColumns))
	return c.cw.Write(csvColumns)
}

func (c *csvEncoder) write(e entityJSON) error {
	row, loc := entityRowOf(e)
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	var lon, lat, building, inspected string
	if p, ok := geometryPoint(loc); ok {
		lon, lat = strconv.FormatFloat(p[0], 'f', -1, 64), strconv.FormatFloat(p[1], 'f', -1, 64)
	}
	if row.BuildingID != nil {
		building = strconv.FormatInt(*row.BuildingID, 10)
	}
	if row.LastInspectedAt != nil {
		inspected = row.LastInspectedAt.Format(time.RFC3339)
	}
	r := c.rec
	r[0], r[1], r[2], r[3], r[4] = row.USCC, cell(row.Name), row.Kind, row.Status, row.RegisteredAt
	r[5], r[6], r[7], r[8], r[9] = cell(row.AddressText), str(row.Industry), cell(row.LegalRep), cell(row.Phone), cell(row.IDNumber)
	r[10], r[11], r[12], r[13], r[14] = row.LinkStatus, str(row.AddressCode), str(row.TownCode), str(row.VillageCode), str(row.GridCode)
	r[15], r[16], r[17], r[18] = building, lon, lat, inspected
	return c.cw.Write(r)
}

func (c *csvEncoder) flush() error {
	c.cw.Flush()
	return c.cw.Error()
}

func (c *csvEncoder) end() error { return c.flush() }

// cell guards a free-text cell against formula injection: a spreadsheet
// runs a cell that starts with =, +, -, @ (or a tab or carriage return
// before one) as a formula, so such text is prefixed with an apostrophe,
// which Excel and LibreOffice show as text. Names, addresses and phones
// are typed by the public.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func geometryPoint(g *geojson.Geometry) (orb.Point, bool) {
	if g == nil {
		return orb.Point{}, false
	}
	p, ok := g.Coordinates.(orb.Point)
	return p, ok
}

// ndjsonEncoder writes one entity, as GET /v1/entities/{uscc} shows it
// without its tasks and inspections, per line.
type ndjsonEncoder struct{ enc *json.Encoder }

func (n *ndjsonEncoder) begin() error             { return nil }
func (n *ndjsonEncoder) write(e entityJSON) error { return n.enc.Encode(e) }
func (n *ndjsonEncoder) flush() error             { return nil }
func (n *ndjsonEncoder) end() error               { return nil }

// geojsonEncoder writes a FeatureCollection one feature at a time: each
// entity a Point at its linked location, or with a null geometry when it
// has none, its properties the columns of the CSV export.
type geojsonEncoder struct {
	w    io.Writer
	enc  *json.Encoder
	more bool
}

type entityFeature struct {
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties entityRow         `json:"properties"`
}

func (g *geojsonEncoder) begin() error {
	_, err := io.WriteString(g.w, `{"type":"FeatureCollection","features":[`+"\n")
	return err
}

func (g *geojsonEncoder) write(e entityJSON) error {
	if g.more {
		if _, err := io.WriteString(g.w, ","); err != nil {
			return err
		}
	}
	g.more = true
	row, loc := entityRowOf(e)
	return g.enc.Encode(entityFeature{Type: "Feature", ID: row.USCC, Geometry: loc, Properties: row})
}

func (g *geojsonEncoder) flush() error { return nil }

func (g *geojsonEncoder) end() error {
	_, err := io.WriteString(g.w, "]}\n")
	return err
}

// startExport takes one of the Config.MaxExports slots of the bulk exports,
// each of which holds a database connection for as long as it streams, so
// that exports cannot take every connection from the rest of the API. When
// all are taken it refuses at once with 503 and Retry-After.
func (s *Server) startExport() (release func(), err error) {
	select {
	case s.exports <- struct{}{}:
		return func() { <-s.exports }, nil
	default:
		return nil, derrors.New(derrors.Unavailable, "%d exports are running, the most this server runs at once; retry when one ends", cap(s.exports))
	}
}
