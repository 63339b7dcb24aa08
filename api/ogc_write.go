package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/spatial/crs"
)

// OGC API – Features Part 4 (create, replace, update, delete) on /ogc: POST a feature to a
// collection's items, PUT, PATCH (JSON merge patch) or DELETE one item. Every write goes
// through the application core, like an edit in the viewer: a feature's body is read by the one
// input pipeline (validated, converted to lon/lat, measured), computed attributes stay mudi's,
// the ledger's rules hold and every change is kept in the history under the key's name.
//
// A client learns what it may do from OPTIONS and its Allow header (QGIS enables editing from
// it): analysis results (kind derived) are read-only.

// Part 4 conformance classes, declared in /ogc/conformance.
const (
	confCreateReplaceDelete = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete"
	confUpdate              = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update"
	confFeatures            = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features"
)

const mimeMergePatch = "application/merge-patch+json"

// Allow header values.
const (
	allowRead  = "GET, HEAD, OPTIONS"
	allowItems = "GET, HEAD, OPTIONS, POST"
	allowItem  = "GET, HEAD, OPTIONS, PUT, PATCH, DELETE"
)

// ogcWriteRoutes returns the routes of Part 4 and the OPTIONS of the items.
func (s *Server) ogcWriteRoutes() []Route {
	id := Param{Name: "id", Type: "string", Description: "collection id (the layer id)"}
	fid := Param{Name: "fid", Type: "integer", Description: "feature id"}
	write := func(ok int, okDesc string) map[int]string {
		return map[int]string{ok: okDesc, 400: "invalid feature, attribute or Content-Crs (problem JSON naming it)", 401: respKey, 403: "the key's role does not allow the change (closing a parcel off needs a second reviewer)",
			404: "unknown collection or feature", 405: "the collection is read-only (an analysis result); Allow lists what it allows",
			409: "the change breaks a rule of the ledger (names the current and the allowed states) or the parcel code exists", 412: "If-Match does not match the feature's current ETag",
			413: respTooLarge, 415: respMediaType}
	}
	return []Route{
		{Method: "OPTIONS", Path: "/ogc/collections/:id/items", Handler: s.ogcItemsOptions, OperationID: "optionsItems", Tag: "ogc",
			Summary: "The methods the collection's items allow (Allow header): POST unless the collection is read-only", Params: []Param{id},
			Responses: map[int]string{204: "Allow lists the methods", 404: "unknown collection"}},
		{Method: "POST", Path: "/ogc/collections/:id/items", Handler: s.ogcCreateItem, Write: true, OperationID: "createItem", Tag: "ogc",
			Summary: "Add a feature (GeoJSON Feature; coordinates in the Content-Crs header's CRS and axis order, default CRS84); a parcel needs a new code",
			Params:  []Param{id}, Body: mimeGeoJSON, Produces: mimeGeoJSON, Responses: write(201, "created: Location names the new item; the body is the feature as stored")},
		{Method: "OPTIONS", Path: "/ogc/collections/:id/items/:fid", Handler: s.ogcItemOptions, OperationID: "optionsItem", Tag: "ogc",
			Summary: "The methods the collection's items allow (Allow header): PUT, PATCH and DELETE unless the collection is read-only", Params: []Param{id, fid},
			Responses: map[int]string{204: "Allow lists the methods", 404: "unknown collection"}},
		{Method: "PUT", Path: "/ogc/collections/:id/items/:fid", Handler: s.ogcReplaceItem, Write: true, OperationID: "replaceItem", Tag: "ogc",
			Summary: "Replace a feature (GeoJSON Feature): attributes left out are removed, except the ledger's; If-Match is honoured when sent",
			Params:  []Param{id, fid}, Body: mimeGeoJSON, Produces: mimeGeoJSON, Responses: write(200, "the feature as stored")},
		{Method: "PATCH", Path: "/ogc/collections/:id/items/:fid", Handler: s.ogcPatchItem, Write: true, OperationID: "updateItem", Tag: "ogc",
			Summary: "Update a feature with a JSON merge patch (RFC 7396) of properties (null removes one) and/or geometry (in the Content-Crs); If-Match is honoured when sent",
			Params:  []Param{id, fid}, Body: mimeMergePatch, Produces: mimeGeoJSON, Responses: write(200, "the feature as stored")},
		{Method: "DELETE", Path: "/ogc/collections/:id/items/:fid", Handler: s.ogcDeleteItem, Write: true, OperationID: "deleteItem", Tag: "ogc",
			Summary: "Delete a feature; a coded parcel is archived (its ledger, history and evidence stay readable); If-Match is honoured when sent",
			Params:  []Param{id, fid}, Responses: map[int]string{204: "deleted", 401: respKey, 403: "the key's role does not allow it", 404: "unknown collection or feature",
				405: "the collection is read-only", 412: "If-Match does not match the feature's current ETag"}},
	}
}

