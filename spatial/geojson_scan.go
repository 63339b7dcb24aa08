package spatial

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// The features scanner reads the features of a FeatureCollection's "features" array, the bulk
// of any import, without encoding/json: one pass over the bytes finds where each feature
// begins and ends, then the features of a batch are read in parallel, each straight into its
// geometry and typed properties.
//
// It reads exactly what encoding/json reads, or nothing: a feature in a shape it does not
// read itself (a member named in another case, a repeated member, an escaped member name, a
// non-string type …) is decoded by encoding/json from its bytes, with the same rules as
// before; properties that are not an object of valid UTF-8, and coordinates that are not
// nested arrays of finite numbers, go to the same functions as encoding/json's results do
// ([decodeProperties], [decodeGeometry]). At anything encoding/json would refuse (a syntax
// error, a value of the wrong type, the end of the input), and at the end of the array, the
// scanner stops and hands the document back to encoding/json ([geojsonDecoder.decode]) from
// the end of the last feature it read, so that the rest of the document, and every error, is
// decoded as it always was.
//
// Handing back rests on how encoding/json's Decoder counts offsets: InputOffset counts every
// byte consumed; a syntax error's Offset counts only the bytes scanned as values, which in an
// array are the elements and the white space after each comma, not the white space before a
// comma nor the comma. The scanner replaces the features it read with U spaces and one empty
// object "{}", U being the bytes of the array not scanned as values, so that both counts
// differ from the document's by the same amount, C-2 (C the bytes scanned as values), which
// the decoder adds to the offsets of its errors.

// scanExtent is where one feature lies in the scanner's buffer: the white space and comma
// before it start at gap, the comma (if any) is at comma, the object spans [start, end).
type scanExtent struct {
	gap, comma, start, end int
}

// scanInput is the scanner's view of the input: a growing buffer over a reader.
type scanInput struct {
	r   io.Reader
	buf []byte
	err error // the error that ended r (io.EOF at the end of the input)
}

// more reads more input into buf, and reports whether it got any.
func (in *scanInput) more() bool {
	for in.err == nil {
		if cap(in.buf)-len(in.buf) < 16<<10 {
			in.buf = slices.Grow(in.buf, max(cap(in.buf), 64<<10))
		}
		n, err := in.r.Read(in.buf[len(in.buf):cap(in.buf)])
		in.buf = in.buf[:len(in.buf)+n]
		if err != nil {
			in.err = err
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// space returns the position of the first byte at or after i that is not JSON white space,
// and false when the input ends first.
func (in *scanInput) space(i int) (int, bool) {
	for {
		for ; i < len(in.buf); i++ {
			if c := in.buf[i]; c > ' ' || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
				return i, true
			}
		}
		if !in.more() {
			return i, false
		}
	}
}

// objectEnd returns the end of the object that starts at i, matching brackets outside
// strings; false when the input ends first. It does not check the syntax: the feature parser
// does.
func (in *scanInput) objectEnd(i int) (int, bool) {
	depth := 0
	for {
		b := in.buf
		for ; i < len(b); i++ {
			switch structural[b[i]] {
			case 0:
			case '[':
				depth++
			case ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			case '"':
				j, ok := stringEnd(b, i+1)
				if !ok {
					goto refill
				}
				i = j - 1
			}
		}
	refill:
		if !in.more() {
			return i, false
		}
	}
}

// structural classes the bytes objectEnd looks at: '[' opens, ']' closes, '"' starts a string.
var structural = [256]byte{'{': '[', '[': '[', '}': ']', ']': ']', '"': '"'}

// stringEnd returns the position after the quote that closes the string whose content starts
// at i, and false when b ends first.
func stringEnd(b []byte, i int) (int, bool) {
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return 0, false
		}
		i += j
		// The quote closes the string unless an odd number of backslashes precede it.
		k := i
		for k > 0 && b[k-1] == '\\' {
			k--
		}
		if (i-k)%2 == 0 {
			return i + 1, true
		}
		i++
	}
}

