package gisio

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
)

// hilbertSorted returns the features of sn in the order of the Hilbert curve through the
// centres of their lon/lat bounding boxes, on a 65 536 × 65 536 grid over the layer's bound
// (ties in id order). Features near each other on the map end up near each other in the file,
// which is what spatial indexes and row-group statistics need.
func hilbertSorted(sn *spatial.Snapshot) []*spatial.Feature {
	feats := sn.Features()
	type keyed struct {
		h uint64
		f *spatial.Feature
	}
	var all orb.Bound
	for i, f := range feats {
		if i == 0 {
			all = f.Bound()
		} else {
			all = all.Union(f.Bound())
		}
	}
	const n = 1 << 16
	w := max(all.Max[0]-all.Min[0], 1e-12)
	h := max(all.Max[1]-all.Min[1], 1e-12)
	cell := func(v, lo, size float64) uint64 {
		return uint64(max(0, min(n-1, math.Floor((v-lo)/size*n))))
	}
	ks := make([]keyed, len(feats))
	for i, f := range feats {
		c := f.Bound().Center()
		ks[i] = keyed{hilbert(n, cell(c[0], all.Min[0], w), cell(c[1], all.Min[1], h)), f}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return cmp.Compare(a.h, b.h) })
	out := make([]*spatial.Feature, len(ks))
	for i, k := range ks {
		out[i] = k.f
	}
	return out
}

// hilbert returns the distance along the Hilbert curve of an n×n grid (n a power of two) of
// cell x, y: at each scale s from n/2 down to 1 the quadrant adds s² times its rank in the
// visiting order (0,0), (0,1), (1,1), (1,0), and the point is turned into the orientation of
// that quadrant's sub-curve.
func hilbert(n, x, y uint64) uint64 {
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint64
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += s * s * ((3 * rx) ^ ry)
		if ry == 0 {
			if rx == 1 {
				x, y = s-1-x%s, s-1-y%s
			}
			x, y = y, x
		}
	}
	return d
}

// cellValue converts v to the Go type that a column of type t stores: int64, float64, bool or
// string (dates as their ISO 8601 text), or nil for a null. Values of another type than the
// column's (a schema widened on import) are converted when that loses nothing: integral reals
// to integers, integers to reals, anything to text; otherwise the value is null.
func cellValue(t spatial.FieldType, v any) any {
	if v == nil {
		return nil
	}
	switch t {
	case spatial.FieldInteger:
		switch v := v.(type) {
		case int64:
			return v
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
				return int64(v)
			}
		case bool:
			if v {
				return int64(1)
			}
			return int64(0)
		}
		return nil
	case spatial.FieldReal:
		switch v := v.(type) {
		case float64:
			return v
		case int64:
			return float64(v)
		}
		return nil
	case spatial.FieldBoolean:
		if b, ok := v.(bool); ok {
			return b
		}
		return nil
	}
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return string(appendNumber(nil, v))
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case fmt.Stringer:
		return v.String()
	}
	return string(appendJSONValue(nil, v))
}