// allowOf returns the Allow header of a collection's items (item false) or of one item.
func allowOf(sn *spatial.Snapshot, item bool) string {
	switch {
	case sn.Layer.Kind == spatial.KindDerived:
		return allowRead
	case item:
		return allowItem
	}
	return allowItems
}

func (s *Server) ogcItemsOptions(c *echo.Context) error { return s.ogcOptions(c, false) }

func (s *Server) ogcItemOptions(c *echo.Context) error { return s.ogcOptions(c, true) }

// ogcOptions answers OPTIONS with the methods the collection allows, for any feature id: a
// client asks before it knows one (QGIS asks about the first feature, or a made-up id for an
// empty collection).
func (s *Server) ogcOptions(c *echo.Context, item bool) error {
	sn, err := s.ogcSnapshot(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderAllow, allowOf(sn, item))
	return c.NoContent(http.StatusNoContent)
}

// writeTarget starts a write on a collection: the layer (404 when unknown), 405 with Allow
// when it is read-only, and the request's Content-Type checked against accept (415).
func (s *Server) writeTarget(c *echo.Context, accept ...string) (*spatial.Snapshot, error) {
	sn, err := s.ogcSnapshot(c)
	if err != nil {
		return nil, err
	}
	if sn.Layer.Kind == spatial.KindDerived {
		return nil, readOnlyProblem(c, sn.Layer.ID)
	}
	ct, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	for _, a := range accept {
		if ct == a {
			return sn, nil
		}
	}
	if len(accept) == 0 {
		return sn, nil
	}
	shown := ct
	if shown == "" {
		shown = "none"
	}
	p := problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "unsupported media type",
		fmt.Sprintf("Content-Type %s: send %s", shown, strings.Join(accept, " or ")))
	p.Param = "Content-Type"
	return nil, p
}

// readOnlyProblem is the 405 of a write to a read-only collection, with its Allow header.
func readOnlyProblem(c *echo.Context, layer string) *Problem {
	c.Response().Header().Set(echo.HeaderAllow, allowRead)
	return problem(http.StatusMethodNotAllowed, "read-only", "method not allowed",
		fmt.Sprintf("collection %s is an analysis result and read-only: run and save the analysis again instead", layer))
}

// coreWriteError turns the core's refusal of a write to a read-only layer (which the layer may
// have become since the request started) into the same 405; other errors pass.
func coreWriteError(c *echo.Context, layer string, err error) error {
	var ae *app.Error
	if errors.As(err, &ae) && ae.Type == "read-only" {
		return readOnlyProblem(c, layer)
	}
	return err
}

// writeFeatureID reads the feature id of an item path; an id that cannot name a feature is an
// unknown item (404), as for GET.
func writeFeatureID(c *echo.Context, layer string) (spatial.FeatureID, error) {
	raw := c.Param("fid")
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || id == 0 {
		return 0, notFound("collection %q has no feature %q", layer, raw)
	}
	return spatial.FeatureID(id), nil
}

