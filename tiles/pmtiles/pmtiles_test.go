package pmtiles

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"testing"
)

func TestTileID(t *testing.T) {
	// The ids of the format's own table of examples.
	tests := []struct {
		name    string
		z       uint8
		x, y    uint32
		want    uint64
		wantErr bool
	}{
		{name: "world tile", z: 0, x: 0, y: 0, want: 0},
		{name: "z1 start of the curve", z: 1, x: 0, y: 0, want: 1},
		{name: "z1 curve goes down first", z: 1, x: 0, y: 1, want: 2},
		{name: "z1 then right", z: 1, x: 1, y: 1, want: 3},
		{name: "z1 then up", z: 1, x: 1, y: 0, want: 4},
		{name: "z2 starts after the 5 tiles of z0 and z1", z: 2, x: 0, y: 0, want: 5},
		{name: "z12 example", z: 12, x: 3423, y: 1763, want: 19078479},
		{name: "x outside the grid", z: 1, x: 2, y: 0, wantErr: true},
		{name: "zoom too high", z: 27, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TileID(tt.z, tt.x, tt.y)
			if (err != nil) != tt.wantErr {
				t.Fatalf("TileID(%d, %d, %d) error %v, want error %v", tt.z, tt.x, tt.y, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("TileID(%d, %d, %d) = %d, want %d", tt.z, tt.x, tt.y, got, tt.want)
			}
		})
	}
}

