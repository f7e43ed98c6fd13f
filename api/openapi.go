package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed openapi/*.json
var openapiFiles embed.FS

// mergeOpenAPI merges the fragments of the OpenAPI document: base.json
// holds the document; every other file holds "paths" and
// "components" (schemas, responses, parameters) to add. A path or schema defined twice is an error.
func mergeOpenAPI(files fs.FS) ([]byte, error) {
	read := func(name string) (map[string]any, error) {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return m, nil
	}
	doc, err := read("openapi/base.json")
	if err != nil {
		return nil, err
	}
	paths, _ := doc["paths"].(map[string]any)
	components, _ := doc["components"].(map[string]any)
	if paths == nil || components == nil {
		return nil, fmt.Errorf("openapi/base.json lacks paths or components")
	}
	names, err := fs.Glob(files, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "openapi/base.json" {
			continue
		}
		part, err := read(name)
		if err != nil {
			return nil, err
		}
		for k := range part {
			if k != "paths" && k != "components" {
				return nil, fmt.Errorf("%s: unexpected key %q (a fragment has paths and components only)", name, k)
			}
		}
		p, _ := part["paths"].(map[string]any)
		for path, ops := range p {
			have, _ := paths[path].(map[string]any)
			if have == nil {
				paths[path] = ops
				continue
			}
			// Another file has other operations on the same path.
			m, _ := ops.(map[string]any)
			for op, def := range m {
				if _, dup := have[op]; dup {
					return nil, fmt.Errorf("%s: %s %s is defined twice", name, op, path)
				}
				have[op] = def
			}
		}
		c, _ := part["components"].(map[string]any)
		for section, defs := range c {
			into, _ := components[section].(map[string]any)
			if into == nil {
				into = map[string]any{}
				components[section] = into
			}
			m, _ := defs.(map[string]any)
			for key, def := range m {
				if _, dup := into[key]; dup {
					return nil, fmt.Errorf("%s: components.%s.%s is defined twice", name, section, key)
				}
				into[key] = def
			}
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

func mustMergeOpenAPI() []byte {
	b, err := mergeOpenAPI(openapiFiles)
	if err != nil {
		panic("api: openapi: " + err.Error())
	}
	return b
}

// withPermissions adds to each operation of doc the permission its route
// needs (x-permission, from the routes as registered, so the document
// cannot disagree with the server) and whether it takes unmask=true.
func withPermissions(doc []byte, access map[string]endpoint) []byte {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		panic("api: openapi document: " + err.Error())
	}
	paths, _ := d["paths"].(map[string]any)
	for key, ep := range access {
		method, path, _ := strings.Cut(key, " ")
		ops, _ := paths[path].(map[string]any)
		op, _ := ops[strings.ToLower(method)].(map[string]any)
		if op == nil {
			continue // TestOpenAPIMatchesRoutes reports it
		}
		perm := string(ep.perm)
		if perm == "" {
			perm = "any valid token"
		}
		op["x-permission"] = perm
		if ep.unmaskable {
			op["x-unmask"] = "unmask=true shows personal data in full to a token with the unmask permission; it is audited"
		}
	}
	out, err := json.Marshal(d)
	if err != nil {
		panic("api: openapi document: " + err.Error())
	}
	return out
}
