package spatial

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial/crs"
)

// ImportOptions control how input features become layer features.
type ImportOptions struct {
	// CRS of the input coordinates. The zero value means: the GeoJSON "crs" member if present,
	// else lon/lat (RFC 7946).
	CRS crs.CRS
	// Strict rejects the whole input on any problem, even a repairable one.
	Strict bool
	// MaxProblems caps the problems listed (default 100); counting goes on.
	MaxProblems int
}

// Import is the result of decoding an input file: valid features with ids 1..n in input order,
// the attribute schema, the input CRS and the problems found (repaired or skipped features).
type Import struct {
	Features []*Feature
	// Sources holds, per feature, the index of the input record it came from (records that
	// were skipped leave gaps), so that later checks can name the record as a problem does.
	Sources  []int
	Fields   []Field
	CRS      crs.CRS
	Problems []Problem
	Skipped  int    // features left out because they were invalid
	Encoding string // attribute encoding of the input, e.g. "UTF-8" or "GBK"
}

// SyntaxError reports input that is not valid JSON or not a GeoJSON FeatureCollection.
type SyntaxError struct {
	Offset int64 // byte offset of the error in the input, -1 when unknown
	Reason string
}

func (e *SyntaxError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("spatial: invalid GeoJSON at byte %d: %s", e.Offset, e.Reason)
	}
	return "spatial: invalid GeoJSON: " + e.Reason
}

// InvalidFeaturesError reports an import rejected because of invalid features: in strict mode
// any problem, otherwise when no feature at all is valid or a problem concerns the whole input
// (such as projected coordinates with no CRS).
type InvalidFeaturesError struct {
	Problems []Problem
	Total    int // number of problems, including those not listed
}

func (e *InvalidFeaturesError) Error() string {
	if len(e.Problems) == 0 {
		return "spatial: invalid features"
	}
	s := "spatial: invalid features: " + e.Problems[0].String()
	if e.Total > 1 {
		s += fmt.Sprintf(" (and %d more)", e.Total-1)
	}
	return s
}

// ErrInvalidGeometry is wrapped by errors about a single geometry (e.g. a feature edit).
var ErrInvalidGeometry = errors.New("spatial: invalid geometry")

