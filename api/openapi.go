package api

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"
)

// The OpenAPI 3.0.3 document is generated from the same route table ([Server.routeTable]) that
// builds the router, so the two cannot drift: every route is documented with its path
// parameters (Echo's :name becomes {name}), query parameters, request body, responses and
// media types; problems (4xx, 5xx) refer to one Problem schema.

// pathParamDocs describe path parameters that a route does not describe itself in Params.
var pathParamDocs = map[string]Param{
	"id":     {Type: "string", Description: "layer, collection or analysis id"},
	"fid":    {Type: "integer", Description: "feature id (a positive integer)"},
	"layers": {Type: "string", Description: "layer id, or several joined by commas (with .json appended for TileJSON, .pmtiles for a PMTiles archive)"},
	"z":      {Type: "integer", Description: "zoom level, 0–24"},
	"x":      {Type: "integer", Description: "tile column"},
	"y":      {Type: "string", Description: "tile row with the extension: 6789.mvt or 6789.pbf"},
	"name":   {Type: "string", Description: "style name with .json, e.g. default.json"},
	"path":   {Type: "string", Description: "path of the file"},
}

// componentParams are parameters, by operation id, that are put in components/parameters under
// their name and referred to: the OGC API – Features parameters, where clients look for them
// (QGIS reads the bounds of the items page size from components/parameters/limit).
var componentParams = map[string]map[string]bool{
	"getItems": {"limit": true, "offset": true, "bbox": true, "bbox-crs": true, "crs": true,
		"filter": true, "filter-lang": true, "filter-crs": true, "datetime": true},
}

var tagDocs = map[string]string{
	"ops":      "health, readiness and this description",
	"layers":   "layers: upload, replace, settings, delete",
	"features": "features and their ledger (attribute edits with history)",
	"analyses": "small parcels, outside the control line, contiguous blocks; saved analyses; statistics",
	"tiles":    "Mapbox Vector Tiles, TileJSON, MapLibre styles",
	"files":    "GIS file import and export",
	"ogc":      "OGC API – Features (Parts 1 to 4): collections, paged items, CRSs, CQL2 filters, queryables; creating, replacing, updating and deleting items",
	"web":      "the web viewer",
	"viewer":   "the web viewer",
}

// openAPIPath converts an Echo path to an OpenAPI path template and lists its parameters.
func openAPIPath(p string) (string, []string) {
	segs := strings.Split(p, "/")
	var names []string
	for i, seg := range segs {
		switch {
		case strings.HasPrefix(seg, ":"):
			names = append(names, seg[1:])
			segs[i] = "{" + seg[1:] + "}"
		case seg == "*":
			names = append(names, "path")
			segs[i] = "{path}"
		}
	}
	return strings.Join(segs, "/"), names
}

// paramSchema returns the JSON schema of a parameter: Type is string, integer, number,
// boolean, or number[] / string[] for a comma-separated list.
func paramSchema(p Param, override map[string]any) map[string]any {
	schema := map[string]any{}
	switch t := p.Type; {
	case strings.HasSuffix(t, "[]"):
		schema["type"] = "array"
		schema["items"] = map[string]any{"type": strings.TrimSuffix(t, "[]")}
	case t == "":
		schema["type"] = "string"
	default:
		schema["type"] = t
	}
	if len(p.Enum) > 0 {
		schema["enum"] = p.Enum
	}
	for k, v := range override {
		schema[k] = v
	}
	return schema
}

var openAPIMethods = map[string]bool{"GET": true, "PUT": true, "POST": true, "DELETE": true, "PATCH": true, "OPTIONS": true, "HEAD": true, "TRACE": true}

