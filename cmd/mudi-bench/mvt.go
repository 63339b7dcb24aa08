package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/tiles"
)

// mvtIDs returns the feature ids of the named layer of an uncompressed MVT (nil for an empty
// tile or a tile without that layer). It reads only what it needs of the protobuf:
// Tile.layers (3) → Layer.name (1), Layer.features (2) → Feature.id (1).
func mvtIDs(b []byte, layer string) ([]uint64, error) {
	var ids []uint64
	err := eachField(b, func(num int, wire int, v uint64, msg []byte) error {
		if num != 3 || wire != 2 {
			return nil
		}
		var name string
		var feats [][]byte
		err := eachField(msg, func(num, wire int, v uint64, m []byte) error {
			switch {
			case num == 1 && wire == 2:
				name = string(m)
			case num == 2 && wire == 2:
				feats = append(feats, m)
			}
			return nil
		})
		if err != nil || name != layer {
			return err
		}
		for _, f := range feats {
			var id uint64
			found := false
			if err := eachField(f, func(num, wire int, v uint64, _ []byte) error {
				if num == 1 && wire == 0 {
					id, found = v, true
				}
				return nil
			}); err != nil {
				return err
			}
			if !found {
				return errors.New("mvt: feature without id")
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// mvtProp returns the value of property key of the feature with the given id in the named
// layer of an uncompressed MVT (found false when the tile lacks the feature or the feature
// the property). It reads Layer.keys (3), Layer.values (4: string 1, float 2, double 3, int 4,
// uint 5, sint 6, bool 7) and Feature.tags (2, packed pairs of key and value indexes).
func mvtProp(b []byte, layer string, id uint64, key string) (value any, found bool, err error) {
	err = eachField(b, func(num, wire int, _ uint64, msg []byte) error {
		if num != 3 || wire != 2 || found {
			return nil
		}
		var name string
		var keys []string
		var values []any
		var feats [][]byte
		err := eachField(msg, func(num, wire int, _ uint64, m []byte) error {
			switch {
			case num == 1 && wire == 2:
				name = string(m)
			case num == 2 && wire == 2:
				feats = append(feats, m)
			case num == 3 && wire == 2:
				keys = append(keys, string(m))
			case num == 4 && wire == 2:
				v, err := mvtValue(m)
				if err != nil {
					return err
				}
				values = append(values, v)
			}
			return nil
		})
		if err != nil || name != layer {
			return err
		}
		for _, f := range feats {
			var fid uint64
			var tags []byte
			if err := eachField(f, func(num, wire int, v uint64, m []byte) error {
				switch {
				case num == 1 && wire == 0:
					fid = v
				case num == 2 && wire == 2:
					tags = m
				}
				return nil
			}); err != nil {
				return err
			}
			if fid != id {
				continue
			}
			for len(tags) > 0 {
				k, n := binary.Uvarint(tags)
				if n <= 0 {
					return errors.New("mvt: bad tag")
				}
				v, m := binary.Uvarint(tags[n:])
				if m <= 0 {
					return errors.New("mvt: odd number of tags")
				}
				tags = tags[n+m:]
				if k >= uint64(len(keys)) || v >= uint64(len(values)) {
					return errors.New("mvt: tag out of the key or value table")
				}
				if keys[k] == key {
					value, found = values[v], true
					return nil
				}
			}
			return nil
		}
		return nil
	})
	return value, found, err
}

// mvtValue decodes a Layer.values message.
func mvtValue(m []byte) (any, error) {
	var out any
	err := eachField(m, func(num, wire int, v uint64, msg []byte) error {
		switch {
		case num == 1 && wire == 2:
			out = string(msg)
		case num == 4 && wire == 0:
			out = int64(v)
		case num == 5 && wire == 0:
			out = v
		case num == 6 && wire == 0:
			out = int64(v>>1) ^ -int64(v&1)
		case num == 7 && wire == 0:
			out = v != 0
		case num == 2 && wire == 5:
			out = float64(math.Float32frombits(uint32(v)))
		case num == 3 && wire == 1:
			out = math.Float64frombits(v)
		}
		return nil
	})
	return out, err
}

// eachField calls fn for every field of a protobuf message: varints and the bits of fixed32 and
// fixed64 fields with v, length-delimited fields with msg.
func eachField(b []byte, fn func(num, wire int, v uint64, msg []byte) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("mvt: bad field key")
		}
		b = b[n:]
		num, wire := int(key>>3), int(key&7)
		var v uint64
		var msg []byte
		switch wire {
		case 0:
			if v, n = binary.Uvarint(b); n <= 0 {
				return errors.New("mvt: bad varint")
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return errors.New("mvt: truncated fixed64")
			}
			v = binary.LittleEndian.Uint64(b)
			b = b[8:]
		case 5:
			if len(b) < 4 {
				return errors.New("mvt: truncated fixed32")
			}
			v = uint64(binary.LittleEndian.Uint32(b))
			b = b[4:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return errors.New("mvt: bad length")
			}
			msg = b[n : n+int(l)]
			b = b[n+int(l):]
		default:
			return fmt.Errorf("mvt: wire type %d", wire)
		}
		if err := fn(num, wire, v, msg); err != nil {
			return err
		}
	}
	return nil
}

// tileFrame maps lon/lat to the float tile units of one tile (extent 4096), with Web Mercator
// as tiles.LonLatToWorld computes it.
type tileFrame struct {
	scale, ox, oy float64
}

func newTileFrame(c tiles.Coord) tileFrame {
	s := float64(c.Z.Size()) * 4096
	return tileFrame{scale: s, ox: float64(c.X) * 4096, oy: float64(c.Y) * 4096}
}

func (t tileFrame) project(p orb.Point) [2]float64 {
	x, y := tiles.LonLatToWorld(p)
	return [2]float64{x*t.scale - t.ox, y*t.scale - t.oy}
}

// areaIn returns the area, in tile units², of the part of geometry g (Polygon or MultiPolygon,
// lon/lat) inside the square [lo, hi]² of tile units: each ring clipped to the square
// (Sutherland–Hodgman, exact for a convex clip region as far as area goes), exterior areas
// minus hole areas.
func (t tileFrame) areaIn(g orb.Geometry, lo, hi float64) float64 {
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{g}
	case orb.MultiPolygon:
		polys = g
	}
	total := 0.0
	var ring, tmp [][2]float64
	for _, p := range polys {
		for i, r := range p {
			ring = ring[:0]
			for _, q := range r {
				ring = append(ring, t.project(q))
			}
			ring, tmp = clipSquare(ring, tmp, lo, hi)
			a := math.Abs(shoelace(ring))
			if i == 0 {
				total += a
			} else {
				total -= a
			}
		}
	}
	return max(0, total)
}

func shoelace(r [][2]float64) float64 {
	s := 0.0
	for i := range r {
		j := (i + 1) % len(r)
		s += r[i][0]*r[j][1] - r[j][0]*r[i][1]
	}
	return s / 2
}

// clipSquare clips ring to [lo, hi]² against each of the four edges in turn.
func clipSquare(ring, tmp [][2]float64, lo, hi float64) (out, spare [][2]float64) {
	for edge := range 4 {
		tmp = tmp[:0]
		in := func(p [2]float64) bool {
			switch edge {
			case 0:
				return p[0] >= lo
			case 1:
				return p[0] <= hi
			case 2:
				return p[1] >= lo
			}
			return p[1] <= hi
		}
		cross := func(a, b [2]float64) [2]float64 {
			var k float64
			switch edge {
			case 0, 1:
				x := lo
				if edge == 1 {
					x = hi
				}
				k = (x - a[0]) / (b[0] - a[0])
				return [2]float64{x, a[1] + k*(b[1]-a[1])}
			}
			y := lo
			if edge == 3 {
				y = hi
			}
			k = (y - a[1]) / (b[1] - a[1])
			return [2]float64{a[0] + k*(b[0]-a[0]), y}
		}
		for i := range ring {
			a, b := ring[(i+len(ring)-1)%len(ring)], ring[i]
			switch ina, inb := in(a), in(b); {
			case ina && inb:
				tmp = append(tmp, b)
			case ina:
				tmp = append(tmp, cross(a, b))
			case inb:
				tmp = append(tmp, cross(a, b), b)
			}
		}
		ring, tmp = tmp, ring
	}
	return ring, tmp
}
