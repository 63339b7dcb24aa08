package analysis

import (
	"fmt"

	"github.com/paulmach/orb"
	sf "github.com/peterstace/simplefeatures/geom"
)

// toSF converts an orb polygon (lon/lat) to a simplefeatures polygon, closing open rings and
// dropping rings with fewer than four points. It does not validate.
func toSF(p orb.Polygon) sf.Polygon {
	rings := make([]sf.LineString, 0, len(p))
	for _, r := range p {
		n := len(r)
		if n == 0 {
			continue
		}
		closed := r[0] == r[n-1]
		m := n
		if !closed {
			m++
		}
		if m < 4 {
			continue
		}
		fs := make([]float64, 0, 2*m)
		for _, pt := range r {
			fs = append(fs, pt[0], pt[1])
		}
		if !closed {
			fs = append(fs, r[0][0], r[0][1])
		}
		rings = append(rings, sf.NewLineString(sf.NewSequence(fs, sf.DimXY)))
	}
	return sf.NewPolygon(rings)
}

// fromSF appends the polygons of a simplefeatures geometry (Polygon, MultiPolygon or the
// polygonal members of a GeometryCollection) to dst as orb polygons.
func fromSF(dst []orb.Polygon, g sf.Geometry) []orb.Polygon {
	switch g.Type() {
	case sf.TypePolygon:
		p, _ := g.AsPolygon()
		if op := polygonFromSF(p); len(op) > 0 {
			dst = append(dst, op)
		}
	case sf.TypeMultiPolygon:
		mp, _ := g.AsMultiPolygon()
		for i := 0; i < mp.NumPolygons(); i++ {
			if op := polygonFromSF(mp.PolygonN(i)); len(op) > 0 {
				dst = append(dst, op)
			}
		}
	case sf.TypeGeometryCollection:
		gc, _ := g.AsGeometryCollection()
		for i := 0; i < gc.NumGeometries(); i++ {
			dst = fromSF(dst, gc.GeometryN(i))
		}
	}
	return dst
}

func polygonFromSF(p sf.Polygon) orb.Polygon {
	if p.IsEmpty() {
		return nil
	}
	out := make(orb.Polygon, 0, p.NumRings())
	add := func(ls sf.LineString) {
		seq := ls.Coordinates()
		r := make(orb.Ring, seq.Length())
		for i := range r {
			xy := seq.GetXY(i)
			r[i] = orb.Point{xy.X, xy.Y}
		}
		out = append(out, r)
	}
	add(p.ExteriorRing())
	for i := 0; i < p.NumInteriorRings(); i++ {
		add(p.InteriorRingN(i))
	}
	return out
}

// unionPolygons returns the union of polygons as orb polygons, computed by simplefeatures'
// overlay (a list of polygons is unioned, never an invalid MultiPolygon: STACK trap 7).
func unionPolygons(ps []orb.Polygon) ([]orb.Polygon, error) {
	if len(ps) == 1 {
		return ps, nil
	}
	gs := make([]sf.Geometry, len(ps))
	for i, p := range ps {
		gs[i] = toSF(p).AsGeometry()
	}
	u, err := sf.UnionMany(gs)
	if err != nil {
		return nil, fmt.Errorf("union of %d polygons: %w", len(ps), err)
	}
	return fromSF(nil, u), nil
}
