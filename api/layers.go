package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
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
	Created      time.Time         `json:"created"`
	Updated      time.Time         `json:"updated"`
	Links        []link            `json:"links"`
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
		Created: l.Created, Updated: l.Updated,
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
	roles     map[string]string
	fileName  string
	body      io.Reader
	// GIS files (see files.go): the kind of file, its bytes and the reading settings.
	format          uploadFormat
	data            []byte
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
		u.body = r.Body
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
		u.fileName = path.Base(strings.ReplaceAll(fh.Filename, "\\", "/"))
		if u.format, err = uploadFormatOf(u.fileName); err != nil {
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
		u.body, u.data = bytes.NewReader(data), data
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
	if u.id == "" {
		return badParam("id", "the layer id is required")
	}
	if !spatial.ValidLayerID(u.id) {
		return badParam("id", "%q is not a valid layer id (lower-case letters, digits, '_' and '-', at most 64, starting with a letter or digit)", u.id)
	}
	if s.index.Layer(u.id) != nil { // fail before decoding a large upload
		return layerExists(u.id)
	}
	imp, err := u.decode()
	if err != nil {
		return err
	}
	sn, err := s.PutLayer(c.Request().Context(), u.request(imp, false))
	if err != nil {
		return err
	}
	s.log.Info("layer created", "request_id", requestID(c), "layer", sn.Layer.ID, "features", sn.Len(), "skipped", imp.Skipped)
	c.Response().Header().Set(echo.HeaderLocation, "/api/layers/"+sn.Layer.ID)
	return sendJSON(c, http.StatusCreated, "", importView(sn.Layer, imp))
}

func (u *upload) request(imp *spatial.Import, replace bool) LayerRequest {
	return LayerRequest{ID: u.id, Title: u.title, Kind: u.kind, Control: u.control, Roles: u.roles,
		FileName: u.fileName, Import: imp, Replace: replace}
}

// LayerRequest asks [Server.PutLayer] to create or replace a layer from decoded features.
type LayerRequest struct {
	ID    string
	Title string       // default: the id, or the old title on replace
	Kind  spatial.Kind // default: parcels, or the old kind on replace
	// Control names the control layer of a parcels layer; nil keeps the old one on replace and
	// picks the only control layer, if there is exactly one, on create.
	Control  *string
	Roles    map[string]string // overrides of the detected roles; "" removes a role
	FileName string
	Import   *spatial.Import
	Replace  bool // replace an existing layer instead of creating a new one
	Progress func(done int)
}

// PutLayer creates or replaces a layer atomically: the store holds either the old or the new
// layer, and the index publishes the new one only after the store has committed it. It is the
// one write path for layers, used by the HTTP API, the sample loader and mudi import.
func (s *Server) PutLayer(ctx context.Context, req LayerRequest) (*spatial.Snapshot, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	imp := req.Import
	old := s.index.Layer(req.ID)
	now := s.cfg.Now().UTC()
	var l spatial.Layer
	var oldMeta *spatial.Layer
	switch {
	case req.Replace && old == nil:
		return nil, notFound("layer %q does not exist: create it with POST /api/layers", req.ID)
	case !req.Replace && old != nil:
		return nil, layerExists(req.ID)
	case req.Replace:
		oldMeta = &old.Layer
		l = old.Layer
		l.Version++
		l.Updated = now
		if req.Kind != "" && req.Kind != l.Kind {
			if err := s.checkKindChange(req.ID, l.Kind, req.Kind); err != nil {
				return nil, err
			}
			l.Kind = req.Kind
		}
	default:
		l = spatial.Layer{ID: req.ID, Title: req.ID, Kind: req.Kind, Version: 1, Created: now, Updated: now}
		if l.Kind == "" {
			l.Kind = spatial.KindParcels
		}
	}
	if req.Title != "" {
		l.Title = req.Title
	}
	l.Fields = imp.Fields
	enc := imp.Encoding
	if enc == "" {
		enc = "UTF-8" // GeoJSON and GeoPackage
	}
	l.Source = spatial.Source{File: req.FileName, CRS: imp.CRS.String(), Encoding: enc}
	if err := s.settle(&l, oldMeta, req.Roles, req.Control, imp.Fields); err != nil {
		return nil, err
	}
	if err := s.derive(ctx, &l, imp.Features); err != nil {
		return nil, err
	}
	var err error
	if req.Replace {
		err = s.store.ReplaceLayer(ctx, l, imp.Features, req.Progress)
	} else {
		err = s.store.CreateLayer(ctx, l, imp.Features, req.Progress)
	}
	if err != nil {
		return nil, err
	}
	sn := spatial.NewSnapshot(l, imp.Features)
	s.index.Put(sn)
	s.invalidateReplaced(old, sn)
	if l.Kind == spatial.KindControl {
		if err := s.rederiveUsers(ctx, l.ID); err != nil {
			return nil, err
		}
	}
	return sn, nil
}

