package cql2

import (
	"errors"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/spatial/crs"
)

// chain returns n comparisons joined by op: "a = 0 OR a = 1 …" (2n terms).
func chain(n int, op string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = "a = " + itoa(i)
	}
	return strings.Join(parts, " "+op+" ")
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// inList returns "a IN (0, 1, …)" with n values (n+1 terms).
func inList(n int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = itoa(i)
	}
	return "a IN (" + strings.Join(vals, ",") + ")"
}

// TestFilterSizeIsLimited reproduces item 4: filters had a nesting limit but no size limit, and
// a 1 MB chain of ORs cost seconds per request.
func TestFilterSizeIsLimited(t *testing.T) {
	// A projected polygon of 120 edges of 100 km each densifies to 120 000 vertices.
	var ring []string
	for i := range 30 {
		ring = append(ring, "3300000 "+itoa(40400000+i*100000))
	}
	for i := range 30 {
		ring = append(ring, itoa(3300000+i*100000)+" 43400000")
	}
	for i := range 30 {
		ring = append(ring, "6300000 "+itoa(43400000-i*100000))
	}
	for i := range 30 {
		ring = append(ring, itoa(6300000-i*100000)+" 40400000")
	}
	ring = append(ring, ring[0])
	hugePolygon := "S_INTERSECTS(geometry, POLYGON((" + strings.Join(ring, ", ") + ")))"
	tests := []struct {
		name    string
		filter  string
		crs     string
		wantErr string // "" when the filter is accepted
		pos     int
	}{
		{name: "1000 comparisons (2000 terms)", filter: chain(1000, "OR")},
		{name: "1000 comparisons and one more", filter: chain(1000, "AND") + " AND b = 1", wantErr: "more than 2000 terms", pos: len(chain(1000, "AND")) + 5},
		{name: "IN list of 1999 values", filter: inList(1999)},
		{name: "IN list of 2000 values", filter: inList(2000), wantErr: "more than 2000 terms", pos: len(inList(2000)) - 5},
		{name: "1 MB of ORs", filter: chain(90000, "OR")[:1<<20], wantErr: "the filter is 1048576 bytes long; at most 65536 are allowed", pos: 65536},
		{name: "64 KiB exactly", filter: "a = '" + strings.Repeat("x", 65536-6) + "'"},
		{name: "64 KiB and a byte", filter: "a = '" + strings.Repeat("x", 65536-5) + "'", wantErr: "65537 bytes long", pos: 65536},
		{name: "2000 TRUE predicates", filter: strings.Repeat("TRUE AND ", 1999) + "TRUE"},
		{name: "2001 TRUE predicates", filter: strings.Repeat("TRUE AND ", 2000) + "TRUE", wantErr: "more than 2000 terms", pos: 2000 * 9},
		{name: "projected polygon densified past the vertex limit", filter: hugePolygon, crs: "EPSG:4528", wantErr: "POLYGON: the geometry literals have more than 100000 vertices", pos: len("S_INTERSECTS(geometry, ")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := crs.CRS84
			if tt.crs != "" {
				var err error
				if c, err = crs.Parse(tt.crs); err != nil {
					t.Fatal(err)
				}
			}
			e, err := ParseCRS(tt.filter, c)
			if tt.wantErr == "" {
				if err != nil || e == nil {
					t.Fatalf("ParseCRS = %v", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseCRS = %v, want a *SyntaxError", err)
			}
			if !strings.Contains(se.Msg, tt.wantErr) || se.Pos != tt.pos {
				t.Errorf("error at byte %d: %s; want byte %d: …%s…", se.Pos, se.Msg, tt.pos, tt.wantErr)
			}
		})
	}
}
