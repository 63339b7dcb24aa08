package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/crs"
	"github.com/mudi-gis/mudi/spatial/gisio"
)

// fileRoutes returns the routes of GIS file import and export (Shapefile, GeoPackage, CSV, GeoJSON,
// FlatGeobuf, GeoParquet; PMTiles archives of the layer's tiles).
// Imports of zipped Shapefiles and GeoPackages go through POST and PUT /api/layers (multipart
// uploads, decoded by [upload.decode]); the export has its own route.
func (s *Server) fileRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/layers/:id/export", Handler: s.exportLayer, OperationID: "exportLayer", Tag: "layers",
			Summary: "Download the layer as GeoJSON, CSV, a zipped Shapefile, a GeoPackage, FlatGeobuf or GeoParquet in a chosen CRS, " +
				"or as a PMTiles archive of its vector tiles (attachment <layer>.<ext>)",
			Params: append([]Param{
				{Name: "format", Type: "string", Description: "file format (default geojson)", Enum: []string{"geojson", "csv", "shp", "gpkg", "fgb", "parquet", "pmtiles"}},
				{Name: "crs", Type: "string", Description: "CRS of the coordinates, e.g. EPSG:4549 (default: lon/lat for GeoJSON, the layer's source CRS otherwise); GeoJSON in another CRS than CRS84/EPSG:4326 carries the legacy crs member; not for pmtiles (Web Mercator tiles)"},
				{Name: "encoding", Type: "string", Description: "Shapefile attribute encoding: UTF-8 (default) or GBK", Enum: []string{"UTF-8", "GBK", "GB18030"}},
				{Name: "as_of", Type: "string", Description: "date the campaign classes of parcels are computed as of, YYYY-MM-DD (default: today in China)"},
			}, archiveParams...),
			Produces: "application/octet-stream",
			Responses: map[int]string{200: "the file (GeoJSON, CSV with BOM, zip, GeoPackage, FlatGeobuf, GeoParquet, PMTiles)", 400: "unknown format, CRS, encoding or zoom, or a CRS that cannot hold the layer (problem JSON naming it)",
				404: respNotFound, 422: "pmtiles: the layer has no feature"}},
	}
}

func (s *Server) exportLayer(c *echo.Context) error {
	sn, err := s.snapshot(c)
	if err != nil {
		return err
	}
	if sn, err = s.withClasses(c, sn); err != nil {
		return err
	}
	if strings.EqualFold(c.QueryParam("format"), "pmtiles") {
		for _, p := range []string{"crs", "encoding"} {
			if c.QueryParam(p) != "" {
				return badParam(p, "a PMTiles archive holds Web Mercator vector tiles: leave %s out", p)
			}
		}
		return s.sendArchive(c, []*spatial.Snapshot{sn}, sn.Layer.ID)
	}
	for _, p := range []string{"minzoom", "maxzoom"} {
		if c.QueryParam(p) != "" {
			return badParam(p, "zooms apply to format=pmtiles only")
		}
	}
	format := gisio.FormatGeoJSON
	if v := c.QueryParam("format"); v != "" {
		if format, err = gisio.ParseFormat(v); err != nil {
			return err
		}
	}
	var opts gisio.WriteOptions
	if v := c.QueryParam("crs"); v != "" {
		if opts.CRS, err = crs.Parse(v); err != nil {
			return badParam("crs", "%v", err)
		}
	}
	opts.Encoding = c.QueryParam("encoding")
	if opts, err = gisio.Resolve(sn, format, opts); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, format.MediaType())
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s%s"`, sn.Layer.ID, format.Ext()))
	h.Set("Content-Crs", "<"+opts.CRS.URI()+">")
	if c.Request().Method == http.MethodHead {
		return c.NoContent(http.StatusOK)
	}
	// Shapefiles and GeoPackages are built in temporary files before the first byte is sent,
	// so their errors still become problems; GeoJSON and CSV stream, their CRS checked above.
	w := &lazyWriter{c: c}
	err = gisio.Write(c.Request().Context(), w, sn, format, opts)
	if err != nil && w.started {
		// The status is sent: the client sees a truncated download. Log it here, as the
		// error handler can no longer answer (a client that went away is not a failure).
		if !errors.Is(err, context.Canceled) {
			s.log.Error("export failed after the response started", "request_id", requestID(c), "layer", sn.Layer.ID, "format", format, "err", err)
		}
		return nil
	}
	if err == nil && !w.started {
		c.Response().WriteHeader(http.StatusOK)
	}
	return err
}

// lazyWriter sends the 200 status with the first byte, so that an error before it can still
// become a problem response.
type lazyWriter struct {
	c       *echo.Context
	started bool
}

func (w *lazyWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		w.c.Response().WriteHeader(http.StatusOK)
	}
	return w.c.Response().Write(p)
}
