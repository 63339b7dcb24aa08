package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/spatial"
)

// The schema of a collection's features (OGC API – Features Part 5, JSON Schema 2020-12): every
// property with its type and Chinese title, the computed attributes read-only, the roles of the
// feature id, the primary geometry (always MultiPolygon, see [multiPolygon]) and the temporal
// property.

const relSchema = "http://www.opengis.net/def/rel/ogc/1.0/schema"

// computedProperty reports whether a property is computed by mudi, and so read-only for
// clients. The OGC API asks only here, so the vocabulary behind it can change in one place.
func computedProperty(name string) bool { return spatial.IsDerivedKey(name) }

// fieldTitle is the title of a field: its alias, else the conventional Chinese label of its
// code.
func fieldTitle(f spatial.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return spatial.FieldAliases[strings.ToUpper(f.Name)]
}

// featureSchema returns the JSON Schema of the features of layer l, whose $id is id.
func featureSchema(l *spatial.Layer, id string) map[string]any {
	props := map[string]any{
		"geometry": map[string]any{"title": "几何 geometry (CRS84 unless crs says otherwise)", "format": "geometry-multipolygon", "x-ogc-role": "primary-geometry"},
	}
	hasIDField := false
	for _, f := range l.Fields {
		hasIDField = hasIDField || f.Name == "id"
	}
	if !hasIDField {
		props["id"] = map[string]any{"title": "要素编号 feature id", "type": "integer", "x-ogc-role": "id", "readOnly": true}
	}
	temporal, _ := spatial.TemporalField(l)
	titles := map[string]string{}
	for _, f := range l.Fields {
		titles[f.Name] = fieldTitle(f)
	}
	for _, q := range queryables(*l) {
		p := map[string]any{"type": q.Type}
		title := q.Title
		if t := titles[q.Name]; t != "" {
			title = t
		}
		if title != "" {
			p["title"] = title
		}
		if q.Enum != nil {
			p["enum"] = q.Enum
		}
		if q.Date {
			p["format"] = "date"
		}
		if q.Name == temporal {
			p["x-ogc-role"] = "primary-instant"
		}
		if computedProperty(q.Name) {
			p["readOnly"] = true
		}
		props[q.Name] = p
	}
	return map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         id,
		"type":        "object",
		"title":       l.Title,
		"description": "Features of " + l.ID + ": source attributes as imported and the attributes mudi computes (read-only)",
		"properties":  props,
	}
}

func (s *Server) ogcSchema(c *echo.Context) error {
	sn, fm, err := s.ogcResource(c, only("f"))
	if err != nil {
		return err
	}
	path := "/ogc/collections/" + url.PathEscape(sn.Layer.ID) + "/schema"
	doc := featureSchema(&sn.Layer, s.href(c, path, nil))
	if fm == formatHTML {
		props := doc["properties"].(map[string]any)
		return s.renderHTML(c, "queryables", htmlPage{Title: "Schema of " + sn.Layer.Title,
			Links: s.selfLinks(c, path, nil, fm, mimeSchemaJSON), Data: map[string]any{"names": sortedKeys(props), "props": props}})
	}
	return sendJSON(c, http.StatusOK, mimeSchemaJSON, doc)
}
