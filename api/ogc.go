package api

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// OGC API – Features (Part 1 Core, Part 2 CRS by reference, Part 3 Filtering with CQL2 text,
// Part 4 create, replace, update and delete in ogc_write.go) under /ogc. Every layer of the index is a collection; its items are the layer's features in
// id order, with source and derived attributes as properties.

const (
	mimeGeoJSON    = "application/geo+json"
	mimeOpenAPI    = "application/vnd.oai.openapi+json;version=3.0"
	mimeSchemaJSON = "application/schema+json"
	mimeHTML       = "text/html"

	relQueryables = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

	// ogcDefaultLimit and ogcMaxLimit bound the items of one page; a larger limit is served
	// as the maximum (OGC API – Features Part 1, /req/core/fc-limit-response-1).
	ogcDefaultLimit = 100
	ogcMaxLimit     = 10000
)

// conformance lists the conformance classes mudi implements.
var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	confCreateReplaceDelete,
	confUpdate,
	confFeatures,
	"http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
}

// ogcCRSs are the CRSs items can be requested in and bboxes and filters given in: CRS84 (the
// default and storage CRS), WGS 84 and CGCS2000 latitude/longitude, and every CGCS2000 3°
// Gauss-Krüger zone.
var ogcCRSs = func() []crs.CRS {
	out := []crs.CRS{crs.CRS84, crs.EPSG4490, crs.EPSG4326}
	for code := 4513; code <= 4554; code++ {
		c, err := crs.FromEPSG(code)
		if err != nil {
			panic(err) // the crs package supports every zone
		}
		out = append(out, c)
	}
	return out
}()

func ogcCRSURIs() []string {
	out := make([]string, len(ogcCRSs))
	for i, c := range ogcCRSs {
		out[i] = c.URI()
	}
	return out
}

// ogcCRSParam parses a CRS parameter (crs, bbox-crs, filter-crs); "" is CRS84.
func ogcCRSParam(q url.Values, name string) (crs.CRS, error) {
	v := q.Get(name)
	if v == "" {
		return crs.CRS84, nil
	}
	c, err := crs.Parse(v)
	if err == nil {
		for _, ok := range ogcCRSs {
			if c == ok {
				return c, nil
			}
		}
	}
	return crs.CRS{}, badParam(name, "%q is not supported: use the URI of CRS84, EPSG:4490, EPSG:4326 or a CGCS2000 Gauss-Krüger zone EPSG:4513–4554, e.g. %s", v, "http://www.opengis.net/def/crs/EPSG/0/4549")
}

// paramOverrides give OpenAPI schema constraints that [Param] cannot express, by operation id
// and parameter name; the OpenAPI generator merges them into the parameter's schema.
var paramOverrides = map[string]map[string]map[string]any{
	"getItems": {
		"limit":  {"minimum": 1, "maximum": ogcMaxLimit, "default": ogcDefaultLimit},
		"offset": {"minimum": 0, "default": 0},
		"bbox":   {"minItems": 4, "maxItems": 6},
		"crs":    {"format": "uri", "default": crs.CRS84.URI()},
	},
	"getItem": {"crs": {"format": "uri", "default": crs.CRS84.URI()}},
}

