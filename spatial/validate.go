package spatial

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	sf "github.com/peterstace/simplefeatures/geom"
)

// Problem describes what is wrong with one input feature. Index is the feature's 0-based
// position in the input; SourceID its id in the input, if it had one. Repaired tells whether mudi
// fixed the problem (the feature was kept) or not (the feature was skipped or the import rejected).
type Problem struct {
	Index    int        `json:"feature"`
	SourceID any        `json:"id,omitempty"`
	Reason   string     `json:"reason"`
	At       *orb.Point `json:"at,omitempty"`
	Repaired bool       `json:"repaired,omitempty"`
}

func (p Problem) String() string {
	s := fmt.Sprintf("feature %d", p.Index)
	if p.SourceID != nil {
		s += fmt.Sprintf(" (id %v)", p.SourceID)
	}
	s += ": " + p.Reason
	if p.At != nil {
		s += fmt.Sprintf(" at (%v, %v)", p.At[0], p.At[1])
	}
	return s
}

// geometryIssue is a problem found in one geometry, before it is tied to a feature.
type geometryIssue struct {
	reason   string
	at       *orb.Point
	repaired bool
}

func issueAt(p orb.Point, format string, args ...any) geometryIssue {
	return geometryIssue{reason: fmt.Sprintf(format, args...), at: &p}
}

// CleanPolygon validates one polygon and repairs what is safe to repair: it closes unclosed
// rings and removes repeated consecutive points. It returns the cleaned polygon (a new value;
// p is not modified), the repairs made, and a non-nil fatal issue when the polygon is invalid
// beyond repair: a ring with fewer than 3 distinct points, a non-finite coordinate, a
// self-intersecting ring, a zero-area ring, or holes that cross the shell or each other.
func cleanPolygon(p orb.Polygon) (orb.Polygon, []geometryIssue, *geometryIssue) {
	var repairs []geometryIssue
	if len(p) == 0 {
		return nil, nil, &geometryIssue{reason: "polygon has no rings"}
	}
	out := make(orb.Polygon, 0, len(p))
	for ri, r := range p {
		what := "exterior ring"
		if ri > 0 {
			what = fmt.Sprintf("hole %d", ri)
		}
		for _, pt := range r {
			if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || math.IsInf(pt[0], 0) || math.IsInf(pt[1], 0) {
				return nil, nil, &geometryIssue{reason: what + ": coordinate is not a finite number (NaN, Infinity or null)"}
			}
		}
		if len(r) > 0 && r[0] != r[len(r)-1] {
			repairs = append(repairs, issueAt(r[0], "%s not closed (closed by repeating its first point)", what))
		}
		c := make(orb.Ring, 0, len(r)+1)
		for _, pt := range r {
			if len(c) == 0 || c[len(c)-1] != pt {
				c = append(c, pt)
			}
		}
		if len(c) > 1 && c[0] == c[len(c)-1] {
			c = c[:len(c)-1]
		}
		if len(c) < 3 {
			reason := fmt.Sprintf("%s has %d distinct points, at least 3 are needed (4 positions with the closing one)", what, len(c))
			if len(r) > 0 {
				iss := issueAt(r[0], "%s", reason)
				return nil, nil, &iss
			}
			return nil, nil, &geometryIssue{reason: reason}
		}
		c = append(c, c[0])
		if at, ok := ringSelfIntersection(c); ok {
			iss := issueAt(at, "%s self-intersects", what)
			return nil, nil, &iss
		}
		if planarRingArea(c) == 0 {
			iss := issueAt(c[0], "%s has zero area", what)
			return nil, nil, &iss
		}
		out = append(out, c)
	}
	if len(out) > 1 {
		if err := toSF(out).Validate(); err != nil {
			return nil, nil, &geometryIssue{reason: "rings are inconsistent: " + err.Error()}
		}
	}
	return out, repairs, nil
}

