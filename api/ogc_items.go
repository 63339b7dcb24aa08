package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/cql2"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// itemParams are the query parameters of /ogc/collections/{id}/items besides queryables.
var itemParams = map[string]bool{
	"f": true, "limit": true, "offset": true, "bbox": true, "bbox-crs": true, "crs": true,
	"filter": true, "filter-lang": true, "filter-crs": true, "datetime": true, "as_of": true,
}

// ogcFeature is a feature as OGC API – Features serves it.
type ogcFeature struct {
	Type       string            `json:"type"`
	ID         uint64            `json:"id"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties map[string]any    `json:"properties"`
	Links      []link            `json:"links,omitempty"`
}

type ogcFeatureCollection struct {
	Type           string       `json:"type"`
	Features       []ogcFeature `json:"features"`
	NumberMatched  int          `json:"numberMatched"`
	NumberReturned int          `json:"numberReturned"`
	TimeStamp      string       `json:"timeStamp"`
	Links          []link       `json:"links"`
}

// ogcItems serves a page of a collection's features: filtered by bbox, filter and
// queryable=value parameters, in id order, from offset, at most limit of them.
func (s *Server) ogcItems(c *echo.Context) error {
	sn, err := s.ogcSnapshot(c)
	if err != nil {
		return err
	}
	if sn, err = s.withClasses(c, sn); err != nil {
		return err
	}
	q := c.QueryParams()
	qs := queryables(sn.Layer)
	if err := checkParams(q, func(k string) bool {
		_, ok := findQueryable(qs, k)
		return itemParams[k] || ok
	}); err != nil {
		return err
	}
	fm, err := negotiate(c)
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", ogcDefaultLimit, 1, ogcMaxLimit)
	if err != nil {
		return err
	}
	offset, err := intParam(q, "offset", 0, 0, -1)
	if err != nil {
		return err
	}
	out, err := ogcCRSParam(q, "crs")
	if err != nil {
		return err
	}
	inTime, err := datetimeFilter(&sn.Layer, q.Get("datetime"))
	if err != nil {
		return err
	}
	expr, err := itemsFilter(q, sn.Layer, qs)
	if err != nil {
		return err
	}
	matched, err := selectFeatures(c.Request().Context(), sn, expr.In(sn))
	if err != nil {
		return err
	}
	if inTime != nil {
		matched = keepFeatures(matched, inTime)
	}
	start := min(offset, len(matched))
	page := matched[start:min(start+limit, len(matched))]

	path := "/ogc/collections/" + url.PathEscape(sn.Layer.ID) + "/items"
	ct := mimeGeoJSON
	if fm == formatHTML {
		ct = mimeHTML
	}
	links := s.itemLinks(c, path, q, fm)
	lim := strconv.Itoa(limit)
	if offset+len(page) < len(matched) {
		next := withParam(withParam(q, "offset", strconv.Itoa(offset+len(page))), "limit", lim)
		links = append(links, link{Href: s.href(c, path, next), Rel: "next", Type: ct, Title: "next page"})
	}
	if offset > 0 {
		prev := withParam(withParam(q, "offset", strconv.Itoa(max(0, min(offset, len(matched))-limit))), "limit", lim)
		links = append(links, link{Href: s.href(c, path, prev), Rel: "prev", Type: ct, Title: "previous page"})
	}
	links = append(links, link{Href: s.href(c, "/ogc/collections/"+url.PathEscape(sn.Layer.ID), nil), Rel: "collection", Type: echo.MIMEApplicationJSON, Title: sn.Layer.Title})
	c.Response().Header().Set("Content-Crs", "<"+out.URI()+">")

	if fm == formatHTML {
		return s.renderHTML(c, "items", htmlPage{Title: sn.Layer.Title, Links: links,
			Data: s.itemsPage(c, sn, qs, page, offset, len(matched))})
	}
	fc := ogcFeatureCollection{Type: "FeatureCollection", Features: make([]ogcFeature, len(page)),
		NumberMatched: len(matched), NumberReturned: len(page),
		TimeStamp: s.app.Now().UTC().Format(time.RFC3339), Links: links}
	for i, f := range page {
		if fc.Features[i], err = toOGCFeature(sn, f, out); err != nil {
			return err
		}
	}
	return sendJSON(c, http.StatusOK, mimeGeoJSON, fc)
}

// itemLinks returns self (the request as made) and alternate (the other format) links.
func (s *Server) itemLinks(c *echo.Context, path string, q url.Values, fm format) []link {
	if fm == formatHTML {
		return []link{
			{Href: s.href(c, path, q), Rel: "self", Type: mimeHTML, Title: "this document"},
			{Href: s.href(c, path, withParam(q, "f", "json")), Rel: "alternate", Type: mimeGeoJSON, Title: "this document as GeoJSON"},
		}
	}
	return []link{
		{Href: s.href(c, path, q), Rel: "self", Type: mimeGeoJSON, Title: "this document"},
		{Href: s.href(c, path, withParam(q, "f", "html")), Rel: "alternate", Type: mimeHTML, Title: "this document as HTML"},
	}
}

// ogcItem serves one feature.
func (s *Server) ogcItem(c *echo.Context) error {
	sn, fm, err := s.ogcResource(c, only("f", "crs", "as_of"))
	if err == nil {
		sn, err = s.withClasses(c, sn)
	}
	if err != nil {
		return err
	}
	out, err := ogcCRSParam(c.QueryParams(), "crs")
	if err != nil {
		return err
	}
	raw := c.Param("fid")
	id, err := strconv.ParseUint(raw, 10, 64)
	var f *spatial.Feature
	if err == nil {
		f = sn.Feature(spatial.FeatureID(id))
	}
	if f == nil {
		return notFound("collection %q has no feature %q", sn.Layer.ID, raw)
	}
	path := "/ogc/collections/" + url.PathEscape(sn.Layer.ID) + "/items/" + raw
	links := append(s.itemLinks(c, path, c.QueryParams(), fm),
		link{Href: s.href(c, "/ogc/collections/"+url.PathEscape(sn.Layer.ID), nil), Rel: "collection", Type: echo.MIMEApplicationJSON, Title: sn.Layer.Title})
	c.Response().Header().Set("Content-Crs", "<"+out.URI()+">")
	if fm == formatHTML {
		return s.renderHTML(c, "item", htmlPage{Title: fmt.Sprintf("%s #%d", sn.Layer.Title, f.ID), Links: links,
			Data: itemPage(sn, queryables(sn.Layer), f)})
	}
	of, err := toOGCFeature(sn, f, out)
	if err != nil {
		return err
	}
	of.Links = links
	c.Response().Header().Set("ETag", featureETag(f, out)) // If-Match of a write compares it
	return sendJSON(c, http.StatusOK, mimeGeoJSON, of)
}

// toOGCFeature converts f to its GeoJSON form with coordinates in out, in out's axis order,
// its geometry always a MultiPolygon ([multiPolygon]).
func toOGCFeature(sn *spatial.Snapshot, f *spatial.Feature, out crs.CRS) (ogcFeature, error) {
	g, err := outGeometry(multiPolygon(f.Geometry), out)
	if err != nil {
		return ogcFeature{}, badParam("crs", "feature %d lies outside the area where %s is defined", f.ID, out)
	}
	return ogcFeature{Type: "Feature", ID: uint64(f.ID), Geometry: geojson.NewGeometry(g), Properties: sn.Properties(f)}, nil
}

// multiPolygon returns a polygon as a MultiPolygon of one member, and any other geometry as it
// is. Collections declare MultiPolygon as their geometry type (schema, queryables), and clients
// that fix a layer's type from the first features (QGIS, GDAL) then read every feature.
func multiPolygon(g orb.Geometry) orb.Geometry {
	if p, ok := g.(orb.Polygon); ok {
		return orb.MultiPolygon{p}
	}
	return g
}

// outGeometry returns g (lon/lat) in c, with the axes in the order c's URI defines: latitude
// first for EPSG:4490 and EPSG:4326, northing first for the Gauss-Krüger zones.
func outGeometry(g orb.Geometry, c crs.CRS) (orb.Geometry, error) {
	if c == crs.CRS84 {
		return g, nil
	}
	t, err := crs.TransformFromLonLat(g, c) // a new geometry: safe to swap in place
	if err != nil {
		return nil, err
	}
	if c.NorthingFirst() {
		for _, pg := range spatial.Polygons(t) {
			for _, ring := range pg {
				for i, p := range ring {
					ring[i] = orb.Point{p[1], p[0]}
				}
			}
		}
	}
	return t, nil
}

// intParam parses a non-negative integer parameter: def when absent, at least lo, and capped
// at hi when hi ≥ 0 (a larger value is served as hi, as OGC API – Features asks for limit).
func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && hi >= 0 && !strings.HasPrefix(v, "-"):
		return hi, nil
	case err != nil:
		return 0, badParam(name, "%q is not an integer", v)
	case n < int64(lo):
		return 0, badParam(name, "must be at least %d, not %d", lo, n)
	case hi >= 0 && n > int64(hi):
		return hi, nil
	case n > math.MaxInt32:
		return 0, badParam(name, "%d is too large", n)
	}
	return int(n), nil
}

// itemsFilter combines bbox, filter and the queryable=value parameters into one filter; nil
// when there is none.
func itemsFilter(q url.Values, l spatial.Layer, qs []queryable) (*cql2.Expr, error) {
	var parts []*cql2.Expr
	if v := q.Get("bbox"); v != "" {
		bc, err := ogcCRSParam(q, "bbox-crs")
		if err != nil {
			return nil, err
		}
		var nums []float64
		for _, p := range strings.Split(v, ",") {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, badParam("bbox", "%q is not a number", p)
			}
			nums = append(nums, f)
		}
		e, err := cql2.IntersectsBBox(nums, bc)
		var le *cql2.LiteralError
		if errors.As(err, &le) {
			return nil, badParam("bbox", "%s (bbox-crs %s)", le.Msg, bc)
		}
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
	} else if q.Get("bbox-crs") != "" {
		if _, err := ogcCRSParam(q, "bbox-crs"); err != nil {
			return nil, err
		}
	}
	if lang := q.Get("filter-lang"); lang != "" && lang != "cql2-text" {
		return nil, badParam("filter-lang", "%q is not supported: use cql2-text", lang)
	}
	fc, err := ogcCRSParam(q, "filter-crs")
	if err != nil {
		return nil, err
	}
	if v := q.Get("filter"); v != "" {
		e, err := parseFilter("filter", v, fc, l)
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
	}
	for _, k := range sortedKeys(q) {
		if itemParams[k] {
			continue
		}
		qb, _ := findQueryable(qs, k)
		v, err := queryableValue(qb, q.Get(k))
		if err != nil {
			return nil, err
		}
		parts = append(parts, cql2.Equals(k, v))
	}
	return cql2.And(parts...), nil
}

// queryableValue converts a query parameter to a value of the queryable's type.
func queryableValue(qb queryable, v string) (any, error) {
	switch qb.Type {
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, badParam(qb.Name, "%q is not an integer (%s is an integer property)", v, qb.Name)
		}
		return n, nil
	case "number":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, badParam(qb.Name, "%q is not a number (%s is a numeric property)", v, qb.Name)
		}
		return f, nil
	case "boolean":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, badParam(qb.Name, "%q is not true or false (%s is a boolean property)", v, qb.Name)
		}
		return b, nil
	}
	return v, nil
}

// parseFilter parses the CQL2-text filter given in parameter param, with geometry literals in
// c, and checks its properties against the layer's queryables. Errors are 400 problems naming
// param, with the byte position of a syntax error or of an unknown property.
func parseFilter(param, text string, c crs.CRS, l spatial.Layer) (*cql2.Expr, error) {
	return app.ParseFilter(param, text, c, l)
}

// selectFeatures returns the features of sn that pass expr, in id order; searching the
// R-tree first when the filter implies a bound. The result must not be modified.
func selectFeatures(ctx context.Context, sn *spatial.Snapshot, expr *cql2.Expr) ([]*spatial.Feature, error) {
	if expr == nil {
		return sn.Features(), nil
	}
	var out []*spatial.Feature
	if b, ok := expr.Bound(); ok {
		n := 0
		sn.Search(b, func(f *spatial.Feature) bool {
			if n++; n%4096 == 0 && ctx.Err() != nil {
				return false
			}
			if expr.Match(f) {
				out = append(out, f)
			}
			return true
		})
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		slices.SortFunc(out, func(a, b *spatial.Feature) int { return cmpID(a.ID, b.ID) })
		return out, nil
	}
	for i, f := range sn.Features() {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if expr.Match(f) {
			out = append(out, f)
		}
	}
	return out, nil
}

func cmpID(a, b spatial.FeatureID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
