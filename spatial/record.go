package spatial

import (
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"sync"
)

// Record is a feature's attribute values keyed by field name, in the compact immutable form a
// layer keeps in memory (docs/design.md, "Memory"). The names are a [NameSet] shared by every
// record with the same names; the values are packed into one string: no map, no boxed value, one
// pointer-free allocation per feature, so memory follows the size of the data and the garbage
// collector has almost nothing to scan. The zero Record has no attributes.
//
// A Record is a value: copying it is cheap and never shares mutable state. To change attributes,
// take a mutable copy with [Record.Map], change it, and pack it again with [Attrs.Record].
type Record struct {
	names *NameSet
	data  string
}

// Value tags of the packed form; the store writes the same bytes (store/codec_feature.go).
const (
	recNil byte = iota
	recFalse
	recTrue
	recInt   // 8 bytes, little-endian two's complement
	recFloat // 8 bytes, little-endian IEEE 754 bits (NaN and -0 kept bit for bit)
	recString
)

// The packed form of n values: one byte giving the offset width w (2 or 4), then n end offsets
// of w bytes (little-endian, relative to the start of the values), then the values in name order,
// each a tag byte and its payload. Value i spans [end(i-1), end(i)).
const (
	offsetsNarrow = 2
	offsetsWide   = 4
)

// NameSet is a set of field names in byte order, shared by the records that have exactly those
// names.
type NameSet struct {
	names []string
	index map[string]int32 // for sets large enough that a map beats a linear search
}

// Names returns the names in byte order. The slice is shared and must not be modified.
func (s *NameSet) Names() []string {
	if s == nil {
		return nil
	}
	return s.names
}

// find returns the position of name in the set, or -1.
func (s *NameSet) find(name string) int {
	if s == nil {
		return -1
	}
	if s.index != nil {
		if i, ok := s.index[name]; ok {
			return int(i)
		}
		return -1
	}
	for i, n := range s.names {
		if n == name {
			return i
		}
	}
	return -1
}

// nameSets interns name sets so that the records of a layer share one. It keeps at most
// maxNameSets sets; beyond that a record gets a set of its own, which costs memory but nothing
// else (records compare by names, not by set identity).
var nameSets = struct {
	sync.Mutex
	m map[string]*NameSet
}{m: map[string]*NameSet{}}

const maxNameSets = 1 << 14

// internNames returns the shared set of the given names, which must be sorted and distinct.
// key is the names joined by "\x00".
func internNames(key string, names func() []string) *NameSet {
	nameSets.Lock()
	defer nameSets.Unlock()
	if s, ok := nameSets.m[key]; ok {
		return s
	}
	s := newNameSet(names())
	if len(nameSets.m) < maxNameSets {
		nameSets.m[key] = s
	}
	return s
}

func newNameSet(names []string) *NameSet {
	s := &NameSet{names: names}
	if len(names) > 8 {
		s.index = make(map[string]int32, len(names))
		for i, n := range names {
			s.index[n] = int32(i)
		}
	}
	return s
}

// NameSetOf returns the shared name set of names, which must be sorted and distinct and free of
// the byte 0 (field names are, see [CheckFieldName]).
func NameSetOf(names []string) *NameSet {
	if len(names) == 0 {
		return nil
	}
	for _, n := range names {
		if strings.IndexByte(n, 0) >= 0 { // not a valid field name: a set of its own
			return newNameSet(slices.Clone(names))
		}
	}
	key := strings.Join(names, "\x00")
	return internNames(key, func() []string { return slices.Clone(names) })
}

// Record packs the attributes into a [Record]. Values must be nil, bool, int64, float64 or
// string (as [Attrs] holds them); int and float32 are widened, anything else is packed as its
// fmt.Sprint text, so no input is lost.
func (a Attrs) Record() Record {
	if len(a) == 0 {
		return Record{}
	}
	names := make([]string, 0, len(a))
	for k := range a {
		names = append(names, k)
	}
	slices.Sort(names)
	set := NameSetOf(names)
	return Record{names: set, data: packValues(set.names, func(i int) any { return a[set.names[i]] })}
}