// ogcRoutes returns the routes of OGC API – Features, and /api/openapi.json.
func (s *Server) ogcRoutes() []Route {
	f := Param{Name: "f", Type: "string", Description: "response format; default: by the Accept header, JSON unless HTML is preferred", Enum: []string{"json", "html"}}
	id := Param{Name: "id", Type: "string", Description: "collection id (the layer id)"}
	crsP := func(name, desc string) Param { return Param{Name: name, Type: "string", Description: desc} }
	items := []Param{id, f,
		{Name: "limit", Type: "integer", Description: "features per page (1–10000, default 100; a larger value is served as 10000)"},
		{Name: "offset", Type: "integer", Description: "features to skip, in id order"},
		{Name: "bbox", Type: "number[]", Description: "west,south,east,north (or with heights: 6 numbers) in bbox-crs, in its axis order; features whose geometry intersects the box"},
		crsP("bbox-crs", "CRS URI of bbox (default CRS84): CRS84, EPSG:4490, EPSG:4326 or EPSG:4513–4554"),
		crsP("crs", "CRS URI of the response geometries (default CRS84), in that CRS's axis order: CRS84, EPSG:4490, EPSG:4326 or EPSG:4513–4554"),
		{Name: "filter", Type: "string", Description: "CQL2-text filter over the queryables, e.g. XZQMC = '柯城区' AND area_mu < 50 AND S_INTERSECTS(geometry, BBOX(118.8, 28.9, 118.9, 29))"},
		{Name: "filter-lang", Type: "string", Description: "language of filter", Enum: []string{"cql2-text"}},
		crsP("filter-crs", "CRS URI of the geometry literals in filter (default CRS84)"),
		{Name: "datetime", Type: "string", Description: "features whose temporal property (the supply date GDRQ, or the field of the layer's temporal role; a whole day in UTC) intersects an RFC 3339 instant or date, or an interval start/end with .. for an open end, e.g. 2020-01-01T00:00:00Z/..; 400 for a collection without a temporal property"},
	}
	ogcBad := map[int]string{400: respBad, 404: "unknown collection"}
	withOK := func(m map[int]string, ok string) map[int]string {
		out := map[int]string{200: ok}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	return []Route{
		{Method: "GET", Path: "/api/openapi.json", Handler: s.openAPIJSON, OperationID: "openAPI", Tag: "ops",
			Summary: "OpenAPI 3.0 description of this API (also at /ogc/api)", Responses: map[int]string{200: "the OpenAPI document"}},
		{Method: "GET", Path: "/ogc", Handler: s.ogcLanding, OperationID: "getLandingPage", Tag: "ogc",
			Summary: "OGC API – Features landing page", Params: []Param{f}, Responses: map[int]string{200: "links to the API description, conformance and collections", 400: respBad}},
		{Method: "GET", Path: "/ogc/api", Handler: s.ogcAPI, OperationID: "getAPI", Tag: "ogc",
			Summary: "The API description: OpenAPI 3.0 JSON, or with f=html a page describing every endpoint", Params: []Param{f},
			Produces: mimeOpenAPI, Responses: map[int]string{200: "the OpenAPI document", 400: respBad}},
		{Method: "GET", Path: "/ogc/conformance", Handler: s.ogcConformance, OperationID: "getConformance", Tag: "ogc",
			Summary: "Conformance classes implemented", Params: []Param{f}, Responses: map[int]string{200: "the conformance declaration", 400: respBad}},
		{Method: "GET", Path: "/ogc/collections", Handler: s.ogcCollections, OperationID: "getCollections", Tag: "ogc",
			Summary: "Every layer as a feature collection", Params: []Param{f}, Responses: map[int]string{200: "the collections", 400: respBad}},
		{Method: "GET", Path: "/ogc/collections/:id", Handler: s.ogcCollection, OperationID: "describeCollection", Tag: "ogc",
			Summary: "One collection: extent (CRS84), CRSs, links to items, queryables and TileJSON", Params: []Param{id, f},
			Responses: withOK(ogcBad, "the collection")},
		{Method: "GET", Path: "/ogc/collections/:id/queryables", Handler: s.ogcQueryables, OperationID: "getQueryables", Tag: "ogc",
			Summary: "Properties usable in filter and as query parameters (JSON Schema 2020-12)", Params: []Param{id, f}, Produces: mimeSchemaJSON,
			Responses: withOK(ogcBad, "the queryables")},
		{Method: "GET", Path: "/ogc/collections/:id/schema", Handler: s.ogcSchema, OperationID: "getSchema", Tag: "ogc",
			Summary: "Schema of the features (JSON Schema 2020-12, OGC API – Features Part 5): property types, titles, read-only computed attributes, MultiPolygon geometry", Params: []Param{id, f}, Produces: mimeSchemaJSON,
			Responses: withOK(ogcBad, "the schema")},
		{Method: "GET", Path: "/ogc/collections/:id/items", Handler: s.ogcItems, OperationID: "getItems", Tag: "ogc",
			Summary: "Features in id order, paged by limit and offset, filtered by bbox, filter and queryable=value parameters (e.g. DKBH=KC-001)",
			Params:  items, Produces: mimeGeoJSON, Responses: withOK(ogcBad, "a page of features (FeatureCollection with numberMatched, numberReturned and next/prev links)")},
		{Method: "GET", Path: "/ogc/collections/:id/items/:fid", Handler: s.ogcItem, OperationID: "getItem", Tag: "ogc",
			Summary: "One feature", Params: []Param{id, {Name: "fid", Type: "integer", Description: "feature id"}, f, crsP("crs", "CRS URI of the response geometry (default CRS84)")},
			Produces: mimeGeoJSON, Responses: map[int]string{200: "the feature", 400: respBad, 404: "unknown collection or feature"}},
	}
}

// format is a response representation.
type format int

const (
	formatJSON format = iota
	formatHTML
)

// negotiate picks the representation: the f parameter when given, else the Accept header
// (HTML only when the client prefers it to JSON, as browsers do).
func negotiate(c *echo.Context) (format, error) {
	if f := c.QueryParam("f"); f != "" {
		switch strings.ToLower(f) {
		case "json", "geojson", "application/json", mimeGeoJSON:
			return formatJSON, nil
		case "html", mimeHTML:
			return formatHTML, nil
		}
		return formatJSON, badParam("f", "%q is not a format: use json or html", f)
	}
	return acceptFormat(c.Request().Header.Get("Accept")), nil
}

func acceptFormat(accept string) format {
	htmlQ, jsonQ := 0.0, 0.0
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		media := strings.ToLower(strings.TrimSpace(fields[0]))
		q := 1.0
		for _, p := range fields[1:] {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		switch {
		case media == mimeHTML || media == "application/xhtml+xml":
			htmlQ = max(htmlQ, q)
		case strings.HasPrefix(media, "application/"), media == "*/*":
			jsonQ = max(jsonQ, q)
		}
	}
	if htmlQ > jsonQ {
		return formatHTML
	}
	return formatJSON
}

// checkParams rejects query parameters that allowed does not accept, and known parameters
// given more than once, naming the parameter.
func checkParams(q url.Values, allowed func(string) bool) error {
	for _, k := range sortedKeys(q) {
		if !allowed(k) {
			return badParam(k, "unknown parameter")
		}
		if len(q[k]) > 1 {
			return badParam(k, "given %d times", len(q[k]))
		}
	}
	return nil
}

func only(names ...string) func(string) bool {
	return func(k string) bool {
		for _, n := range names {
			if n == k {
				return true
			}
		}
		return false
	}
}

// withParam returns a copy of q with name set to value ("" removes it).
func withParam(q url.Values, name, value string) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	if value == "" {
		out.Del(name)
	} else {
		out.Set(name, value)
	}
	return out
}