func TestTileCoordInvertsTileID(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		z := uint8(rng.IntN(MaxZoom + 1))
		n := uint32(1) << z
		x, y := rng.Uint32N(n), rng.Uint32N(n)
		id, err := TileID(z, x, y)
		if err != nil {
			t.Fatal(err)
		}
		if gz, gx, gy := TileCoord(id); gz != z || gx != x || gy != y {
			t.Fatalf("TileCoord(TileID(%d/%d/%d) = %d) = %d/%d/%d", z, x, y, id, gz, gx, gy)
		}
	}
	// Every id of the first zooms, in order, is a distinct tile.
	seen := map[[3]uint32]bool{}
	for id := range uint64(1 + 4 + 16 + 64 + 256) {
		z, x, y := TileCoord(id)
		if back, _ := TileID(z, x, y); back != id {
			t.Fatalf("TileID(TileCoord(%d)) = %d", id, back)
		}
		seen[[3]uint32{uint32(z), x, y}] = true
	}
	if len(seen) != 341 {
		t.Errorf("%d distinct tiles for ids 0..340", len(seen))
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTinyArchive(t *testing.T) {
	w, err := NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// Tile 0 "AB"; tiles 1 and 2 "CDE" (one run); tile 300 "AB" again (stored once).
	for _, tile := range []struct {
		id   uint64
		data string
	}{{0, "AB"}, {1, "CDE"}, {2, "CDE"}, {300, "AB"}} {
		if err := w.Add(tile.id, []byte(tile.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Add(300, []byte("X")); err == nil {
		t.Error("Add accepted a tile id that is not increasing")
	}
	meta := []byte(`{"vector_layers":[]}`)
	var out bytes.Buffer
	st, err := w.Finish(&out, Header{
		TileType: TileTypeMVT, TileCompression: CompressionGzip, MinZoom: 0, MaxZoom: 14,
		MinLon: -0.5, MinLat: -12.25, MaxLon: 118.87, MaxLat: 28.95,
		CenterZoom: 3, CenterLon: 118.87, CenterLat: 28.95,
	}, meta)
	if err != nil {
		t.Fatal(err)
	}
	b := out.Bytes()
	if st.Bytes != uint64(len(b)) || st.AddressedTiles != 4 || st.TileEntries != 3 || st.TileContents != 2 || st.LeafDirs != 0 {
		t.Errorf("stats %+v for %d bytes", st, len(b))
	}
	u64 := func(off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
	if got := string(b[:8]); got != "PMTiles\x03" {
		t.Fatalf("magic and version %q", got)
	}
	rootOff, rootLen := u64(8), u64(16)
	metaOff, metaLen := u64(24), u64(32)
	leafOff, leafLen := u64(40), u64(48)
	dataOff, dataLen := u64(56), u64(64)
	if rootOff != 127 || metaOff != rootOff+rootLen || leafOff != metaOff+metaLen || leafLen != 0 ||
		dataOff != leafOff || dataLen != 5 || dataOff+dataLen != uint64(len(b)) {
		t.Errorf("sections root %d+%d, metadata %d+%d, leaves %d+%d, data %d+%d in %d bytes",
			rootOff, rootLen, metaOff, metaLen, leafOff, leafLen, dataOff, dataLen, len(b))
	}
	if u64(72) != 4 || u64(80) != 3 || u64(88) != 2 {
		t.Errorf("addressed tiles %d, entries %d, contents %d; want 4, 3, 2", u64(72), u64(80), u64(88))
	}
	// clustered, gzip directories, gzip tiles, MVT, zooms 0 and 14
	if got := hex.EncodeToString(b[96:102]); got != "01020201000e" {
		t.Errorf("flags and zooms %s", got)
	}
	// Positions: int32 of 1e-7°, lon then lat: −0.5 → −5 000 000, −12.25 → −122 500 000,
	// 118.87 → 1 188 700 000, 28.95 → 289 500 000.
	if got := hex.EncodeToString(b[102:127]); got != "c0b4b3ff60ccb2f8"+"601fda46606b4111"+"03"+"601fda46606b4111" {
		t.Errorf("positions and centre zoom %s", got)
	}
	// The root directory, by hand: 3 entries; tile id deltas 0, 1, 299 (varint ab 02); run
	// lengths 1, 2, 1; lengths 2, 3, 2; offsets 0+1, 0 (contiguous with the previous entry),
	// 0+1 (the stored "AB" again).
	want := []byte{0x03, 0x00, 0x01, 0xab, 0x02, 0x01, 0x02, 0x01, 0x02, 0x03, 0x02, 0x01, 0x00, 0x01}
	if got := gunzip(t, b[rootOff:rootOff+rootLen]); !bytes.Equal(got, want) {
		t.Errorf("root directory\n got % x\nwant % x", got, want)
	}
	if got := gunzip(t, b[metaOff:metaOff+metaLen]); !bytes.Equal(got, meta) {
		t.Errorf("metadata %s", got)
	}
	if got := string(b[dataOff:]); got != "ABCDE" {
		t.Errorf("tile data %q", got)
	}
}

func TestLeafDirectories(t *testing.T) {
	// Irregular ids and sizes compress badly, so 40 000 entries overflow the root directory.
	rng := rand.New(rand.NewPCG(3, 4))
	w, err := NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	type tile struct {
		id   uint64
		data []byte
	}
	var tiles []tile
	id := uint64(0)
	for i := range 40000 {
		id += 1 + rng.Uint64N(5000)
		data := binary.AppendUvarint(nil, uint64(i))
		data = append(data, bytes.Repeat([]byte{byte(i)}, rng.IntN(300))...)
		tiles = append(tiles, tile{id, data})
		if err := w.Add(id, data); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	st, err := w.Finish(&out, Header{TileType: TileTypeMVT, TileCompression: CompressionNone, MaxZoom: 14}, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	b := out.Bytes()
	u64 := func(off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
	rootOff, rootLen, leafOff, leafLen, dataOff := u64(8), u64(16), u64(40), u64(48), u64(56)
	if st.LeafDirs == 0 || leafLen == 0 {
		t.Fatalf("no leaf directories: %+v", st)
	}
	if rootOff+rootLen > 16384 {
		t.Errorf("root directory ends at byte %d, beyond 16384", rootOff+rootLen)
	}
	root, err := parseDirectory(gunzip(t, b[rootOff:rootOff+rootLen]))
	if err != nil {
		t.Fatal(err)
	}
	var all []Entry
	for k, e := range root {
		if e.RunLength != 0 {
			t.Fatalf("root entry %d is a tile, want a leaf", k)
		}
		leaf, err := parseDirectory(gunzip(t, b[leafOff+e.Offset:leafOff+e.Offset+uint64(e.Length)]))
		if err != nil {
			t.Fatal(err)
		}
		if leaf[0].TileID != e.TileID {
			t.Errorf("leaf %d starts at tile %d, root says %d", k, leaf[0].TileID, e.TileID)
		}
		all = append(all, leaf...)
	}
	if len(all) != len(tiles) {
		t.Fatalf("%d entries in the leaves, want %d", len(all), len(tiles))
	}
	for i, e := range all {
		if e.TileID != tiles[i].id || e.RunLength != 1 {
			t.Fatalf("entry %d: %+v, want tile %d", i, e, tiles[i].id)
		}
		if got := b[dataOff+e.Offset : dataOff+e.Offset+uint64(e.Length)]; !bytes.Equal(got, tiles[i].data) {
			t.Fatalf("tile %d: stored bytes differ", e.TileID)
		}
	}
}

func TestDirectoryRoundTrip(t *testing.T) {
	entries := []Entry{{TileID: 7, Offset: 0, Length: 10, RunLength: 1}, {TileID: 8, Offset: 10, Length: 5, RunLength: 3},
		{TileID: 1 << 40, Offset: 0, Length: 10, RunLength: 1}, {TileID: 1<<40 + 1, Offset: 1 << 33, Length: 1 << 31, RunLength: 0}}
	got, err := parseDirectory(appendDirectory(nil, entries))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(entries) {
		t.Fatalf("%d entries, want %d", len(got), len(entries))
	}
	for i := range got {
		if got[i] != entries[i] {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], entries[i])
		}
	}
	for _, bad := range [][]byte{nil, {0x05, 0x01}, {0x01, 0x00, 0x01, 0x01, 0x00}} {
		if _, err := parseDirectory(bad); err == nil {
			t.Errorf("parseDirectory(% x) accepted", bad)
		}
	}
}
