package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gridsentry/gridsentry/api"
)

// TestConsoleFiles: / is index.html, revalidated on every load; assets
// are served with a long cache life; a missing asset is a JSON 404; the
// API's routes are not shadowed.
func TestConsoleFiles(t *testing.T) {
	files := fstest.MapFS{
		"index.html":    {Data: []byte("<!doctype html><title>网格哨兵</title><script src=\"assets/app.js\"></script>")},
		"assets/app.js": {Data: []byte("console.log(1)")},
	}
	srv := api.New(api.Config{}, nil, nil, slog.New(slog.DiscardHandler), api.WithConsole(files), asAdmin)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	for _, tc := range []struct {
		path, want, cache string
		code              int
	}{
		{"/", "网格哨兵", "no-cache", 200},
		{"/assets/app.js", "console.log", "max-age=31536000", 200},
		{"/assets/nope.js", `"code":"not_found"`, "", 404},
		{"/assets/../index.html", "", "", 404},
		{"/healthz", "", "", 200},
	} {
		resp, body := getTile(t, ts.URL+tc.path, nil)
		if resp.StatusCode != tc.code || !strings.Contains(string(body), tc.want) ||
			!strings.Contains(resp.Header.Get("Cache-Control"), tc.cache) {
			t.Errorf("%s: %d %q, Cache-Control %q; want %d with %q, %q", tc.path, resp.StatusCode, body,
				resp.Header.Get("Cache-Control"), tc.code, tc.want, tc.cache)
		}
	}
	// gzip when asked, the same bytes once unpacked.
	resp, body := getTile(t, ts.URL+"/assets/app.js", map[string]string{"Accept-Encoding": "gzip"})
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("gzip asked: %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); string(plain) != "console.log(1)" {
		t.Errorf("unpacked %q", plain)
	}
}