// packValues packs n values (n = len(names)) in the form described above.
func packValues(names []string, value func(i int) any) string {
	n := len(names)
	var body []byte
	ends := make([]int, n)
	for i := range n {
		body = appendValue(body, value(i))
		ends[i] = len(body)
	}
	w := offsetsNarrow
	if len(body) > math.MaxUint16 {
		w = offsetsWide
	}
	out := make([]byte, 0, 1+n*w+len(body))
	out = append(out, byte(w))
	for _, e := range ends {
		if w == offsetsNarrow {
			out = binary.LittleEndian.AppendUint16(out, uint16(e))
		} else {
			out = binary.LittleEndian.AppendUint32(out, uint32(e))
		}
	}
	return string(append(out, body...))
}

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, recNil)
	case bool:
		if v {
			return append(b, recTrue)
		}
		return append(b, recFalse)
	case int64:
		return binary.LittleEndian.AppendUint64(append(b, recInt), uint64(v))
	case int:
		return binary.LittleEndian.AppendUint64(append(b, recInt), uint64(int64(v)))
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, recFloat), math.Float64bits(v))
	case float32:
		return binary.LittleEndian.AppendUint64(append(b, recFloat), math.Float64bits(float64(v)))
	case string:
		return append(append(b, recString), v...)
	default:
		return append(append(b, recString), fmt.Sprint(v)...)
	}
}

// Len returns the number of attributes.
func (r Record) Len() int { return len(r.names.Names()) }

// Names returns the attribute names in byte order. The slice is shared and must not be modified.
func (r Record) Names() []string { return r.names.Names() }

// span returns the bytes of value i (tag and payload).
func (r Record) span(i int) string {
	w := int(r.data[0])
	n := len(r.names.names)
	base := 1 + n*w
	end := func(j int) int {
		if w == offsetsNarrow {
			return int(le16(r.data, 1+j*w))
		}
		return int(le32(r.data, 1+j*w))
	}
	lo := 0
	if i > 0 {
		lo = end(i - 1)
	}
	return r.data[base+lo : base+end(i)]
}

// valueOf decodes the value bytes of one attribute.
func valueOf(s string) any {
	switch s[0] {
	case recFalse:
		return false
	case recTrue:
		return true
	case recInt:
		return int64(le64(s, 1))
	case recFloat:
		return math.Float64frombits(le64(s, 1))
	case recString:
		return s[1:]
	}
	return nil
}

// Get returns the value of attribute name (nil, bool, int64, float64 or string) and whether the
// record has it.
func (r Record) Get(name string) (any, bool) {
	i := r.names.find(name)
	if i < 0 {
		return nil, false
	}
	return valueOf(r.span(i)), true
}

// Value returns the value of attribute name, nil when the record does not have it.
func (r Record) Value(name string) any {
	v, _ := r.Get(name)
	return v
}

// Has reports whether the record has attribute name (null values included).
func (r Record) Has(name string) bool { return r.names.find(name) >= 0 }

// String returns the attribute as text, as [Attrs.String] does: strings as they are, numbers
// formatted, "" for a missing or null value.
func (r Record) String(name string) string {
	i := r.names.find(name)
	if i < 0 {
		return ""
	}
	s := r.span(i)
	switch s[0] {
	case recNil:
		return ""
	case recString:
		return s[1:]
	}
	return fmt.Sprint(valueOf(s))
}

// All returns the attributes in name order.
func (r Record) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for i, n := range r.names.Names() {
			if !yield(n, valueOf(r.span(i))) {
				return
			}
		}
	}
}

// Map returns the attributes as a new map that the caller may change.
func (r Record) Map() Attrs {
	m := make(Attrs, r.Len())
	for k, v := range r.All() {
		m[k] = v
	}
	return m
}

// Equal reports whether r and o hold the same names and the same values, bit for bit.
func (r Record) Equal(o Record) bool {
	if r.names != o.names && !slices.Equal(r.names.Names(), o.names.Names()) {
		return false
	}
	return r.Len() == 0 || r.data == o.data
}

// Packed returns the record's names and packed values, which [RecordFromPacked] turns back into
// the same record: the store writes them as they are.
func (r Record) Packed() (names []string, data string) { return r.Names(), r.data }

// errPacked is the error of a packed form that does not hold together.
var errPacked = errors.New("attribute values: malformed packed form")