// contentCRS reads the Content-Crs header (a CRS URI, in angle brackets or not); CRS84 when
// absent. Coordinates of the body are in that CRS's axis order.
func contentCRS(c *echo.Context) (crs.CRS, error) {
	v := strings.TrimSpace(c.Request().Header.Get("Content-Crs"))
	v = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">"))
	if v == "" {
		return crs.CRS84, nil
	}
	got, err := crs.Parse(v)
	if err == nil {
		for _, ok := range ogcCRSs {
			if got == ok {
				return got, nil
			}
		}
	}
	p := badParam("Content-Crs", "%q is not supported: use the URI of CRS84, EPSG:4490, EPSG:4326 or a CGCS2000 Gauss-Krüger zone EPSG:4513–4554, e.g. <%s>", v, "http://www.opengis.net/def/crs/EPSG/0/4549")
	return crs.CRS{}, p
}

// readBody reads the request body (limited by the server's body limit).
func readBody(c *echo.Context) ([]byte, error) {
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		if mb := asMaxBytes(err); mb != nil {
			return nil, mb
		}
		return nil, err
	}
	return b, nil
}

// oneFeatureImport reads a GeoJSON Feature with coordinates in c (in c's axis order) through
// the one input pipeline: the result is a one-feature import in lon/lat, validated and measured
// as an import's features are. Null properties are left out: on a new or replaced feature a
// null value is no value.
func oneFeatureImport(body []byte, c crs.CRS) (*spatial.Import, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, jsonSyntax(err)
	}
	var typ string
	if err := json.Unmarshal(top["type"], &typ); err != nil || typ != "Feature" {
		p := problem(http.StatusBadRequest, "invalid-geojson", "invalid GeoJSON", `the body must be one GeoJSON Feature ({"type":"Feature","geometry":…,"properties":{…}})`)
		p.Param = "body"
		return nil, p
	}
	if g, ok := top["geometry"]; ok && c.NorthingFirst() {
		swapped, err := swapAxes(g)
		if err != nil {
			return nil, err
		}
		top["geometry"] = swapped
	}
	delete(top, "crs") // the CRS is the Content-Crs header's
	b, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	imp, err := spatial.DecodeGeoJSON(bytes.NewReader(b), spatial.ImportOptions{CRS: c})
	if err != nil {
		return nil, err
	}
	if len(imp.Features) == 1 {
		attrs := imp.Features[0].Attrs.Map()
		maps.DeleteFunc(attrs, func(_ string, v any) bool { return v == nil })
		imp.Features[0].Attrs = attrs.Record()
	}
	return imp, nil
}

// jsonSyntax reports a body that is not JSON as the import does.
func jsonSyntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &spatial.SyntaxError{Offset: se.Offset, Reason: se.Error()}
	}
	return &spatial.SyntaxError{Offset: -1, Reason: err.Error()}
}

// swapAxes returns a GeoJSON geometry with the first two numbers of every position swapped: a
// body in a CRS whose first axis is northing or latitude becomes easting (longitude) first, the
// order the input pipeline reads.
func swapAxes(raw json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers are passed on exactly as sent
	var g any
	if err := dec.Decode(&g); err != nil {
		return nil, jsonSyntax(err)
	}
	m, ok := g.(map[string]any)
	if !ok {
		return raw, nil // null or not a geometry: the pipeline reports it
	}
	var walk func(v any)
	walk = func(v any) {
		arr, ok := v.([]any)
		if !ok {
			return
		}
		if len(arr) >= 2 {
			if _, num := arr[0].(json.Number); num {
				arr[0], arr[1] = arr[1], arr[0]
				return
			}
		}
		for _, e := range arr {
			walk(e)
		}
	}
	walk(m["coordinates"])
	return json.Marshal(m)
}

