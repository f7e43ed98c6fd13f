package api

import (
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/mux"
)

// TestOpenAPIMatchesRoutes keeps /openapi.json and the router in step: every
// route is documented with its methods, and every documented operation is routed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(documented)

	s := New(Config{}, nil, nil, slog.New(slog.DiscardHandler))
	var routed []string
	err := s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a subrouter prefix, not an endpoint
		}
		for _, m := range methods {
			routed = append(routed, m+" "+tpl)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(routed)
	if diff := cmp.Diff(documented, routed); diff != "" {
		t.Errorf("openapi.json and routes differ (-documented +routed):\n%s", diff)
	}
}

// TestOpenAPIRefsResolve checks that every $ref of the merged document
// names a component it defines.
func TestOpenAPIRefsResolve(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatal(err)
	}
	components := doc["components"].(map[string]any)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if ref, ok := x.(string); ok && k == "$ref" {
					rest, ok := strings.CutPrefix(ref, "#/components/")
					section, name, _ := strings.Cut(rest, "/")
					defs, _ := components[section].(map[string]any)
					if _, found := defs[name]; !ok || !found {
						t.Errorf("%s: $ref %s does not resolve", path, ref)
					}
				}
				walk(path+"/"+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path, x)
			}
		}
	}
	walk("", doc)
}
