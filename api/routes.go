package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/mudi-gis/mudi/app"
)

// Route is one endpoint of the server. The route table is the single source from which the
// router is built and from which the OpenAPI document is generated, so the two cannot drift.
type Route struct {
	Method  string
	Path    string           // Echo syntax: /api/layers/:id
	Handler echo.HandlerFunc `json:"-"`
	// Write routes need an API key and have their bodies limited; Role is the least role the
	// key must have (default editor).
	Write bool
	Role  app.Role

	OperationID string
	Summary     string
	Tag         string
	Params      []Param        // query (and form) parameters; path parameters come from Path
	Body        string         // media type of the request body, if any
	Responses   map[int]string // status → description
	Produces    string         // media type of the 200/201 body (default application/json)
}

// Param is a query parameter of a [Route].
type Param struct {
	Name        string
	Type        string // string, integer, number, boolean
	Description string
	Required    bool
	Enum        []string
}

// routeTable returns every route of the server, in the order they are documented.
func (s *Server) routeTable() []Route {
	var rs []Route
	for _, group := range [][]Route{
		s.opsRoutes(),
		s.layerRoutes(),
		s.parcelRoutes(),
		s.monitorRoutes(),
		s.packRoutes(),
		s.analysisRoutes(),
		s.tileRoutes(),
		s.fileRoutes(),
		s.ogcRoutes(),
		s.ogcWriteRoutes(),
		s.webRoutes(),
	} {
		rs = append(rs, group...)
	}
	return rs
}

func (s *Server) routes() {
	for _, r := range s.routeTable() {
		var mw []echo.MiddlewareFunc
		switch {
		case r.Write:
			need := r.Role
			if need == "" {
				need = app.RoleEditor
			}
			mw = append(mw, s.requireKey(need), s.limitBody)
		case s.privateRead(r.Path):
			mw = append(mw, s.requireKey(app.RoleReader))
		}
		s.echo.Add(r.Method, r.Path, r.Handler, mw...)
		if r.Method == http.MethodGet {
			s.echo.Add(http.MethodHead, r.Path, r.Handler, mw...)
		}
	}
	s.echo.RouteNotFound("/*", func(c *echo.Context) error {
		return notFound("no route for %s %s", c.Request().Method, c.Request().URL.Path)
	})
}

// privateRead reports whether reading path needs a key: with PrivateReads every route but the
// health checks and the viewer's page and assets; with PrivateMetrics, /metrics.
func (s *Server) privateRead(path string) bool {
	switch {
	case path == "/healthz" || path == "/readyz":
		return false
	case path == "/metrics":
		return s.cfg.PrivateReads || s.cfg.PrivateMetrics
	case path == "/" || strings.HasPrefix(path, "/assets") || strings.HasPrefix(path, "/viewer/"):
		return false
	}
	return s.cfg.PrivateReads
}

// archiveParams are the query parameters of PMTiles archives.
var archiveParams = []Param{
	{Name: "minzoom", Type: "integer", Description: "PMTiles: lowest zoom of the archive, 0–18 (default 0)"},
	{Name: "maxzoom", Type: "integer", Description: "PMTiles: highest zoom of the archive, 1–18 (default 16)"},
}

// Common response descriptions.
var (
	respBad       = "invalid parameter (problem JSON naming it)"
	respNotFound  = "unknown layer, feature or analysis"
	respKey       = "missing (401) or invalid (403) API key"
	respTooLarge  = "request body too large"
	respMediaType = "unsupported media type"
)

func (s *Server) opsRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/healthz", Handler: s.healthz, OperationID: "healthz", Tag: "ops",
			Summary: "Liveness", Responses: map[int]string{200: "the process runs"}},
		{Method: "GET", Path: "/readyz", Handler: s.readyz, OperationID: "readyz", Tag: "ops",
			Summary: "Readiness", Responses: map[int]string{200: "the index is loaded", 503: "still loading"}},
		{Method: "GET", Path: "/metrics", Handler: s.metricsHandler, OperationID: "metrics", Tag: "ops",
			Summary: "Prometheus metrics: requests by route, durations, layers, tile cache, Go runtime", Produces: "text/plain",
			Responses: map[int]string{200: "metrics in the Prometheus text format"}},
	}
}

