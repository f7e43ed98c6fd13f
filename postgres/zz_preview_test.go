package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/postgres/pgtest"
	"github.com/gridsentry/gridsentry/supervision"
	"github.com/gridsentry/gridsentry/tiles"
)

func TestZZPreview(t *testing.T) {
	db, _ := pgtest.BenchDB(t)
	ctx := context.Background()
	cat := tiles.DefaultCatalogue()
	for _, tt := range [][3]int{{14, 13367, 7113}, {15, 26738, 14228}, {12, 3342, 1781}, {11, 1670, 888}} {
		tl, _ := tiles.NewTile(tt[0], tt[1], tt[2])
		for _, name := range []string{"towns", "villages", "grids", "roads", "buildings", "doorplates", "entities", "flags"} {
			ls, _ := cat.Lookup(name)
			at := tiles.AtZoom(ls, tt[0])
			if len(at) == 0 {
				continue
			}
			t0 := time.Now()
			b, err := db.BuildTile(ctx, tl, at, supervision.CoverageFilter{}, tiles.WholeCity)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s %s %v %d KB", tl, name, time.Since(t0), len(b)/1024)
		}
	}
}
