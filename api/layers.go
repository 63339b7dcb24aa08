package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
	"github.com/mudi-gis/mudi/spatial/gisio"
)

// layerView is the JSON form of a layer.
type layerView struct {
	ID           string            `json:"id"`
	Title        string            `json:"title"`
	Kind         spatial.Kind      `json:"kind"`
	Version      uint64            `json:"version"`
	Bounds       []float64         `json:"bounds,omitempty"` // [west, south, east, north], lon/lat
	FeatureCount int               `json:"feature_count"`
	Source       spatial.Source    `json:"source"`
	Fields       []spatial.Field   `json:"fields"`
	Roles        map[string]string `json:"roles"`
	ControlLayer string            `json:"control_layer,omitempty"`
	// Computed lists the attributes mudi computes for the layer's features, from the one
	// vocabulary (spatial.Computed): the viewer and clients take labels and units from it.
	Computed []computedView `json:"computed"`
	Created  time.Time      `json:"created"`
	Updated  time.Time      `json:"updated"`
	Links    []link         `json:"links"`
}

// computedView is the JSON form of a computed attribute.
type computedView struct {
	Name  string            `json:"name"`
	Type  spatial.FieldType `json:"type"`
	Unit  string            `json:"unit,omitempty"`
	Alias string            `json:"alias"`
	Title string            `json:"title"`
	Enum  []string          `json:"enum,omitempty"`
}

// computedViews lists the computed attributes that features of a layer of kind k can have.
func computedViews(k spatial.Kind) []computedView {
	var out []computedView
	for _, a := range spatial.ComputedFor(k) {
		out = append(out, computedView{Name: a.Key, Type: a.Type, Unit: a.Unit, Alias: a.Alias, Title: a.Title, Enum: a.Enum})
	}
	return out
}

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

func viewLayer(l spatial.Layer) layerView {
	v := layerView{
		ID: l.ID, Title: l.Title, Kind: l.Kind, Version: l.Version, FeatureCount: l.FeatureCount,
		Source: l.Source, Fields: l.Fields, Roles: l.Roles, ControlLayer: l.ControlLayer,
		Computed: computedViews(l.Kind), Created: l.Created, Updated: l.Updated,
		Links: []link{{Href: "/api/layers/" + l.ID, Rel: "self", Type: "application/json"}},
	}
	if v.Fields == nil {
		v.Fields = []spatial.Field{}
	}
	if v.Roles == nil {
		v.Roles = map[string]string{}
	}
	if l.FeatureCount > 0 {
		b := l.Bound
		v.Bounds = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	}
	return v
}

func (s *Server) listLayers(c *echo.Context) error {
	snaps := s.index.Layers()
	out := make([]layerView, len(snaps))
	for i, sn := range snaps {
		out[i] = viewLayer(sn.Layer)
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"layers": out})
}

// snapshot returns the current snapshot of the layer named by the path parameter, or a 404.
func (s *Server) snapshot(c *echo.Context) (*spatial.Snapshot, error) {
	id := c.Param("id")
	sn := s.index.Layer(id)
	if sn == nil {
		return nil, notFound("layer %q does not exist", id)
	}
	return sn, nil
}

func (s *Server) getLayer(c *echo.Context) error {
	sn, err := s.snapshot(c)
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, "", viewLayer(sn.Layer))
}

// upload is a layer upload: the settings and the file.
type upload struct {
	id, title string
	kind      spatial.Kind
	crs       crs.CRS
	control   *string // nil: not given
	strict    bool
	empty     bool // allow_empty
	roles     map[string]string
	// The file and its reading settings.
	input           gisio.Input
	encoding, table string
}

// readUpload reads the settings (query parameters, or form fields for multipart) and the file
// of a POST or PUT /api/layers request.
func (s *Server) readUpload(c *echo.Context) (*upload, error) {
	r := c.Request()
	ct, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil && r.Header.Get(echo.HeaderContentType) != "" {
		return nil, unsupportedMedia(r.Header.Get(echo.HeaderContentType))
	}
	get := c.QueryParam
	u := &upload{}
	switch ct {
	case "application/geo+json", "application/json":
		u.input = gisio.Input{Name: "upload.geojson", Body: r.Body}
	case "multipart/form-data":
		form, err := c.MultipartForm()
		if err != nil {
			if mb := asMaxBytes(err); mb != nil {
				return nil, mb
			}
			return nil, badParam("file", "cannot read the multipart body: %v", err)
		}
		get = func(name string) string {
			if v := form.Value[name]; len(v) > 0 {
				return v[0]
			}
			return c.QueryParam(name)
		}
		fhs := form.File["file"]
		if len(fhs) == 0 {
			return nil, badParam("file", "a multipart upload needs a part named file")
		}
		fh := fhs[0]
		name := path.Base(strings.ReplaceAll(fh.Filename, "\\", "/"))
		if err := gisio.CheckInputName(name, false); err != nil {
			return nil, err
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		u.input = gisio.Input{Name: name, Data: data}
		u.encoding, u.table = get("encoding"), get("table")
	default:
		return nil, unsupportedMedia(r.Header.Get(echo.HeaderContentType))
	}

	u.id = get("id")
	u.title = get("title")
	if k := get("kind"); k != "" {
		u.kind = spatial.Kind(k)
		if u.kind != spatial.KindParcels && u.kind != spatial.KindControl {
			return nil, badParam("kind", "must be parcels or control, not %q", k)
		}
	}
	if v := get("crs"); v != "" {
		cr, err := crs.Parse(v)
		if err != nil {
			return nil, badParam("crs", "%v", err)
		}
		u.crs = cr
	}
	if v, ok := lookup(c, get, "control"); ok {
		u.control = &v
	}
	if v := get("strict"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, badParam("strict", "must be true or false, not %q", v)
		}
		u.strict = b
	}
	if v := get("allow_empty"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, badParam("allow_empty", "must be true or false, not %q", v)
		}
		u.empty = b
	}
	if v := get("roles"); v != "" {
		roles, err := parseRoles(v)
		if err != nil {
			return nil, badParam("roles", "%v", err)
		}
		u.roles = roles
	}
	return u, nil
}

