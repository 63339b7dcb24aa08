package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/tiles"
)

// TestMain lets the test binary act as the benchmark's mudi server when it re-executes itself.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain(childArgs(os.Args[1:]), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// childArgs drops the test binary's own flags.
func childArgs(args []string) []string {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-test.") {
			out = append(out, a)
		}
	}
	return out
}

// havePostGIS skips the test when PostgreSQL with PostGIS is not installed.
func havePostGIS(tb testing.TB) {
	tb.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	for _, pgctl := range dirs {
		out, err := exec.Command(filepath.Join(filepath.Dir(pgctl), "pg_config"), "--sharedir").Output()
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(out)), "extension", "postgis.control")); err == nil {
			return
		}
	}
	missingTool(tb, "mudi-bench needs PostgreSQL with PostGIS (Debian: postgresql-15 postgresql-15-postgis-3); skipped")
}

// TestQuickRunAgrees runs the whole harness in -quick mode on a 2 000-parcel county with a
// private PostGIS started by scripts/postgis.sh: every row of the table is printed and mudi
// agrees with PostGIS on the tiles, the control positions and the blocks (a disagreement makes
// run return errMismatch).
func TestQuickRunAgrees(t *testing.T) {
	havePostGIS(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "table.md")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-n", "2000", "-quick", "-cache", filepath.Join(dir, "county"), "-out", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	table := stdout.String()
	for _, want := range []string{
		"| work | mudi median | mudi p99 | mudi throughput | PostGIS median | PostGIS p99 | PostGIS throughput | ratio | goal | met? |",
		"| import 2000 parcels", "| cold tiles z10 ", "| cold tiles z12 ", "| cold tiles z14 ", "| cold tiles z16 ",
		"| cold tiles z10–z16, whole list", "| control overlay", "| contiguous blocks, tolerance 0 ",
		"| contiguous blocks, tolerance 20 m", "| restart", "| cached tiles over HTTP",
		"| memory: `mudi import` of the parcels layer", "| memory: `mudi serve` ready after restart", "| memory: after the three analyses",
		"| peak memory at 2000 parcels", "| edit to visible (2000 parcels", "- edits visible in the next tile: 20 edits compared, as expected",
		"| export PMTiles z0–z16 (2000 parcels", "| export GeoParquet (2000 parcels", "| export FlatGeobuf (2000 parcels",
		"- feature ids per tile: ", "- control positions: 2000 parcels compared, agree",
		"- block memberships, tolerance 0 m: 2000 parcels compared, agree",
		"- block memberships, tolerance 20 m: 2000 parcels compared, agree",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "MISMATCH") {
		t.Errorf("mismatches reported:\n%s", table)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != table {
		t.Errorf("-out file differs from stdout (err %v)", err)
	}
}

// TestExportOnly runs only the exports, without PostGIS: a row per format with parcels/s and
// parcels/s/core, and the PMTiles goal.
func TestExportOnly(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-n", "300", "-quick", "-export-only", "-cache", filepath.Join(dir, "county")}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	table := stdout.String()
	for _, want := range []string{"| export PMTiles z0–z16 (300 parcels → ", " tiles, ", "| export GeoParquet (300 parcels → ",
		"| export FlatGeobuf (300 parcels → ", "parcels/s/core", "≥ 5 000 parcels/s/core at 100 000 parcels", "no PostGIS"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "Agreement with PostGIS") || strings.Contains(table, "| import ") {
		t.Errorf("an export-only run shows other work:\n%s", table)
	}
}

// TestFlagsRejectNonsense checks the command-line validation.
func TestFlagsRejectNonsense(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"county too small", []string{"-n", "10"}},
		{"no connections", []string{"-http-conns", "0"}},
		{"negative sample", []string{"-z16", "-1"}},
		{"stray argument", []string{"extra"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if _, err := parseFlags(tc.args, &stderr); err == nil {
				t.Errorf("parseFlags(%q) accepted", tc.args)
			}
		})
	}
}

