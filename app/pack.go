package app

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/spatial/gisio"
	"github.com/mudi-gis/mudi/tiles"
)

// The monthly offline pack: one zip per county and month that opens from the file system, for
// networks where no server may run. See [App.Pack].

// PackFormat names the layout of the pack, recorded in its manifest.
const PackFormat = "mudi-pack/1"

// PackRequest asks for the monthly pack of a parcels layer.
type PackRequest struct {
	// Layer is the parcels layer (required).
	Layer string
	// Month is the month of the pack (required). Its figures stand as of the month's last day,
	// or as of today for the month in progress.
	Month campaign.Month
	// MinZoom and MaxZoom bound the zooms of the tile archives (default 0 and
	// [tiles.DefaultArchiveMaxZoom]; MaxZoom 0 means the default).
	MinZoom, MaxZoom tiles.Zoom
	// TempDir holds the pack's files while it is built (default os.TempDir()).
	TempDir string
	// Viewer holds the offline page: index.html and its assets/, copied into the pack as they
	// are (files whose names start with a dot are left out). Nil leaves the page out.
	Viewer fs.FS
	// EmbedLimit is the size, in bytes, up to which a tile archive is also written as a script
	// for the offline page (data/tiles-<layer>.js, base64: a third larger than the archive); the
	// page asks the user to pick the pack's folder for larger ones. Zero means
	// [DefaultPackEmbedLimit]; a negative limit embeds none.
	EmbedLimit int64
}

// DefaultPackEmbedLimit is the default [PackRequest.EmbedLimit]: 64 MiB (the archive of a
// generated county of 10 000 parcels, z0–z16, takes 8.5 MB).
const DefaultPackEmbedLimit = 64 << 20

// PackManifest describes a pack; it is the pack's manifest.json.
type PackManifest struct {
	Format string         `json:"format"` // [PackFormat]
	Layer  string         `json:"layer"`  // the parcels layer
	Title  string         `json:"title"`
	Month  campaign.Month `json:"month"`
	// AsOf is the day the ledger, the report and the classes stand as of: the month's last day,
	// or today for the month in progress.
	AsOf campaign.Date `json:"as_of"`
	// Since is the last day of the previous month: the change layer lists what changed after
	// it, up to the end of AsOf.
	Since campaign.Date `json:"since"`
	Mudi  string        `json:"mudi"` // mudi's version
	// Layers are the layers of the pack: the parcels, their control layer, the saved analyses
	// of the parcels.
	Layers  []PackLayer `json:"layers"`
	Ledger  int         `json:"ledger_rows"`
	Reports [][]string  `json:"reports"` // the groupings of the monthly report
	Changes PackChanges `json:"changes"`
	// Files lists every file of the pack but manifest.json, in path order.
	Files []PackFile `json:"files"`
}

// PackLayer is one layer of a pack. Version is the layer's version in the store the pack was
// made from (with the pack's as_of date, it names the data: a pack of a past month shows the
// parcels as they stood then, from the history of that version).
type PackLayer struct {
	ID       string       `json:"id"`
	Title    string       `json:"title"`
	Kind     spatial.Kind `json:"kind"`
	Version  uint64       `json:"version"`
	Features int          `json:"features"`
	Analysis string       `json:"analysis,omitempty"` // the saved analysis whose result it is
	Tiles    string       `json:"tiles,omitempty"`    // the PMTiles archive (none for an empty layer)
	Data     string       `json:"data"`               // the GeoPackage
}

// PackChanges counts the features of the change layer by change.
type PackChanges struct {
	Added    int `json:"added"`
	Removed  int `json:"removed"`
	Reshaped int `json:"reshaped"`
	Closed   int `json:"closed"`
}

// PackFile is a file of a pack.
type PackFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex
}

// Names of the pack's files.
const (
	packLedgerXLSX = "台账.xlsx"
	packReportXLSX = "月报.xlsx"
	packChanges    = "changes.geojson"
	packStyle      = "style.json"
	packManifest   = "manifest.json"
)