// RecordFromPacked rebuilds a record from the parts [Record.Packed] returned, checking them
// entirely: a corrupt input is an error, never a panic on a later read. names must be sorted and
// distinct; set, when not nil, is the shared set of those names (a reader that decodes many
// records with the same names looks it up once).
func RecordFromPacked(names []string, set *NameSet, data string) (Record, error) {
	n := len(names)
	if n == 0 {
		if data != "" {
			return Record{}, errPacked
		}
		return Record{}, nil
	}
	for i := 1; i < n; i++ {
		if names[i-1] >= names[i] {
			return Record{}, fmt.Errorf("attribute names not in order: %q after %q", names[i], names[i-1])
		}
	}
	if len(data) < 1 {
		return Record{}, errPacked
	}
	w := int(data[0])
	if (w != offsetsNarrow && w != offsetsWide) || len(data) < 1+n*w {
		return Record{}, errPacked
	}
	base := 1 + n*w
	prev := 0
	for j := range n {
		var e int
		if w == offsetsNarrow {
			e = int(le16(data, 1+j*w))
		} else {
			e = int(le32(data, 1+j*w))
		}
		if e <= prev || base+e > len(data) {
			return Record{}, errPacked
		}
		v := data[base+prev : base+e]
		switch v[0] {
		case recNil, recFalse, recTrue:
			if len(v) != 1 {
				return Record{}, errPacked
			}
		case recInt, recFloat:
			if len(v) != 9 {
				return Record{}, errPacked
			}
		case recString:
		default:
			return Record{}, errPacked
		}
		prev = e
	}
	if base+prev != len(data) {
		return Record{}, errPacked
	}
	if set == nil || !slices.Equal(set.names, names) {
		set = NameSetOf(names)
	}
	return Record{names: set, data: data}, nil
}

// Getter reads attribute values by name: [Attrs] (a mutable map) and [Record] (the compact form
// features keep) both are one, so that rules read either.
type Getter interface {
	Get(name string) (any, bool)
	Value(name string) any // nil when missing
	String(name string) string
}

// Get returns the value of attribute name and whether a has it.
func (a Attrs) Get(name string) (any, bool) {
	v, ok := a[name]
	return v, ok
}

// Value returns the value of attribute name, nil when a does not have it.
func (a Attrs) Value(name string) any { return a[name] }

// Little-endian reads from a string, without converting it to bytes.
func le16(s string, i int) uint16 { return uint16(s[i]) | uint16(s[i+1])<<8 }

func le32(s string, i int) uint32 { return uint32(le16(s, i)) | uint32(le16(s, i+2))<<16 }

func le64(s string, i int) uint64 { return uint64(le32(s, i)) | uint64(le32(s, i+4))<<32 }

// With returns a copy of r in which attribute name has value v (added when r lacks it).
func (r Record) With(name string, v any) Record {
	m := r.Map()
	m[name] = v
	return m.Record()
}

// ValueKind is the kind of an attribute value.
type ValueKind uint8

// Value kinds.
const (
	KindNull ValueKind = iota
	KindBool
	KindInt
	KindFloat
	KindText
)

// Scalar is one attribute value read without boxing it: Bits holds a bool (0 or 1), an int64
// (two's complement) or a float64 (IEEE 754 bits); Text holds text, sharing the record's memory.
type Scalar struct {
	Kind ValueKind
	Bits uint64
	Text string
}

// NameSet returns the set of the record's names, shared with the records that have the same
// names (nil for a record without attributes). Readers that read the same names from many
// records look their positions up once per set ([NameSet.Index]) and read by position ([At]).
func (r Record) NameSet() *NameSet { return r.names }

// Index returns the position of name in the set, or -1.
func (s *NameSet) Index(name string) int { return s.find(name) }

// At returns the value at position i of the record's name set (0 ≤ i < Len).
func (r Record) At(i int) Scalar {
	s := r.span(i)
	switch s[0] {
	case recFalse:
		return Scalar{Kind: KindBool}
	case recTrue:
		return Scalar{Kind: KindBool, Bits: 1}
	case recInt:
		return Scalar{Kind: KindInt, Bits: le64(s, 1)}
	case recFloat:
		return Scalar{Kind: KindFloat, Bits: le64(s, 1)}
	case recString:
		return Scalar{Kind: KindText, Text: s[1:]}
	}
	return Scalar{}
}