// next finds the feature after position at: white space, a comma unless first, white space
// and an object. false at the end of the array, at anything else, or at the end of the input.
func (in *scanInput) next(at int, first bool) (scanExtent, bool) {
	e := scanExtent{gap: at, comma: -1}
	i, ok := in.space(at)
	if !ok {
		return e, false
	}
	if !first {
		if in.buf[i] != ',' {
			return e, false
		}
		e.comma = i
		if i, ok = in.space(i + 1); !ok {
			return e, false
		}
	}
	if in.buf[i] != '{' {
		return e, false
	}
	e.start = i
	e.end, ok = in.objectEnd(i)
	return e, ok
}

// scanBatch is a batch of features found in the input: their extents in buf, which holds the
// input from the end of the batch before (or from the '[') to the end of the last feature.
type scanBatch struct {
	buf  []byte
	exts []scanExtent
	end  bool // the scanner reads no further: the array ends, or something else follows
}

// scanFeatures reads the features of the array whose '[' encoding/json has just read: ahead
// holds what it read beyond the bracket, in the rest of the input, inErr the error that ended
// in if it did. Each batch of [geojsonBatch] features is added to the import as encoding/json's
// reading would add it. It returns the stream to go on with (see the comment at the top of this
// file), having set skip, done and shift. legacy is the "crs" member read before the array.
//
// One goroutine finds the features of the next batch while the features of a batch are read
// and added.
func (d *geojsonDecoder) scanFeatures(legacy string, ahead []byte, in io.Reader, inErr error) (io.Reader, error) {
	src := &scanInput{r: in, buf: append(make([]byte, 0, 2*len(ahead)), ahead...), err: inErr}
	batches, stop, stopped := make(chan scanBatch), make(chan struct{}), make(chan struct{})
	free := make(chan []byte, 2) // buffers of batches added, for the goroutine to reuse
	go func() {
		defer close(stopped)
		findFeatures(src, batches, free, stop)
	}()
	var (
		last  []byte // the bytes of the last batch received, up to the end of its last feature
		at    int    // in last, the end of the last feature read, or 0
		k     int    // features read
		u, c  int64  // bytes of those features' part of the array not scanned and scanned as values by encoding/json
		feats []SourceFeature
		ok    []bool
		err   error
	)
	for b := range batches {
		exts := b.exts
		last, at = b.buf[:0], 0
		if len(exts) > 0 {
			last = b.buf[:exts[len(exts)-1].end]
		}
		feats = slices.Grow(feats[:0], len(exts))[:len(exts)]
		ok = slices.Grow(ok[:0], len(exts))[:len(exts)]
		ParallelRange(len(exts), func(lo, hi int) {
			var p featureParser
			for i := lo; i < hi; i++ {
				e := exts[i]
				feats[i], ok[i] = p.feature(b.buf[e.start:e.end])
			}
		})
		n := 0
		for n < len(exts) && ok[n] {
			e := exts[n]
			if e.comma < 0 {
				u += int64(e.start - e.gap)
				c += int64(e.end - e.start)
			} else {
				u += int64(e.comma - e.gap + 1)
				c += int64(e.end - e.comma - 1)
			}
			d.batch = append(d.batch, feats[n])
			at = e.end
			n++
		}
		k += n
		clear(feats)
		if b.end || n < len(exts) {
			break
		}
		// A batch of whole features was read before any failure of the reader.
		if err = d.flush(legacy, nil); err != nil {
			break
		}
		select { // the features added hold none of the batch's bytes
		case free <- b.buf[:0]:
		default:
		}
	}
	close(stop)
	<-stopped
	if err != nil {
		return nil, err
	}
	// The rest of the input: the batch from the end of the last feature read, what the
	// goroutine read after it, and the end of the input as the goroutine found it.
	var tail io.Reader = in
	if src.err != nil {
		tail = errReader{src.err}
	}
	rest := io.MultiReader(bytes.NewReader(last[at:]), bytes.NewReader(src.buf), tail)
	if k == 0 {
		return rest, nil
	}
	d.skip, d.done, d.shift = true, k, c-2
	return io.MultiReader(&blankFeature{spaces: u}, rest), nil
}

