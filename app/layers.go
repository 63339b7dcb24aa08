package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/mudi-gis/mudi/spatial"
)

// LayerRequest asks [App.PutLayer] to create or replace a layer from decoded features.
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
	Strict   bool // reject the import on a duplicate or missing parcel code
	// AllowEmpty lets an import without features create an empty layer or empty one: without
	// it, an empty file is refused, so that a wrong file never wipes a layer and its ledger.
	AllowEmpty bool
	Actor      Actor          // who imports (recorded in the history and the change log)
	Progress   func(done int) // called while features are written
}

// CheckNewLayerID reports whether id can name a new layer: valid and not taken. Callers use it
// to fail before reading a large upload.
func (a *App) CheckNewLayerID(id string) error {
	switch {
	case id == "":
		return invalid("id", "the layer id is required")
	case !spatial.ValidLayerID(id):
		return invalid("id", "%q is not a valid layer id (lower-case letters, digits, '_' and '-', at most 64, starting with a letter or digit)", id)
	case a.index.Layer(id) != nil:
		return layerExists(id)
	}
	return nil
}

func readOnly(id string) *Error {
	return &Error{Kind: Conflict, Type: "read-only", Reason: fmt.Sprintf("layer %s holds a saved analysis result and is read-only: run and save the analysis again instead", id)}
}

func layerExists(id string) *Error {
	return conflict("layer-exists", "id", "layer %q already exists: replace it or choose another id", id)
}