// TestCompareTilesAcceptsOnlyDocumentedDifferences feeds the tile comparison hand-made id
// lists: equal tiles agree; at z14 a feature deep inside the tile that one side lacks is a
// mismatch, one that only grazes the buffer's edge is borderline; at z10 a sub-pixel feature
// only PostGIS has is an accepted drop.
func TestCompareTilesAcceptsOnlyDocumentedDifferences(t *testing.T) {
	c14 := tiles.Coord{Z: 14, X: 13600, Y: 6800}
	tb := c14.Bound()
	w, h := tb.Max[0]-tb.Min[0], tb.Max[1]-tb.Min[1]
	box := func(x0, y0, x1, y1 float64) orb.Polygon { // in fractions of the tile, y up
		return orb.Polygon{{
			{tb.Min[0] + x0*w, tb.Min[1] + y0*h}, {tb.Min[0] + x1*w, tb.Min[1] + y0*h},
			{tb.Min[0] + x1*w, tb.Min[1] + y1*h}, {tb.Min[0] + x0*w, tb.Min[1] + y1*h},
			{tb.Min[0] + x0*w, tb.Min[1] + y0*h},
		}}
	}
	grazeX := 1 + (64+0.5)/4096.0 // right of the tile: half a unit inside the buffered square's edge
	parcels := snapshotOfPolygons(map[uint64]orb.Polygon{
		1: box(0.2, 0.2, 0.4, 0.4),           // well inside
		2: box(grazeX, 0.2, grazeX+0.1, 0.4), // grazes the buffer's edge
		3: box(0.5, 0.5, 0.5+1e-7, 0.5+1e-7), // tiny
		4: box(0.6, 0.6, 0.8, 0.8),           // well inside
	})
	encode := func(ids ...uint64) []byte { return mvtWithIDs("parcels", ids...) }
	c10 := tiles.CoordAt(tb.Center(), 10)
	for _, tc := range []struct {
		name             string
		coord            tiles.Coord
		mudi, pg         []uint64
		mismatches       int
		borderline, drop int
	}{
		{"same ids agree", c14, []uint64{1, 2, 4}, []uint64{4, 2, 1}, 0, 0, 0},
		{"features grazing the buffer's edge or tiny are borderline", c14, []uint64{1, 4}, []uint64{1, 4, 2, 3}, 0, 2, 0},
		{"PostGIS missing an inner feature is a mismatch", c14, []uint64{1, 4}, []uint64{1}, 1, 0, 0},
		{"mudi missing an inner feature is a mismatch", c14, []uint64{1}, []uint64{1, 4}, 1, 0, 0},
		{"sub-pixel feature dropped below z12 is accepted", c10, []uint64{1, 4}, []uint64{1, 3, 4}, 0, 1, 0},
		{"a large feature dropped below z12 is a mismatch", c10, []uint64{1}, []uint64{1, 4}, 1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &tileGroup{z: tc.coord.Z, coords: []tiles.Coord{tc.coord}}
			g.mudi.out = [][]byte{encode(tc.mudi...)}
			g.pg.out = [][]byte{encode(tc.pg...)}
			chk, err := compareTiles([]*tileGroup{g}, parcels)
			if err != nil {
				t.Fatal(err)
			}
			if len(chk.mismatches) != tc.mismatches {
				t.Errorf("mismatches %q, want %d", chk.mismatches, tc.mismatches)
			}
			if got := chk.borderline + chk.dropped; got != tc.borderline+tc.drop {
				t.Errorf("accepted differences: %d borderline + %d dropped, want %d", chk.borderline, chk.dropped, tc.borderline+tc.drop)
			}
		})
	}
}

func snapshotOfPolygons(polys map[uint64]orb.Polygon) *spatial.Snapshot {
	var fs []*spatial.Feature
	for id, p := range polys {
		fs = append(fs, &spatial.Feature{ID: spatial.FeatureID(id), Geometry: p, Attrs: spatial.Attrs{}.Record()})
	}
	return spatial.NewSnapshot(spatial.Layer{ID: parcelsLayer, Kind: spatial.KindParcels}, fs)
}

// mvtWithIDs encodes a tile with one layer of features that have ids only.
func mvtWithIDs(layer string, ids ...uint64) []byte {
	if len(ids) == 0 {
		return nil
	}
	field := func(b []byte, num int, msg []byte) []byte {
		b = binary.AppendUvarint(b, uint64(num<<3|2))
		b = binary.AppendUvarint(b, uint64(len(msg)))
		return append(b, msg...)
	}
	l := field(nil, 1, []byte(layer))
	for _, id := range ids {
		f := binary.AppendUvarint([]byte{1 << 3}, id)
		l = field(l, 2, f)
	}
	l = append(l, 15<<3, 2)
	return field(nil, 3, l)
}

// TestMVTIDs decodes the ids of a layer and ignores other layers.
func TestMVTIDs(t *testing.T) {
	b := append(mvtWithIDs("other", 7), mvtWithIDs("parcels", 3, 1, 2)...)
	ids, err := mvtIDs(b, "parcels")
	if err != nil || !slices.Equal(ids, []uint64{3, 1, 2}) {
		t.Errorf("mvtIDs = %v, %v; want [3 1 2]", ids, err)
	}
	if _, err := mvtIDs([]byte{0x1a, 0x05, 0x0a}, "parcels"); err == nil {
		t.Errorf("a truncated tile decoded without error")
	}
}