// findFeatures sends the batches of features found in src until the scanner reads no
// further or stop is closed. src.buf is then the input after the last feature of the last
// batch sent (the whole input read when no batch was sent).
func findFeatures(src *scanInput, batches chan<- scanBatch, free <-chan []byte, stop <-chan struct{}) {
	defer close(batches)
	first := true
	for {
		var b scanBatch
		at := 0
		for len(b.exts) < geojsonBatch {
			e, found := src.next(at, first && len(b.exts) == 0)
			if !found {
				b.end = true
				break
			}
			b.exts = append(b.exts, e)
			at = e.end
			if len(b.exts)%256 == 0 {
				select {
				case <-stop:
					return
				default:
				}
			}
		}
		first = false
		b.buf = src.buf
		select {
		case batches <- b:
		case <-stop:
			return
		}
		// The batch is handed over: go on in another buffer with what follows it.
		var buf []byte
		select {
		case buf = <-free:
		default:
			size := cap(src.buf) // room for a batch like this one
			if b.end {
				size = len(src.buf) - at
			}
			buf = make([]byte, 0, size)
		}
		src.buf = append(buf, src.buf[at:]...)
		if b.end {
			return
		}
	}
}

// errReader returns err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// blankFeature reads as spaces white-space bytes then "{}".
type blankFeature struct {
	spaces int64
	done   int
}

