package tiles

import (
	"errors"
	"iter"
	"math"
	"strconv"

	"github.com/paulmach/orb"
)

// Zoom is a Web Mercator zoom level. Valid zooms are 0 to [MaxZoom].
type Zoom uint8

// MaxZoom is the highest zoom level mudi serves.
const MaxZoom Zoom = 24

// Valid reports whether z is between 0 and [MaxZoom].
func (z Zoom) Valid() bool { return z <= MaxZoom }

// Size returns the number of tiles along each axis at zoom z: 2^z.
func (z Zoom) Size() uint32 { return 1 << z }

// Errors returned by [ParseCoord] (wrapped in a [*CoordError]) and by [Renderer.Render].
var (
	// ErrBadCoord: a tile coordinate is not a non-negative decimal integer.
	ErrBadCoord = errors.New("tiles: malformed tile coordinate")
	// ErrOutOfRange: z is outside 0–24, or x or y is outside [0, 2^z).
	ErrOutOfRange = errors.New("tiles: tile coordinate out of range")
)

// CoordError reports which part of a tile address is wrong. Err is [ErrBadCoord] or
// [ErrOutOfRange]; errors.Is works on a *CoordError through Unwrap.
type CoordError struct {
	Param string // "z", "x" or "y"
	Value string // as given
	Err   error
}

func (e *CoordError) Error() string {
	return e.Err.Error() + ": " + e.Param + "=" + strconv.Quote(e.Value)
}

func (e *CoordError) Unwrap() error { return e.Err }

// Coord addresses one XYZ tile of the Web Mercator tiling scheme (EPSG:3857): x grows to the
// east from the antimeridian, y grows to the south from 85.05°N, as in every web map client.
// Its zero value is the world tile 0/0/0.
type Coord struct {
	Z    Zoom
	X, Y uint32
}

// Valid reports whether the zoom is valid and x and y are inside [0, 2^z).
func (c Coord) Valid() bool {
	return c.Z.Valid() && c.X < c.Z.Size() && c.Y < c.Z.Size()
}

// String returns "z/x/y".
func (c Coord) String() string {
	b := make([]byte, 0, 24)
	b = strconv.AppendUint(b, uint64(c.Z), 10)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(c.X), 10)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(c.Y), 10)
	return string(b)
}

// ParseCoord parses the three parts of a tile address such as /tiles/parcels/{z}/{x}/{y}.mvt.
// Each part must be a decimal integer without sign. The error is a [*CoordError] wrapping
// [ErrBadCoord] for a malformed number and [ErrOutOfRange] for z outside 0–24 or x, y outside
// [0, 2^z).
func ParseCoord(z, x, y string) (Coord, error) {
	zv, err := parseDecimal("z", z)
	if err != nil {
		return Coord{}, err
	}
	if zv > uint64(MaxZoom) {
		return Coord{}, &CoordError{Param: "z", Value: z, Err: ErrOutOfRange}
	}
	c := Coord{Z: Zoom(zv)}
	n := uint64(c.Z.Size())
	xv, err := parseDecimal("x", x)
	if err != nil {
		return Coord{}, err
	}
	if xv >= n {
		return Coord{}, &CoordError{Param: "x", Value: x, Err: ErrOutOfRange}
	}
	yv, err := parseDecimal("y", y)
	if err != nil {
		return Coord{}, err
	}
	if yv >= n {
		return Coord{}, &CoordError{Param: "y", Value: y, Err: ErrOutOfRange}
	}
	c.X, c.Y = uint32(xv), uint32(yv)
	return c, nil
}

// parseDecimal accepts 1 to 20 ASCII digits; larger values are reported out of range rather
// than malformed.
func parseDecimal(param, s string) (uint64, error) {
	if s == "" {
		return 0, &CoordError{Param: param, Value: s, Err: ErrBadCoord}
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, &CoordError{Param: param, Value: s, Err: ErrBadCoord}
		}
		if v > (math.MaxUint64-uint64(d))/10 {
			v = math.MaxUint64 // saturate; still checked for digits
			continue
		}
		v = v*10 + uint64(d)
	}
	return v, nil
}

// Bound returns the tile's bounding box in lon/lat degrees.
func (c Coord) Bound() orb.Bound {
	n := float64(c.Z.Size())
	w := WorldToLonLat(float64(c.X)/n, float64(c.Y+1)/n)
	e := WorldToLonLat(float64(c.X+1)/n, float64(c.Y)/n)
	return orb.Bound{Min: w, Max: e}
}

// CoordAt returns the tile at zoom z containing the lon/lat point p. Latitudes beyond
// ±[MaxLatitude] and longitudes beyond ±180 are clamped to the edge tiles.
func CoordAt(p orb.Point, z Zoom) Coord {
	x, y := LonLatToWorld(p)
	n := z.Size()
	return Coord{Z: z, X: worldIndex(x, n), Y: worldIndex(y, n)}
}

func worldIndex(f float64, n uint32) uint32 {
	v := math.Floor(f * float64(n))
	switch {
	case v < 0 || v != v:
		return 0
	case v >= float64(n):
		return n - 1
	}
	return uint32(v)
}

// Covering returns, row by row, the tiles at zoom z that the lon/lat bound b overlaps.
func Covering(b orb.Bound, z Zoom) iter.Seq[Coord] {
	lo := CoordAt(orb.Point{b.Min[0], b.Max[1]}, z)
	hi := CoordAt(orb.Point{b.Max[0], b.Min[1]}, z)
	return func(yield func(Coord) bool) {
		for y := lo.Y; y <= hi.Y; y++ {
			for x := lo.X; x <= hi.X; x++ {
				if !yield(Coord{Z: z, X: x, Y: y}) {
					return
				}
			}
		}
	}
}

// MaxLatitude is the latitude, in degrees, at which the Web Mercator square ends.
const MaxLatitude = 85.05112877980659

// LonLatToWorld projects a lon/lat point (degrees) to normalised Web Mercator "world"
// coordinates: x from 0 at 180°W to 1 at 180°E, y from 0 at [MaxLatitude] north to 1 at the
// same latitude south (y down, as in tile coordinates). Latitudes are clamped to ±MaxLatitude.
// Multiply by 2^z·extent to get the pixel coordinates of a zoom level.
func LonLatToWorld(p orb.Point) (x, y float64) {
	return lonToWorld(p[0]), latToWorld(p[1])
}

func lonToWorld(lon float64) float64 { return (lon + 180) / 360 }

func latToWorld(lat float64) float64 {
	lat = max(-MaxLatitude, min(MaxLatitude, lat))
	s := math.Sin(lat * (math.Pi / 180))
	return 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
}

// WorldToLonLat is the inverse of [LonLatToWorld].
func WorldToLonLat(x, y float64) orb.Point {
	lat := math.Atan(math.Sinh(math.Pi*(1-2*y))) * (180 / math.Pi)
	return orb.Point{x*360 - 180, lat}
}

// EarthRadius is the radius, in metres, of the sphere of Web Mercator (EPSG:3857).
const EarthRadius = 6378137.0

// LonLatToMercator projects a lon/lat point (degrees) to Web Mercator EPSG:3857 metres.
// Mercator distances and areas are for display only: never measure parcels with them.
func LonLatToMercator(p orb.Point) orb.Point {
	x, y := LonLatToWorld(p)
	const half = math.Pi * EarthRadius
	return orb.Point{x*2*half - half, half - y*2*half}
}
