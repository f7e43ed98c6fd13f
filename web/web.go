// Package web holds the map console, built from web/src by `npm run build`
// (make does it) into web/dist and embedded in the binary, so that one file
// serves the API, the tiles and the console with nothing from the internet.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Files returns the built console: index.html and assets/.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic("web: " + err.Error()) // the embed pattern guarantees dist
	}
	return sub
}