func (b *blankFeature) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && b.spaces > 0 {
		p[n] = ' '
		n++
		b.spaces--
	}
	for n < len(p) && b.done < 2 {
		p[n] = "{}"[b.done]
		n++
		b.done++
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// scannedProps are a feature's properties as the scanner decoded them: the values as
// [decodeProperties] would give them, and the names in document order (repeats included).
// When the names are distinct, record is attrs packed as [Attrs.Record] packs them.
type scannedProps struct {
	attrs  Attrs
	keys   []string
	record Record
	packed bool
}

// record returns the feature's attributes attrs packed: those the scanner packed, if it did.
func (rf *SourceFeature) record(attrs Attrs) Record {
	if rf.props != nil && rf.props.packed {
		return rf.props.record
	}
	return attrs.Record()
}

// propsLayout is how the scanner packs the properties of the features whose names come in
// one order: the shared set of the names, and for each name in set order the position of its
// value in the document.
type propsLayout struct {
	keys  []string // in document order, distinct
	set   *NameSet
	order []int
}

func newPropsLayout(keys []string) *propsLayout {
	l := &propsLayout{keys: keys}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(keys) {
		return l // repeated names: the last value wins, as Attrs.Record packs it
	}
	l.set = NameSetOf(sorted)
	l.order = make([]int, len(keys))
	for i, name := range l.set.Names() {
		l.order[i] = slices.Index(keys, name)
	}
	return l
}

// scannedCoords are coordinates as the scanner read them: arrays nested depth deep, none
// empty, whose innermost arrays (positions) hold at least two finite numbers.
type scannedCoords struct {
	depth    int
	points   []orb.Point // the first two numbers of each position
	ringEnds []int       // end in points of each array of positions
	polyEnds []int       // end in ringEnds of each array of those (depth 4)
}

// polygon returns rings [lo, hi) as a polygon, the points copied into one new array.
func (s *scannedCoords) polygon(pts []orb.Point, lo, hi int) orb.Polygon {
	p := make(orb.Polygon, hi-lo)
	start := 0
	if lo > 0 {
		start = s.ringEnds[lo-1]
	}
	for i := lo; i < hi; i++ {
		end := s.ringEnds[i]
		p[i-lo] = orb.Ring(pts[start:end:end])
		start = end
	}
	return p
}

// geometry returns the coordinates as a Polygon (depth 3) or MultiPolygon (depth 4).
func (s *scannedCoords) geometry() orb.Geometry {
	pts := slices.Clone(s.points)
	if s.depth == 3 {
		return s.polygon(pts, 0, len(s.ringEnds))
	}
	mp := make(orb.MultiPolygon, 0, len(s.polyEnds))
	lo := 0
	for _, hi := range s.polyEnds {
		mp = append(mp, s.polygon(pts, lo, hi))
		lo = hi
	}
	return mp
}

// maxScanDepth bounds the nesting the scanner follows inside a feature; deeper features go
// to encoding/json, which has its own limit.
const maxScanDepth = 500

// featureParser reads one feature from its bytes. Its buffers are reused from one feature to
// the next; one parser serves one goroutine.
type featureParser struct {
	b     []byte
	i     int
	depth int
	// badUTF8 is set when a string read holds bytes that are not UTF-8.
	badUTF8 bool

	coords scannedCoords
	keys   []string
	values []any
	layout *propsLayout      // of the previous feature's properties
	names  map[string]string // interned property names
	text   []byte
}

// feature reads the feature in b, or decodes it with encoding/json when the scanner does not
// read it; false when encoding/json fails on it.
func (p *featureParser) feature(b []byte) (SourceFeature, bool) {
	if sf, ok := p.scan(b); ok {
		return sf, true
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var f rawFeature
	if err := dec.Decode(&f); err != nil || dec.InputOffset() != int64(len(b)) {
		return SourceFeature{}, false
	}
	return sourceFeature(f), true
}

// Members of a feature and of a geometry, as encoding/json matches them to struct fields.
var (
	featureMembers  = []string{"type", "id", "geometry", "properties"}
	geometryMembers = []string{"type", "coordinates"}
)

// foldsTo reports whether encoding/json would take key for one of names, matched without
// regard to case.
func foldsTo(key []byte, names []string) bool {
	for _, n := range names {
		if strings.EqualFold(string(key), n) {
			return true
		}
	}
	return false
}

// scan reads the feature in b; false when it is not in a shape the scanner reads.
func (p *featureParser) scan(b []byte) (SourceFeature, bool) {
	p.b, p.i, p.depth = b, 0, 0
	var (
		rf    rawFeature
		props *scannedProps
		seen  [4]bool
	)
	if !p.open('{') {
		return SourceFeature{}, false
	}
	for more := !p.close('}'); more; {
		key, esc, ok := p.key()
		if !ok || esc {
			return SourceFeature{}, false
		}
		switch string(key) {
		case "type":
			if seen[0] {
				return SourceFeature{}, false
			}
			seen[0] = true
			if rf.Type, ok = p.plainString(); !ok {
				return SourceFeature{}, false
			}
		case "id":
			if seen[1] {
				return SourceFeature{}, false
			}
			seen[1] = true
			if rf.ID, ok = p.id(); !ok {
				return SourceFeature{}, false
			}
		case "geometry":
			if seen[2] {
				return SourceFeature{}, false
			}
			seen[2] = true
			if rf.Geometry, ok = p.geometry(); !ok {
				return SourceFeature{}, false
			}
		case "properties":
			if seen[3] {
				return SourceFeature{}, false
			}
			seen[3] = true
			if props, rf.Properties, ok = p.properties(); !ok {
				return SourceFeature{}, false
			}
		default:
			if foldsTo(key, featureMembers) || !p.skip() {
				return SourceFeature{}, false
			}
		}
		if more, ok = p.next('}'); !ok {
			return SourceFeature{}, false
		}
	}
	if p.i != len(b) {
		return SourceFeature{}, false
	}
	sf := sourceFeature(rf)
	sf.props = props
	return sf, true
}

// ws skips white space.
func (p *featureParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// open reads c ('{' or '[') after white space.
func (p *featureParser) open(c byte) bool {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != c {
		return false
	}
	p.i++
	return true
}

// close reads c ('}' or ']') after white space, if it is there.
func (p *featureParser) close(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// next reads, after an element, a comma (more) or the closing c; false at anything else.
func (p *featureParser) next(c byte) (more, ok bool) {
	p.ws()
	if p.i >= len(p.b) {
		return false, false
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		return true, true
	case c:
		p.i++
		return false, true
	}
	return false, false
}

// key reads a member name and its colon: the raw bytes between the quotes and whether they
// hold escapes.
func (p *featureParser) key() (raw []byte, esc, ok bool) {
	p.ws()
	if raw, esc, ok = p.str(); !ok {
		return nil, false, false
	}
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != ':' {
		return nil, false, false
	}
	p.i++
	p.ws()
	return raw, esc, true
}

// str reads a string: the raw bytes between the quotes and whether they hold escapes. It
// checks the syntax (no control characters, valid escapes) and notes text that is not UTF-8.
func (p *featureParser) str() (raw []byte, esc, ok bool) {
	b, i := p.b, p.i
	if i >= len(b) || b[i] != '"' {
		return nil, false, false
	}
	i++
	start, high := i, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			p.i = i + 1
			raw = b[start:i]
			if high && !utf8.Valid(raw) {
				p.badUTF8 = true
			}
			return raw, esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return nil, false, false
			}
			i++
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || hex4(b[i+1:i+5]) < 0 {
					return nil, false, false
				}
				i += 4
			default:
				return nil, false, false
			}
		case c < ' ':
			return nil, false, false
		case c >= utf8.RuneSelf:
			high = true
		}
	}
	return nil, false, false
}