// Pack writes the monthly pack of the parcels layer req.Layer to w as one zip:
//
//   - tiles/<layer>.pmtiles: a PMTiles archive ([tiles.WriteArchive], the tiles the server
//     renders) of the parcels as they stood at the end of the pack's date (the ledger's
//     parcels, [App.LedgerAsOf]; for today, the layer as it is) with their campaign classes as
//     of that date, of their control layer and of each saved analysis of the parcels;
//   - data/<layer>.gpkg: one GeoPackage per layer (the GeoPackage writer makes one table per
//     file), in the layer's source CRS, with every attribute and computed attribute;
//   - 台账.xlsx: the ledger as it stood at the end of the pack's date ([App.LedgerAsOf]);
//   - 月报.xlsx: the monthly report ([App.Report]) by district, town and park — the groupings
//     the layer has (the total alone when it has none);
//   - changes.geojson: the parcels added, removed, reshaped and closed off between the end of
//     the previous month and the end of the pack's date (see [App.PackChanges]);
//   - style.json: the default map style, one vector source per archive with a relative
//     pmtiles:// URL;
//   - index.html and assets/: the offline page of req.Viewer, with data/*.js — the pack's
//     description, the ledger, the report, the changes and each archive up to req.EmbedLimit
//     in base64 — as classic scripts, since a page opened from file:// may load scripts but
//     not fetch files (for a larger archive the page asks the user to pick the pack's folder
//     and reads the archive from the picked file);
//   - manifest.json: the [PackManifest], with the size and SHA-256 of every other file.
//
// The pack is deterministic: the same store, month and day give the same bytes (entries in
// path order, each dated the pack's date at midnight). Its files are built in a temporary
// folder in req.TempDir before the first byte goes to w.
//
// Errors: an invalid parameter ("layer", "month", "max_zoom") as an [*Error]; a month that has
// not begun; ctx.Err(); I/O errors.
func (a *App) Pack(ctx context.Context, w io.Writer, req PackRequest) (PackManifest, error) {
	if req.Month.IsZero() {
		return PackManifest{}, invalid("month", "name the month, YYYY-MM")
	}
	if req.MaxZoom == 0 {
		req.MaxZoom = tiles.DefaultArchiveMaxZoom
	}
	if req.EmbedLimit == 0 {
		req.EmbedLimit = DefaultPackEmbedLimit
	}
	if !req.MaxZoom.Valid() || req.MinZoom > req.MaxZoom {
		return PackManifest{}, invalid("max_zoom", "zooms %d..%d: 0 ≤ min ≤ max ≤ %d", req.MinZoom, req.MaxZoom, tiles.MaxZoom)
	}
	sn, err := a.Layer(req.Layer)
	if err != nil {
		return PackManifest{}, err
	}
	if sn.Layer.Kind != spatial.KindParcels {
		return PackManifest{}, invalid("layer", "layer %s is a %s layer: packs are made of parcels layers", req.Layer, sn.Layer.Kind)
	}
	today := a.Today()
	if req.Month.First().After(today) {
		return PackManifest{}, invalid("month", "%s has not begun (today is %s)", req.Month, today)
	}
	asOf := req.Month.Last()
	if asOf.After(today) {
		asOf = today // the month so far
	}
	since := req.Month.First().AddDays(-1)

	dir, err := os.MkdirTemp(req.TempDir, "mudi-pack-*")
	if err != nil {
		return PackManifest{}, err
	}
	defer os.RemoveAll(dir)
	b := &packBuilder{dir: dir}

	m := PackManifest{Format: PackFormat, Layer: req.Layer, Title: sn.Layer.Title, Month: req.Month, AsOf: asOf, Since: since, Mudi: mudiVersion()}
	if m.Title == "" {
		m.Title = req.Layer
	}

	// The ledger as of the pack's date: the parcels as they stood at its end (as they are, for
	// today).
	ledger, classes, err := a.LedgerAsOf(ctx, req.Layer, asOf)
	if err != nil {
		return PackManifest{}, err
	}
	m.Ledger = ledger.Len()

	// The layers: the parcels of the ledger with their classes as of the pack's date, the
	// control layer, the saved analyses of the parcels.
	parcels := a.WithClasses(ledger, asOf)
	layers := []*spatial.Snapshot{parcels}
	analysisOf := map[string]string{}
	if id := sn.Layer.ControlLayer; id != "" {
		if c, err := a.Layer(id); err == nil {
			layers = append(layers, c)
		}
	}
	saved, err := a.Analyses()
	if err != nil {
		return PackManifest{}, err
	}
	for _, s := range saved {
		if s.Request.Layer != req.Layer {
			continue
		}
		if d, err := a.Layer(s.Layer); err == nil && !slices.ContainsFunc(layers, func(o *spatial.Snapshot) bool { return o.Layer.ID == d.Layer.ID }) {
			layers = append(layers, d)
			analysisOf[d.Layer.ID] = s.ID
		}
	}

	var tileScripts []string
	for _, l := range layers {
		pl := PackLayer{ID: l.Layer.ID, Title: l.Layer.Title, Kind: l.Layer.Kind, Version: l.Layer.Version, Features: l.Len(),
			Analysis: analysisOf[l.Layer.ID], Data: "data/" + l.Layer.ID + ".gpkg"}
		if pl.Title == "" {
			pl.Title = pl.ID
		}
		if l.Len() > 0 {
			pl.Tiles = "tiles/" + l.Layer.ID + ".pmtiles"
			err := b.file(pl.Tiles, func(w io.Writer) error {
				_, err := tiles.WriteArchive(ctx, w, a.tiles.Renderer(), []*spatial.Snapshot{l},
					tiles.ArchiveOptions{MinZoom: req.MinZoom, MaxZoom: req.MaxZoom, TempDir: dir, Name: l.Layer.ID, Description: pl.Title})
				return err
			})
			if err != nil {
				return PackManifest{}, fmt.Errorf("pack %s: tiles of %s: %w", req.Layer, l.Layer.ID, err)
			}
			if size := b.list[len(b.list)-1].Size; req.EmbedLimit >= 0 && size <= req.EmbedLimit {
				script := "data/tiles-" + l.Layer.ID + ".js"
				if err := b.base64Script(script, pl.Tiles); err != nil {
					return PackManifest{}, err
				}
				tileScripts = append(tileScripts, script)
			}
		}
		err := b.file(pl.Data, func(w io.Writer) error {
			return gisio.Write(ctx, w, l, gisio.FormatGeoPackage, gisio.WriteOptions{TempDir: dir})
		})
		if err != nil {
			return PackManifest{}, fmt.Errorf("pack %s: geopackage of %s: %w", req.Layer, l.Layer.ID, err)
		}
		m.Layers = append(m.Layers, pl)
	}

	if err := b.file(packLedgerXLSX, func(w io.Writer) error {
		return gisio.WriteLedgerXLSX(ctx, w, ledger, classes, asOf)
	}); err != nil {
		return PackManifest{}, err
	}
	if err := b.script("data/ledger.js", "ledger", packLedgerRows(ledger, classes, asOf)); err != nil {
		return PackManifest{}, err
	}

	// The monthly report, by the groupings the layer has.
	var reports []campaign.Report
	for _, g := range []string{spatial.RoleDistrict, spatial.RoleTown, spatial.RolePark} {
		if layerField(&sn.Layer, g) == "" {
			continue
		}
		rep, _, _, err := a.Report(ctx, req.Layer, req.Month, []string{g})
		if err != nil {
			return PackManifest{}, err
		}
		reports = append(reports, rep)
	}
	if len(reports) == 0 {
		rep, _, _, err := a.Report(ctx, req.Layer, req.Month, []string{})
		if err != nil {
			return PackManifest{}, err
		}
		reports = append(reports, rep)
	}
	for _, r := range reports {
		m.Reports = append(m.Reports, r.GroupBy)
	}
	var book bytes.Buffer
	if err := gisio.WriteReportXLSX(ctx, &book, reports); err != nil {
		return PackManifest{}, err
	}
	if err := b.file(packReportXLSX, func(w io.Writer) error { return sortedZip(w, book.Bytes()) }); err != nil {
		return PackManifest{}, err
	}
	if err := b.script("data/report.js", "report", reports); err != nil {
		return PackManifest{}, err
	}

	// The change layer.
	changes, err := a.PackChanges(ctx, req.Layer, since, asOf)
	if err != nil {
		return PackManifest{}, err
	}
	for _, c := range changes {
		switch c.Change {
		case ChangeAdded:
			m.Changes.Added++
		case ChangeRemoved:
			m.Changes.Removed++
		case ChangeReshaped:
			m.Changes.Reshaped++
		case ChangeClosed:
			m.Changes.Closed++
		}
	}
	fc, err := changesGeoJSON(changes)
	if err != nil {
		return PackManifest{}, err
	}
	if err := b.bytes(packChanges, fc); err != nil {
		return PackManifest{}, err
	}
	if err := b.script("data/changes.js", "changes", json.RawMessage(fc)); err != nil {
		return PackManifest{}, err
	}

	// The style, its sources the archives.
	style, err := packStyleJSON(m.Title+" "+req.Month.String(), layers, m.Layers)
	if err != nil {
		return PackManifest{}, err
	}
	if err := b.bytes(packStyle, style); err != nil {
		return PackManifest{}, err
	}

	// The offline page.
	if req.Viewer != nil {
		err := fs.WalkDir(req.Viewer, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && p != "." {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			data, err := fs.ReadFile(req.Viewer, p)
			if err != nil {
				return err
			}
			return b.bytes(p, data)
		})
		if err != nil {
			return PackManifest{}, fmt.Errorf("pack %s: viewer: %w", req.Layer, err)
		}
	}
	info := map[string]any{
		"format": m.Format, "layer": m.Layer, "title": m.Title, "month": m.Month, "as_of": m.AsOf, "since": m.Since,
		"mudi": m.Mudi, "layers": m.Layers, "ledger_rows": m.Ledger, "changes": m.Changes,
		"style": json.RawMessage(style), "scripts": tileScripts,
	}
	if err := b.script("data/pack.js", "pack", info); err != nil {
		return PackManifest{}, err
	}

	// The manifest, then the zip.
	m.Files = b.files()
	mb, err := jsonIndent(m)
	if err != nil {
		return PackManifest{}, err
	}
	if err := b.bytes(packManifest, mb); err != nil {
		return PackManifest{}, err
	}
	if err := ctx.Err(); err != nil {
		return PackManifest{}, err
	}
	stamp := time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	return m, b.zip(w, stamp)
}