func (s *Server) layerRoutes() []Route {
	upload := []Param{
		{Name: "id", Type: "string", Description: "layer id: [a-z0-9][a-z0-9_-]{0,63}", Required: true},
		{Name: "title", Type: "string", Description: "title (default: the id)"},
		{Name: "kind", Type: "string", Description: "layer kind", Enum: []string{"parcels", "control"}},
		{Name: "crs", Type: "string", Description: "CRS of the input when it has none, e.g. EPSG:4549"},
		{Name: "control", Type: "string", Description: "control layer of a parcels layer"},
		{Name: "strict", Type: "boolean", Description: "reject the input on any invalid feature (or duplicate or missing parcel code)"},
		{Name: "allow_empty", Type: "boolean", Description: "accept a file without features (creates or empties the layer); without it such a file is refused"},
		{Name: "roles", Type: "string", Description: "role overrides: code=DKBH,status=WWLX or a JSON object"},
		{Name: "encoding", Type: "string", Description: "attribute encoding of a Shapefile (default: its .cpg, else detected): GBK, GB18030, UTF-8"},
		{Name: "table", Type: "string", Description: "table of a GeoPackage holding several"},
	}
	return []Route{
		{Method: "GET", Path: "/api/layers", Handler: s.listLayers, OperationID: "listLayers", Tag: "layers",
			Summary: "List layers", Responses: map[int]string{200: "the layers"}},
		{Method: "POST", Path: "/api/layers", Handler: s.createLayer, Write: true, OperationID: "createLayer", Tag: "layers",
			Summary: "Create a layer from an upload", Params: upload, Body: "application/geo+json",
			Responses: map[int]string{201: "created; lists repaired and skipped features", 400: "invalid input (problem JSON with errors[] per feature)",
				401: respKey, 409: "a layer with that id exists", 413: respTooLarge, 415: respMediaType}},
		{Method: "GET", Path: "/api/layers/:id", Handler: s.getLayer, OperationID: "getLayer", Tag: "layers",
			Summary: "One layer", Responses: map[int]string{200: "the layer", 404: respNotFound}},
		{Method: "PUT", Path: "/api/layers/:id", Handler: s.replaceLayer, Write: true, OperationID: "replaceLayer", Tag: "layers",
			Summary: "Replace a layer atomically", Params: upload[1:], Body: "application/geo+json",
			Responses: map[int]string{200: "replaced", 400: "invalid input", 401: respKey, 404: respNotFound, 413: respTooLarge, 415: respMediaType}},
		{Method: "PATCH", Path: "/api/layers/:id", Handler: s.patchLayer, Write: true, Role: app.RoleAdmin, OperationID: "patchLayer", Tag: "layers",
			Summary: "Change title, roles or control layer", Body: "application/json",
			Responses: map[int]string{200: "the changed layer", 400: respBad, 401: respKey, 404: respNotFound}},
		{Method: "DELETE", Path: "/api/layers/:id", Handler: s.deleteLayer, Write: true, Role: app.RoleAdmin, OperationID: "deleteLayer", Tag: "layers",
			Summary: "Delete a layer", Responses: map[int]string{204: "deleted", 401: respKey, 404: respNotFound, 409: "parcels layers use it as their control layer"}},
		{Method: "GET", Path: "/api/layers/:id/features/:fid", Handler: s.getFeature, OperationID: "getFeature", Tag: "features",
			Summary: "One feature with source and derived attributes", Produces: "application/geo+json",
			Responses: map[int]string{200: "the feature", 400: respBad, 404: respNotFound}},
		{Method: "PATCH", Path: "/api/layers/:id/features/:fid", Handler: s.patchFeature, Write: true, OperationID: "patchFeature", Tag: "features",
			Summary: "Edit attributes (JSON merge patch; null removes); every change is kept in the history", Body: "application/merge-patch+json", Produces: "application/geo+json",
			Responses: map[int]string{200: "the edited feature", 400: "derived or mistyped attribute", 401: respKey, 404: respNotFound}},
		{Method: "GET", Path: "/api/layers/:id/features/:fid/history", Handler: s.featureHistory, OperationID: "featureHistory", Tag: "features",
			Summary: "The feature's attribute changes (time, key, before, after)", Responses: map[int]string{200: "the history", 404: respNotFound}},
	}
}