// hex4 returns the value of 4 hexadecimal digits, or -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// unescape appends the text of the raw string s (valid syntax) to out as encoding/json decodes
// it: escapes resolved, a UTF-16 surrogate that is not half of a pair as U+FFFD.
func unescape(out, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := bytes.IndexByte(s[i:], '\\')
			if j < 0 {
				return append(out, s[i:]...)
			}
			out = append(out, s[i:i+j]...)
			i += j
			continue
		}
		switch e := s[i+1]; e {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(s[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2 := hex4(s[i+2:]); r2 >= 0 {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, e)
		}
		i += 2
	}
	return out
}

// plainString reads a string without escapes in valid UTF-8, or null as "".
func (p *featureParser) plainString() (string, bool) {
	if p.literal("null") {
		return "", true
	}
	raw, esc, ok := p.str()
	if !ok || esc || !utf8.Valid(raw) {
		return "", false
	}
	return string(raw), true
}

// literal reads lit (true, false or null) if it is there.
func (p *featureParser) literal(lit string) bool {
	if !bytes.HasPrefix(p.b[p.i:], []byte(lit)) {
		return false
	}
	p.i += len(lit)
	return true
}

// id reads a feature id as encoding/json decodes it into an any with UseNumber: a string, a
// json.Number, a bool or nil; false for objects and arrays.
func (p *featureParser) id() (any, bool) {
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		raw, esc, ok := p.str()
		if !ok || esc || !utf8.Valid(raw) {
			return nil, false
		}
		return string(raw), true
	case c == '-' || '0' <= c && c <= '9':
		lit, ok := p.number()
		if !ok {
			return nil, false
		}
		return json.Number(lit), true
	case p.literal("true"):
		return true, true
	case p.literal("false"):
		return false, true
	case p.literal("null"):
		return nil, true
	}
	return nil, false
}

// number reads a number, checking the syntax of JSON, and returns its text.
func (p *featureParser) number() ([]byte, bool) {
	b, i := p.b, p.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false
		}
		for i++; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false
		}
		for i++; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	}
	p.i = i
	return b[start:i], true
}

// skip reads any value, checking its syntax.
func (p *featureParser) skip() bool {
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '{' || c == '[':
		if p.depth++; p.depth > maxScanDepth {
			return false
		}
		p.i++
		end := byte(']')
		if c == '{' {
			end = '}'
		}
		for more := !p.close(end); more; {
			if c == '{' {
				if _, _, ok := p.key(); !ok {
					return false
				}
			} else {
				p.ws()
			}
			if !p.skip() {
				return false
			}
			var ok bool
			if more, ok = p.next(end); !ok {
				return false
			}
		}
		p.depth--
		return true
	case c == '"':
		_, _, ok := p.str()
		return ok
	case c == '-' || '0' <= c && c <= '9':
		_, ok := p.number()
		return ok
	}
	return p.literal("true") || p.literal("false") || p.literal("null")
}

