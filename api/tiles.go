package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

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
	// A tile URL whose v names the layers' versions (as TileJSON writes them) names content that
	// never changes: caches may keep it long. Other tile URLs name the current tile, which an edit
	// changes: they get the short caching of unversioned responses.
	cacheControl := s.unversionedCaching()
	if c.Request().URL.RawQuery != "" && c.QueryParam("v") == tiles.Versions(snaps) {
		cacheControl = s.versionedCaching()
	}
	h["Cache-Control"] = []string{cacheControl}
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

// tileset serves GET /tiles/{layers}.json (TileJSON 3.0.0) and GET /tiles/{layers}.pmtiles (a
// PMTiles archive of the layers).
func (s *Server) tileset(c *echo.Context) error {
	if list, ok := strings.CutSuffix(c.Param("layers"), ".pmtiles"); ok {
		snaps, err := s.tileLayers(list)
		if err != nil {
			return err
		}
		return s.sendArchive(c, snaps, list)
	}
	list, ok := strings.CutSuffix(c.Param("layers"), ".json")
	if !ok {
		return notFound("TileJSON is at /tiles/{layers}.json, a PMTiles archive at /tiles/{layers}.pmtiles")
	}
	snaps, err := s.tileLayers(list)
	if err != nil {
		return err
	}
	// The tile URLs carry the layers' versions: after an edit the next TileJSON names new URLs,
	// so that no cache in between can answer them with a tile from before the edit.
	tj := s.tiles.Renderer().TileJSON(snaps, s.publicBase(c)+"/tiles/"+list+"/{z}/{x}/{y}.mvt")
	tj.Tiles[0] += "?v=" + url.QueryEscape(tj.Version)
	return s.sendCurrentJSON(c, tj)
}

// tileMetadata serves GET /tiles/{layers}/metadata.json, the tippecanoe-style metadata that
// GDAL's MVT driver reads (MVT:http://host/tiles/{layers}).
func (s *Server) tileMetadata(c *echo.Context) error {
	snaps, err := s.tileLayers(c.Param("layers"))
	if err != nil {
		return err
	}
	return s.sendCurrentJSON(c, s.tiles.Renderer().Metadata(snaps, c.Param("layers")))
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
	return s.sendCurrentBody(c, echo.MIMEApplicationJSON, b)
}

// Defaults of the caching settings of [Config].
const (
	DefaultTileMaxAge               = 24 * time.Hour
	DefaultTileStaleWhileRevalidate = time.Hour
)

// cacheControl returns a Cache-Control value for shared caches with max-age and
// stale-while-revalidate in whole seconds (negative durations count as 0).
func cacheControl(maxAge, swr time.Duration) string {
	secs := func(d time.Duration) string { return strconv.FormatInt(int64(max(d, 0)/time.Second), 10) }
	return "public, max-age=" + secs(maxAge) + ", stale-while-revalidate=" + secs(swr)
}

// versionedCaching is the Cache-Control of tiles at versioned URLs.
func (s *Server) versionedCaching() string {
	orDefault := func(d, def time.Duration) time.Duration {
		if d == 0 {
			return def
		}
		return d
	}
	return cacheControl(orDefault(s.cfg.TileMaxAge, DefaultTileMaxAge), orDefault(s.cfg.TileStaleWhileRevalidate, DefaultTileStaleWhileRevalidate))
}

// unversionedCaching is the Cache-Control of what describes the current data: tiles at
// unversioned URLs, TileJSON, tileset metadata, styles and archives.
func (s *Server) unversionedCaching() string {
	return cacheControl(s.cfg.TileUnversionedMaxAge, s.cfg.TileUnversionedStaleWhileRevalidate)
}

// sendCurrentJSON sends v as JSON (HTML characters unescaped) with [Server.sendCurrentBody].
func (s *Server) sendCurrentJSON(c *echo.Context, v any) error {
	var b bytes.Buffer
	if err := writeJSON(&b, v); err != nil {
		return err
	}
	return s.sendCurrentBody(c, echo.MIMEApplicationJSON, b.Bytes())
}