func (s *Server) analysisRoutes() []Route {
	p := func(name, typ, desc string) Param { return Param{Name: name, Type: typ, Description: desc} }
	common := []Param{p("layer", "string", "parcels layer (default: the only one)"), p("status", "string", "comma-separated status values, * for all"),
		p("filter", "string", "CQL2-text filter"), p("bbox", "string", "west,south,east,north in lon/lat")}
	return []Route{
		{Method: "GET", Path: "/api/analyses", Handler: s.listAnalyses, OperationID: "listAnalyses", Tag: "analyses",
			Summary: "Saved analyses", Responses: map[int]string{200: "the saved analyses"}},
		{Method: "POST", Path: "/api/analyses", Handler: s.postAnalysis, Write: true, OperationID: "runAnalysis", Tag: "analyses",
			Summary: "Run a full analysis spec; save_as keeps the result as a derived layer", Body: "application/json", Produces: "application/geo+json",
			Responses: map[int]string{200: "the result (FeatureCollection with summary)", 201: "saved", 400: respBad, 401: respKey}},
		{Method: "GET", Path: "/api/analyses/:id", Handler: s.preset, OperationID: "getAnalysis", Tag: "analyses",
			Summary: "A preset (small-parcels, outside-control, contiguous-blocks) run with query parameters, or a saved analysis",
			Params: append(common, p("max_mu", "number", "area below which (亩)"), p("min_mu", "number", "area from which (亩)"),
				p("control", "string", "control layer"), p("tolerance_m", "number", "gap bridged between parcels, metres"),
				p("sliver_ratio", "number", "share of area tolerated across the control line")),
			Produces:  "application/geo+json",
			Responses: map[int]string{200: "the result (FeatureCollection with summary) or the saved analysis", 400: respBad, 404: respNotFound}},
		{Method: "DELETE", Path: "/api/analyses/:id", Handler: s.deleteAnalysis, Write: true, OperationID: "deleteAnalysis", Tag: "analyses",
			Summary: "Delete a saved analysis and its layer", Responses: map[int]string{204: "deleted", 401: respKey, 404: respNotFound}},
		{Method: "GET", Path: "/api/stats", Handler: s.stats, OperationID: "stats", Tag: "analyses",
			Summary: "Count, 亩 and 亩均税收 per group", Params: []Param{p("layer", "string", "parcels layer"), p("group_by", "string", "comma-separated roles or fields")},
			Responses: map[int]string{200: "the statistics", 400: respBad}},
	}
}

func (s *Server) tileRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/tiles/:layers", Handler: s.tileset, OperationID: "tileJSON", Tag: "tiles",
			Summary: "TileJSON 3.0.0 of one layer or comma-joined layers, /tiles/{layers}.json, whose tile URLs carry the layers' versions (?v=); " +
				"or their PMTiles archive, /tiles/{layers}.pmtiles (attachment {layers}.pmtiles, built before it is sent: tiles byte for byte as served, gzip-compressed)",
			Params:    archiveParams,
			Responses: map[int]string{200: "TileJSON, or the archive", 304: "not modified", 400: "minzoom or maxzoom out of range (problem JSON naming it)", 404: respNotFound, 422: "no feature in the zooms of the archive"}},
		{Method: "GET", Path: "/tiles/:layers/metadata.json", Handler: s.tileMetadata, OperationID: "tileMetadata", Tag: "tiles",
			Summary: "Tileset metadata as GDAL's MVT driver reads it", Responses: map[int]string{200: "metadata", 404: respNotFound}},
		{Method: "GET", Path: "/tiles/:layers/:z/:x/:y", Handler: s.tile, OperationID: "tile", Tag: "tiles",
			Summary: "Mapbox Vector Tile (Web Mercator XYZ): /tiles/{layers}/{z}/{x}/{y}.mvt or .pbf", Produces: mimeMVT,
			Responses: map[int]string{200: "the tile (gzip when accepted)", 204: "empty tile", 304: "not modified", 400: "z, x or y out of range", 404: respNotFound}},
		{Method: "GET", Path: "/styles/:name", Handler: s.style, OperationID: "style", Tag: "tiles",
			Summary: "MapLibre style: /styles/default.json", Responses: map[int]string{200: "the style", 404: "unknown style"}},
	}
}
