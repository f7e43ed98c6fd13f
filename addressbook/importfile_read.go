package addressbook

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridsentry/gridsentry/geo"
)

// Columns are the column names (CSV) and property names (GeoJSON) of the
// file formats, in the order an export writes them: the snake_case names of
// the record fields, plus type, replaces, crs and the geometry columns.
var Columns = []string{
	"type", "code", "id", "town_code", "road_code", "number", "sub_number", "village_code", "grid_code",
	"doorplate_code", "place_id", "building_id", "name", "kind", "label", "use", "floors", "basement_floors",
	"status", "unit", "floor", "version", "retired_at", "successor_code", "replaces", "crs", "lon", "lat", "wkt",
}

var knownColumn = func() map[string]bool {
	m := make(map[string]bool, len(Columns))
	for _, c := range Columns {
		m[c] = true
	}
	return m
}()

// A Reader reads library records from a CSV or GeoJSON file, validating
// each row on its own: it checks what can be checked without the database
// (formats of codes and their hierarchy prefixes, numbers, enumerations,
// geometry type, validity and extent). References and spatial consistency
// are the database's to check.
type Reader struct {
	opt  ReadOptions
	next func() (*row, error)
	done bool
}

// row is one row of either format, before validation.
type row struct {
	line int
	vals map[string]string // trimmed values of the columns or properties present
	geom orb.Geometry      // a GeoJSON feature's geometry; nil otherwise
	err  string            // a reason found while reading the row
}

func (r *row) get(name string) (string, bool) {
	v, ok := r.vals[name]
	return v, ok
}