// sendCurrentBody sends a document that describes the current data with the unversioned
// caching, Vary: Accept-Encoding and a strong ETag of its bytes (another one for its gzip
// form, which it gets when the client accepts gzip and the body is not tiny); an If-None-Match
// that names the ETag gets a 304.
func (s *Server) sendCurrentBody(c *echo.Context, contentType string, body []byte) error {
	h := c.Response().Header()
	h.Set("Cache-Control", s.unversionedCaching())
	addVary(h, "Accept-Encoding")
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:12])
	gz := len(body) >= gzipMinBytes && acceptsGzip(c.Request().Header.Get("Accept-Encoding"))
	if gz {
		tag += "-gzip"
	}
	etag := `"` + tag + `"`
	h.Set("ETag", etag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	if gz {
		var zb bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&zb)
		_, _ = zw.Write(body) // writes to memory cannot fail
		_ = zw.Close()
		zw.Reset(nil)
		gzipWriters.Put(zw)
		body = zb.Bytes()
		// Already compressed: the gzip middleware leaves a response with a Content-Encoding alone.
		h.Set("Content-Encoding", "gzip")
	}
	h.Set(echo.HeaderContentType, contentType)
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	c.Response().WriteHeader(http.StatusOK)
	_, err := c.Response().Write(body)
	return err
}

// mimePMTiles is the media type of PMTiles archives.
const mimePMTiles = "application/vnd.pmtiles"

// maxArchiveZoom is the highest maxzoom of an archive built for a request: z18 tiles are about
// 150 m wide, past any use of parcel maps, while every zoom above doubles the tile count twice.
const maxArchiveZoom tiles.Zoom = 18

// archiveOptions reads the minzoom and maxzoom parameters of an archive request.
func archiveOptions(c *echo.Context) (tiles.ArchiveOptions, error) {
	o := tiles.ArchiveOptions{MinZoom: 0, MaxZoom: tiles.DefaultArchiveMaxZoom}
	for _, p := range []struct {
		name string
		to   *tiles.Zoom
		min  int
	}{{"minzoom", &o.MinZoom, 0}, {"maxzoom", &o.MaxZoom, 1}} {
		v := c.QueryParam(p.name)
		if v == "" {
			continue
		}
		z, err := strconv.Atoi(v)
		if err != nil || z < p.min || z > int(maxArchiveZoom) {
			return o, badParam(p.name, "%q is not a zoom from %d to %d", v, p.min, maxArchiveZoom)
		}
		*p.to = tiles.Zoom(z)
	}
	if o.MinZoom > o.MaxZoom {
		return o, badParam("minzoom", "minzoom %d is above maxzoom %d", o.MinZoom, o.MaxZoom)
	}
	return o, nil
}

// sendArchive sends the PMTiles archive of the layers as the attachment name.pmtiles. The
// archive is built in a temporary file before the first byte is sent, so that its errors are
// still problems; its tiles are rendered by the server's renderer, byte for byte the tiles it
// serves. The ETag names the layers' versions and the zooms, so that an unchanged archive costs
// a 304 and no work.
func (s *Server) sendArchive(c *echo.Context, snaps []*spatial.Snapshot, name string) error {
	o, err := archiveOptions(c)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", s.unversionedCaching())
	h.Set("ETag", fmt.Sprintf(`"pmtiles-%s-z%d-%d"`, tiles.Versions(snaps), o.MinZoom, o.MaxZoom))
	h.Set(echo.HeaderContentType, mimePMTiles)
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.pmtiles"`, name))
	if etagMatches(c.Request().Header.Get("If-None-Match"), h.Get("ETag")) {
		return c.NoContent(http.StatusNotModified)
	}
	if c.Request().Method == http.MethodHead {
		return c.NoContent(http.StatusOK)
	}
	f, err := os.CreateTemp("", "mudi-*.pmtiles")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	ctx := c.Request().Context()
	st, err := tiles.WriteArchive(ctx, f, s.tiles.Renderer(), snaps, o)
	if err != nil {
		if errors.Is(err, tiles.ErrEmptyArchive) {
			return problem(http.StatusUnprocessableEntity, "empty-archive", "nothing to archive",
				fmt.Sprintf("the layers %s have no feature in zooms %d to %d", strings.Join(st.LayerIDs, ","), o.MinZoom, o.MaxZoom))
		}
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h.Set(echo.HeaderContentLength, strconv.FormatInt(st.Bytes, 10))
	c.Response().WriteHeader(http.StatusOK)
	// The status is sent: a failed copy is a client that went away.
	_, _ = io.Copy(c.Response(), f)
	return nil
}
