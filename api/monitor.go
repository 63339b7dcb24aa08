package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/spatial/gisio"
)

// monitorRoutes are the campaign's monitoring routes: the ledger as of a date, the monthly
// report and the targets.
func (s *Server) monitorRoutes() []Route {
	layer := Param{Name: "layer", Type: "string", Description: "parcels layer (default: the only one)"}
	format := Param{Name: "format", Type: "string", Description: "json (default) or xlsx", Enum: []string{"json", "xlsx"}}
	return []Route{
		{Method: "GET", Path: "/api/ledger", Handler: s.ledger, OperationID: "ledger", Tag: "monitoring",
			Summary:   "The ledger (台账): one row per parcel with its ledger fields and campaign classes, as it stood at the end of as_of (rebuilt from the history)",
			Params:    []Param{layer, {Name: "as_of", Type: "string", Description: "YYYY-MM-DD (default: today in China)"}, format},
			Responses: map[int]string{200: "the ledger (JSON, or an Excel workbook)", 400: respBad}},
		{Method: "GET", Path: "/api/report", Handler: s.report, OperationID: "report", Tag: "monitoring",
			Summary: "The monthly report: per group and in total at the month's end, parcels and 亩 by disposal state, closed in the month, overdue, idle, 五未, warnings, 亩均 classes, and the targets' progress",
			Params: []Param{layer, {Name: "month", Type: "string", Description: "YYYY-MM", Required: true},
				{Name: "group_by", Type: "string", Description: "comma-separated roles or attributes, e.g. district, town, park (default: district)"}, format},
			Responses: map[int]string{200: "the report (JSON, or an Excel workbook)", 400: respBad}},
		{Method: "GET", Path: "/api/targets", Handler: s.getTargets, OperationID: "getTargets", Tag: "monitoring",
			Summary: "The layer's targets: 亩 to dispose of per group by a due date", Params: []Param{layer},
			Responses: map[int]string{200: "the targets", 400: respBad}},
		{Method: "PUT", Path: "/api/targets", Handler: s.putTargets, Write: true, Role: app.RoleAdmin, OperationID: "putTargets", Tag: "monitoring",
			Summary: "Set the layer's targets", Params: []Param{layer}, Body: "application/json",
			Responses: map[int]string{200: "the targets as stored", 400: respBad, 401: respKey, 403: "not an admin key"}},
	}
}

// parcelsLayer reads the layer parameter (default: the only parcels layer).
func (s *Server) parcelsLayer(c *echo.Context) (string, error) {
	id := c.QueryParam("layer")
	if id == "" {
		if id = s.app.OnlyLayer(spatial.KindParcels); id == "" {
			return "", badParam("layer", "name the parcels layer")
		}
	}
	if s.index.Layer(id) == nil {
		return "", badParam("layer", "layer %q does not exist", id)
	}
	return id, nil
}

// formatParam reads format: json (default) or xlsx.
func formatParam(c *echo.Context) (string, error) {
	switch f := c.QueryParam("format"); f {
	case "", "json":
		return "json", nil
	case "xlsx":
		return f, nil
	default:
		return "", badParam("format", "%q is not json or xlsx", f)
	}
}

// roleField returns the field of layer l that plays role r: the layer's choice, else the first
// conventional field it has.
func roleField(l *spatial.Layer, r string) string {
	if f, ok := l.Role(r); ok {
		return f
	}
	for _, c := range spatial.RoleCandidates(r) {
		for _, f := range l.Fields {
			if strings.EqualFold(f.Name, c) {
				return f.Name
			}
		}
	}
	return ""
}

