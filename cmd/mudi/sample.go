package main

import (
	"bytes"
	"context"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
)

// Layer ids of the embedded sample county.
const (
	sampleParcels = "parcels"
	sampleControl = "control-lines"
)

// loadSample loads the embedded sample county as layers parcels and control-lines.
func loadSample(ctx context.Context, core *app.App) error {
	control, err := fixtures.SampleControl()
	if err != nil {
		return err
	}
	parcels, err := fixtures.SampleParcels()
	if err != nil {
		return err
	}
	layers := []struct {
		id, title, file string
		kind            spatial.Kind
		control         *string
		data            []byte
	}{
		{sampleControl, "工业用地控制线（示例县）", "control-lines.geojson", spatial.KindControl, nil, control},
		{sampleParcels, "工业用地地块（示例县）", "parcels.geojson", spatial.KindParcels, ptr(sampleControl), parcels},
	}
	for _, l := range layers {
		imp, err := spatial.DecodeGeoJSON(bytes.NewReader(l.data), spatial.ImportOptions{})
		if err != nil {
			return err
		}
		if _, _, err := core.PutLayer(ctx, app.LayerRequest{ID: l.id, Title: l.title, Kind: l.kind,
			Control: l.control, FileName: l.file, Import: imp}); err != nil {
			return err
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
