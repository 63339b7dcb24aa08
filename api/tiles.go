package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/tiles"
)

const mimeMVT = "application/vnd.mapbox-vector-tile"

// tileLayers returns the snapshots of a comma-separated list of layer ids, or a 404 naming the
// first unknown one.
func (s *Server) tileLayers(list string) ([]*spatial.Snapshot, error) {
	// Parcels carry today's campaign classes (warnings …): a tile requested after midnight
	// shows the new day's classes (the tile cache keys them by date).
	if !strings.Contains(list, ",") { // one layer: no list to check
		sn := s.index.Layer(list)
		if sn == nil {
			return nil, notFound("layer %q does not exist", list)
		}
		return []*spatial.Snapshot{s.app.WithClasses(sn, campaign.Date{})}, nil
	}
	ids := strings.Split(list, ",")
	snaps := make([]*spatial.Snapshot, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return nil, badParam("layers", "layer %q is listed twice", id)
		}
		seen[id] = true
		sn := s.index.Layer(id)
		if sn == nil {
			return nil, notFound("layer %q does not exist", id)
		}
		snaps = append(snaps, s.app.WithClasses(sn, campaign.Date{}))
	}
	return snaps, nil
}

// tile serves GET /tiles/{layers}/{z}/{x}/{y}.mvt (or .pbf).
func (s *Server) tile(c *echo.Context) error {
	y, ok := strings.CutSuffix(c.Param("y"), ".mvt")
	if !ok {
		if y, ok = strings.CutSuffix(c.Param("y"), ".pbf"); !ok {
			return notFound("tiles end in .mvt or .pbf")
		}
	}
	coord, err := tiles.ParseCoord(c.Param("z"), c.Param("x"), y)
	if err != nil {
		var ce *tiles.CoordError
		if errors.As(err, &ce) {
			return badParam(ce.Param, "%v", ce.Err)
		}
		return badParam("z", "%v", err)
	}
	snaps, err := s.tileLayers(c.Param("layers"))
	if err != nil {
		return err
	}
	t, err := s.tiles.Tile(c.Request().Context(), snaps, coord)
	if err != nil {
		return err
	}
	// Headers are set under their canonical names directly: this is the hottest path of the
	// server, and Header.Set would canonicalise each name again.
	h := c.Response().Header()
	// Clients may keep tiles but must revalidate: an edit shows on the very next request, and an
	// unchanged tile costs a 304.
	h["Cache-Control"] = []string{"public, no-cache"}
	h["Vary"] = []string{"Accept-Encoding"}
	if t.Empty() {
		return c.NoContent(http.StatusNoContent)
	}
	req := c.Request().Header
	body, etag := t.MVT, t.ETag
	if acceptsGzip(firstValue(req, "Accept-Encoding")) {
		body, etag = t.Gzipped(), t.GzipETag()
		h["Content-Encoding"] = []string{"gzip"}
	}
	h["Etag"] = []string{etag}
	if etagMatches(firstValue(req, "If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	// With the length known, net/http sends the body as is instead of chunked.
	h["Content-Type"] = []string{mimeMVT}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w := c.Response()
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// firstValue returns the first value of header key, which must be in canonical form (no
// canonicalisation, no allocation).
func firstValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (q > 0).
func acceptsGzip(header string) bool {
	for header != "" {
		var part string
		part, header, _ = strings.Cut(header, ",")
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if name = strings.TrimSpace(name); !strings.EqualFold(name, "gzip") && name != "*" {
			continue
		}
		return !zeroQuality(params)
	}
	return false
}

// zeroQuality reports whether Accept-Encoding parameters say q=0 (with up to three zero
// decimals; spaces allowed).
func zeroQuality(params string) bool {
	var b [16]byte
	q := b[:0]
	for i := 0; i < len(params); i++ {
		if c := params[i]; c != ' ' && c != '\t' {
			if len(q) == len(b) {
				return false
			}
			q = append(q, c)
		}
	}
	switch string(q) {
	case "q=0", "q=0.", "q=0.0", "q=0.00", "q=0.000":
		return true
	}
	return false
}

// etagMatches implements If-None-Match's weak comparison against a strong ETag.
func etagMatches(header, etag string) bool {
	for header != "" {
		var part string
		part, header, _ = strings.Cut(header, ",")
		p := strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if p == "*" || p == etag {
			return true
		}
	}
	return false
}

// tileJSON serves GET /tiles/{layers}.json (TileJSON 3.0.0).
func (s *Server) tileJSON(c *echo.Context) error {
	list, ok := strings.CutSuffix(c.Param("layers"), ".json")
	if !ok {
		return notFound("TileJSON is at /tiles/{layers}.json")
	}
	snaps, err := s.tileLayers(list)
	if err != nil {
		return err
	}
	tj := s.tiles.Renderer().TileJSON(snaps, s.publicBase(c)+"/tiles/"+list+"/{z}/{x}/{y}.mvt")
	return sendJSON(c, http.StatusOK, "", tj)
}

// tileMetadata serves GET /tiles/{layers}/metadata.json, the tippecanoe-style metadata that
// GDAL's MVT driver reads (MVT:http://host/tiles/{layers}).
func (s *Server) tileMetadata(c *echo.Context) error {
	snaps, err := s.tileLayers(c.Param("layers"))
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, "", s.tiles.Renderer().Metadata(snaps, c.Param("layers")))
}

// style serves GET /styles/{name}.json: the MapLibre style over every layer.
func (s *Server) style(c *echo.Context) error {
	name, ok := strings.CutSuffix(c.Param("name"), ".json")
	if !ok || name != "default" {
		return notFound("style %q does not exist (there is /styles/default.json)", c.Param("name"))
	}
	snaps := s.index.Layers()
	ids := make([]string, len(snaps))
	for i, sn := range snaps {
		ids[i] = sn.Layer.ID
	}
	b, err := tiles.Style(name, snaps, s.publicBase(c)+"/tiles/"+strings.Join(ids, ",")+".json")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, no-cache")
	return c.JSONBlob(http.StatusOK, b)
}
