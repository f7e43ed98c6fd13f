package addressbook

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// A Writer writes library records as CSV or GeoJSON in the format a Reader
// reads, so an export imports back unchanged. It buffers one record at a
// time: memory does not grow with the file.
type Writer struct {
	format  Format
	w       *bufio.Writer
	csv     *csv.Writer
	columns []string
	index   map[string]int
	fields  []string
	n       int
}

// exportColumns returns the columns an export of kind writes: those of its
// record types, in the order of Columns, without the import-only ones.
func exportColumns(kind LibraryKind) []string {
	used := map[string]bool{"type": true}
	for _, t := range kind.Types() {
		for _, c := range typeColumns[t] {
			used[c] = true
		}
	}
	var cols []string
	for _, c := range Columns {
		if used[c] {
			cols = append(cols, c)
		}
	}
	return cols
}

// typeColumns are the columns each record type writes.
var typeColumns = map[RecordType][]string{
	TypeRoad:      {"code", "town_code", "name", "wkt"},
	TypeDoorplate: {"code", "road_code", "town_code", "village_code", "grid_code", "number", "sub_number", "version", "retired_at", "successor_code", "lon", "lat"},
	TypePlace:     {"id", "name", "kind", "town_code", "village_code", "doorplate_code", "lon", "lat"},
	TypeBuilding:  {"id", "doorplate_code", "place_id", "label", "use", "floors", "basement_floors", "status", "town_code", "village_code", "grid_code", "wkt"},
	TypeRoom:      {"code", "building_id", "unit", "floor", "label", "version", "retired_at", "successor_code"},
}

// NewWriter starts a file of kind's records in format on w: the CSV header,
// or the opening of the FeatureCollection.
func NewWriter(w io.Writer, format Format, kind LibraryKind) (*Writer, error) {
	wr := &Writer{format: format, w: bufio.NewWriterSize(w, 64<<10)}
	switch format {
	case FormatCSV:
		wr.columns = exportColumns(kind)
		wr.index = make(map[string]int, len(wr.columns))
		for i, c := range wr.columns {
			wr.index[c] = i
		}
		wr.fields = make([]string, len(wr.columns))
		wr.csv = csv.NewWriter(wr.w)
		if err := wr.csv.Write(wr.columns); err != nil {
			return nil, err
		}
	case FormatGeoJSON:
		if _, err := wr.w.WriteString(`{"type":"FeatureCollection","features":[`); err != nil {
			return nil, err
		}
	default:
		return nil, invalid("unknown format %q: want csv or geojson", format)
	}
	return wr, nil
}

// Write writes one record.
func (wr *Writer) Write(rec Record) error {
	props, geom := recordProperties(rec)
	wr.n++
	if wr.format == FormatGeoJSON {
		return wr.writeFeature(rec, props, geom)
	}
	for i := range wr.fields {
		wr.fields[i] = ""
	}
	for k, v := range props {
		i, ok := wr.index[k]
		if !ok {
			return fmt.Errorf("addressbook: %s records do not fit this file's columns (%s)", rec.Type, k)
		}
		wr.fields[i] = csvValue(v)
	}
	switch g := geom.(type) {
	case nil:
	case orb.Point:
		wr.fields[wr.index["lon"]] = ftoa(g[0])
		wr.fields[wr.index["lat"]] = ftoa(g[1])
	default:
		wr.fields[wr.index["wkt"]] = string(appendWKT(nil, g))
	}
	return wr.csv.Write(wr.fields)
}

func (wr *Writer) writeFeature(rec Record, props map[string]any, g orb.Geometry) error {
	f := struct {
		Type       string            `json:"type"`
		ID         string            `json:"id"`
		Geometry   *geojson.Geometry `json:"geometry"`
		Properties map[string]any    `json:"properties"`
	}{Type: "Feature", ID: string(rec.Type) + "/" + rec.Key(), Properties: props}
	if g != nil {
		f.Geometry = geojson.NewGeometry(g)
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if wr.n > 1 {
		if err := wr.w.WriteByte(','); err != nil {
			return err
		}
	}
	if err := wr.w.WriteByte('\n'); err != nil {
		return err
	}
	_, err = wr.w.Write(b)
	return err
}

// Close ends the file and flushes it.
func (wr *Writer) Close() error {
	if wr.format == FormatCSV {
		wr.csv.Flush()
		if err := wr.csv.Error(); err != nil {
			return err
		}
	} else if _, err := wr.w.WriteString("\n]}\n"); err != nil {
		return err
	}
	return wr.w.Flush()
}

// Flush writes what is buffered, for a streamed response.
func (wr *Writer) Flush() error {
	if wr.csv != nil {
		wr.csv.Flush()
		if err := wr.csv.Error(); err != nil {
			return err
		}
	}
	return wr.w.Flush()
}

func csvValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(v)
}

// recordProperties returns the columns of rec (omitting empty optional
// ones) and its geometry.
func recordProperties(rec Record) (map[string]any, orb.Geometry) {
	p := map[string]any{"type": string(rec.Type)}
	opt := func(k, v string) {
		if v != "" {
			p[k] = v
		}
	}
	lifecycle := func(l Lifecycle) {
		p["version"] = l.Version
		if l.RetiredAt != nil {
			p["retired_at"] = l.RetiredAt.UTC().Format(time.RFC3339Nano)
		}
		opt("successor_code", l.SuccessorCode)
	}
	switch rec.Type {
	case TypeRoad:
		r := rec.Road
		p["code"], p["town_code"], p["name"] = r.Code, r.TownCode, r.Name
		return p, r.Geom
	case TypeDoorplate:
		d := rec.Doorplate
		p["code"], p["road_code"], p["town_code"], p["village_code"], p["grid_code"] = d.Code, d.RoadCode, d.TownCode, d.VillageCode, d.GridCode
		p["number"], p["sub_number"] = d.Number, d.SubNumber
		lifecycle(d.Lifecycle)
		return p, d.Geom
	case TypePlace:
		pl := rec.Place
		p["id"], p["name"], p["kind"], p["town_code"], p["village_code"], p["doorplate_code"] = pl.ID, pl.Name, pl.Kind, pl.TownCode, pl.VillageCode, pl.DoorplateCode
		return p, pl.Geom
	case TypeBuilding:
		b := rec.Building
		p["id"], p["doorplate_code"], p["label"], p["use"] = b.ID, b.DoorplateCode, b.Label, b.Use
		if b.PlaceID != 0 {
			p["place_id"] = b.PlaceID
		}
		p["floors"], p["basement_floors"], p["status"] = b.Floors, b.BasementFloors, b.Status
		p["town_code"], p["village_code"], p["grid_code"] = b.TownCode, b.VillageCode, b.GridCode
		return p, b.Geom
	case TypeRoom:
		r := rec.Room
		p["code"], p["building_id"], p["floor"], p["label"] = r.Code, r.BuildingID, r.Floor, r.Label
		opt("unit", r.Unit)
		lifecycle(r.Lifecycle)
		return p, nil
	}
	return p, nil
}