// openAPI returns the OpenAPI 3.0.3 document of the server, with server URL base.
func (s *Server) openAPI(base string) map[string]any {
	problemRef := map[string]any{"$ref": "#/components/schemas/Problem"}
	paths := map[string]map[string]any{}
	components := map[string]any{} // shared parameters
	var tags []map[string]any
	seenTag := map[string]bool{}
	for _, r := range s.routeTable() {
		if !openAPIMethods[r.Method] {
			continue
		}
		path, pathNames := openAPIPath(r.Path)
		overrides := paramOverrides[r.OperationID]
		var params []map[string]any
		inPath := map[string]bool{}
		for _, name := range pathNames {
			inPath[name] = true
			doc := pathParamDocs[name]
			for _, p := range r.Params {
				if p.Name == name {
					doc = p
				}
			}
			if doc.Description == "" {
				doc.Description = name
			}
			schema := paramSchema(doc, overrides[name])
			if doc.Type == "integer" && name == "fid" {
				schema["minimum"] = 1
			}
			params = append(params, map[string]any{"name": name, "in": "path", "required": true, "description": doc.Description, "schema": schema})
		}
		html := false
		for _, p := range r.Params {
			if inPath[p.Name] {
				continue
			}
			param := map[string]any{"name": p.Name, "in": "query", "schema": paramSchema(p, overrides[p.Name])}
			if p.Description != "" {
				param["description"] = p.Description
			}
			if p.Required {
				param["required"] = true
			}
			if strings.HasSuffix(p.Type, "[]") {
				param["style"], param["explode"] = "form", false
			}
			if componentParams[r.OperationID][p.Name] {
				components[p.Name] = param
				param = map[string]any{"$ref": "#/components/parameters/" + p.Name}
			}
			params = append(params, param)
			if p.Name == "f" {
				for _, e := range p.Enum {
					html = html || e == "html"
				}
			}
		}
		op := map[string]any{"operationId": r.OperationID, "summary": r.Summary, "responses": s.openAPIResponses(r, html, problemRef)}
		if r.Tag != "" {
			op["tags"] = []string{r.Tag}
			if !seenTag[r.Tag] {
				seenTag[r.Tag] = true
				tags = append(tags, map[string]any{"name": r.Tag, "description": tagDocs[r.Tag]})
			}
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.Body != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{r.Body: map[string]any{"schema": map[string]any{}}}}
		}
		if r.Write {
			op["security"] = []map[string][]string{{"apiKey": {}}, {"basicKey": {}}}
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(r.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   "mudi 亩地",
			"version": "1.0.0",
			"description": "Tile and vector service for idle and low-efficiency industrial land: layers, features and their ledger, " +
				"analyses in 亩, vector tiles and OGC API – Features. Errors are RFC 9457 problem JSON.",
		},
		"servers": []map[string]any{{"url": base}},
		"tags":    tags,
		"paths":   paths,
		"components": map[string]any{
			"parameters": components,
			"schemas": map[string]any{
				"Problem": map[string]any{
					"type":     "object",
					"required": []string{"type", "title", "status"},
					"properties": map[string]any{
						"type":       map[string]any{"type": "string", "format": "uri"},
						"title":      map[string]any{"type": "string"},
						"status":     map[string]any{"type": "integer"},
						"detail":     map[string]any{"type": "string"},
						"instance":   map[string]any{"type": "string"},
						"request_id": map[string]any{"type": "string"},
						"param":      map[string]any{"type": "string", "description": "the request parameter at fault"},
						"errors":     map[string]any{"type": "array", "items": map[string]any{"type": "object"}, "description": "per-feature problems of an import, or the position of a filter error"},
					},
				},
			},
			"securitySchemes": map[string]any{
				"apiKey":   map[string]any{"type": "http", "scheme": "bearer", "description": "a write key (MUDI_API_KEYS)"},
				"basicKey": map[string]any{"type": "http", "scheme": "basic", "description": "the same key as the password of HTTP Basic authentication, any user name (desktop GIS clients such as QGIS)"},
			},
		},
	}
}

// openAPIResponses describes a route's responses: bodies of successes in the route's media
// type (and HTML where f=html is offered), problems for errors, and a default problem.
func (s *Server) openAPIResponses(r Route, html bool, problemRef map[string]any) map[string]any {
	out := map[string]any{}
	codes := r.Responses
	if len(codes) == 0 {
		codes = map[int]string{200: "OK"}
	}
	for code, desc := range codes {
		resp := map[string]any{"description": desc}
		switch {
		case code == http.StatusNoContent || code == http.StatusNotModified:
		case code >= 400:
			resp["content"] = map[string]any{"application/problem+json": map[string]any{"schema": problemRef}}
		default:
			ct := r.Produces
			if ct == "" {
				ct = echo.MIMEApplicationJSON
			}
			content := map[string]any{ct: map[string]any{"schema": map[string]any{}}}
			if html && code == http.StatusOK {
				content[mimeHTML] = map[string]any{"schema": map[string]any{"type": "string"}}
			}
			resp["content"] = content
		}
		out[strconv.Itoa(code)] = resp
	}
	out["default"] = map[string]any{"description": "an error (problem JSON)",
		"content": map[string]any{"application/problem+json": map[string]any{"schema": problemRef}}}
	return out
}

// openAPIJSON serves GET /api/openapi.json.
func (s *Server) openAPIJSON(c *echo.Context) error {
	if err := checkParams(c.QueryParams(), only()); err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, "", s.openAPI(s.publicBase(c)))
}

// ogcAPI serves GET /ogc/api: the OpenAPI document (service-desc), or with f=html the page
// describing every endpoint (service-doc).
func (s *Server) ogcAPI(c *echo.Context) error {
	if err := checkParams(c.QueryParams(), only("f")); err != nil {
		return err
	}
	fm, err := negotiate(c)
	if err != nil {
		return err
	}
	if fm == formatHTML {
		return s.renderHTML(c, "api", htmlPage{Title: "mudi API", Data: s.apiDocRoutes(),
			Links: []link{{Href: s.href(c, "/ogc/api", nil), Rel: "service-desc", Type: mimeOpenAPI, Title: "OpenAPI 3.0 document"},
				{Href: s.href(c, "/ogc", url.Values{"f": {"html"}}), Rel: "up", Type: mimeHTML, Title: "landing page"}}})
	}
	return sendJSON(c, http.StatusOK, mimeOpenAPI, s.openAPI(s.publicBase(c)))
}

// apiDocRoute is one route as the HTML API documentation shows it.
type apiDocRoute struct {
	Route
	Path      string
	Params    []Param
	Responses [][2]string
}

func (s *Server) apiDocRoutes() []apiDocRoute {
	var out []apiDocRoute
	for _, r := range s.routeTable() {
		path, names := openAPIPath(r.Path)
		d := apiDocRoute{Route: r, Path: path}
		for _, name := range names {
			doc := pathParamDocs[name]
			doc.Name, doc.Required = name, true
			for _, p := range r.Params {
				if p.Name == name {
					doc = p
					doc.Required = true
				}
			}
			d.Params = append(d.Params, doc)
		}
		for _, p := range r.Params {
			if !slices.Contains(names, p.Name) {
				d.Params = append(d.Params, p)
			}
		}
		codes := make([]int, 0, len(r.Responses))
		for code := range r.Responses {
			codes = append(codes, code)
		}
		sort.Ints(codes)
		for _, code := range codes {
			d.Responses = append(d.Responses, [2]string{strconv.Itoa(code), r.Responses[code]})
		}
		out = append(out, d)
	}
	return out
}
