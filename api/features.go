package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v5"
	"github.com/paulmach/orb/geojson"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// featureID reads the feature id path parameter.
func featureID(c *echo.Context) (spatial.FeatureID, error) {
	raw := c.Param("fid")
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || id == 0 {
		return 0, badParam("fid", "feature ids are positive integers, not %q", raw)
	}
	return spatial.FeatureID(id), nil
}

// feature returns the layer snapshot and the feature named by the path parameters, or a 404.
func (s *Server) feature(c *echo.Context) (*spatial.Snapshot, *spatial.Feature, error) {
	id, err := featureID(c)
	if err != nil {
		return nil, nil, err
	}
	return s.app.Feature(c.Param("id"), id)
}

// geoJSONFeature is the RFC 7946 form of feature f of snapshot sn: source and computed
// attributes (the campaign classes too when sn carries them) as properties.
func geoJSONFeature(sn *spatial.Snapshot, f *spatial.Feature) *geojson.Feature {
	gf := geojson.NewFeature(f.Geometry)
	gf.ID = uint64(f.ID)
	gf.Properties = sn.Properties(f)
	return gf
}

func (s *Server) getFeature(c *echo.Context) error {
	sn, f, err := s.feature(c)
	if err != nil {
		return err
	}
	if sn, err = s.withClasses(c, sn); err != nil {
		return err
	}
	c.Response().Header().Set("ETag", fmt.Sprintf(`"%s-%d-%d"`, sn.Layer.ID, sn.Layer.Version, f.ID))
	return sendJSON(c, http.StatusOK, "application/geo+json", geoJSONFeature(sn, f))
}

// patchFeature applies a JSON merge patch (RFC 7396) to a feature's attributes: each member
// sets an attribute, null removes it. Every change is appended to the feature's history.
func (s *Server) patchFeature(c *echo.Context) error {
	var patch map[string]any
	if err := decodeJSONBody(c, &patch); err != nil {
		return err
	}
	if len(patch) == 0 {
		return badParam("body", "the patch is empty: send an object of attribute → new value")
	}
	id, err := featureID(c)
	if err != nil {
		return err
	}
	e := app.Edit{Set: map[string]any{}, Actor: actor(c)}
	for k, v := range patch {
		if v == nil {
			e.Remove = append(e.Remove, k)
		} else {
			e.Set[k] = v
		}
	}
	f, err := s.app.EditFeature(context.WithoutCancel(c.Request().Context()), c.Param("id"), id, e)
	if err != nil {
		return err
	}
	sn := s.app.WithClasses(s.index.Layer(c.Param("id")), campaign.Date{})
	return sendJSON(c, http.StatusOK, "application/geo+json", geoJSONFeature(sn, f))
}

func (s *Server) featureHistory(c *echo.Context) error {
	id, err := featureID(c)
	if err != nil {
		return err
	}
	changes, err := s.app.History(c.Param("id"), id)
	if err != nil {
		return err
	}
	if changes == nil {
		changes = []spatial.Change{}
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"layer": c.Param("id"), "feature": id, "changes": changes})
}
