package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/store"
)

// parcelRoutes are the ledger's routes: parcels by their code, their history across imports,
// their evidence files, and a layer's change log.
func (s *Server) parcelRoutes() []Route {
	reason := Param{Name: "reason", Type: "string", Description: "why the change is made (kept in the history; required to return a parcel after review or to reopen one)"}
	return []Route{
		{Method: "GET", Path: "/api/layers/:id/parcels/:code", Handler: s.getParcel, OperationID: "getParcel", Tag: "ledger",
			Summary:  "A parcel by its code, with its ledger and the disposal states it may move to; a parcel removed by a replace is answered as archived",
			Produces: "application/geo+json", Responses: map[int]string{200: "the parcel", 400: respBad, 404: respNotFound}},
		{Method: "PATCH", Path: "/api/layers/:id/parcels/:code", Handler: s.patchParcel, Write: true, OperationID: "patchParcel", Tag: "ledger",
			Summary: "Edit a parcel's ledger and attributes by its code (JSON merge patch); the disposal workflow is enforced",
			Params:  []Param{reason}, Body: "application/merge-patch+json", Produces: "application/geo+json",
			Responses: map[int]string{200: "the edited parcel", 400: "invalid value (problem JSON naming the field)", 401: respKey,
				403: "the key's role may not do this (closing off needs a reviewer other than the submitter)", 404: respNotFound,
				409: "a transition the workflow does not allow (names the current and the allowed next states)"}},
		{Method: "GET", Path: "/api/layers/:id/parcels/:code/history", Handler: s.parcelHistory, OperationID: "parcelHistory", Tag: "ledger",
			Summary:   "The parcel's history across imports: time, key name, field, before, after, reason, layer version",
			Responses: map[int]string{200: "the history", 404: respNotFound}},
		{Method: "POST", Path: "/api/layers/:id/parcels/:code/evidence", Handler: s.postEvidence, Write: true, OperationID: "addEvidence", Tag: "ledger",
			Summary: "Attach evidence files (multipart parts named file: photos, PDF, Office documents; 20 MB each by default)",
			Params:  []Param{reason}, Body: "multipart/form-data",
			Responses: map[int]string{201: "the stored files (all of them, or none when one is refused)", 400: respBad, 401: respKey, 404: respNotFound,
				409: "the parcel is archived", 413: "a file over the size limit", 415: "a kind of file that is not evidence"}},
		{Method: "GET", Path: "/api/layers/:id/parcels/:code/evidence", Handler: s.listEvidence, OperationID: "listEvidence", Tag: "ledger",
			Summary: "The parcel's evidence files", Responses: map[int]string{200: "the files", 404: respNotFound}},
		{Method: "GET", Path: "/api/layers/:id/parcels/:code/evidence/:eid", Handler: s.getEvidence, OperationID: "getEvidence", Tag: "ledger",
			Summary: "Download an evidence file", Produces: "application/octet-stream", Responses: map[int]string{200: "the file", 404: respNotFound}},
		{Method: "GET", Path: "/api/layers/:id/changes", Handler: s.layerChanges, OperationID: "layerChanges", Tag: "ledger",
			Summary:   "The layer's change log: per replace, the parcel codes added, removed, reshaped and changed",
			Responses: map[int]string{200: "the change log", 404: respNotFound}},
	}
}

// codeParam reads the parcel code path parameter.
func codeParam(c *echo.Context) (string, error) {
	code, err := url.PathUnescape(c.Param("code"))
	if err != nil || strings.TrimSpace(code) == "" {
		return "", badParam("code", "%q is not a parcel code", c.Param("code"))
	}
	return code, nil
}

// parcelView is a parcel as GeoJSON with its ledger state.
func parcelView(sn *spatial.Snapshot, p *app.Parcel, stateField string) map[string]any {
	gf := geoJSONFeature(sn, p.Feature)
	state := strings.TrimSpace(p.Feature.Attrs.String(stateField))
	if state == "" {
		state = spatial.StateNotStarted
	}
	next := spatial.NextStates(state)
	if next == nil || p.Archived != nil {
		next = []string{}
	}
	v := map[string]any{
		"type": "Feature", "id": gf.ID, "geometry": gf.Geometry, "properties": gf.Properties,
		"code": p.Code, "layer": p.Layer.Layer.ID, "state": state, "next_states": next, "archived": p.Archived != nil,
	}
	if p.Archived != nil {
		v["archived_version"] = p.Archived.Version
		v["archived_time"] = p.Archived.Time
	}
	return v
}

func stateFieldOf(l *spatial.Layer) string {
	if f, ok := l.Role(spatial.RoleDisposalState); ok {
		return f
	}
	return "CZZT"
}