// TestMemoryOnly runs only the memory and edit-to-visible work, without PostGIS, on the mudi
// binary built from this checkout: a row per phase with its peak, the memory goal left unjudged
// below 1 000 000 parcels, the restart goal for the county's size, and every edited parcel's new
// value found in its tile.
func TestMemoryOnly(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-n", "300", "-quick", "-memory-only", "-edits", "5", "-memory-tiles", "40",
		"-cache", filepath.Join(dir, "county")}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	table := stdout.String()
	for _, want := range []string{
		"| memory: `mudi import` of the parcels layer (process peak)", "| memory: `mudi serve` ready after restart",
		"≤ 1.00 s at 300 parcels (1 s at 100 000, 8 s at 1 000 000, linear between)",
		"| memory: after 40 distinct tiles z10–z16 over HTTP", "| memory: after the three analyses over HTTP",
		"| memory: after the export of the parcels layer as GeoPackage over HTTP", "| memory: after 5 edits",
		"| peak memory at 300 parcels (largest of the 6 memory rows above)", "| ≤ 2 GB at 1 000 000 parcels | not judged: 300 parcels",
		"| edit to visible (300 parcels", "p99 ≤ 20 ms at 100 000 parcels",
		"- edits visible in the next tile: 5 edits compared, as expected", "no PostGIS",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "projected") || strings.Contains(table, "Agreement with PostGIS") || strings.Contains(table, "| cold tiles") {
		t.Errorf("a memory-only run shows other work or a projection:\n%s", table)
	}
}

// TestRestartGoal checks the restart goal by county size: 1 s up to 100 000 parcels, 8 s at
// 1 000 000, linear between and beyond.
func TestRestartGoal(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{
		{2000, time.Second},
		{100000, time.Second},
		{550000, 4500 * time.Millisecond},
		{1000000, 8 * time.Second},
		{1900000, 15 * time.Second},
	} {
		if got := restartGoal(tc.n); got != tc.want {
			t.Errorf("restartGoal(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

// TestMemoryTiles checks the choice of distinct tiles: the zooms in turn, duplicates once.
func TestMemoryTiles(t *testing.T) {
	c := func(z tiles.Zoom, x, y uint32) tiles.Coord { return tiles.Coord{Z: z, X: x, Y: y} }
	groups := [][]tiles.Coord{
		{c(10, 1, 1), c(10, 1, 1), c(10, 1, 2)},
		{c(12, 5, 5)},
		{c(14, 9, 9), c(14, 9, 10), c(14, 9, 11)},
	}
	for _, tc := range []struct {
		n    int
		want []tiles.Coord
	}{
		{2, []tiles.Coord{c(10, 1, 1), c(12, 5, 5)}},
		{5, []tiles.Coord{c(10, 1, 1), c(12, 5, 5), c(14, 9, 9), c(10, 1, 2), c(14, 9, 10)}},
		{100, []tiles.Coord{c(10, 1, 1), c(12, 5, 5), c(14, 9, 9), c(10, 1, 2), c(14, 9, 10), c(14, 9, 11)}},
	} {
		if got := memoryTiles(groups, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("memoryTiles(…, %d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

// TestMVTProp decodes a hand-encoded tile: feature 7 of layer parcels has QLR "张三" (key 0,
// value 0) and RJL 1.5 (key 1, value 1); feature 8 has QLR -3 (a sint value); feature 9 none.
func TestMVTProp(t *testing.T) {
	field := func(b []byte, num int, msg []byte) []byte {
		b = binary.AppendUvarint(b, uint64(num<<3|2))
		b = binary.AppendUvarint(b, uint64(len(msg)))
		return append(b, msg...)
	}
	feature := func(id uint64, tags ...byte) []byte {
		f := binary.AppendUvarint([]byte{1 << 3}, id)
		if len(tags) > 0 {
			f = field(f, 2, tags)
		}
		return f
	}
	l := field(nil, 1, []byte("parcels"))
	l = field(l, 2, feature(7, 0, 0, 1, 1))
	l = field(l, 2, feature(8, 0, 2))
	l = field(l, 2, feature(9))
	l = field(l, 3, []byte("QLR"))
	l = field(l, 3, []byte("RJL"))
	l = field(l, 4, field(nil, 1, []byte("张三")))
	l = field(l, 4, []byte{3<<3 | 1, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f}) // double 1.5
	l = field(l, 4, []byte{6 << 3, 5})                              // sint -3 (zigzag 5)
	tile := append(mvtWithIDs("other", 7), field(nil, 3, l)...)
	for _, tc := range []struct {
		id    uint64
		key   string
		want  any
		found bool
	}{
		{7, "QLR", "张三", true},
		{7, "RJL", 1.5, true},
		{8, "QLR", int64(-3), true},
		{8, "RJL", nil, false},
		{9, "QLR", nil, false},
		{10, "QLR", nil, false},
	} {
		got, found, err := mvtProp(tile, "parcels", tc.id, tc.key)
		if err != nil || found != tc.found || got != tc.want {
			t.Errorf("mvtProp(%d, %s) = %v, %v, %v; want %v, %v", tc.id, tc.key, got, found, err, tc.want, tc.found)
		}
	}
	if _, _, err := mvtProp(append(mvtWithIDs("x", 1), field(nil, 3, field(field(nil, 1, []byte("parcels")), 2, feature(7, 0, 0)))...), "parcels", 7, "QLR"); err == nil {
		t.Errorf("a tag outside the key table decoded without error")
	}
}