// geometry reads a geometry object or null.
func (p *featureParser) geometry() (*rawGeometry, bool) {
	if p.literal("null") {
		return nil, true
	}
	if !p.open('{') {
		return nil, false
	}
	g := &rawGeometry{}
	var seen [2]bool
	for more := !p.close('}'); more; {
		key, esc, ok := p.key()
		if !ok || esc {
			return nil, false
		}
		switch string(key) {
		case "type":
			if seen[0] {
				return nil, false
			}
			seen[0] = true
			if g.Type, ok = p.plainString(); !ok {
				return nil, false
			}
		case "coordinates":
			if seen[1] {
				return nil, false
			}
			seen[1] = true
			start, depth := p.i, p.depth
			if p.coordinates() {
				g.scanned = &p.coords
			} else {
				p.i, p.depth = start, depth
				if !p.skip() {
					return nil, false
				}
			}
			g.Coordinates = p.b[start:p.i]
		default:
			if foldsTo(key, geometryMembers) || !p.skip() {
				return nil, false
			}
		}
		if more, ok = p.next('}'); !ok {
			return nil, false
		}
	}
	return g, true
}

// coordinates reads regular coordinates (see [scannedCoords]) into p.coords; false when they
// are not.
func (p *featureParser) coordinates() bool {
	s := &p.coords
	s.points, s.ringEnds, s.polyEnds = s.points[:0], s.ringEnds[:0], s.polyEnds[:0]
	h, ok := p.coordArray(0)
	s.depth = h
	return ok
}

// coordArray reads an array of coordinates at nesting level and returns its height: 1 for a
// position, n+1 for an array of arrays of height n.
func (p *featureParser) coordArray(level int) (int, bool) {
	if level >= 4 || p.i >= len(p.b) || p.b[p.i] != '[' {
		return 0, false
	}
	p.i++
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] == ']' {
		return 0, false
	}
	s := &p.coords
	if p.b[p.i] == '[' {
		h := 0
		for {
			ch, ok := p.coordArray(level + 1)
			if !ok || (h != 0 && ch != h) {
				return 0, false
			}
			h = ch
			more, ok := p.next(']')
			if !ok {
				return 0, false
			}
			if !more {
				break
			}
			p.ws()
		}
		switch h {
		case 1:
			s.ringEnds = append(s.ringEnds, len(s.points))
		case 2:
			s.polyEnds = append(s.polyEnds, len(s.ringEnds))
		}
		return h + 1, true
	}
	var pt orb.Point
	n := 0
	for {
		lit, ok := p.number()
		if !ok {
			return 0, false
		}
		f, ok := parseFloat(lit)
		if !ok {
			return 0, false
		}
		if n < 2 {
			pt[n] = f
		}
		n++
		more, ok := p.next(']')
		if !ok {
			return 0, false
		}
		if !more {
			break
		}
		p.ws()
	}
	if n < 2 {
		return 0, false
	}
	s.points = append(s.points, pt)
	return 1, true
}