func layerExists(id string) *Problem {
	p := problem(http.StatusConflict, "layer-exists", "layer already exists",
		fmt.Sprintf("layer %q already exists: replace it with PUT /api/layers/%s or choose another id", id, id))
	p.Param = "id"
	return p
}

// importView is the answer to an import: the layer plus what was repaired or skipped.
func importView(l spatial.Layer, imp *spatial.Import) map[string]any {
	problems := imp.Problems
	if problems == nil {
		problems = []spatial.Problem{}
	}
	return map[string]any{"layer": viewLayer(l), "skipped": imp.Skipped, "problems": problems}
}

// settle fills the roles and the control layer of l from the upload settings, the previous
// version of the layer (nil on create) and the schema, and validates them.
func (s *Server) settle(l *spatial.Layer, old *spatial.Layer, overrides map[string]string, control *string, fields []spatial.Field) error {
	roles := spatial.DetectRoles(fields)
	if old != nil { // keep earlier choices whose field still exists
		for r, f := range old.Roles {
			if hasField(fields, f) {
				roles[r] = f
			}
		}
	}
	for r, f := range overrides {
		if f == "" {
			delete(roles, r)
			continue
		}
		if !hasField(fields, f) {
			return badParam("roles", "role %s names field %q, which the data does not have", r, f)
		}
		roles[r] = f
	}
	l.Roles = roles

	if old != nil {
		l.ControlLayer = old.ControlLayer
	}
	if control != nil {
		l.ControlLayer = *control
	}
	if l.Kind != spatial.KindParcels {
		if control != nil && *control != "" {
			return badParam("control", "only a parcels layer has a control layer (this layer is %s)", l.Kind)
		}
		l.ControlLayer = ""
		return nil
	}
	if l.ControlLayer == "" && control == nil {
		l.ControlLayer = s.onlyLayer(spatial.KindControl)
	}
	return s.checkControl("control", l.ControlLayer)
}

