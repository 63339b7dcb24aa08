package spatial

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial/crs"
)

// SourceFeature is one feature as a reader found it in an input file (GeoJSON, Shapefile,
// GeoPackage …), before validation: the geometry in the input CRS, easting or longitude first,
// and the attributes. [BuildImport] turns a list of them into an [Import].
type SourceFeature struct {
	// ID is the feature's id in the input (a GeoJSON id, a Shapefile record number, a
	// GeoPackage fid), reported in problems; nil when it has none.
	ID any
	// Problem, when not empty, is why the reader could not use the record (for example "null
	// shape" or "geometry type Point is not a polygon"): the feature is skipped and the reason
	// listed, located at At when that is known.
	Problem string
	At      *orb.Point
	// Geometry is a Polygon or MultiPolygon in the input CRS.
	Geometry orb.Geometry
	// Attrs are the typed attribute values (string, int64, float64, bool, nil; dates as ISO
	// 8601 strings). Readers of JSON sources leave Attrs nil and set Properties instead.
	Attrs Attrs
	// Properties is a JSON object of attributes, decoded (integers as int64, other numbers as
	// float64, nested values as their JSON text) when Attrs is nil. The schema of such
	// sources is inferred from the values, in the order keys first appear.
	Properties json.RawMessage

	props *scannedProps // Properties as the GeoJSON scanner decoded them, if it did
}

// BuildImport validates and converts the features a reader found, with the same rules for
// every input format: each feature's geometry is checked and repaired where safe (see the
// README's import rules), converted from src to lon/lat, measured (ellipsoidal area), and given
// an id 1..n in input order; invalid features are skipped and listed in [Import.Problems].
//
// fields is the attribute schema when the format declares one (a .dbf header, a GeoPackage
// table); nil infers it from the values. A field without an alias gets the Chinese label of its
// conventional code ([FieldAliases]). explicitCRS tells whether src was given (by the caller or
// the file) rather than assumed: coordinates that look projected are fatal only when it is
// false.
//
// Each feature's attributes must pass [CheckAttrs] (names, finite numbers, valid UTF-8, sizes)
// or the feature is skipped like one with a bad geometry.
//
// Returns an [*InvalidFeaturesError] when the import must be rejected: any problem with
// opts.Strict, a problem concerning the whole input (projected coordinates without a CRS,
// lon/lat coordinates with a projected CRS, or a schema that [CheckFields] refuses), or no
// valid feature at all.
func BuildImport(records []SourceFeature, fields []Field, src crs.CRS, explicitCRS bool, opts ImportOptions) (*Import, error) {
	b, err := NewImportBuilder(fields, src, explicitCRS, opts)
	if err != nil {
		return nil, err
	}
	b.Add(records)
	return b.Finish()
}

// ImportBuilder is [BuildImport] one batch of records at a time, so that a reader can stream a
// file of any size with memory bounded by a batch: each record becomes a compact feature as
// soon as it is added. Ids, problems and the schema are those [BuildImport] gives for the
// concatenation of the batches.
type ImportBuilder struct {
	fields      []Field
	src         crs.CRS
	explicitCRS bool
	opts        ImportOptions

	imp    *Import
	schema *schemaBuilder
	total  int  // problems, listed or not
	fatal  bool // a problem that concerns the whole input
	n      int  // records added
}

// NewImportBuilder starts an import; see [BuildImport] for the arguments.
func NewImportBuilder(fields []Field, src crs.CRS, explicitCRS bool, opts ImportOptions) (*ImportBuilder, error) {
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = 100
	}
	if fields != nil {
		if err := CheckFields(fields); err != nil {
			return nil, schemaError(err)
		}
	}
	return &ImportBuilder{fields: fields, src: src, explicitCRS: explicitCRS, opts: opts,
		imp: &Import{CRS: src}, schema: newSchemaBuilder()}, nil
}

// Records returns the number of records added so far.
func (b *ImportBuilder) Records() int { return b.n }

func (b *ImportBuilder) problem(p Problem) {
	b.total++
	if len(b.imp.Problems) < b.opts.MaxProblems {
		b.imp.Problems = append(b.imp.Problems, p)
	}
}

// Add validates, converts and measures a batch of records. The builder does not keep records:
// the caller may reuse the slice.
func (b *ImportBuilder) Add(records []SourceFeature) {
	// The work on each record is independent: do it on every core, then assemble the result in
	// input order so that ids, problems and the schema do not depend on scheduling.
	preps := make([]prepared, len(records))
	base := b.n
	ParallelRange(len(records), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			preps[i] = prepare(base+i, records[i], b.src, b.explicitCRS)
		}
	})
	for i, p := range preps {
		rf := &records[i]
		if p.skip != nil {
			b.problem(*p.skip)
			b.imp.Skipped++
			b.fatal = b.fatal || p.fatal
			continue
		}
		for _, r := range p.repairs {
			b.problem(Problem{Index: base + i, SourceID: rf.ID, Reason: r.reason, At: r.at, Repaired: true})
		}
		if rf.Attrs == nil {
			b.schema.addDecoded(p.attrs, rf.propertyKeys)
		} else if b.fields == nil {
			// Typed attributes without a declared schema: new keys join in name order.
			var fresh []string
			for i, k := range p.attrs.Names() {
				if !b.schema.seen[k] {
					b.schema.seen[k] = true
					fresh = append(fresh, k)
				}
				b.schema.observe(k, scalarType(p.attrs.At(i)))
			}
			slices.Sort(fresh)
			b.schema.order = append(b.schema.order, fresh...)
		}
		f := &Feature{ID: FeatureID(len(b.imp.Features) + 1), Geometry: p.geom, Attrs: p.attrs}
		f.Derived.AreaM2 = p.areaM2
		f.Derived.AreaMu = MuFromM2(p.areaM2)
		b.imp.Features = append(b.imp.Features, f)
		b.imp.Sources = append(b.imp.Sources, base+i)
	}
	b.n += len(records)
}