// ifMatch returns the check of an If-Match header for the core (nil when none was sent: it is
// honoured, never required). "*" matches any current feature; otherwise one of the listed
// entity tags must be the feature's current ETag in any CRS, its gzip (weak) form included.
func ifMatch(c *echo.Context) func(*spatial.Snapshot, *spatial.Feature) error {
	values := c.Request().Header.Values("If-Match")
	if len(values) == 0 {
		return nil
	}
	return func(_ *spatial.Snapshot, f *spatial.Feature) error {
		digest := featureDigest(f)
		for _, v := range values {
			for _, tag := range strings.Split(v, ",") {
				tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
				if tag == "*" {
					return nil
				}
				d, _, _ := strings.Cut(strings.Trim(tag, `"`), "-")
				if d == digest {
					return nil
				}
			}
		}
		p := problem(http.StatusPreconditionFailed, "precondition-failed", "precondition failed",
			fmt.Sprintf("If-Match: feature %d has changed since that ETag was served; its current ETag is %s: read it again and reapply the change", f.ID, featureETag(f, crs.CRS84)))
		p.Param = "If-Match"
		return p
	}
}

// featureETag is the strong entity tag of feature f served in CRS out: a digest of everything
// its representation holds (id, geometry, attributes and computed attributes), so that it
// changes exactly when the feature does, and the CRS (crs84, or the EPSG code).
func featureETag(f *spatial.Feature, out crs.CRS) string {
	in := "crs84"
	if out != crs.CRS84 {
		in = strconv.Itoa(out.EPSG())
	}
	return `"` + featureDigest(f) + "-" + in + `"`
}

// featureDigest returns 16 hex digits of the SHA-256 of feature f's id, coordinates and
// properties (JSON with sorted keys).
func featureDigest(f *spatial.Feature) string {
	h := sha256.New()
	var buf [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	put(uint64(f.ID))
	for _, pg := range spatial.Polygons(f.Geometry) {
		put(uint64(len(pg)))
		for _, ring := range pg {
			put(uint64(len(ring)))
			for _, p := range ring {
				put(math.Float64bits(p[0]))
				put(math.Float64bits(p[1]))
			}
		}
	}
	props, _ := json.Marshal(f.Properties()) // map keys are sorted
	h.Write(props)
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:8])
}

// sendItem answers a write with the feature as stored, in CRS out, its ETag and Content-Crs.
func (s *Server) sendItem(c *echo.Context, status int, sn *spatial.Snapshot, f *spatial.Feature, out crs.CRS) error {
	of, err := toOGCFeature(s.app.WithClasses(sn, campaign.Date{}), f, out)
	if err != nil {
		return err
	}
	path := "/ogc/collections/" + url.PathEscape(sn.Layer.ID) + "/items/" + strconv.FormatUint(uint64(f.ID), 10)
	of.Links = []link{
		{Href: s.href(c, path, nil), Rel: "self", Type: mimeGeoJSON, Title: "this feature"},
		{Href: s.href(c, "/ogc/collections/"+url.PathEscape(sn.Layer.ID), nil), Rel: "collection", Type: echo.MIMEApplicationJSON, Title: sn.Layer.Title},
	}
	h := c.Response().Header()
	h.Set("ETag", featureETag(f, out))
	h.Set("Content-Crs", "<"+out.URI()+">")
	if status == http.StatusCreated {
		h.Set(echo.HeaderLocation, s.href(c, path, nil))
	}
	return sendJSON(c, status, mimeGeoJSON, of)
}

// readItem reads the feature of a POST or PUT body in its Content-Crs as a one-feature import.
func readItem(c *echo.Context) (crs.CRS, *spatial.Import, error) {
	in, err := contentCRS(c)
	if err != nil {
		return crs.CRS{}, nil, err
	}
	body, err := readBody(c)
	if err != nil {
		return crs.CRS{}, nil, err
	}
	imp, err := oneFeatureImport(body, in)
	return in, imp, err
}

