package api

import (
	"github.com/labstack/echo/v5"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// asOfParam reads the as_of query parameter (YYYY-MM-DD): the date the campaign classes are
// computed as of. Zero when absent (today in China).
func asOfParam(c *echo.Context) (campaign.Date, error) {
	v := c.QueryParam("as_of")
	if v == "" {
		return campaign.Date{}, nil
	}
	d, err := campaign.ParseDate(v)
	if err != nil {
		return campaign.Date{}, badParam("as_of", "%q is not a date: write it as YYYY-MM-DD", v)
	}
	return d, nil
}

// withClasses returns sn carrying the campaign classes as of the request's as_of (today when
// absent); layers other than parcels come as they are.
func (s *Server) withClasses(c *echo.Context, sn *spatial.Snapshot) (*spatial.Snapshot, error) {
	d, err := asOfParam(c)
	if err != nil {
		return nil, err
	}
	return s.app.WithClasses(sn, d), nil
}