// pow10 are the powers of ten that a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat returns the value of the JSON number lit as strconv.ParseFloat does, and false
// when that fails (a number beyond the range of a float64). Numbers of at most 19 digits whose
// digits fit in 53 bits and whose power of ten is at most 22 are computed directly: one
// product or quotient of two exact float64 values, rounded once, is the correctly rounded
// value ParseFloat returns.
func parseFloat(lit []byte) (float64, bool) {
	i, neg := 0, false
	if lit[0] == '-' {
		neg, i = true, 1
	}
	var mant uint64
	digits, exp := 0, 0
	for ; i < len(lit) && '0' <= lit[i] && lit[i] <= '9'; i++ {
		mant = mant*10 + uint64(lit[i]-'0')
		digits++
	}
	if i < len(lit) && lit[i] == '.' {
		for i++; i < len(lit) && '0' <= lit[i] && lit[i] <= '9'; i++ {
			mant = mant*10 + uint64(lit[i]-'0')
			digits++
			exp--
		}
	}
	if i == len(lit) && digits <= 19 && mant <= 1<<53 && exp >= -22 {
		f := float64(mant)
		if exp < 0 {
			f /= pow10[-exp]
		}
		if neg {
			f = -f
		}
		return f, true
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	return f, err == nil
}

// numberValue returns the attribute value of the JSON number lit: an int64 when it is
// integral (no fraction, no exponent) and within range, else a float64 (±Inf beyond the range
// of a float64, which [CheckAttrs] refuses).
func numberValue(lit []byte) any {
	if bytes.IndexAny(lit, ".eE") < 0 {
		if len(lit) <= 18 { // within range: compute directly
			var n int64
			i := 0
			if lit[0] == '-' {
				i = 1
			}
			for _, c := range lit[i:] {
				n = n*10 + int64(c-'0')
			}
			if i == 1 {
				n = -n
			}
			return n
		}
		if n, err := strconv.ParseInt(string(lit), 10, 64); err == nil {
			return n
		}
	}
	if f, ok := parseFloat(lit); ok {
		return f
	}
	f, _ := strconv.ParseFloat(string(lit), 64)
	return f
}

// properties reads a feature's properties: an object as scannedProps; anything else (null, a
// value that is not an object, text that is not UTF-8) as its JSON text, for
// [decodeProperties] to decode or refuse.
func (p *featureParser) properties() (*scannedProps, json.RawMessage, bool) {
	start := p.i
	p.badUTF8 = false
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		if !p.skip() {
			return nil, nil, false
		}
		return nil, bytes.Clone(p.b[start:p.i]), true
	}
	p.i++
	var prev []string
	if p.layout != nil {
		prev = p.layout.keys
	}
	keys, values := p.keys[:0], p.values[:0]
	for more := !p.close('}'); more; {
		raw, esc, ok := p.key()
		if !ok {
			return nil, nil, false
		}
		var name string
		if n := len(keys); !esc && n < len(prev) && string(raw) == prev[n] {
			name = prev[n]
		} else {
			name = p.name(raw, esc)
		}
		v, ok := p.value()
		if !ok {
			return nil, nil, false
		}
		keys, values = append(keys, name), append(values, v)
		if more, ok = p.next('}'); !ok {
			return nil, nil, false
		}
	}
	p.keys, p.values = keys, values
	if p.badUTF8 {
		clear(values)
		return nil, bytes.Clone(p.b[start:p.i]), true
	}
	if p.layout == nil || !slices.Equal(keys, p.layout.keys) {
		p.layout = newPropsLayout(slices.Clone(keys))
	}
	l := p.layout
	sp := &scannedProps{attrs: make(Attrs, len(keys)), keys: l.keys}
	for i, k := range keys {
		sp.attrs[k] = values[i]
	}
	if l.set != nil {
		sp.record = Record{names: l.set, data: packValues(l.set.Names(), func(i int) any { return values[l.order[i]] })}
		sp.packed = true
	}
	clear(values)
	return sp, nil, true
}

// name returns the property name of the raw string s, shared with the features before.
func (p *featureParser) name(s []byte, esc bool) string {
	if esc {
		p.text = unescape(p.text[:0], s)
		s = p.text
	}
	if n, ok := p.names[string(s)]; ok {
		return n
	}
	if p.names == nil {
		p.names = map[string]string{}
	}
	n := string(s)
	p.names[n] = n
	return n
}

// value reads a property value as [decodeProperties] decodes it.
func (p *featureParser) value() (any, bool) {
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		raw, esc, ok := p.str()
		if !ok {
			return nil, false
		}
		if esc {
			p.text = unescape(p.text[:0], raw)
			raw = p.text
		}
		return string(raw), true
	case c == '-' || '0' <= c && c <= '9':
		lit, ok := p.number()
		if !ok {
			return nil, false
		}
		return numberValue(lit), true
	case c == '{' || c == '[':
		start := p.i
		if !p.skip() {
			return nil, false
		}
		return nestedValue(p.b[start:p.i])
	case p.literal("true"):
		return true, true
	case p.literal("false"):
		return false, true
	case p.literal("null"):
		return nil, true
	}
	return nil, false
}

// nestedValue returns the attribute value of a nested object or array (raw, valid JSON) as
// [decodeProperties] does: its JSON text as encoding/json writes it.
func nestedValue(raw []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return normalizeValue(v), true
}