// PutLayer creates or replaces a layer atomically: the store holds either the old or the new
// layer — and, for a control layer, the parcels layers using it re-derived against it in the
// same transaction — and the index publishes the new state only after the store committed it.
//
// For a parcels layer with a code field, parcels keep their identity by code (see identify);
// on replace the returned report says which codes were added, removed, reshaped and changed.
func (a *App) PutLayer(ctx context.Context, req LayerRequest) (*spatial.Snapshot, *ReplaceReport, error) {
	if req.Import == nil {
		return nil, nil, invalid("file", "no features to import")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	imp := req.Import
	old := a.index.Layer(req.ID)
	now := a.cfg.Now().UTC()
	var l spatial.Layer
	var oldMeta *spatial.Layer
	switch {
	case req.Replace && old == nil:
		return nil, nil, notFound("layer %q does not exist: create it first", req.ID)
	case !req.Replace && old != nil:
		return nil, nil, layerExists(req.ID)
	case !req.Replace && !spatial.ValidLayerID(req.ID):
		return nil, nil, a.CheckNewLayerID(req.ID)
	case req.Replace && old.Layer.Kind == spatial.KindDerived:
		return nil, nil, readOnly(req.ID)
	case req.Replace:
		oldMeta = &old.Layer
		l = old.Layer
		l.Version++
		l.Updated = now
		if req.Kind != "" && req.Kind != l.Kind {
			if err := a.checkKindChange(req.ID, l.Kind, req.Kind); err != nil {
				return nil, nil, err
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
	if err := a.settle(&l, oldMeta, req.Roles, req.Control, imp.Fields); err != nil {
		return nil, nil, err
	}
	ident, err := a.identify(&l, imp, old, req.Strict, req.Actor.Name, now)
	if err != nil {
		return nil, nil, err
	}
	if len(imp.Features) == 0 && (!req.AllowEmpty || len(imp.Problems) > 0) {
		if len(imp.Problems) > 0 {
			return nil, nil, &spatial.InvalidFeaturesError{Problems: imp.Problems, Total: len(imp.Problems)}
		}
		return nil, nil, invalid("allow_empty", "the file holds no features: pass allow_empty=true to create or replace a layer with nothing")
	}
	if err := derive(ctx, &l, imp.Features, a.index.Layer(l.ControlLayer)); err != nil {
		return nil, nil, err
	}
	c := change{op: opCreate, prev: old, next: spatial.NewSnapshot(l, imp.Features), progress: req.Progress}
	if req.Replace {
		c.op = opReplace
		c.archive, c.unarchive, c.history = ident.archive, ident.unarchive, ident.history
		if ident.report != nil {
			ident.report.File = req.FileName
			if c.changeLog, err = json.Marshal(ident.report); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := a.commitAll(ctx, []change{c}, nil); err != nil {
		return nil, nil, err
	}
	a.log.Info("layer written", "layer", l.ID, "version", l.Version, "features", c.next.Len(), "replace", req.Replace)
	return c.next, ident.report, nil
}

// settle fills the roles and the control layer of l from the request, the previous version of
// the layer (nil on create) and the schema, and validates them.
func (a *App) settle(l *spatial.Layer, old *spatial.Layer, overrides map[string]string, control *string, fields []spatial.Field) error {
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
			return invalid("roles", "role %s names field %q, which the data does not have", r, f)
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
			return invalid("control", "only a parcels layer has a control layer (this layer is %s)", l.Kind)
		}
		l.ControlLayer = ""
		return nil
	}
	if l.ControlLayer == "" && control == nil {
		l.ControlLayer = a.OnlyLayer(spatial.KindControl)
	}
	return a.checkControl("control", l.ControlLayer)
}

func hasField(fields []spatial.Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// checkControl verifies that id ("" for none) names a control layer.
func (a *App) checkControl(param, id string) error {
	if id == "" {
		return nil
	}
	sn := a.index.Layer(id)
	if sn == nil {
		return invalid(param, "layer %q does not exist", id)
	}
	if sn.Layer.Kind != spatial.KindControl {
		return invalid(param, "layer %q is a %s layer, not a control layer", id, sn.Layer.Kind)
	}
	return nil
}

// checkKindChange refuses to turn a control layer that parcels layers use into something else.
func (a *App) checkKindChange(id string, from, to spatial.Kind) error {
	if from == spatial.KindControl {
		if users := a.controlUsers(id); len(users) > 0 {
			return invalid("kind", "layer %q is the control layer of %s; it must stay a control layer", id, strings.Join(users, ", "))
		}
	}
	return nil
}

// DeleteLayer removes a layer. A control layer in use is refused; deleting a saved analysis's
// layer removes the analysis with it, in the same transaction.
func (a *App) DeleteLayer(ctx context.Context, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	sn, err := a.Layer(id)
	if err != nil {
		return err
	}
	if users := a.controlUsers(id); len(users) > 0 {
		return conflict("layer-in-use", "", "layer %q is the control layer of %s: give them another control layer (control_layer) first", id, strings.Join(users, ", "))
	}
	return a.commit(ctx, []change{{op: opDelete, prev: sn}}, a.deleteAnalysisOf(id))
}

// LayerPatch changes a layer's settings; nil members are left alone.
type LayerPatch struct {
	Title        *string
	Roles        map[string]*string // role → field; nil or "" removes the role
	ControlLayer *string            // "" for none
}

// PatchLayer changes a layer's title, roles or control layer. A new control layer re-derives
// the parcels' computed attributes in the same transaction.
func (a *App) PatchLayer(ctx context.Context, id string, p LayerPatch) (*spatial.Snapshot, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	sn, err := a.Layer(id)
	if err != nil {
		return nil, err
	}
	if sn.Layer.Kind == spatial.KindDerived {
		return nil, readOnly(id)
	}
	l := sn.Layer
	l.Roles = maps.Clone(sn.Layer.Roles)
	if l.Roles == nil {
		l.Roles = map[string]string{}
	}
	if p.Title != nil {
		if strings.TrimSpace(*p.Title) == "" {
			return nil, invalid("title", "must not be empty")
		}
		l.Title = *p.Title
	}
	for r, f := range p.Roles {
		if f == nil || *f == "" {
			delete(l.Roles, r)
			continue
		}
		if !hasField(l.Fields, *f) {
			return nil, invalid("roles", "role %s names field %q, which layer %q does not have", r, *f, l.ID)
		}
		l.Roles[r] = *f
	}
	if p.ControlLayer != nil {
		if l.Kind != spatial.KindParcels && *p.ControlLayer != "" {
			return nil, invalid("control_layer", "only a parcels layer has a control layer (this layer is %s)", l.Kind)
		}
		if err := a.checkControl("control_layer", *p.ControlLayer); err != nil {
			return nil, err
		}
		l.ControlLayer = *p.ControlLayer
	}
	l.Version++
	l.Updated = a.cfg.Now().UTC()
	c := change{op: opMeta, prev: sn, next: sn.WithLayer(l)}
	if l.ControlLayer != sn.Layer.ControlLayer {
		if c, err = a.rederive(ctx, sn, l, a.index.Layer(l.ControlLayer)); err != nil {
			return nil, err
		}
	}
	if err := a.commit(ctx, []change{c}, nil); err != nil {
		return nil, err
	}
	return c.next, nil
}
