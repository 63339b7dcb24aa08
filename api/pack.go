package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/api/packviewer"
	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// packRoutes returns the route of the monthly offline pack.
func (s *Server) packRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/pack", Handler: s.pack, OperationID: "pack", Tag: "monitoring",
			Summary: "The monthly offline pack (attachment <layer>-<month>.zip): PMTiles archives, GeoPackages, the ledger and report workbooks, the month's change layer, a MapLibre style and a page that opens from file:// with no server, and a manifest with every file's SHA-256",
			Params: []Param{
				{Name: "layer", Type: "string", Description: "parcels layer (default: the only one)"},
				{Name: "month", Type: "string", Description: "YYYY-MM; the figures stand as of its last day (today for the month in progress)", Required: true},
			},
			Produces:  "application/zip",
			Responses: map[int]string{200: "the pack (a zip)", 400: "missing or invalid layer or month, or a month that has not begun (problem JSON naming it)"}},
	}
}

func (s *Server) pack(c *echo.Context) error {
	if err := checkParams(c.QueryParams(), only("layer", "month")); err != nil {
		return err
	}
	layer, err := s.parcelsLayer(c)
	if err != nil {
		return err
	}
	mv := c.QueryParam("month")
	if mv == "" {
		return badParam("month", "name the month, YYYY-MM")
	}
	month, err := campaign.ParseMonth(mv)
	if err != nil {
		return badParam("month", "%q is not a month: write it as YYYY-MM", mv)
	}
	if today := s.app.Today(); month.First().After(today) {
		return badParam("month", "%s has not begun (today is %s)", month, today)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/zip")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%s.zip"`, layer, month))
	if c.Request().Method == http.MethodHead {
		return c.NoContent(http.StatusOK)
	}
	// The pack is built in a temporary file before the first byte is sent, so that its errors
	// still become problems and the response has a length.
	f, err := os.CreateTemp("", "mudi-pack-*.zip")
	if err != nil {
		return err
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	ctx := c.Request().Context()
	if _, err := s.app.Pack(ctx, f, app.PackRequest{Layer: layer, Month: month, Viewer: packviewer.Files()}); err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h.Set(echo.HeaderContentLength, strconv.FormatInt(size, 10))
	c.Response().WriteHeader(http.StatusOK)
	if _, err := io.Copy(c.Response(), f); err != nil && !errors.Is(err, context.Canceled) {
		// The status is sent: the client sees a truncated download.
		s.log.Error("pack failed after the response started", "request_id", requestID(c), "layer", layer, "month", month.String(), "err", err)
	}
	return nil
}