type rawFeature struct {
	Type       string          `json:"type"`
	ID         any             `json:"id"`
	Geometry   *rawGeometry    `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

type rawGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
	// scanned, when not nil, holds the coordinates as the scanner read them (regular nested
	// arrays of finite numbers); [decodeGeometry] takes them instead of decoding Coordinates
	// when their depth is the one Type needs.
	scanned *scannedCoords
}

// DecodeGeoJSON reads a GeoJSON FeatureCollection (or a single Feature) and returns its valid
// features converted to lon/lat, with ids 1..n in input order. Feature properties are kept
// exactly: strings as they are, integral numbers as int64, other numbers as float64, booleans,
// null as nil, nested objects and arrays as their JSON text.
//
// Returns a [*SyntaxError] when the input is not GeoJSON and an [*InvalidFeaturesError] when
// the import must be rejected (see [ImportOptions.Strict]).
//
// The input is read in one pass: features are validated and packed a batch at a time, so memory
// follows the layer being built, not the size of the file. A "crs" member is honoured when it
// comes before "features" (as GDAL writes it); after them, the features were already read as
// lon/lat, so only a lon/lat CRS is accepted there.
//
// The members of a FeatureCollection are read with encoding/json; the features of its first
// "features" array are read by a scanner written for them (geojson_scan.go), which hands the
// rest of the document back to encoding/json at the first feature it does not read exactly as
// encoding/json would, so that every result and every error is the same either way.
func DecodeGeoJSON(r io.Reader, opts ImportOptions) (*Import, error) {
	return decodeGeoJSON(r, opts, true)
}

// decodeGeoJSON is [DecodeGeoJSON], with the features scanner or with encoding/json alone.
func decodeGeoJSON(r io.Reader, opts ImportOptions, scan bool) (*Import, error) {
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = 100
	}
	d := &geojsonDecoder{opts: opts, fr: &finiteReader{r: r}}
	return d.decode(d.fr, scan)
}

// geojsonDecoder holds what one [DecodeGeoJSON] call keeps from one pass of encoding/json
// over the document to the next (see [geojsonDecoder.decode]).
type geojsonDecoder struct {
	opts    ImportOptions
	fr      *finiteReader
	builder *ImportBuilder
	batch   []SourceFeature // features read, not yet added to builder

	// After the scanner hands the document back: the one feature that stands for those it
	// read (skip, counting as done of them), and the difference between the offsets in the
	// document and those encoding/json counts in the stream it is given (shift).
	skip  bool
	done  int
	shift int64
}

// decode reads the document from in with encoding/json. With scan, the features of the first
// "features" array are read by [geojsonDecoder.scanFeatures], and decode starts again on the
// stream it returns: the members before the array as they were, one empty feature standing
// for those the scanner read, then the rest of the document.
func (d *geojsonDecoder) decode(in io.Reader, scan bool) (*Import, error) {
	opts, fr := d.opts, d.fr
	var rec *recorder
	if scan {
		rec = &recorder{r: in, on: true}
		in = rec
	}
	w := &failureReader{r: in}
	dec := json.NewDecoder(w)
	dec.UseNumber()
	offset := func() int64 { return dec.InputOffset() + d.shift }
	// readErr is the reader's failure once the stream decoded has reached it (the scanner may
	// have read further than encoding/json has).
	readErr := func() error {
		if w.failed {
			return fr.err
		}
		return nil
	}
	syntax := func(err error) error {
		if err := readErr(); err != nil { // the reader failed, not the JSON
			return err
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return &SyntaxError{Offset: se.Offset + d.shift, Reason: se.Error()}
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) { // te.Offset counts from the start of the value
			return &SyntaxError{Offset: te.Offset, Reason: fmt.Sprintf("%s: %s where %s was expected", te.Field, te.Value, te.Type)}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return &SyntaxError{Offset: offset(), Reason: "unexpected end of input"}
		}
		return &SyntaxError{Offset: offset(), Reason: err.Error()}
	}

	tok, err := dec.Token()
	if err != nil {
		return nil, syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, &SyntaxError{Offset: 0, Reason: "a GeoJSON object was expected"}
	}
	var (
		docType  string
		single   rawFeature
		legacy   string
		sawFeats bool
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntax(err)
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			if err := dec.Decode(&docType); err != nil {
				return nil, syntax(err)
			}
		case "features":
			sawFeats = true
			if t, err := dec.Token(); err != nil {
				return nil, syntax(err)
			} else if d, ok := t.(json.Delim); !ok || d != '[' {
				return nil, &SyntaxError{Offset: offset(), Reason: `"features" must be an array`}
			}
			if rec != nil && rec.on {
				head, ahead := rec.log[:dec.InputOffset()], rec.log[dec.InputOffset():]
				rec.on = false
				rest, err := d.scanFeatures(legacy, ahead, fr, rec.err)
				if err != nil {
					return nil, err
				}
				return d.decode(io.MultiReader(bytes.NewReader(head), rest), false)
			}
			n := 0
			for dec.More() {
				var f rawFeature
				if err := dec.Decode(&f); err != nil {
					return nil, syntax(fmt.Errorf("feature %d: %w", n, err))
				}
				if d.skip { // the scanner read these
					d.skip = false
					n += d.done
					continue
				}
				n++
				if d.batch = append(d.batch, sourceFeature(f)); len(d.batch) == geojsonBatch {
					if err := d.flush(legacy, readErr()); err != nil {
						return nil, err
					}
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntax(err)
			}
			if err := d.flush(legacy, readErr()); err != nil {
				return nil, err
			}
		case "crs":
			var c struct {
				Type       string `json:"type"`
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			}
			if err := dec.Decode(&c); err != nil {
				return nil, syntax(err)
			}
			legacy = c.Properties.Name
			if d.builder != nil && opts.CRS == (crs.CRS{}) {
				// The features were read as lon/lat: only a lon/lat CRS can follow them.
				if c, err := crs.Parse(legacy); err != nil || !c.Geographic() {
					return nil, &InvalidFeaturesError{Total: 1, Problems: []Problem{{Index: -1, Reason: fmt.Sprintf(
						"crs member %q follows the features: put it before \"features\" or give the CRS with the import", legacy)}}}
				}
			}
		case "geometry", "properties", "id":
			// a bare Feature
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, syntax(err)
			}
			switch key {
			case "geometry":
				if err := json.Unmarshal(v, &single.Geometry); err != nil {
					return nil, syntax(err)
				}
			case "properties":
				single.Properties = v
			case "id":
				single.ID = json.RawMessage(v)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, syntax(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntax(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &SyntaxError{Offset: offset(), Reason: "unexpected data after the GeoJSON object"}
	}
	if err := readErr(); err != nil {
		return nil, err
	}
	switch docType {
	case "FeatureCollection":
		if !sawFeats {
			return nil, &SyntaxError{Offset: -1, Reason: `FeatureCollection has no "features" member`}
		}
	case "Feature":
		if d.builder != nil { // a "features" member in a Feature: not GeoJSON
			return nil, &SyntaxError{Offset: -1, Reason: `a Feature has no "features" member`}
		}
		single.Type = "Feature"
		if id, ok := single.ID.(json.RawMessage); ok {
			single.ID = decodeAny(id)
		}
		d.batch = append(d.batch[:0], sourceFeature(single))
		if err := d.flush(legacy, readErr()); err != nil {
			return nil, err
		}
	default:
		return nil, &SyntaxError{Offset: -1, Reason: fmt.Sprintf("type %q is not a FeatureCollection or Feature", docType)}
	}
	return d.builder.Finish()
}

// flush validates and packs the features read so far. The first call fixes the CRS of the
// features from what is known when they arrive: the import's, else the "crs" member read
// before them (legacy), else lon/lat. readErr is the reader's failure, if it failed by then.
func (d *geojsonDecoder) flush(legacy string, readErr error) error {
	if d.builder == nil {
		src := d.opts.CRS
		if src == (crs.CRS{}) && legacy != "" {
			c, err := crs.Parse(legacy)
			if err != nil {
				return &InvalidFeaturesError{Total: 1, Problems: []Problem{{Index: -1, Reason: fmt.Sprintf("crs member %q: %v", legacy, err)}}}
			}
			src = c
		}
		explicit := src != (crs.CRS{})
		if !explicit {
			src = crs.EPSG4326
		}
		b, err := NewImportBuilder(nil, src, explicit, d.opts)
		if err != nil {
			return err
		}
		d.builder = b
	}
	if readErr != nil {
		return readErr
	}
	d.builder.Add(d.batch)
	clear(d.batch)
	d.batch = d.batch[:0]
	return nil
}

// maxHead is how many bytes before the "features" array [geojsonDecoder.decode] keeps to
// start again from; a document with more goes to encoding/json alone.
const maxHead = 1 << 20

// recorder keeps what it reads, up to maxHead bytes.
type recorder struct {
	r   io.Reader
	on  bool
	log []byte
	err error // the first error r returned
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if r.err == nil {
		r.err = err
	}
	if r.on {
		if len(r.log)+n > maxHead {
			r.on, r.log = false, nil
		} else {
			r.log = append(r.log, p[:n]...)
		}
	}
	return n, err
}

// failureReader notes whether r has failed (returned an error other than io.EOF).
type failureReader struct {
	r      io.Reader
	failed bool
}

func (r *failureReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.failed = true
	}
	return n, err
}

// geojsonBatch is how many features [DecodeGeoJSON] reads before it validates and packs them.
const geojsonBatch = 4096

// sourceFeature turns a decoded GeoJSON feature into the input of [BuildImport].
func sourceFeature(rf rawFeature) SourceFeature {
	sf := SourceFeature{ID: rf.ID, Properties: rf.Properties}
	if sf.Properties == nil {
		sf.Properties = json.RawMessage("null")
	}
	if rf.Type != "Feature" {
		sf.Problem = fmt.Sprintf("type %q is not Feature", rf.Type)
	} else if g, iss := decodeGeometry(rf.Geometry); iss != nil {
		sf.Problem, sf.At = iss.reason, iss.at
	} else {
		sf.Geometry = g
	}
	return sf
}

func decodeGeometry(g *rawGeometry) (orb.Geometry, *geometryIssue) {
	if g == nil {
		return nil, &geometryIssue{reason: "feature has no geometry"}
	}
	switch g.Type {
	case "Polygon":
		if g.scanned != nil && g.scanned.depth == 3 {
			return g.scanned.geometry(), nil
		}
		var c [][][]*float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, coordinatesIssue(g.Coordinates, "Polygon coordinates must be an array of rings of [x, y] positions")
		}
		p, iss := polygonFrom(c)
		if iss != nil {
			return nil, iss
		}
		return p, nil
	case "MultiPolygon":
		if g.scanned != nil && g.scanned.depth == 4 {
			return g.scanned.geometry(), nil
		}
		var c [][][][]*float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, coordinatesIssue(g.Coordinates, "MultiPolygon coordinates must be an array of polygons")
		}
		mp := make(orb.MultiPolygon, 0, len(c))
		for i, pc := range c {
			p, iss := polygonFrom(pc)
			if iss != nil {
				iss.reason = fmt.Sprintf("polygon %d: %s", i, iss.reason)
				return nil, iss
			}
			mp = append(mp, p)
		}
		return mp, nil
	case "":
		return nil, &geometryIssue{reason: "geometry has no type"}
	default:
		return nil, &geometryIssue{reason: fmt.Sprintf("geometry type %s is not a polygon (Polygon or MultiPolygon expected)", g.Type)}
	}
}

func polygonFrom(c [][][]*float64) (orb.Polygon, *geometryIssue) {
	p := make(orb.Polygon, len(c))
	for ri, rc := range c {
		r := make(orb.Ring, len(rc))
		for i, pos := range rc {
			if len(pos) < 2 {
				return nil, &geometryIssue{reason: fmt.Sprintf("ring %d position %d has %d values, at least 2 are needed", ri, i, len(pos))}
			}
			if pos[0] == nil || pos[1] == nil {
				return nil, &geometryIssue{reason: fmt.Sprintf("ring %d position %d: coordinate is not a finite number (NaN, Infinity or null)", ri, i)}
			}
			r[i] = orb.Point{*pos[0], *pos[1]}
		}
		p[ri] = r
	}
	return p, nil
}

// coordinatesIssue explains why coordinates did not decode: a number beyond the range of a
// float64 (1e400, or NaN and Infinity as [finiteReader] rewrites them), else reason.
func coordinatesIssue(raw json.RawMessage, reason string) *geometryIssue {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		t, err := dec.Token()
		if err != nil {
			return &geometryIssue{reason: reason}
		}
		if n, ok := t.(json.Number); ok {
			if _, ok := finite(&n); !ok {
				return &geometryIssue{reason: "coordinate is not a finite number (NaN, Infinity or beyond ±1.8e308)"}
			}
		}
	}
}

// finite returns the value of a JSON number when it is a finite float64 (not null, not beyond
// ±1.8e308).
func finite(n *json.Number) (float64, bool) {
	if n == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(*n), 64)
	return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

func eachPoint(g orb.Geometry, fn func(orb.Point) bool) {
	for _, p := range Polygons(g) {
		for _, r := range p {
			for _, pt := range r {
				if !fn(pt) {
					return
				}
			}
		}
	}
}

// outsideLonLat returns a point of g outside the lon/lat range (|x| > 180 or |y| > 90), if any:
// the sign of projected coordinates given without a CRS, or of a bad transformation.
func outsideLonLat(g orb.Geometry) (at orb.Point, bad bool) {
	eachPoint(g, func(p orb.Point) bool {
		if math.Abs(p[0]) > 180 || math.Abs(p[1]) > 90 {
			at, bad = p, true
			return false
		}
		return true
	})
	return
}

func looksGeographic(g orb.Geometry) (at orb.Point, bad bool) {
	eachPoint(g, func(p orb.Point) bool {
		if math.Abs(p[0]) <= 180 && math.Abs(p[1]) <= 90 {
			at, bad = p, true
			return false
		}
		return true
	})
	return
}

// finiteReader rewrites, as it reads, the bare tokens NaN, Infinity and -Infinity (which some writers
// emit but JSON forbids) outside strings to 1e999, a valid JSON number beyond the range of a
// float64, so that the feature that holds them can be named in the error instead of the whole
// document failing to parse; such numbers are refused in coordinates and attributes alike. A
// token split between two reads is held back until the next one completes it.
type finiteReader struct {
	r                 io.Reader
	in, out           []byte // out: transformed bytes not yet returned, in outBuf
	buf, outBuf       []byte
	inString, escaped bool
	eof               bool
	err               error // a read error other than io.EOF, reported by DecodeGeoJSON
}

// finiteStops are the bytes outside strings where [finiteReader] looks closer: a string starts,
// or a token may (the minus sign of -Infinity is kept, Infinity becomes 1e999).
var finiteStops = [256]bool{'"': true, 'N': true, 'I': true}

func (f *finiteReader) Read(p []byte) (int, error) {
	for len(f.out) == 0 {
		if f.eof {
			if len(f.in) == 0 {
				return 0, io.EOF
			}
		} else {
			if f.buf == nil {
				f.buf = make([]byte, 256<<10)
			}
			n, err := f.r.Read(f.buf)
			f.in = append(f.in, f.buf[:n]...)
			if err == io.EOF {
				f.eof = true
			} else if err != nil {
				f.err = err
				f.eof, f.in = true, nil
				return 0, io.ErrUnexpectedEOF
			}
		}
		f.transform()
	}
	n := copy(p, f.out)
	f.out = f.out[n:]
	return n, nil
}

// transform moves f.in to f.out, rewriting the tokens, and keeps back a tail of f.in that may be
// the start of a token.
func (f *finiteReader) transform() {
	in, out := f.in, f.outBuf[:0]
	i := 0
	for i < len(in) {
		if f.inString {
			if f.escaped { // the byte after a backslash is not the end of the string
				f.escaped = false
				out = append(out, in[i])
				i++
				continue
			}
			seg := in[i:]
			end := bytes.IndexByte(seg, '"')
			if end >= 0 {
				seg = seg[:end]
			}
			if k := bytes.IndexByte(seg, '\\'); k >= 0 {
				out = append(out, in[i:i+k+1]...)
				i += k + 1
				f.escaped = true
				continue
			}
			if end < 0 {
				out = append(out, in[i:]...)
				i = len(in)
				break
			}
			out = append(out, in[i:i+end+1]...)
			i += end + 1
			f.inString = false
			continue
		}
		j := i
		for j < len(in) && !finiteStops[in[j]] {
			j++
		}
		out = append(out, in[i:j]...)
		if i = j; i == len(in) {
			break
		}
		c := in[i]
		if c == '"' {
			f.inString = true
			out = append(out, c)
			i++
			continue
		}
		token := "NaN"
		if c == 'I' {
			token = "Infinity"
		}
		if rest := in[i:]; bytes.HasPrefix(rest, []byte(token)) {
			out = append(out, "1e999"...)
			i += len(token)
			continue
		} else if !f.eof && len(rest) < len(token) && strings.HasPrefix(token, string(rest)) {
			break // wait for the rest of the token
		}
		out = append(out, c)
		i++
	}
	f.out, f.outBuf = out, out
	f.in = append(f.in[:0], in[i:]...)
}

// decodeAny decodes a JSON value into mudi's attribute value types.
func decodeAny(raw json.RawMessage) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	if n, ok := v.(json.Number); ok { // an id such as 1e999 stays text: it must be reportable
		if _, ok := finite(&n); !ok {
			return n.String()
		}
	}
	return normalizeValue(v)
}

// normalizeValue converts a value decoded with UseNumber to an attribute value.
func normalizeValue(v any) any {
	switch v := v.(type) {
	case json.Number:
		return numberValue([]byte(v))
	case nil, string, bool:
		return v
	default: // nested object or array: keep its JSON text
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// isISODate reports whether s is a date written YYYY-MM-DD in ASCII digits.
func isISODate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i := range 10 {
		if i != 4 && i != 7 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// schemaBuilder infers the attribute schema from the features' properties, keeping the order in
// which keys first appear.
type schemaBuilder struct {
	order []string
	types map[string]FieldType
	seen  map[string]bool

	// The name set of the last record added and the types of its names, by position ("" when
	// only nulls were seen): the records of a layer mostly share one set, and each of their
	// values mostly has the type already known.
	lastSet   *NameSet
	lastTypes []FieldType
}

func newSchemaBuilder() *schemaBuilder {
	return &schemaBuilder{types: map[string]FieldType{}, seen: map[string]bool{}}
}

// decodeProperties decodes a JSON object of properties into attribute values (see
// [DecodeGeoJSON]). It uses no shared state, so records can be decoded in parallel.
func decodeProperties(raw json.RawMessage) (Attrs, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return Attrs{}, nil
	}
	// Decoding JSON replaces bytes that are not UTF-8 with U+FFFD: check the raw bytes of
	// each key and value first, so that such text is refused rather than silently altered.
	if !utf8.Valid(raw) {
		return nil, invalidUTF8(raw)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, errors.New("must be an object")
	}
	attrs := make(Attrs, len(m))
	for k, v := range m {
		attrs[k] = normalizeValue(v)
	}
	return attrs, nil
}

// invalidUTF8 names the first member of the JSON object raw whose name or value is not valid
// UTF-8.
func invalidUTF8(raw json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("must be an object")
	}
	for dec.More() {
		start := dec.InputOffset()
		t, err := dec.Token()
		if err != nil {
			break
		}
		key, _ := t.(string)
		name := key // decoded: bytes that are not UTF-8 already show as U+FFFD
		if !utf8.Valid(raw[start:dec.InputOffset()]) {
			return fmt.Errorf("the name of attribute %q is not valid UTF-8", name)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			break
		}
		if !utf8.Valid(v) {
			return fmt.Errorf("attribute %q: the value is not valid UTF-8", name)
		}
	}
	return errors.New("the text is not valid UTF-8")
}

// addDecoded records the keys and value types of one record's decoded properties; keys seen for
// the first time join the schema in the order keys returns them (the document's).
func (s *schemaBuilder) addDecoded(attrs Record, keys func() []string) {
	set := attrs.NameSet()
	if set == nil {
		return
	}
	names := set.Names()
	if set != s.lastSet {
		for _, k := range names {
			if !s.seen[k] {
				for _, k := range keys() {
					if !s.seen[k] {
						s.seen[k] = true
						s.order = append(s.order, k)
					}
				}
				break
			}
		}
		s.lastSet = set
		s.lastTypes = s.lastTypes[:0]
		for _, k := range names {
			s.lastTypes = append(s.lastTypes, s.types[k])
		}
	}
	for i, k := range names {
		if t := scalarType(attrs.At(i)); t != "" && t != s.lastTypes[i] {
			s.observe(k, t)
		}
	}
}

// scalarType returns the field type of a value, "" for null.
func scalarType(v Scalar) FieldType {
	switch v.Kind {
	case KindInt:
		return FieldInteger
	case KindFloat:
		return FieldReal
	case KindBool:
		return FieldBoolean
	case KindText:
		if isISODate(v.Text) {
			return FieldDate
		}
		return FieldString
	}
	return ""
}

// observe records a value of type t ("" for null) of field k.
func (s *schemaBuilder) observe(k string, t FieldType) {
	if t == "" {
		return
	}
	old, ok := s.types[k]
	switch {
	case !ok || old == t:
		s.types[k] = t
	case (old == FieldInteger && t == FieldReal) || (old == FieldReal && t == FieldInteger):
		s.types[k] = FieldReal
	case (old == FieldDate && t == FieldString) || (old == FieldString && t == FieldDate):
		s.types[k] = FieldString
	default:
		s.types[k] = FieldString
	}
	if i := s.lastSet.find(k); i >= 0 {
		s.lastTypes[i] = s.types[k]
	}
}

func (s *schemaBuilder) fields() []Field {
	out := make([]Field, 0, len(s.order))
	for _, k := range s.order {
		t, ok := s.types[k]
		if !ok {
			t = FieldString // only nulls seen
		}
		out = append(out, Field{Name: k, Type: t, Alias: FieldAliases[k]})
	}
	return out
}

// propertyKeys returns the names of the feature's properties in document order.
func (rf *SourceFeature) propertyKeys() []string {
	if rf.props != nil {
		return rf.props.keys
	}
	return objectKeys(rf.Properties)
}

// objectKeys returns the keys of a JSON object in document order.
func objectKeys(raw json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}