func lookup(c *echo.Context, get func(string) string, name string) (string, bool) {
	if v := get(name); v != "" {
		return v, true
	}
	_, ok := c.QueryParams()[name]
	return "", ok
}

func unsupportedMedia(ct string) *Problem {
	return problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "unsupported media type",
		fmt.Sprintf("Content-Type %q: send application/geo+json or multipart/form-data with a file part", ct))
}

func asMaxBytes(err error) *Problem {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return toProblem(mb)
	}
	return nil
}

// parseRoles reads roles given as a JSON object ({"code":"DKBH"}) or as role=field pairs
// separated by commas (code=DKBH,status=WWLX).
func parseRoles(v string) (map[string]string, error) {
	roles := map[string]string{}
	if strings.HasPrefix(strings.TrimSpace(v), "{") {
		if err := json.Unmarshal([]byte(v), &roles); err != nil {
			return nil, fmt.Errorf("not a JSON object of role → field names: %v", err)
		}
		return roles, nil
	}
	for _, pair := range strings.Split(v, ",") {
		role, field, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || role == "" {
			return nil, fmt.Errorf("%q is not role=field", pair)
		}
		roles[role] = field
	}
	return roles, nil
}

func (s *Server) createLayer(c *echo.Context) error {
	u, err := s.readUpload(c)
	if err != nil {
		return err
	}
	if err := s.app.CheckNewLayerID(u.id); err != nil { // fail before decoding a large upload
		return err
	}
	return s.putLayer(c, u, false)
}

func (s *Server) replaceLayer(c *echo.Context) error {
	id := c.Param("id")
	if _, err := s.app.Layer(id); err != nil {
		return err
	}
	u, err := s.readUpload(c)
	if err != nil {
		return err
	}
	if u.id != "" && u.id != id {
		return badParam("id", "the id %q differs from the layer in the path (%q)", u.id, id)
	}
	u.id = id
	return s.putLayer(c, u, true)
}

// putLayer reads the upload and hands it to the application core. Once the file has been read,
// the write no longer depends on the client's connection (see package app).
func (s *Server) putLayer(c *echo.Context, u *upload, replace bool) error {
	ctx := c.Request().Context()
	imp, _, err := gisio.Read(ctx, u.input, gisio.ReadOptions{CRS: u.crs, Encoding: u.encoding, Table: u.table, Strict: u.strict})
	if err != nil {
		return err
	}
	sn, report, err := s.app.PutLayer(context.WithoutCancel(ctx), app.LayerRequest{ID: u.id, Title: u.title, Kind: u.kind,
		Control: u.control, Roles: u.roles, FileName: u.input.Name, Import: imp, Replace: replace,
		Strict: u.strict, AllowEmpty: u.empty, Actor: actor(c)})
	if err != nil {
		return err
	}
	v := importView(sn.Layer, imp)
	if !replace {
		c.Response().Header().Set(echo.HeaderLocation, "/api/layers/"+sn.Layer.ID)
		return sendJSON(c, http.StatusCreated, "", v)
	}
	if report != nil {
		v["changes"] = report
	}
	return sendJSON(c, http.StatusOK, "", v)
}

// importView is the answer to an import: the layer plus what was repaired or skipped.
func importView(l spatial.Layer, imp *spatial.Import) map[string]any {
	problems := imp.Problems
	if problems == nil {
		problems = []spatial.Problem{}
	}
	return map[string]any{"layer": viewLayer(l), "skipped": imp.Skipped, "problems": problems}
}

func (s *Server) deleteLayer(c *echo.Context) error {
	if err := s.app.DeleteLayer(context.WithoutCancel(c.Request().Context()), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// layerPatch is the body of PATCH /api/layers/{id}.
type layerPatch struct {
	Title        *string            `json:"title"`
	Roles        map[string]*string `json:"roles"`
	ControlLayer *string            `json:"control_layer"`
}

func (s *Server) patchLayer(c *echo.Context) error {
	var p layerPatch
	if err := decodeJSONBody(c, &p); err != nil {
		return err
	}
	sn, err := s.app.PatchLayer(context.WithoutCancel(c.Request().Context()), c.Param("id"),
		app.LayerPatch{Title: p.Title, Roles: p.Roles, ControlLayer: p.ControlLayer})
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, "", viewLayer(sn.Layer))
}

// decodeJSONBody decodes a JSON request body into v, rejecting unknown fields.
func decodeJSONBody(c *echo.Context, v any) error {
	ct, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	switch ct {
	case "application/json", "application/merge-patch+json", "":
	default:
		return problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "unsupported media type",
			fmt.Sprintf("Content-Type %q: send application/json", ct))
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if mb := asMaxBytes(err); mb != nil {
			return mb
		}
		return problem(http.StatusBadRequest, "invalid-json", "invalid JSON body", err.Error())
	}
	return nil
}
