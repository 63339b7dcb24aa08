package pmtiles

import "fmt"

// MaxZoom is the highest zoom whose tile ids fit the 64-bit tile id space used here.
const MaxZoom = 26

// TileID returns the PMTiles v3 tile id of tile z/x/y (XYZ scheme, y down): the number of
// tiles of all lower zooms, (4^z − 1) / 3, plus the position of x, y on the zoom's Hilbert
// curve, which starts at 0/0 and whose first step goes down (x=0, y=1). Tiles of one zoom that
// are near each other on the map get ids near each other, so a clustered archive keeps them
// near each other in the file.
//
// It returns an error when z exceeds [MaxZoom] or x or y is outside [0, 2^z).
func TileID(z uint8, x, y uint32) (uint64, error) {
	if z > MaxZoom {
		return 0, fmt.Errorf("pmtiles: zoom %d above %d", z, MaxZoom)
	}
	n := uint64(1) << z
	if uint64(x) >= n || uint64(y) >= n {
		return 0, fmt.Errorf("pmtiles: tile %d/%d/%d outside the zoom's grid", z, x, y)
	}
	return zoomBase(z) + hilbertIndex(n, uint64(x), uint64(y)), nil
}

// zoomBase returns the number of tiles of the zooms below z: (4^z − 1) / 3.
func zoomBase(z uint8) uint64 { return ((uint64(1) << (2 * uint64(z))) - 1) / 3 }

// hilbertIndex returns the distance along the Hilbert curve of an n×n grid (n a power of two)
// of cell x, y. At each scale s, from n/2 down to 1, the quadrant (rx, ry) of the point adds
// s² times its rank in the curve's visiting order (0,0) → (0,1) → (1,1) → (1,0); then the
// point is mirrored and transposed into the orientation of the sub-curve of that quadrant.
func hilbertIndex(n, x, y uint64) uint64 {
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
				x = s - 1 - x%s
				y = s - 1 - y%s
			}
			x, y = y, x
		}
	}
	return d
}

// TileCoord is the inverse of [TileID]: it returns z, x, y of a tile id.
func TileCoord(id uint64) (z uint8, x, y uint32) {
	for z = 0; z < MaxZoom && id >= zoomBase(z+1); z++ {
	}
	d := id - zoomBase(z)
	n := uint64(1) << z
	var hx, hy uint64
	for s := uint64(1); s < n; s *= 2 {
		rx := 1 & (d / 2)
		ry := 1 & (d ^ rx)
		if ry == 0 {
			if rx == 1 {
				hx = s - 1 - hx
				hy = s - 1 - hy
			}
			hx, hy = hy, hx
		}
		hx += s * rx
		hy += s * ry
		d /= 4
	}
	return z, uint32(hx), uint32(hy)
}