// NewReader starts reading a file in opt.Format. It fails (with an error
// wrapping derrors.Invalid) when the file cannot be a library file at all:
// no header, duplicate columns, not a FeatureCollection.
func NewReader(r io.Reader, opt ReadOptions) (*Reader, error) {
	if opt.Extent == (orb.Bound{}) {
		opt.Extent = DongguanExtent
	}
	if opt.CRS == "" {
		opt.CRS = geo.CRSWGS84
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	rd := &Reader{opt: opt}
	var err error
	switch opt.Format {
	case FormatCSV:
		rd.next, err = csvRows(br)
	case FormatGeoJSON:
		rd.next, err = geojsonRows(br)
	default:
		return nil, invalid("unknown format %q: want csv or geojson", opt.Format)
	}
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// Next returns the next record: a *RowError for a rejected row, io.EOF at
// the end of the file, or another error when the file cannot be read on.
func (rd *Reader) Next() (Record, error) {
	if rd.done {
		return Record{}, io.EOF
	}
	r, err := rd.next()
	if err != nil {
		if err == io.EOF {
			rd.done = true
		}
		return Record{}, err
	}
	return rd.parse(r)
}

// csvRows reads the header and returns the row iterator of a CSV file.
func csvRows(br *bufio.Reader) (func() (*row, error), error) {
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, invalid("the CSV file is empty: it needs a header row")
	}
	if err != nil {
		return nil, invalid("CSV header: %v", err)
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	known := 0
	for i, h := range header {
		if !utf8.ValidString(h) {
			return nil, invalid("CSV header: column %d is not valid UTF-8", i+1)
		}
		h = strings.ToLower(strings.TrimSpace(h))
		if seen[h] && h != "" {
			return nil, invalid("CSV header: column %q appears twice", h)
		}
		seen[h] = true
		if knownColumn[h] {
			known++
		}
		cols[i] = h
	}
	if known == 0 {
		return nil, invalid("CSV header names none of the library columns (code, id, type, ...): is the first row a header?")
	}
	r := &row{vals: make(map[string]string, len(cols))}
	return func() (*row, error) {
		fields, err := cr.Read()
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &row{line: pe.StartLine, err: "malformed CSV: " + pe.Err.Error(), vals: map[string]string{}}, nil
		}
		if err != nil {
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("read CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		// The row and its map are reused: a Record keeps the strings, not the map.
		clear(r.vals)
		r.line, r.err, r.geom = line, "", nil
		if len(fields) != len(cols) {
			r.err = fmt.Sprintf("row has %d fields, the header has %d", len(fields), len(cols))
			return r, nil
		}
		for i, f := range fields {
			if cols[i] == "" || !knownColumn[cols[i]] {
				continue
			}
			if !utf8.ValidString(f) {
				r.err = fmt.Sprintf("%s: invalid UTF-8", cols[i])
				return r, nil
			}
			r.vals[cols[i]] = strings.TrimSpace(f)
		}
		return r, nil
	}, nil
}

// geojsonRows walks to the features array of a FeatureCollection and returns
// an iterator that decodes one feature at a time, so a file of millions of
// features is read in constant memory.
func geojsonRows(br *bufio.Reader) (func() (*row, error), error) {
	dec := json.NewDecoder(br)
	tok, err := dec.Token()
	if err != nil {
		return nil, invalid("GeoJSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, invalid("GeoJSON: want a FeatureCollection object")
	}
	// Skip members up to "features"; a "type" other than FeatureCollection is an error.
	for {
		if !dec.More() {
			return nil, invalid("GeoJSON: no features member: want a FeatureCollection")
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid("GeoJSON: %v", err)
		}
		key, _ := tok.(string)
		if key == "features" {
			break
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, invalid("GeoJSON: member %q: %v", key, err)
		}
		if key == "type" && string(bytes.TrimSpace(v)) != `"FeatureCollection"` {
			return nil, invalid("GeoJSON: type is %s, want \"FeatureCollection\"", v)
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, invalid("GeoJSON: features must be an array")
	}
	index := 0
	inFeatures := true
	return func() (*row, error) {
		if inFeatures && !dec.More() {
			inFeatures = false
			if _, err := dec.Token(); err != nil { // ]
				return nil, invalid("GeoJSON after feature %d: %v", index, err)
			}
			// Read the rest of the collection; members after features are ignored.
			for dec.More() {
				if _, err := dec.Token(); err != nil {
					return nil, invalid("GeoJSON after feature %d: %v", index, err)
				}
				var v json.RawMessage
				if err := dec.Decode(&v); err != nil {
					return nil, invalid("GeoJSON after feature %d: %v", index, err)
				}
			}
			if _, err := dec.Token(); err != nil { // }
				return nil, invalid("GeoJSON after feature %d: %v", index, err)
			}
		}
		if !inFeatures {
			return nil, io.EOF
		}
		index++
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			var syn *json.SyntaxError
			if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, invalid("GeoJSON feature %d: %v", index, err)
			}
			if err == io.EOF { // the file ends after a comma between features
				return nil, invalid("GeoJSON feature %d: the file ends before the feature", index)
			}
			return nil, fmt.Errorf("read GeoJSON feature %d: %w", index, err)
		}
		return featureRow(index, raw), nil
	}, nil
}

func featureRow(index int, raw json.RawMessage) *row {
	r := &row{line: index, vals: map[string]string{}}
	if !utf8.Valid(raw) {
		r.err = "invalid UTF-8"
		return r
	}
	var f struct {
		Type       string                     `json:"type"`
		Geometry   json.RawMessage            `json:"geometry"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		r.err = "not a GeoJSON Feature: " + err.Error()
		return r
	}
	if f.Type != "Feature" {
		r.err = fmt.Sprintf("type is %q, want \"Feature\"", f.Type)
		return r
	}
	for k, v := range f.Properties {
		k = strings.ToLower(k)
		if !knownColumn[k] {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || string(v) == "null":
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				r.err = fmt.Sprintf("%s: %v", k, err)
				return r
			}
			r.vals[k] = strings.TrimSpace(s)
		case v[0] == '{' || v[0] == '[':
			r.err = fmt.Sprintf("%s: want a string or a number, not %s", k, v)
			return r
		default: // number or boolean, as written
			r.vals[k] = string(v)
		}
	}
	if g := bytes.TrimSpace(f.Geometry); len(g) > 0 && string(g) != "null" {
		geom, err := geojson.UnmarshalGeometry(g)
		if err != nil {
			r.err = "geometry: " + err.Error()
			return r
		}
		if geom.Coordinates == nil {
			r.err = "geometry: unsupported or empty"
			return r
		}
		r.geom = geom.Coordinates
	}
	return r
}

// allDigits reports whether s is a non-empty string of ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// fields reads and checks the values of one row, collecting every problem.
type fields struct {
	r    *row
	errs []string
}

func (p *fields) fail(format string, args ...any) {
	p.errs = append(p.errs, fmt.Sprintf(format, args...))
}

// str returns the value of column name; a required column that is missing
// or empty is an error.
func (p *fields) str(name string, required bool) string {
	v, ok := p.r.get(name)
	if strings.ContainsRune(v, 0) {
		// PostgreSQL text cannot hold it: the import would fail whole.
		p.fail("%s: contains a NUL character", name)
		return ""
	}
	if required {
		switch {
		case !ok:
			p.fail("%s: column missing", name)
		case v == "":
			p.fail("%s: empty", name)
		}
	}
	return v
}

// code returns a code of n digits.
func (p *fields) code(name string, n int, required bool) string {
	v := p.str(name, required)
	if v != "" && (len(v) != n || !allDigits(v)) {
		p.fail("%s: %q is not a %d-digit code", name, v, n)
		return ""
	}
	return v
}

// integer returns an integer in [lo, hi], def when optional and empty.
func (p *fields) integer(name string, required bool, lo, hi, def int) int {
	v := p.str(name, required)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		// GeoJSON numbers may come as 12.0.
		if f, ferr := strconv.ParseFloat(v, 64); ferr == nil && f == float64(int(f)) {
			n, err = int(f), nil
		}
	}
	if err != nil {
		p.fail("%s: %q is not an integer", name, v)
		return def
	}
	if n < lo || n > hi {
		if lo == 1 && hi >= 1<<20 {
			p.fail("%s: %d must be greater than 0", name, n)
		} else {
			p.fail("%s: %d is not between %d and %d", name, n, lo, hi)
		}
		return def
	}
	return n
}

// id returns a positive id.
func (p *fields) id(name string, required bool) int64 {
	v := p.str(name, required)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		p.fail("%s: %q is not a positive integer id", name, v)
		return 0
	}
	return n
}

func (p *fields) enum(name string, required bool, allowed ...string) string {
	v := p.str(name, required)
	if v == "" {
		return ""
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail("%s: %q is not one of %s", name, v, strings.Join(allowed, ", "))
	return ""
}

// chinaTime is the zone of a date or time written without one.
var chinaTime = time.FixedZone("CST", 8*3600)

func (p *fields) time(name string) *time.Time {
	v := p.str(name, false)
	if v == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, chinaTime); err == nil {
			// Year 0000 and the like parse, but no export could write them back.
			if y := t.UTC().Year(); y < 1900 || y > 2100 {
				p.fail("%s: %q is not a plausible time (years 1900 to 2100)", name, v)
				return nil
			}
			return &t
		}
	}
	p.fail("%s: %q is not a date or an RFC 3339 time", name, v)
	return nil
}

// geometry returns the row's geometry as shape in WGS84: the GeoJSON
// geometry, else the wkt column, else the lon and lat columns.
func (p *fields) geometry(shape geomShape, crs geo.CRS, extent orb.Bound) orb.Geometry {
	wktText, _ := p.r.get("wkt")
	lon, hasLon := p.r.get("lon")
	lat, hasLat := p.r.get("lat")
	given := p.r.geom != nil || wktText != "" || lon != "" || lat != ""
	if shape == shapeNone {
		if given {
			p.fail("geometry: rooms have none")
		}
		return nil
	}
	var g orb.Geometry
	switch {
	case p.r.geom != nil:
		g = p.r.geom
	case wktText != "":
		var err error
		if g, err = parseWKT(wktText); err != nil {
			p.fail("wkt: %v", err)
			return nil
		}
	case lon != "" || lat != "":
		x, errX := strconv.ParseFloat(lon, 64)
		y, errY := strconv.ParseFloat(lat, 64)
		if errX != nil || errY != nil {
			p.fail("lon, lat: %q, %q are not numbers", lon, lat)
			return nil
		}
		g = orb.Point{x, y}
	default:
		if _, hasWKT := p.r.get("wkt"); hasWKT || hasLon && hasLat {
			p.fail("geometry: empty")
		} else {
			p.fail("geometry: missing (give a wkt column, lon and lat columns, or a GeoJSON geometry)")
		}
		return nil
	}
	g, err := shapeGeometry(g, shape)
	if err != nil {
		p.fail("geometry: %v", err)
		return nil
	}
	if err := checkCoordinates(g); err != nil {
		p.fail("geometry: %v", err)
		return nil
	}
	g = toWGS84(g, crs)
	if b := g.Bound(); !extent.Contains(b.Min) || !extent.Contains(b.Max) {
		p.fail("geometry: outside the plausible extent (lon %s..%s, lat %s..%s)",
			ftoa(extent.Min[0]), ftoa(extent.Max[0]), ftoa(extent.Min[1]), ftoa(extent.Max[1]))
		return nil
	}
	if err := validate(g); err != nil {
		p.fail("geometry: %v", err)
		return nil
	}
	return g
}

// prefix checks that code (when given) starts with parent (when given).
func (p *fields) prefix(name, code, parentName, parent string) {
	if code != "" && parent != "" && !strings.HasPrefix(code, parent) {
		p.fail("%s: %s does not start with %s %s", name, code, parentName, parent)
	}
}

func (rd *Reader) parse(r *row) (Record, error) {
	rec := Record{Line: r.line}
	guess := "" // the key as written, for the report of a row whose key is bad
	rowErr := func(reason string) (Record, error) {
		key := rec.Key()
		if key == "" {
			key = guess
		}
		return Record{}, &RowError{Line: r.line, Type: rec.Type, Code: key, Reason: reason}
	}
	// The type comes first, so that even a rejected row says what it was.
	t := rd.opt.Type
	if v, ok := r.get("type"); ok && v != "" {
		var err error
		if t, err = ParseRecordType(v); err != nil {
			return rowErr("type: " + err.Error())
		}
	}
	if t == "" && r.err == "" {
		return rowErr("type: missing: add a type column or give the type of the whole file")
	}
	rec.Type = t
	if t.KeyedByID() {
		guess = r.vals["id"]
	} else if t != "" {
		guess = r.vals["code"]
	}
	if r.err != "" {
		return rowErr(r.err)
	}
	if rd.opt.Kind != "" && !rd.opt.Kind.Has(t) {
		return rowErr(fmt.Sprintf("type: %s rows do not belong in a %s import", t, rd.opt.Kind))
	}
	crs := rd.opt.CRS
	if v, _ := r.get("crs"); v != "" {
		c, err := geo.ParseCRS(v)
		if err != nil {
			return rowErr("crs: " + err.Error())
		}
		crs = c
	}
	p := &fields{r: r}
	rec = Record{Line: r.line, Type: t}
	switch t {
	case TypeRoad:
		rd.road(p, &rec, crs)
	case TypeDoorplate:
		rd.doorplate(p, &rec, crs)
	case TypePlace:
		rd.place(p, &rec, crs)
	case TypeBuilding:
		rd.building(p, &rec, crs)
	case TypeRoom:
		rd.room(p, &rec)
	}
	if t.HasLifecycle() {
		rd.lifecycle(p, &rec)
	} else if v, _ := r.get("replaces"); v != "" {
		p.fail("replaces: only doorplates and rooms have successors")
	}
	if len(p.errs) > 0 {
		return rowErr(strings.Join(p.errs, "; "))
	}
	return rec, nil
}

func (rd *Reader) road(p *fields, rec *Record, crs geo.CRS) {
	r := &rec.Road
	r.Code = p.code("code", 14, true)
	r.TownCode = p.code("town_code", 9, false)
	p.prefix("code", r.Code, "town_code", r.TownCode)
	if r.TownCode == "" && r.Code != "" {
		r.TownCode = r.Code[:9]
	}
	r.Name = p.str("name", true)
	if g, ok := p.geometry(shapeLines, crs, rd.opt.Extent).(orb.MultiLineString); ok {
		r.Geom = g
	}
}

// divisions reads town_code, village_code and grid_code, any of which may be
// omitted (the database derives them from the geometry), and checks that the
// given ones agree with each other and with the town of code.
func (p *fields) divisions(codeName, code string) (town, village, grid string) {
	town = p.code("town_code", 9, false)
	village = p.code("village_code", 12, false)
	grid = p.code("grid_code", 15, false)
	p.prefix("village_code", village, "town_code", town)
	p.prefix("grid_code", grid, "village_code", village)
	p.prefix("grid_code", grid, "town_code", town)
	if village == "" && grid != "" {
		village = grid[:12]
	}
	if town == "" && village != "" {
		town = village[:9]
	}
	if code != "" && town != "" && !strings.HasPrefix(code, town) {
		p.fail("%s: %s is not in town %s", codeName, code, town)
	}
	return town, village, grid
}

func (rd *Reader) doorplate(p *fields, rec *Record, crs geo.CRS) {
	d := &rec.Doorplate
	d.Code = p.code("code", 16, true)
	d.RoadCode = p.code("road_code", 14, true)
	d.TownCode, d.VillageCode, d.GridCode = p.divisions("code", d.Code)
	if d.Code != "" {
		town := d.Code[:9]
		if d.RoadCode != "" && !strings.HasPrefix(d.RoadCode, town) {
			p.fail("road_code: %s is not a road of the doorplate's town %s", d.RoadCode, town)
		}
		if d.TownCode == "" {
			d.TownCode = town
		}
	}
	d.Number = p.integer("number", true, 1, 1<<30, 0)
	d.SubNumber = p.integer("sub_number", false, 0, 1<<30, 0)
	if g, ok := p.geometry(shapePoint, crs, rd.opt.Extent).(orb.Point); ok {
		d.Geom = g
	}
}

var placeKinds = []string{PlaceTower, PlaceEstate, PlaceIndustrialPark, PlacePlaza, PlaceTechPark, PlaceMarket}

func (rd *Reader) place(p *fields, rec *Record, crs geo.CRS) {
	pl := &rec.Place
	pl.ID = p.id("id", true)
	pl.Name = p.str("name", true)
	pl.Kind = p.enum("kind", true, placeKinds...)
	pl.DoorplateCode = p.code("doorplate_code", 16, true)
	pl.TownCode = p.code("town_code", 9, false)
	pl.VillageCode = p.code("village_code", 12, false)
	p.prefix("village_code", pl.VillageCode, "town_code", pl.TownCode)
	if pl.TownCode == "" && pl.VillageCode != "" {
		pl.TownCode = pl.VillageCode[:9]
	}
	if pl.TownCode == "" && pl.DoorplateCode != "" {
		pl.TownCode = pl.DoorplateCode[:9]
	}
	if g, ok := p.geometry(shapePoint, crs, rd.opt.Extent).(orb.Point); ok {
		pl.Geom = g
	}
}

func (rd *Reader) building(p *fields, rec *Record, crs geo.CRS) {
	b := &rec.Building
	b.ID = p.id("id", true)
	b.DoorplateCode = p.code("doorplate_code", 16, true)
	b.PlaceID = p.id("place_id", false)
	b.Label = p.str("label", true)
	b.Use = p.enum("use", true, UseResidential, UseCommercial, UseOffice, UseIndustrial, UseMixed, UsePublic)
	b.Floors = p.integer("floors", true, 1, 200, 0)
	b.BasementFloors = p.integer("basement_floors", false, 0, 10, 0)
	b.Status = p.enum("status", true, StatusExisting, StatusDemolished, StatusSlated)
	b.TownCode, b.VillageCode, b.GridCode = p.divisions("", "")
	if g, ok := p.geometry(shapePolygon, crs, rd.opt.Extent).(orb.Polygon); ok {
		b.Geom = g
	}
}

func (rd *Reader) room(p *fields, rec *Record) {
	r := &rec.Room
	r.Code = p.code("code", 18, true)
	r.BuildingID = p.id("building_id", true)
	r.Unit = p.str("unit", false)
	before := len(p.errs)
	r.Floor = p.integer("floor", true, -10, 200, 0)
	if r.Floor == 0 && len(p.errs) == before {
		p.fail("floor: 0 is not a floor (the ground floor is 1, the first basement -1)")
	}
	r.Label = p.str("label", true)
	p.geometry(shapeNone, "", orb.Bound{})
}

// lifecycle reads retired_at, successor_code and replaces of a doorplate or
// room; version is the database's and is ignored.
func (rd *Reader) lifecycle(p *fields, rec *Record) {
	n := rec.Type.CodeDigits()
	l := &rec.Doorplate.Lifecycle
	code := rec.Doorplate.Code
	if rec.Type == TypeRoom {
		l, code = &rec.Room.Lifecycle, rec.Room.Code
	}
	l.RetiredAt = p.time("retired_at")
	l.SuccessorCode = p.code("successor_code", n, false)
	rec.Replaces = p.code("replaces", n, false)
	switch {
	case l.SuccessorCode != "" && l.RetiredAt == nil:
		p.fail("successor_code: only a retired %s (with retired_at) has a successor", rec.Type)
	case l.SuccessorCode != "" && l.SuccessorCode == code:
		p.fail("successor_code: %s cannot succeed itself", code)
	}
	switch {
	case rec.Replaces != "" && rec.Replaces == code:
		p.fail("replaces: %s cannot replace itself", code)
	case rec.Replaces != "" && l.RetiredAt != nil:
		p.fail("replaces: a retired %s cannot replace another", rec.Type)
	}
}