// mudiVersion returns the module version of the running binary, with its VCS revision when the
// build recorded one.
func mudiVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
	}
	return v
}

// layerField returns the field of l that plays role r: the layer's choice, else the first
// conventional field of the role that it has ("" for none).
func layerField(l *spatial.Layer, r string) string {
	if f, ok := l.Role(r); ok {
		return f
	}
	for _, c := range spatial.RoleCandidates(r) {
		for _, f := range l.Fields {
			if strings.EqualFold(f.Name, c) {
				return f.Name
			}
		}
	}
	return ""
}

// fieldCase returns the layer's spelling of the conventional field code c (its own letter
// case), or c when the layer has no such field.
func fieldCase(l *spatial.Layer, c string) string {
	for _, f := range l.Fields {
		if strings.EqualFold(f.Name, c) {
			return f.Name
		}
	}
	return c
}

// packBuilder writes the files of a pack into dir and records their sizes and hashes.
type packBuilder struct {
	dir  string
	list []PackFile
}

// file writes the pack file p (slash-separated) through write.
func (b *packBuilder) file(p string, write func(w io.Writer) error) (err error) {
	name := filepath.Join(b.dir, "pack", filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(f, h)}
	if err := write(cw); err != nil {
		return err
	}
	b.list = append(b.list, PackFile{Path: p, Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

func (b *packBuilder) bytes(p string, data []byte) error {
	return b.file(p, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// script writes a classic script that sets MUDI_PACK_DATA[key] to v as JSON.
func (b *packBuilder) script(p, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.file(p, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "window.MUDI_PACK_DATA = window.MUDI_PACK_DATA || {};\nwindow.MUDI_PACK_DATA[%q] = %s;\n", key, data)
		return err
	})
}

// base64Script writes a classic script that sets MUDI_PACK_FILES[file] to the base64 of the
// pack file (written before).
func (b *packBuilder) base64Script(p, file string) error {
	src, err := os.Open(filepath.Join(b.dir, "pack", filepath.FromSlash(file)))
	if err != nil {
		return err
	}
	defer src.Close()
	return b.file(p, func(w io.Writer) error {
		if _, err := fmt.Fprintf(w, "window.MUDI_PACK_FILES = window.MUDI_PACK_FILES || {};\nwindow.MUDI_PACK_FILES[%q] = \"", file); err != nil {
			return err
		}
		enc := base64.NewEncoder(base64.StdEncoding, w)
		if _, err := io.Copy(enc, src); err != nil {
			return err
		}
		if err := enc.Close(); err != nil {
			return err
		}
		_, err := io.WriteString(w, "\";\n")
		return err
	})
}

// files returns the files written so far, in path order.
func (b *packBuilder) files() []PackFile {
	out := slices.Clone(b.list)
	slices.SortFunc(out, func(x, y PackFile) int { return strings.Compare(x.Path, y.Path) })
	return out
}

// zip writes every file, in path order, as one zip dated stamp. Archives and GeoPackages of
// tiles already compressed are stored, the rest deflated.
func (b *packBuilder) zip(w io.Writer, stamp time.Time) error {
	zw := zip.NewWriter(w)
	for _, pf := range b.files() {
		method := zip.Deflate
		if path.Ext(pf.Path) == ".pmtiles" {
			method = zip.Store // gzip tiles: deflating them again gains nothing
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: pf.Path, Method: method, Modified: stamp})
		if err != nil {
			return err
		}
		f, err := os.Open(filepath.Join(b.dir, "pack", filepath.FromSlash(pf.Path)))
		if err != nil {
			return err
		}
		_, err = io.Copy(fw, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

// sortedZip copies the zip data to w with its entries in name order, each as it is (its
// compressed bytes and header untouched). The workbook writer may order the sheets' entries of
// a workbook differently from one run to the next; Excel reads them in any order.
func sortedZip(w io.Writer, data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	entries := slices.Clone(zr.File)
	slices.SortStableFunc(entries, func(x, y *zip.File) int { return strings.Compare(x.Name, y.Name) })
	zw := zip.NewWriter(w)
	for _, f := range entries {
		if err := zw.Copy(f); err != nil {
			return err
		}
	}
	return zw.Close()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func jsonIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// packStyleJSON returns the default style of layers with one vector source per archive, named
// after its layer, whose URL is the archive's relative pmtiles:// address; layers without an
// archive (empty ones) are left out.
func packStyleJSON(name string, layers []*spatial.Snapshot, pls []PackLayer) ([]byte, error) {
	var withTiles []*spatial.Snapshot
	sources := map[string]any{}
	for i, l := range layers {
		if pls[i].Tiles != "" {
			withTiles = append(withTiles, l)
			sources[l.Layer.ID] = map[string]any{"type": "vector", "url": "pmtiles://" + pls[i].Tiles}
		}
	}
	raw, err := tiles.Style(name, withTiles, "")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	doc["sources"] = sources
	for _, l := range doc["layers"].([]any) {
		sl := l.(map[string]any)
		if src, ok := sl["source-layer"].(string); ok {
			sl["source"] = src
		}
	}
	return jsonIndent(doc)
}

// packLedger is the ledger as the offline page shows it.
type packLedger struct {
	AsOf    campaign.Date `json:"as_of"`
	Columns []string      `json:"columns"`
	Rows    [][]any       `json:"rows"`
}

// packLedgerRows returns the ledger of sn in the order of the Excel ledger: by code (byte
// order; parcels without a code last, by id).
func packLedgerRows(sn *spatial.Snapshot, classes map[spatial.FeatureID]campaign.Classes, asOf campaign.Date) packLedger {
	l := &sn.Layer
	code, owner, district, town, park := layerField(l, spatial.RoleCode), layerField(l, spatial.RoleOwner),
		layerField(l, spatial.RoleDistrict), layerField(l, spatial.RoleTown), layerField(l, spatial.RolePark)
	fs := slices.Clone(sn.Features())
	codeOf := func(f *spatial.Feature) string {
		if code == "" {
			return ""
		}
		return strings.TrimSpace(f.Attrs.String(code))
	}
	slices.SortStableFunc(fs, func(x, y *spatial.Feature) int {
		a, b := codeOf(x), codeOf(y)
		switch {
		case a == b:
			return 0
		case a == "":
			return 1
		case b == "":
			return -1
		}
		return strings.Compare(a, b)
	})
	out := packLedger{AsOf: asOf, Columns: []string{"序号", "地块编号", "权利人", "行政区", "乡镇(街道)", "所在园区", "面积(亩)",
		"处置状态", "处置措施", "责任单位", "责任人", "完成时限", "销号日期", "闲置状态", "五未类型", "亩均等级", "预警等级"}}
	attr := func(f *spatial.Feature, field string) any {
		if field == "" {
			return nil
		}
		return f.Attrs.Value(field)
	}
	cf := campaign.FieldsOf(l)
	state, measure, unit, person, closedOn := cf.DisposalState, fieldCase(l, "CZCS"), fieldCase(l, "ZRDW"), fieldCase(l, "ZRR"), fieldCase(l, campaign.ClosedOnField)
	out.Rows = make([][]any, 0, len(fs))
	for i, f := range fs {
		cl := classes[f.ID].Map()
		out.Rows = append(out.Rows, []any{i + 1, codeOf(f), attr(f, owner), attr(f, district), attr(f, town), attr(f, park),
			f.Derived.AreaMu, attr(f, state), attr(f, measure), attr(f, unit), attr(f, person), attr(f, cf.Deadline), attr(f, closedOn),
			cl["idle_class"], cl["wuwei"], cl["mu_class"], cl["warning"]})
	}
	return out
}