func (s *Server) getParcel(c *echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	p, err := s.app.ParcelByCode(c.Param("id"), code)
	if err != nil {
		return err
	}
	sn, err := s.withClasses(c, p.Layer)
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, "application/geo+json", parcelView(sn, p, stateFieldOf(&p.Layer.Layer)))
}

// readEdit reads a JSON merge patch of attributes into an edit by the request's key.
func readEdit(c *echo.Context) (app.Edit, error) {
	var patch map[string]any
	if err := decodeJSONBody(c, &patch); err != nil {
		return app.Edit{}, err
	}
	if len(patch) == 0 {
		return app.Edit{}, badParam("body", "the patch is empty: send an object of attribute → new value")
	}
	e := app.Edit{Set: map[string]any{}, Actor: actor(c), Reason: c.QueryParam("reason")}
	for k, v := range patch {
		if v == nil {
			e.Remove = append(e.Remove, k)
		} else {
			e.Set[k] = v
		}
	}
	return e, nil
}

func (s *Server) patchParcel(c *echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	e, err := readEdit(c)
	if err != nil {
		return err
	}
	p, err := s.app.ParcelByCode(c.Param("id"), code)
	if err != nil {
		return err
	}
	if p.Archived != nil {
		return problem(http.StatusConflict, "archived", "parcel archived",
			fmt.Sprintf("parcel %s was removed from layer %s by version %d: its ledger can be read, not edited", code, p.Layer.Layer.ID, p.Archived.Version))
	}
	f, err := s.app.EditFeature(context.WithoutCancel(c.Request().Context()), c.Param("id"), p.Feature.ID, e)
	if err != nil {
		return err
	}
	sn := s.app.WithClasses(s.index.Layer(c.Param("id")), campaign.Date{})
	return sendJSON(c, http.StatusOK, "application/geo+json", parcelView(sn, &app.Parcel{Layer: sn, Feature: f, Code: code}, stateFieldOf(&sn.Layer)))
}

func (s *Server) parcelHistory(c *echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	p, changes, err := s.app.ParcelHistory(c.Param("id"), code)
	if err != nil {
		return err
	}
	if changes == nil {
		changes = []spatial.Change{}
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"layer": c.Param("id"), "code": code, "feature": p.Feature.ID,
		"archived": p.Archived != nil, "changes": changes})
}

func (s *Server) postEvidence(c *echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if !strings.HasPrefix(ct, "multipart/form-data") {
		return unsupportedMedia(ct)
	}
	form, err := c.MultipartForm()
	if err != nil {
		if mb := asMaxBytes(err); mb != nil {
			return mb
		}
		return badParam("file", "cannot read the multipart body: %v", err)
	}
	files := form.File["file"]
	if len(files) == 0 {
		return badParam("file", "send the evidence as multipart parts named file")
	}
	sent := make([]app.EvidenceFile, 0, len(files))
	for _, fh := range files {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return err
		}
		sent = append(sent, app.EvidenceFile{Name: path.Base(strings.ReplaceAll(fh.Filename, "\\", "/")), Data: data})
	}
	stored, err := s.app.AddEvidence(context.WithoutCancel(c.Request().Context()), c.Param("id"), code, sent, actor(c), c.QueryParam("reason"))
	if err != nil {
		return err
	}
	out := make([]*store.Evidence, len(stored))
	for i := range stored {
		out[i] = &stored[i]
	}
	return sendJSON(c, http.StatusCreated, "", map[string]any{"evidence": evidenceViews(c.Param("id"), code, out)})
}

type evidenceView struct {
	*store.Evidence
	Href string `json:"href"`
}

func evidenceViews(layer, code string, es []*store.Evidence) []evidenceView {
	out := make([]evidenceView, len(es))
	for i, e := range es {
		out[i] = evidenceView{e, "/api/layers/" + layer + "/parcels/" + url.PathEscape(code) + "/evidence/" + e.ID}
	}
	return out
}

func (s *Server) listEvidence(c *echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	es, err := s.app.EvidenceList(c.Param("id"), code)
	if err != nil {
		return err
	}
	ptrs := make([]*store.Evidence, len(es))
	for i := range es {
		ptrs[i] = &es[i]
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"evidence": evidenceViews(c.Param("id"), code, ptrs)})
}

func (s *Server) getEvidence(c *echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	e, data, err := s.app.EvidenceFile(c.Param("id"), code, c.Param("eid"))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename*=UTF-8''%s", url.PathEscape(e.Name)))
	h.Set("ETag", `"`+e.SHA256+`"`)
	return c.Blob(http.StatusOK, e.ContentType, data)
}

func (s *Server) layerChanges(c *echo.Context) error {
	log, err := s.app.LayerChanges(c.Param("id"))
	if err != nil {
		return err
	}
	if log == nil {
		log = []app.ReplaceReport{}
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"layer": c.Param("id"), "changes": log})
}