// cleanGeometry validates and repairs a Polygon or MultiPolygon (see cleanPolygon). Members of a
// MultiPolygon must not overlap or share an edge.
func cleanGeometry(g orb.Geometry) (orb.Geometry, []geometryIssue, *geometryIssue) {
	switch g := g.(type) {
	case orb.Polygon:
		p, rep, bad := cleanPolygon(g)
		if bad != nil {
			return nil, nil, bad
		}
		return p, rep, nil
	case orb.MultiPolygon:
		if len(g) == 0 {
			return nil, nil, &geometryIssue{reason: "multipolygon is empty"}
		}
		out := make(orb.MultiPolygon, 0, len(g))
		var repairs []geometryIssue
		for i, p := range g {
			c, rep, bad := cleanPolygon(p)
			if bad != nil {
				bad.reason = fmt.Sprintf("polygon %d: %s", i, bad.reason)
				return nil, nil, bad
			}
			for _, r := range rep {
				r.reason = fmt.Sprintf("polygon %d: %s", i, r.reason)
				repairs = append(repairs, r)
			}
			out = append(out, c)
		}
		if len(out) > 1 {
			polys := make([]sf.Polygon, len(out))
			for i, p := range out {
				polys[i] = toSF(p)
			}
			if err := sf.NewMultiPolygon(polys).Validate(); err != nil {
				return nil, nil, &geometryIssue{reason: "multipolygon members overlap or share an edge: " + err.Error()}
			}
		}
		return out, repairs, nil
	case nil:
		return nil, nil, &geometryIssue{reason: "feature has no geometry"}
	default:
		return nil, nil, &geometryIssue{reason: fmt.Sprintf("geometry type %s is not a polygon (Polygon or MultiPolygon expected)", g.GeoJSONType())}
	}
}

func toSF(p orb.Polygon) sf.Polygon {
	rings := make([]sf.LineString, len(p))
	for i, r := range p {
		xy := make([]float64, 0, 2*len(r))
		for _, pt := range r {
			xy = append(xy, pt[0], pt[1])
		}
		rings[i] = sf.NewLineString(sf.NewSequence(xy, sf.DimXY))
	}
	return sf.NewPolygon(rings)
}

// planarRingArea returns the signed shoelace area of a closed ring in coordinate units
// (positive when counter-clockwise with y up).
func planarRingArea(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s / 2
}

// ringSelfIntersection reports a point where two non-adjacent edges of a closed ring (without
// repeated consecutive points) touch or cross, if there is one.
func ringSelfIntersection(r orb.Ring) (orb.Point, bool) {
	n := len(r) - 1 // number of edges
	type edge struct{ minX, maxX float64 }
	edges := make([]edge, n)
	for i := 0; i < n; i++ {
		edges[i] = edge{math.Min(r[i][0], r[i+1][0]), math.Max(r[i][0], r[i+1][0])}
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if j == i+1 || (i == 0 && j == n-1) { // adjacent edges share an endpoint
				if n > 3 && collinearOverlap(r[i], r[i+1], r[j], r[j+1]) {
					return r[j], true
				}
				continue
			}
			if edges[j].minX > edges[i].maxX || edges[j].maxX < edges[i].minX {
				continue
			}
			if p, ok := segmentIntersection(r[i], r[i+1], r[j], r[j+1]); ok {
				return p, true
			}
		}
	}
	return orb.Point{}, false
}

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func onSegment(a, b, p orb.Point) bool {
	return math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

// collinearOverlap reports whether two adjacent edges a-b and c-d (b == c or a == d) fold back
// onto each other (a spike).
func collinearOverlap(a, b, c, d orb.Point) bool {
	if b == c {
		return orient(a, b, d) == 0 && ((d[0]-b[0])*(a[0]-b[0])+(d[1]-b[1])*(a[1]-b[1])) > 0
	}
	if a == d {
		return orient(c, d, b) == 0 && ((b[0]-a[0])*(c[0]-a[0])+(b[1]-a[1])*(c[1]-a[1])) > 0
	}
	return false
}

// segmentIntersection reports whether segments p1-p2 and q1-q2 intersect and a point where
// they do.
func segmentIntersection(p1, p2, q1, q2 orb.Point) (orb.Point, bool) {
	d1 := orient(q1, q2, p1)
	d2 := orient(q1, q2, p2)
	d3 := orient(p1, p2, q1)
	d4 := orient(p1, p2, q2)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		t := d1 / (d1 - d2)
		return orb.Point{p1[0] + t*(p2[0]-p1[0]), p1[1] + t*(p2[1]-p1[1])}, true
	}
	switch {
	case d1 == 0 && onSegment(q1, q2, p1):
		return p1, true
	case d2 == 0 && onSegment(q1, q2, p2):
		return p2, true
	case d3 == 0 && onSegment(p1, p2, q1):
		return q1, true
	case d4 == 0 && onSegment(p1, p2, q2):
		return q2, true
	}
	return orb.Point{}, false
}
