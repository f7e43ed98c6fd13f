package tiles

import (
	"context"
	"fmt"

	"github.com/gridsentry/gridsentry/supervision"
)

// A Builder encodes layers of one tile as MVT: the concatenation of one
// MVT layer per Layer, in the order given. A layer without features in the
// tile may be left out. Builders must honour ctx: a client that hangs up
// cancels the work. The filter narrows the layers that are Filtered, the
// scope those that are Scoped (a town's scope wins over the filter's
// town); the other layers ignore both.
type Builder interface {
	BuildTile(ctx context.Context, t Tile, layers []Layer, f supervision.CoverageFilter, s Scope) ([]byte, error)
}

// A Tiler builds tiles of a catalogue's layers, each layer by the builder
// of its Kind.
type Tiler struct {
	Catalogue *Catalogue
	Builders  map[Kind]Builder
}

// Tile returns the MVT of layers at t in scope s, which must all have
// tiles at t's zoom (see AtZoom). Consecutive layers of the same kind go to their
// builder together; the blobs are concatenated, which an MVT allows (a
// tile is a sequence of layers).
func (tl *Tiler) Tile(ctx context.Context, t Tile, layers []Layer, f supervision.CoverageFilter, s Scope) ([]byte, error) {
	var out []byte
	for len(layers) > 0 {
		n := 1
		for n < len(layers) && layers[n].Kind == layers[0].Kind {
			n++
		}
		b := tl.Builders[layers[0].Kind]
		if b == nil {
			return nil, fmt.Errorf("tiles: no builder for %s layer %s", layers[0].Kind, layers[0].Name)
		}
		blob, err := b.BuildTile(ctx, t, layers[:n], f, s)
		if err != nil {
			return nil, err
		}
		out = append(out, blob...)
		layers = layers[n:]
	}
	return out, nil
}