// selfLinks returns the self and alternate links of a resource at path in format cur.
func (s *Server) selfLinks(c *echo.Context, path string, q url.Values, cur format, jsonType string) []link {
	jsonQ, htmlQ := withParam(q, "f", "json"), withParam(q, "f", "html")
	if cur == formatJSON {
		return []link{
			{Href: s.href(c, path, withParam(q, "f", "")), Rel: "self", Type: jsonType, Title: "this document"},
			{Href: s.href(c, path, htmlQ), Rel: "alternate", Type: mimeHTML, Title: "this document as HTML"},
		}
	}
	return []link{
		{Href: s.href(c, path, htmlQ), Rel: "self", Type: mimeHTML, Title: "this document"},
		{Href: s.href(c, path, jsonQ), Rel: "alternate", Type: jsonType, Title: "this document as JSON"},
	}
}

func (s *Server) ogcLanding(c *echo.Context) error {
	if err := checkParams(c.QueryParams(), only("f")); err != nil {
		return err
	}
	fm, err := negotiate(c)
	if err != nil {
		return err
	}
	links := append(s.selfLinks(c, "/ogc", nil, fm, echo.MIMEApplicationJSON),
		link{Href: s.href(c, "/ogc/api", nil), Rel: "service-desc", Type: mimeOpenAPI, Title: "the API definition (OpenAPI 3.0)"},
		link{Href: s.href(c, "/ogc/api", url.Values{"f": {"html"}}), Rel: "service-doc", Type: mimeHTML, Title: "the API documentation"},
		link{Href: s.href(c, "/ogc/conformance", nil), Rel: "conformance", Type: echo.MIMEApplicationJSON, Title: "conformance classes implemented"},
		link{Href: s.href(c, "/ogc/conformance", nil), Rel: "http://www.opengis.net/def/rel/ogc/1.0/conformance", Type: echo.MIMEApplicationJSON, Title: "conformance classes implemented"},
		link{Href: s.href(c, "/ogc/collections", nil), Rel: "data", Type: echo.MIMEApplicationJSON, Title: "the feature collections"},
		link{Href: s.href(c, "/ogc/collections", nil), Rel: "http://www.opengis.net/def/rel/ogc/1.0/data", Type: echo.MIMEApplicationJSON, Title: "the feature collections"},
	)
	doc := map[string]any{
		"title":       "mudi 亩地",
		"description": "Industrial land parcels, control lines and analysis results as OGC API – Features; CRS84, CGCS2000 and its Gauss-Krüger zones; CQL2 filters.",
		"links":       links,
	}
	if fm == formatHTML {
		return s.renderHTML(c, "landing", htmlPage{Title: "mudi 亩地 – OGC API – Features", Links: links, Data: doc})
	}
	return sendJSON(c, http.StatusOK, "", doc)
}