// ogcCreateItem adds the feature of the body to the collection: 201 with Location.
func (s *Server) ogcCreateItem(c *echo.Context) error {
	sn, err := s.writeTarget(c, mimeGeoJSON, echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	in, imp, err := readItem(c)
	if err != nil {
		return err
	}
	f, err := s.app.CreateFeature(context.WithoutCancel(c.Request().Context()), sn.Layer.ID, imp, actor(c))
	if err != nil {
		return coreWriteError(c, sn.Layer.ID, err)
	}
	return s.sendItem(c, http.StatusCreated, sn, f, in)
}

// ogcReplaceItem replaces a feature with the body's.
func (s *Server) ogcReplaceItem(c *echo.Context) error {
	sn, err := s.writeTarget(c, mimeGeoJSON, echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	id, err := writeFeatureID(c, sn.Layer.ID)
	if err != nil {
		return err
	}
	in, imp, err := readItem(c)
	if err != nil {
		return err
	}
	f, err := s.app.ReplaceFeature(context.WithoutCancel(c.Request().Context()), sn.Layer.ID, id, imp, actor(c), c.QueryParam("reason"), ifMatch(c))
	if err != nil {
		return coreWriteError(c, sn.Layer.ID, err)
	}
	return s.sendItem(c, http.StatusOK, sn, f, in)
}

// ogcPatchItem applies a JSON merge patch (RFC 7396) to a feature: members of "properties" set
// attributes (null removes one), "geometry" replaces the geometry after the same checks as a
// new feature's; other members (type, id, links) are ignored.
func (s *Server) ogcPatchItem(c *echo.Context) error {
	sn, err := s.writeTarget(c, mimeMergePatch, echo.MIMEApplicationJSON, mimeGeoJSON)
	if err != nil {
		return err
	}
	id, err := writeFeatureID(c, sn.Layer.ID)
	if err != nil {
		return err
	}
	in, err := contentCRS(c)
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(body, &patch); err != nil || patch == nil {
		if err == nil {
			err = errors.New("the patch must be a JSON object")
		}
		p := problem(http.StatusBadRequest, "invalid-json", "invalid JSON body", err.Error())
		p.Param = "body"
		return p
	}
	// A reason (for returning or reopening a parcel in the ledger's workflow) comes as ?reason=.
	e := app.Edit{Set: map[string]any{}, Actor: actor(c), Reason: c.QueryParam("reason")}
	if raw, ok := patch["properties"]; ok {
		var props map[string]any
		if err := json.Unmarshal(raw, &props); err != nil || props == nil {
			return badParam("properties", "must be an object of attribute → new value (null removes the attribute)")
		}
		for k, v := range props {
			if v == nil {
				e.Remove = append(e.Remove, k)
			} else {
				e.Set[k] = v
			}
		}
	}
	var geom orb.Geometry
	if raw, ok := patch["geometry"]; ok {
		if string(bytes.TrimSpace(raw)) == "null" {
			return badParam("geometry", "a feature keeps a geometry: send a Polygon or MultiPolygon")
		}
		wrapped, err := json.Marshal(map[string]json.RawMessage{"type": json.RawMessage(`"Feature"`), "geometry": raw, "properties": json.RawMessage("{}")})
		if err != nil {
			return err
		}
		imp, err := oneFeatureImport(wrapped, in)
		if err != nil {
			return err
		}
		if len(imp.Features) != 1 {
			return badParam("geometry", "send one Polygon or MultiPolygon")
		}
		geom = imp.Features[0].Geometry
	}
	f, err := s.app.PatchFeature(context.WithoutCancel(c.Request().Context()), sn.Layer.ID, id, geom, e, ifMatch(c))
	if err != nil {
		return coreWriteError(c, sn.Layer.ID, err)
	}
	return s.sendItem(c, http.StatusOK, sn, f, in)
}

// ogcDeleteItem deletes a feature: 204.
func (s *Server) ogcDeleteItem(c *echo.Context) error {
	sn, err := s.writeTarget(c)
	if err != nil {
		return err
	}
	id, err := writeFeatureID(c, sn.Layer.ID)
	if err != nil {
		return err
	}
	if err := s.app.DeleteFeature(context.WithoutCancel(c.Request().Context()), sn.Layer.ID, id, actor(c), ifMatch(c)); err != nil {
		return coreWriteError(c, sn.Layer.ID, err)
	}
	return c.NoContent(http.StatusNoContent)
}