func (s *Server) ledger(c *echo.Context) error {
	if err := checkParams(c.QueryParams(), only("layer", "as_of", "format")); err != nil {
		return err
	}
	layer, err := s.parcelsLayer(c)
	if err != nil {
		return err
	}
	asOf, err := asOfParam(c)
	if err != nil {
		return err
	}
	format, err := formatParam(c)
	if err != nil {
		return err
	}
	sn, classes, err := s.app.LedgerAsOf(c.Request().Context(), layer, asOf)
	if err != nil {
		return err
	}
	if asOf.IsZero() {
		asOf = s.app.Today()
	}
	if format == "xlsx" {
		var b bytes.Buffer
		if err := gisio.WriteLedgerXLSX(c.Request().Context(), &b, sn, classes, asOf); err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-ledger-%s.xlsx"`, layer, asOf))
		return c.Blob(http.StatusOK, gisio.XLSXMediaType, b.Bytes())
	}
	l := &sn.Layer
	code, owner, district, town, park := roleField(l, spatial.RoleCode), roleField(l, spatial.RoleOwner), roleField(l, spatial.RoleDistrict), roleField(l, spatial.RoleTown), roleField(l, spatial.RolePark)
	rows := make([]map[string]any, 0, sn.Len())
	for _, f := range sn.Features() {
		cl := classes[f.ID]
		b := f.Bound()
		row := map[string]any{
			"id": f.ID, "code": attrOrNil(f, code), "owner": attrOrNil(f, owner), "district": attrOrNil(f, district),
			"town": attrOrNil(f, town), "park": attrOrNil(f, park), "area_mu": f.Derived.AreaMu,
			"bbox": []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
		}
		if v, ok := f.Derived.Value("control_position"); ok {
			row["control_position"] = v
		} else {
			row["control_position"] = nil
		}
		m := cl.Map()
		for _, k := range []string{"idle_class", "idle_since", "wuwei", "mu_tax", "mu_class", "warning"} {
			row[k] = m[k]
		}
		for _, lf := range spatial.LedgerFields {
			row[lf.Name] = attrOrNil(f, lf.Name)
		}
		rows = append(rows, row)
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"layer": layer, "as_of": asOf.String(), "rows": rows})
}

func attrOrNil(f *spatial.Feature, field string) any {
	if field == "" {
		return nil
	}
	return f.Attrs.Value(field)
}

func (s *Server) report(c *echo.Context) error {
	if err := checkParams(c.QueryParams(), only("layer", "month", "group_by", "format")); err != nil {
		return err
	}
	layer, err := s.parcelsLayer(c)
	if err != nil {
		return err
	}
	format, err := formatParam(c)
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
	groupBy := []string{spatial.RoleDistrict}
	if _, given := c.QueryParams()["group_by"]; given {
		if groupBy, err = listParam(c.QueryParams(), "group_by"); err != nil {
			return err
		}
		if groupBy == nil {
			groupBy = []string{}
		}
	}
	rep, _, _, err := s.app.Report(c.Request().Context(), layer, month, groupBy)
	if err != nil {
		return err
	}
	if format == "xlsx" {
		var b bytes.Buffer
		if err := gisio.WriteReportXLSX(c.Request().Context(), &b, []campaign.Report{rep}); err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-report-%s.xlsx"`, layer, month))
		return c.Blob(http.StatusOK, gisio.XLSXMediaType, b.Bytes())
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"layer": layer, "month": month.String(), "as_of": rep.To.String(), "report": rep})
}

func (s *Server) getTargets(c *echo.Context) error {
	layer, err := s.parcelsLayer(c)
	if err != nil {
		return err
	}
	ts, err := s.app.Targets(layer)
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"layer": layer, "group_by": ts.GroupBy, "targets": ts.Targets})
}

func (s *Server) putTargets(c *echo.Context) error {
	layer, err := s.parcelsLayer(c)
	if err != nil {
		return err
	}
	var ts app.TargetSet
	if err := decodeJSONBody(c, &ts); err != nil {
		return err
	}
	if ts, err = s.app.SetTargets(context.WithoutCancel(c.Request().Context()), layer, ts); err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, "", map[string]any{"layer": layer, "group_by": ts.GroupBy, "targets": ts.Targets})
}