func (s *Server) ogcConformance(c *echo.Context) error {
	if err := checkParams(c.QueryParams(), only("f")); err != nil {
		return err
	}
	fm, err := negotiate(c)
	if err != nil {
		return err
	}
	links := s.selfLinks(c, "/ogc/conformance", nil, fm, echo.MIMEApplicationJSON)
	if fm == formatHTML {
		return s.renderHTML(c, "conformance", htmlPage{Title: "Conformance", Links: links, Data: conformance})
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"conformsTo": conformance, "links": links})
}

// ogcCollectionView is the JSON form of a collection.
type ogcCollectionView struct {
	ID          string         `json:"id"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	ItemType    string         `json:"itemType"`
	Extent      map[string]any `json:"extent,omitempty"`
	CRS         []string       `json:"crs"`
	StorageCRS  string         `json:"storageCrs"`
	Links       []link         `json:"links"`

	bound []float64 // west, south, east, north; nil for an empty layer
}

// BBoxText is the extent for the HTML page.
func (v ogcCollectionView) BBoxText() string {
	if v.bound == nil {
		return "empty"
	}
	return fmt.Sprintf("%.6f, %.6f, %.6f, %.6f (west, south, east, north; CRS84)", v.bound[0], v.bound[1], v.bound[2], v.bound[3])
}

var kindNames = map[spatial.Kind]string{spatial.KindParcels: "地块 parcels", spatial.KindControl: "控制线 control lines", spatial.KindDerived: "分析结果 analysis result"}

func (s *Server) collectionView(c *echo.Context, sn *spatial.Snapshot) ogcCollectionView {
	l := sn.Layer
	path := "/ogc/collections/" + url.PathEscape(l.ID)
	v := ogcCollectionView{
		ID: l.ID, Title: l.Title, ItemType: "feature", CRS: ogcCRSURIs(), StorageCRS: crs.CRS84.URI(),
		Description: strings.TrimSpace(kindNames[l.Kind] + " layer, " + strconv.Itoa(sn.Len()) + " features, version " + strconv.FormatUint(l.Version, 10)),
		Links: []link{
			{Href: s.href(c, path, nil), Rel: "self", Type: echo.MIMEApplicationJSON, Title: "this collection"},
			{Href: s.href(c, path, url.Values{"f": {"html"}}), Rel: "alternate", Type: mimeHTML, Title: "this collection as HTML"},
			{Href: s.href(c, path+"/items", nil), Rel: "items", Type: mimeGeoJSON, Title: "the features"},
			{Href: s.href(c, path+"/items", url.Values{"f": {"html"}}), Rel: "items", Type: mimeHTML, Title: "the features as HTML"},
			{Href: s.href(c, path+"/queryables", nil), Rel: relQueryables, Type: mimeSchemaJSON, Title: "queryable properties"},
			{Href: s.href(c, path+"/queryables", nil), Rel: "queryables", Type: mimeSchemaJSON, Title: "queryable properties"},
			{Href: s.href(c, path+"/schema", nil), Rel: relSchema, Type: mimeSchemaJSON, Title: "schema of the features (MultiPolygon geometry)"},
			{Href: s.href(c, "/tiles/"+url.PathEscape(l.ID)+".json", nil), Rel: "tiles", Type: echo.MIMEApplicationJSON, Title: "vector tiles (TileJSON 3.0.0)"},
			{Href: s.href(c, "/api/layers/"+url.PathEscape(l.ID), nil), Rel: "related", Type: echo.MIMEApplicationJSON, Title: "layer metadata in the mudi API: fields, roles, source"},
		},
	}
	if sn.Len() > 0 {
		b := l.Bound
		v.bound = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
		v.Extent = map[string]any{"spatial": map[string]any{
			"bbox": [][]float64{v.bound},
			"crs":  crs.CRS84.URI(),
		}}
		if from, to, ok := temporalExtent(sn); ok {
			v.Extent["temporal"] = map[string]any{"interval": [][]string{{from, to}}, "trs": trsGregorian}
		}
	}
	return v
}

func (s *Server) ogcCollections(c *echo.Context) error {
	if err := checkParams(c.QueryParams(), only("f")); err != nil {
		return err
	}
	fm, err := negotiate(c)
	if err != nil {
		return err
	}
	snaps := s.index.Layers()
	cols := make([]ogcCollectionView, len(snaps))
	for i, sn := range snaps {
		cols[i] = s.collectionView(c, sn)
	}
	links := s.selfLinks(c, "/ogc/collections", nil, fm, echo.MIMEApplicationJSON)
	if fm == formatHTML {
		return s.renderHTML(c, "collections", htmlPage{Title: "Collections", Links: links, Data: cols})
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"links": links, "collections": cols, "crs": ogcCRSURIs()})
}

// ogcSnapshot returns the layer named by the path parameter id, or a 404.
func (s *Server) ogcSnapshot(c *echo.Context) (*spatial.Snapshot, error) {
	id := c.Param("id")
	sn := s.index.Layer(id)
	if sn == nil {
		return nil, notFound("collection %q does not exist", id)
	}
	return sn, nil
}

// ogcResource starts a request about one collection: its snapshot (404 when unknown), the
// query parameters checked against allowed (400 naming an unknown one), and the format.
func (s *Server) ogcResource(c *echo.Context, allowed func(string) bool) (*spatial.Snapshot, format, error) {
	sn, err := s.ogcSnapshot(c)
	if err != nil {
		return nil, 0, err
	}
	if err := checkParams(c.QueryParams(), allowed); err != nil {
		return nil, 0, err
	}
	fm, err := negotiate(c)
	if err != nil {
		return nil, 0, err
	}
	return sn, fm, nil
}

func (s *Server) ogcCollection(c *echo.Context) error {
	sn, fm, err := s.ogcResource(c, only("f"))
	if err != nil {
		return err
	}
	v := s.collectionView(c, sn)
	if fm == formatHTML {
		return s.renderHTML(c, "collection", htmlPage{Title: v.Title, Links: v.Links, Data: v})
	}
	return sendJSON(c, http.StatusOK, "", v)
}

// queryable is a property usable in filters and as a query parameter.
type queryable struct {
	Name        string
	Title       string
	Description string
	Type        string // JSON Schema type: string, integer, number, boolean
	Enum        []string
	Date        bool
}

// computedQueryables describe the computed attributes of a layer of kind k (see
// [spatial.Computed]): parcels layers have all of them, other layers only the areas.
func computedQueryables(k spatial.Kind) []queryable {
	var out []queryable
	for _, a := range spatial.ComputedFor(k) {
		out = append(out, queryable{Name: a.Key, Title: a.Alias, Description: a.Title, Type: jsonSchemaType(a.Type), Enum: a.Enum})
	}
	return out
}

// jsonSchemaType is the JSON Schema type of a field type (dates are strings).
func jsonSchemaType(t spatial.FieldType) string {
	switch t {
	case spatial.FieldInteger:
		return "integer"
	case spatial.FieldReal:
		return "number"
	case spatial.FieldBoolean:
		return "boolean"
	}
	return "string"
}

// queryables returns the layer's queryables: its fields in schema order, then the derived
// attributes it has (a field named like a derived attribute is the derived one).
func queryables(l spatial.Layer) []queryable {
	derived := computedQueryables(l.Kind)
	var out []queryable
	for _, f := range l.Fields {
		if computedProperty(f.Name) || f.Name == "geometry" {
			continue
		}
		out = append(out, queryable{Name: f.Name, Title: f.Alias, Type: jsonSchemaType(f.Type), Date: f.Type == spatial.FieldDate})
	}
	return append(out, derived...)
}

func findQueryable(qs []queryable, name string) (queryable, bool) {
	for _, q := range qs {
		if q.Name == name {
			return q, true
		}
	}
	return queryable{}, false
}

func (s *Server) ogcQueryables(c *echo.Context) error {
	sn, fm, err := s.ogcResource(c, only("f"))
	if err != nil {
		return err
	}
	path := "/ogc/collections/" + url.PathEscape(sn.Layer.ID) + "/queryables"
	qs := queryables(sn.Layer)
	props := map[string]any{
		"geometry": map[string]any{"title": "geometry", "format": "geometry-multipolygon", "x-ogc-role": "primary-geometry"},
	}
	for _, q := range qs {
		p := map[string]any{"type": q.Type}
		if q.Title != "" {
			p["title"] = q.Title
		}
		if q.Description != "" {
			p["description"] = q.Description
		}
		if q.Enum != nil {
			p["enum"] = q.Enum
		}
		if q.Date {
			p["format"] = "date"
		}
		props[q.Name] = p
	}
	doc := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  s.href(c, path, nil),
		"type":                 "object",
		"title":                sn.Layer.Title,
		"description":          "Properties of " + sn.Layer.ID + " usable in filter (CQL2 text) and as query parameters of its items",
		"properties":           props,
		"additionalProperties": false,
	}
	if fm == formatHTML {
		names := make([]string, 0, len(props))
		for k := range props {
			names = append(names, k)
		}
		sort.Strings(names)
		return s.renderHTML(c, "queryables", htmlPage{Title: "Queryables of " + sn.Layer.Title,
			Links: s.selfLinks(c, path, nil, fm, mimeSchemaJSON), Data: map[string]any{"names": names, "props": props}})
	}
	return sendJSON(c, http.StatusOK, mimeSchemaJSON, doc)
}