// Finish returns the import, or an [*InvalidFeaturesError] as [BuildImport] does.
func (b *ImportBuilder) Finish() (*Import, error) {
	imp := b.imp
	if b.fields != nil {
		imp.Fields = make([]Field, len(b.fields))
		for i, f := range b.fields {
			if f.Alias == "" {
				f.Alias = FieldAliases[f.Name]
			}
			imp.Fields[i] = f
		}
	} else {
		imp.Fields = b.schema.fields()
		if err := CheckFields(imp.Fields); err != nil {
			return nil, schemaError(err)
		}
	}
	switch {
	case b.total > 0 && (b.opts.Strict || b.fatal):
		return nil, &InvalidFeaturesError{Problems: imp.Problems, Total: b.total}
	case len(imp.Features) == 0 && b.n > 0:
		return nil, &InvalidFeaturesError{Problems: imp.Problems, Total: b.total}
	}
	return imp, nil
}

// schemaError rejects a whole import whose schema breaks a limit of [CheckFields].
func schemaError(err error) error {
	return &InvalidFeaturesError{Total: 1, Problems: []Problem{{Index: -1, Reason: err.(*AttributeError).Detail()}}}
}

// prepared is what [BuildImport] makes of one record before assembling the import: either the
// reason it is skipped, or its clean lon/lat geometry, repairs, attributes and area.
type prepared struct {
	skip    *Problem
	fatal   bool // the problem concerns the whole input
	geom    orb.Geometry
	repairs []geometryIssue
	attrs   Record
	areaM2  float64
}

// prepare validates, converts, repairs and measures record i. It touches no shared state.
func prepare(i int, rf SourceFeature, src crs.CRS, explicitCRS bool) prepared {
	skip := func(p Problem) prepared { p.Index, p.SourceID = i, rf.ID; return prepared{skip: &p} }
	if rf.Problem != "" {
		return skip(Problem{Reason: rf.Problem, At: rf.At})
	}
	g := rf.Geometry
	if g == nil {
		return skip(Problem{Reason: "feature has no geometry"})
	}
	if at, bad := outsideLonLat(g); bad && !explicitCRS {
		p := skip(Problem{At: &at, Reason: "coordinates look projected (metres, |x| > 180 or |y| > 90) but no CRS was given: pass crs, e.g. EPSG:4549 for CGCS2000 / 3-degree Gauss-Kruger CM 120E"})
		p.fatal = true
		return p
	}
	if !src.Geographic() {
		if at, bad := looksGeographic(g); bad {
			p := skip(Problem{At: &at, Reason: fmt.Sprintf("coordinates look like lon/lat degrees but crs %s (projected, metres) was given", src)})
			p.fatal = true
			return p
		}
		tg, err := crs.TransformToLonLat(g, src)
		if err != nil {
			return skip(Problem{Reason: fmt.Sprintf("cannot convert from %s: %v", src, err)})
		}
		g = tg
	}
	if at, bad := outsideLonLat(g); bad {
		return skip(Problem{At: &at, Reason: "coordinate outside the valid lon/lat range (longitude −180..180, latitude −90..90)"})
	}
	clean, repairs, bad := cleanGeometry(g)
	if bad != nil {
		return skip(Problem{Reason: bad.reason, At: bad.at})
	}
	attrs := rf.Attrs
	if attrs == nil && rf.props != nil {
		attrs = rf.props.attrs
	} else if attrs == nil {
		var err error
		if attrs, err = decodeProperties(rf.Properties); err != nil {
			return skip(Problem{Reason: "properties: " + err.Error()})
		}
	}
	if err := CheckAttrs(attrs); err != nil {
		return skip(Problem{Reason: err.(*AttributeError).Detail()})
	}
	return prepared{geom: clean, repairs: repairs, attrs: rf.record(attrs), areaM2: AreaM2(clean)}
}

// ParallelRange calls fn on consecutive ranges [lo, hi) covering [0, n), concurrently on up to
// GOMAXPROCS goroutines, and returns when all are done.
func ParallelRange(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n/256, 1))
	if workers <= 1 {
		fn(0, n)
		return
	}
	const chunk = 256
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= n {
					return
				}
				fn(lo, min(lo+chunk, n))
			}
		}()
	}
	wg.Wait()
}
