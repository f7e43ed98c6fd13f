package tiles

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridsentry/gridsentry/supervision"
)

func TestTileJSONComposite(t *testing.T) {
	c := DefaultCatalogue()
	ls, err := c.Lookup("grids,entities")
	if err != nil {
		t.Fatal(err)
	}
	tj := NewTileJSON("http://example.test", "", c.Bounds, ls)
	b, err := json.Marshal(tj)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]any{
		"tilejson": "3.0.0",
		"tiles":    []any{"http://example.test/tiles/grids,entities/{z}/{x}/{y}.mvt"},
		"minzoom":  11.0,
		"maxzoom":  18.0,
		"bounds":   []any{113.51, 22.65, 114.26, 23.15},
		"center":   []any{113.885, 22.9, 13.0},
	} {
		if diff := cmp.Diff(want, got[key]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", key, diff)
		}
	}
	vls := tj.VectorLayers
	if len(vls) != 2 || vls[0].ID != "grids" || vls[1].ID != "entities" {
		t.Fatalf("vector_layers %+v", vls)
	}
	wantFields := map[string]FieldType{"uscc": String, "status": String, "kind": String, "industry": String,
		"open_flags": Number, "last_inspected_at": Number}
	if diff := cmp.Diff(wantFields, vls[1].Fields); diff != "" {
		t.Errorf("entities fields (-want +got):\n%s", diff)
	}
	if vls[1].MinZoom != 14 || vls[1].MaxZoom != 18 {
		t.Errorf("entities zoom %d–%d", vls[1].MinZoom, vls[1].MaxZoom)
	}
	// A query (the access_token a GIS client came with) rides on the tile URLs.
	tj = NewTileJSON("http://example.test", "access_token=gs_x", c.Bounds, ls)
	if want := "http://example.test/tiles/grids,entities/{z}/{x}/{y}.mvt?access_token=gs_x"; len(tj.Tiles) != 1 || tj.Tiles[0] != want {
		t.Errorf("tiles with a query %v, want [%s]", tj.Tiles, want)
	}
}

// TestStyleSelfContained checks that the style draws every table layer
// from this server's tiles and names no external resource.
func TestStyleSelfContained(t *testing.T) {
	c := DefaultCatalogue()
	b, err := json.Marshal(Style("http://example.test", "", c))
	if err != nil {
		t.Fatal(err)
	}
	var style struct {
		Version int                        `json:"version"`
		Sources map[string]json.RawMessage `json:"sources"`
		Layers  []struct {
			ID, Type, Source string
			SourceLayer      string `json:"source-layer"`
		} `json:"layers"`
		Glyphs, Sprite *string
	}
	if err := json.Unmarshal(b, &style); err != nil {
		t.Fatal(err)
	}
	if style.Version != 8 || style.Glyphs != nil || style.Sprite != nil {
		t.Errorf("version %d, glyphs %v, sprite %v: want 8 and neither", style.Version, style.Glyphs, style.Sprite)
	}
	// Every URL in the document points at this server.
	for _, s := range strings.Split(string(b), `"`) {
		if strings.Contains(s, "://") && !strings.HasPrefix(s, "http://example.test/tiles/") {
			t.Errorf("external resource %q", s)
		}
	}
	drawn := map[string]bool{}
	for _, l := range style.Layers {
		if l.Type == "symbol" {
			t.Errorf("layer %s is a symbol layer, which needs glyphs", l.ID)
		}
		if l.Source != "" {
			if _, ok := style.Sources[l.Source]; !ok {
				t.Errorf("layer %s: no source %q", l.ID, l.Source)
			}
			if _, ok := c.Layer(l.SourceLayer); !ok {
				t.Errorf("layer %s: no tile layer %q", l.ID, l.SourceLayer)
			}
			drawn[l.SourceLayer] = true
		}
	}
	for _, name := range c.Names() {
		if !drawn[name] {
			t.Errorf("the style does not draw %s", name)
		}
	}
	if !strings.Contains(string(b), "http://example.test/tiles/towns,villages,grids,roads,buildings,doorplates,entities,flags/{z}/{x}/{y}.mvt") {
		t.Errorf("the source is not the composite tile of every table layer")
	}
	if !strings.Contains(string(b), "http://example.test/tiles/coverage_hex,coverage_grid,coverage_heat/{z}/{x}/{y}.mvt") {
		t.Errorf("no composite source of the coverage layers")
	}
	// With a query, every tile URL carries it.
	b, err = json.Marshal(Style("http://example.test", "access_token=gs_x", c))
	if err != nil {
		t.Fatal(err)
	}
	if n, with := strings.Count(string(b), ".mvt"), strings.Count(string(b), ".mvt?access_token=gs_x"); n != 2 || with != n {
		t.Errorf("%d tile URLs, %d with the query; want 2 and all", n, with)
	}
}

// builderFunc builds tiles with a function.
type builderFunc func(t Tile, layers []Layer, s Scope) []byte

func (f builderFunc) BuildTile(_ context.Context, t Tile, layers []Layer, _ supervision.CoverageFilter, s Scope) ([]byte, error) {
	return f(t, layers, s), nil
}

// TestTilerGroupsByKind: a composite of table and computed layers goes to
// each builder in runs, with the scope, concatenated in the order asked.
func TestTilerGroupsByKind(t *testing.T) {
	c := DefaultCatalogue()
	names := func(prefix string) builderFunc {
		return func(_ Tile, ls []Layer, s Scope) []byte {
			return []byte("[" + prefix + ":" + joinNames(ls) + "@" + s.Town() + "]")
		}
	}
	tl := &Tiler{Catalogue: c, Builders: map[Kind]Builder{Table: names("sql"), Computed: names("go")}}
	ls, err := c.Lookup("grids,roads,coverage_hex,entities")
	if err != nil {
		t.Fatal(err)
	}
	tile, _ := NewTile(15, 26746, 14243)
	got, err := tl.Tile(context.Background(), tile, ls, supervision.CoverageFilter{}, Scope("441900003"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "[sql:grids,roads@441900003][go:coverage_hex@441900003][sql:entities@441900003]"; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	delete(tl.Builders, Computed)
	if _, err := tl.Tile(context.Background(), tile, ls, supervision.CoverageFilter{}, WholeCity); err == nil {
		t.Error("no error without a builder for the computed layer")
	}
}
