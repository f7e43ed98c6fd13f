// Package tilestest decodes vector tiles in tests with an independent
// reader: GDAL's ogrinfo (Debian's gdal-bin), the library QGIS reads MVT
// with.
package tilestest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"github.com/gridsentry/gridsentry/tiles"
)

// A Feature is one decoded feature: its attributes as ogrinfo prints them
// and its geometry in EPSG:3857 metres.
type Feature struct {
	Attrs map[string]string
	Geom  orb.Geometry
}

// Decode writes blob as the tile file z/x/y.pbf, which GDAL's MVT driver
// georeferences from its path, and reads it back with ogrinfo. It returns
// the features by layer name. It fails the test when ogrinfo is missing
// or cannot read the tile.
func Decode(t testing.TB, tile tiles.Tile, blob []byte) map[string][]Feature {
	t.Helper()
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Fatalf("tilestest: ogrinfo not found (install gdal-bin: scripts/install-deps.sh): %v", err)
	}
	dir := filepath.Join(t.TempDir(), strconv.Itoa(int(tile.Z)), strconv.Itoa(int(tile.X)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, strconv.Itoa(int(tile.Y))+".pbf")
	if err := os.WriteFile(file, blob, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ogrinfo, "-ro", "-al", "-q", "-geom=ISO_WKT", file).CombinedOutput()
	if err != nil {
		t.Fatalf("tilestest: ogrinfo %s: %v\n%s", file, err, out)
	}
	return parse(t, string(out))
}

var (
	layerLine   = regexp.MustCompile(`^Layer name: (\S+)`)
	featureLine = regexp.MustCompile(`^OGRFeature\((\S+)\):`)
	attrLine    = regexp.MustCompile(`^\s+(\w+) \(\w+\) = (.*)$`)
	geomLine    = regexp.MustCompile(`^\s+((MULTI)?(POINT|LINESTRING|POLYGON).*)$`)
)

// parse reads ogrinfo's text output.
func parse(t testing.TB, out string) map[string][]Feature {
	t.Helper()
	layers := map[string][]Feature{}
	var layer string
	var f *Feature
	flush := func() {
		if f != nil {
			layers[layer] = append(layers[layer], *f)
			f = nil
		}
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := layerLine.FindStringSubmatch(line); m != nil {
			flush()
			layer = m[1]
			continue
		}
		if m := featureLine.FindStringSubmatch(line); m != nil {
			flush()
			layer = m[1]
			f = &Feature{Attrs: map[string]string{}}
			continue
		}
		if f == nil {
			continue
		}
		if m := attrLine.FindStringSubmatch(line); m != nil {
			f.Attrs[m[1]] = m[2]
		} else if m := geomLine.FindStringSubmatch(line); m != nil {
			g, err := wkt.Unmarshal(m[1])
			if err != nil {
				t.Fatalf("tilestest: geometry %q: %v", m[1], err)
			}
			f.Geom = g
		}
	}
	flush()
	return layers
}