func hasField(fields []spatial.Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// onlyLayer returns the id of the only layer of kind k, or "" when there are none or several.
func (s *Server) onlyLayer(k spatial.Kind) string {
	var id string
	for _, sn := range s.index.Layers() {
		if sn.Layer.Kind == k {
			if id != "" {
				return ""
			}
			id = sn.Layer.ID
		}
	}
	return id
}

// checkControl verifies that id ("" for none) names a control layer.
func (s *Server) checkControl(param, id string) error {
	if id == "" {
		return nil
	}
	sn := s.index.Layer(id)
	if sn == nil {
		return badParam(param, "layer %q does not exist", id)
	}
	if sn.Layer.Kind != spatial.KindControl {
		return badParam(param, "layer %q is a %s layer, not a control layer", id, sn.Layer.Kind)
	}
	return nil
}

func (s *Server) replaceLayer(c *echo.Context) error {
	id := c.Param("id")
	if s.index.Layer(id) == nil {
		return notFound("layer %q does not exist: create it with POST /api/layers", id)
	}
	u, err := s.readUpload(c)
	if err != nil {
		return err
	}
	if u.id != "" && u.id != id {
		return badParam("id", "the id %q differs from the layer in the path (%q)", u.id, id)
	}
	u.id = id
	imp, err := u.decode()
	if err != nil {
		return err
	}
	sn, err := s.PutLayer(c.Request().Context(), u.request(imp, true))
	if err != nil {
		return err
	}
	s.log.Info("layer replaced", "request_id", requestID(c), "layer", sn.Layer.ID, "version", sn.Layer.Version, "features", sn.Len())
	return sendJSON(c, http.StatusOK, "", importView(sn.Layer, imp))
}

// checkKindChange refuses to turn a control layer that parcels layers use into something else.
func (s *Server) checkKindChange(id string, from, to spatial.Kind) error {
	if from == spatial.KindControl {
		if users := s.controlUsers(id); len(users) > 0 {
			return badParam("kind", "layer %q is the control layer of %s; it must stay a control layer", id, strings.Join(users, ", "))
		}
	}
	return nil
}

// controlUsers lists the parcels layers whose control layer is id.
func (s *Server) controlUsers(id string) []string {
	var out []string
	for _, sn := range s.index.Layers() {
		if sn.Layer.ControlLayer == id {
			out = append(out, sn.Layer.ID)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) deleteLayer(c *echo.Context) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	sn, err := s.snapshot(c)
	if err != nil {
		return err
	}
	if users := s.controlUsers(sn.Layer.ID); len(users) > 0 {
		return problem(http.StatusConflict, "layer-in-use", "layer in use",
			fmt.Sprintf("layer %q is the control layer of %s: give them another control layer (PATCH control_layer) first", sn.Layer.ID, strings.Join(users, ", ")))
	}
	if err := s.store.DeleteLayer(sn.Layer.ID); err != nil {
		return err
	}
	s.index.Remove(sn.Layer.ID)
	s.tiles.DropLayer(sn.Layer.ID)
	s.log.Info("layer deleted", "request_id", requestID(c), "layer", sn.Layer.ID)
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
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	sn, err := s.snapshot(c)
	if err != nil {
		return err
	}
	l := sn.Layer
	l.Roles = make(map[string]string, len(sn.Layer.Roles))
	for r, f := range sn.Layer.Roles {
		l.Roles[r] = f
	}
	if p.Title != nil {
		if strings.TrimSpace(*p.Title) == "" {
			return badParam("title", "must not be empty")
		}
		l.Title = *p.Title
	}
	for r, f := range p.Roles {
		if f == nil || *f == "" {
			delete(l.Roles, r)
			continue
		}
		if !hasField(l.Fields, *f) {
			return badParam("roles", "role %s names field %q, which layer %q does not have", r, *f, l.ID)
		}
		l.Roles[r] = *f
	}
	if p.ControlLayer != nil {
		if l.Kind != spatial.KindParcels && *p.ControlLayer != "" {
			return badParam("control_layer", "only a parcels layer has a control layer (this layer is %s)", l.Kind)
		}
		if err := s.checkControl("control_layer", *p.ControlLayer); err != nil {
			return err
		}
		l.ControlLayer = *p.ControlLayer
	}
	l.Version++
	l.Updated = s.cfg.Now().UTC()
	if err := s.store.PutLayerMeta(l); err != nil {
		return err
	}
	next := sn.WithLayer(l)
	s.index.Put(next)
	if reflect.DeepEqual(sn.Layer.Roles, l.Roles) {
		s.tiles.Invalidate(l.ID, l.Version) // nothing a tile shows has changed
	} else {
		s.tiles.InvalidateLayer(l.ID, l.Version) // tiles carry the role fields
	}
	if l.ControlLayer != sn.Layer.ControlLayer {
		if err := s.rederive(c.Request().Context(), next); err != nil {
			return err
		}
		next = s.index.Layer(l.ID)
	}
	return sendJSON(c, http.StatusOK, "", viewLayer(next.Layer))
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
