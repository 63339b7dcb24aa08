package analysis

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/paulmach/orb/geojson"
)

// FeatureCollection returns the result as a GeoJSON FeatureCollection (RFC 7946, lon/lat) with
// the summary as a top-level "summary" member.
//
// Parcel features carry the source attributes plus area_m2, area_mu and, with the overlay,
// control_position, outside_ratio and outside_mu. Block features carry block_id, area_m2,
// area_mu, parcel_ids, parcel_codes, parcel_count and, with a control layer, inside_share,
// control_position, outside_ratio and outside_mu. Feature ids are the parcel ids or block ids.
func (r *Result) FeatureCollection() *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	fc.Features = make([]*geojson.Feature, 0, len(r.Parcels)+len(r.Blocks))
	for i := range len(r.Parcels) + len(r.Blocks) {
		fc.Features = append(fc.Features, r.feature(i))
	}
	fc.ExtraMembers = geojson.Properties{"summary": r.summary()}
	return fc
}

// feature returns feature i of the collection: the parcels, then the blocks.
func (r *Result) feature(i int) *geojson.Feature {
	if i < len(r.Parcels) {
		p := &r.Parcels[i]
		f := geojson.NewFeature(p.Geometry)
		f.ID = uint64(p.ID)
		props := make(geojson.Properties, p.Attrs.Len()+5)
		for k, v := range p.Attrs.All() {
			props[k] = v
		}
		props["area_m2"] = p.AreaM2
		props["area_mu"] = p.AreaMu
		if o := p.Overlay; o != nil {
			props["control_position"] = string(o.Position)
			props["outside_ratio"] = o.OutsideRatio
			props["outside_mu"] = o.OutsideMu
		}
		f.Properties = props
		return f
	}
	{
		b := &r.Blocks[i-len(r.Parcels)]
		f := geojson.NewFeature(b.Geometry)
		f.ID = b.ID
		ids := make([]uint64, len(b.ParcelIDs))
		for k, id := range b.ParcelIDs {
			ids[k] = uint64(id)
		}
		props := geojson.Properties{
			"block_id":     b.ID,
			"area_m2":      b.AreaM2,
			"area_mu":      b.AreaMu,
			"parcel_ids":   ids,
			"parcel_codes": b.ParcelCodes,
			"parcel_count": b.ParcelCount,
		}
		if o := b.Overlay; o != nil {
			props["inside_share"] = o.InsideShare()
			props["control_position"] = string(o.Position)
			props["outside_ratio"] = o.OutsideRatio
			props["outside_mu"] = o.OutsideMu
		}
		f.Properties = props
		return f
	}
}

func (r *Result) summary() map[string]any {
	return map[string]any{
		"kind":         r.Kind,
		"count":        r.Summary.Count,
		"area_mu":      r.Summary.AreaMu,
		"parcel_count": r.Summary.ParcelCount,
		"elapsed_ms":   r.Summary.ElapsedMS,
		"params":       r.Summary.Params,
	}
}

// GeoJSON returns the encoded [Result.FeatureCollection].
func (r *Result) GeoJSON() ([]byte, error) {
	var b bytes.Buffer
	err := r.WriteGeoJSON(&b)
	return b.Bytes(), err
}

// WriteGeoJSON writes the encoded [Result.FeatureCollection] to w a feature at a time, so that
// memory does not follow the size of the answer (a province's small parcels are hundreds of
// megabytes of GeoJSON). The bytes are those json.Marshal gives for the whole collection.
func (r *Result) WriteGeoJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"features":[`)
	for i := range len(r.Parcels) + len(r.Blocks) {
		if i > 0 {
			bw.WriteByte(',')
		}
		b, err := json.Marshal(r.feature(i))
		if err != nil {
			return err
		}
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	summary, err := json.Marshal(r.summary())
	if err != nil {
		return err
	}
	bw.WriteString(`],"summary":`)
	bw.Write(summary)
	bw.WriteString(`,"type":"FeatureCollection"}`)
	return bw.Flush()
}
