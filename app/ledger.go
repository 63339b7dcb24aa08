package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
	"github.com/mudi-gis/mudi/store"
)

// codeField returns the field that holds the parcels' codes in layer l.
func codeField(l *spatial.Layer) (string, bool) {
	if l.Kind != spatial.KindParcels {
		return "", false
	}
	return l.Role(spatial.RoleCode)
}

// parcelCode returns f's code in layer l ("" when it has none).
func parcelCode(l *spatial.Layer, f *spatial.Feature) string {
	field, ok := codeField(l)
	if !ok {
		return ""
	}
	return strings.TrimSpace(f.Attrs.String(field))
}

// codes caches, per layer, the code → id map of its current snapshot.
type codes struct {
	mu sync.Mutex
	m  map[string]codeIndex
}

type codeIndex struct {
	sn  *spatial.Snapshot
	ids map[string]spatial.FeatureID
}

func (c *codes) lookup(sn *spatial.Snapshot, code string) (spatial.FeatureID, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ix, ok := c.m[sn.Layer.ID]
	if !ok || ix.sn != sn {
		ix = codeIndex{sn: sn, ids: make(map[string]spatial.FeatureID, sn.Len())}
		for _, f := range sn.Features() {
			if k := parcelCode(&sn.Layer, f); k != "" {
				ix.ids[k] = f.ID
			}
		}
		if c.m == nil {
			c.m = map[string]codeIndex{}
		}
		c.m[sn.Layer.ID] = ix
	}
	id, found := ix.ids[code]
	return id, found
}

// Parcel is a parcel found by its code: live in the current snapshot, or archived (removed by
// a replace, its ledger still readable).
type Parcel struct {
	Layer    *spatial.Snapshot
	Feature  *spatial.Feature
	Code     string
	Archived *store.Archived // nil for a live parcel
}

// ParcelByCode returns the parcel of layer with code.
func (a *App) ParcelByCode(layer, code string) (*Parcel, error) {
	sn, err := a.Layer(layer)
	if err != nil {
		return nil, err
	}
	if _, ok := codeField(&sn.Layer); !ok {
		return nil, invalid("code", "layer %s has no code field (role code): its parcels have no codes", layer)
	}
	if id, ok := a.codes.lookup(sn, code); ok {
		return &Parcel{Layer: sn, Feature: sn.Feature(id), Code: code}, nil
	}
	archive, err := a.db.Archive(layer)
	if err != nil {
		return nil, err
	}
	if ar, ok := archive[code]; ok {
		return &Parcel{Layer: sn, Feature: ar.Feature, Code: code, Archived: &ar}, nil
	}
	return nil, notFound("layer %q has no parcel with code %q", layer, code)
}

// ParcelHistory returns the history of the parcel with code, across imports.
func (a *App) ParcelHistory(layer, code string) (*Parcel, []spatial.Change, error) {
	p, err := a.ParcelByCode(layer, code)
	if err != nil {
		return nil, nil, err
	}
	changes, err := a.db.History(layer, p.Feature.ID)
	return p, changes, err
}

// ReplaceReport tells what a replace of a parcels layer did, by parcel code: parcels added (new
// codes, and archived codes that come back), removed (archived), reshaped (another geometry)
// and changed (other attributes). It is kept as the layer's change log entry of that version.
type ReplaceReport struct {
	Layer    string    `json:"layer"`
	Version  uint64    `json:"version"`
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor,omitempty"`
	File     string    `json:"file,omitempty"`
	Added    []string  `json:"added"`
	Removed  []string  `json:"removed"`
	Reshaped []string  `json:"reshaped"`
	Changed  []string  `json:"changed"`
	Uncoded  int       `json:"uncoded"` // parcels without a code (no identity across imports)
}

// identity is what [App.identify] decided for an import.
type identity struct {
	report    *ReplaceReport
	archive   []store.Archived
	unarchive []string
	history   map[spatial.FeatureID][]spatial.Change
}

// identify gives the features of a parcels layer import their identities by code: a parcel
// whose code the layer had (or has archived) keeps its id — and with it its history and
// evidence — and its ledger fields; a new code gets a new id above every id the layer ever used;
// a parcel without a code gets a new id too (it has no identity across imports). Duplicate or
// missing codes are problems of the import: with strict they reject it, otherwise a duplicate
// is left out (the store never merges two parcels) and a missing code is reported.
// old is the layer's current snapshot (nil on create). It sets l.MaxID.
func (a *App) identify(l *spatial.Layer, imp *spatial.Import, old *spatial.Snapshot, strict bool, actor string, now time.Time) (*identity, error) {
	field, ok := codeField(l)
	maxID := l.MaxID
	if old != nil {
		for _, f := range old.Features() {
			maxID = max(maxID, uint64(f.ID))
		}
	}
	var archived map[string]store.Archived
	if old != nil {
		var err error
		if archived, err = a.db.Archive(l.ID); err != nil {
			return nil, err
		}
		for _, ar := range archived {
			maxID = max(maxID, uint64(ar.Feature.ID))
		}
	}
	if !ok {
		// No codes: fresh ids on replace, so that no old history attaches to a new feature.
		if old != nil {
			for _, f := range imp.Features {
				maxID++
				f.ID = spatial.FeatureID(maxID)
			}
		}
		for _, f := range imp.Features {
			maxID = max(maxID, uint64(f.ID))
		}
		l.MaxID = maxID
		return &identity{}, nil
	}

	source := func(i int) int {
		if i < len(imp.Sources) {
			return imp.Sources[i]
		}
		return i
	}
	var problems []spatial.Problem
	first := map[string]int{}
	kept := imp.Features[:0:0]
	keptSources := []int{}
	for i, f := range imp.Features {
		code := strings.TrimSpace(f.Attrs.String(field))
		switch j, dup := first[code]; {
		case code == "":
			problems = append(problems, spatial.Problem{Index: source(i), Reason: fmt.Sprintf("no parcel code (%s): the parcel has no identity, its ledger cannot follow it across imports", field)})
		case dup:
			problems = append(problems, spatial.Problem{Index: source(i), Reason: fmt.Sprintf("duplicate parcel code %s=%q (also feature %d): left out, two parcels are never merged", field, code, source(j))})
			continue
		default:
			first[code] = i
		}
		kept = append(kept, f)
		keptSources = append(keptSources, source(i))
	}
	if strict && len(problems) > 0 {
		return nil, &spatial.InvalidFeaturesError{Problems: problems, Total: len(problems)}
	}
	imp.Skipped += len(imp.Features) - len(kept)
	imp.Features, imp.Sources = kept, keptSources
	imp.Problems = append(imp.Problems, problems...)

	rep := &ReplaceReport{Layer: l.ID, Version: l.Version, Time: now, Actor: actor,
		Added: []string{}, Removed: []string{}, Reshaped: []string{}, Changed: []string{}}
	id := &identity{report: rep, history: map[spatial.FeatureID][]spatial.Change{}}
	oldByCode := map[string]*spatial.Feature{}
	if old != nil {
		for _, f := range old.Features() {
			if c := parcelCode(&old.Layer, f); c != "" {
				oldByCode[c] = f
			}
		}
	}
	seen := map[string]bool{}
	fields := l.Fields
	for _, f := range imp.Features {
		code := strings.TrimSpace(f.Attrs.String(field))
		if code == "" {
			rep.Uncoded++
			if old != nil {
				maxID++
				f.ID = spatial.FeatureID(maxID)
			}
			continue
		}
		seen[code] = true
		prev := oldByCode[code]
		if prev == nil {
			if ar, ok := archived[code]; ok {
				// An archived parcel comes back: added to the layer, with its id, ledger and
				// history; what the file changes is compared with its archived state.
				prev = ar.Feature
				id.unarchive = append(id.unarchive, code)
				rep.Added = append(rep.Added, code)
			}
		}
		if prev == nil {
			if old != nil {
				maxID++
				f.ID = spatial.FeatureID(maxID)
				rep.Added = append(rep.Added, code)
			}
			continue
		}
		f.ID = prev.ID
		// The ledger is kept by mudi: it follows the parcel; a file's ledger values fill in
		// only what the parcel's ledger does not hold yet.
		var kept spatial.Attrs
		for _, lf := range spatial.LedgerFields {
			if v, ok := prev.Attrs.Get(lf.Name); ok && v != nil {
				if kept == nil {
					kept = f.Attrs.Map()
				}
				kept[lf.Name] = v
				if !hasField(fields, lf.Name) {
					fields = append(slices.Clone(fields), lf)
				}
			}
		}
		if kept != nil {
			f.Attrs = kept.Record()
		}
		var changes []spatial.Change
		if !orb.Equal(prev.Geometry, f.Geometry) {
			rep.Reshaped = append(rep.Reshaped, code)
			changes = append(changes, spatial.Change{Time: now, Key: "geometry", Before: prev.Derived.AreaMu, After: f.Derived.AreaMu, Actor: actor, Version: l.Version, Reason: "import: 图形变化 (面积 亩)"})
		}
		attrChanged := false
		for _, k := range slices.Sorted(maps.Keys(unionKeys(prev.Attrs, f.Attrs))) {
			before, after := prev.Attrs.Value(k), f.Attrs.Value(k)
			if sameAttr(before, after) {
				continue
			}
			attrChanged = true
			changes = append(changes, spatial.Change{Time: now, Key: k, Before: before, After: after, Removed: after == nil && before != nil, Actor: actor, Version: l.Version, Reason: "import"})
		}
		if attrChanged {
			rep.Changed = append(rep.Changed, code)
		}
		if len(changes) > 0 {
			id.history[f.ID] = changes
		}
	}
	l.Fields = fields
	for code, f := range oldByCode {
		if !seen[code] {
			rep.Removed = append(rep.Removed, code)
			id.archive = append(id.archive, store.Archived{Code: code, Feature: f, Version: l.Version, Time: now})
		}
	}
	for _, f := range imp.Features {
		maxID = max(maxID, uint64(f.ID))
	}
	l.MaxID = maxID
	for _, s := range [][]string{rep.Added, rep.Removed, rep.Reshaped, rep.Changed} {
		slices.Sort(s)
	}
	return id, nil
}

// sameAttr reports whether two attribute values are the same: a whole number of a real field
// may be read as an integer from one file and as a real from another (133 or 133.0), and is
// the same value.
func sameAttr(a, b any) bool {
	if a == b {
		return true
	}
	switch x := a.(type) {
	case int64:
		y, ok := b.(float64)
		return ok && float64(x) == y
	case float64:
		y, ok := b.(int64)
		return ok && x == float64(y)
	}
	return false
}

func unionKeys(a, b spatial.Record) map[string]bool {
	m := make(map[string]bool, a.Len()+b.Len())
	for _, k := range a.Names() {
		m[k] = true
	}
	for _, k := range b.Names() {
		m[k] = true
	}
	return m
}

// LayerChanges returns the change log of a layer: what each replace did, oldest first.
func (a *App) LayerChanges(layer string) ([]ReplaceReport, error) {
	if _, err := a.Layer(layer); err != nil {
		return nil, err
	}
	docs, err := a.db.LayerChanges(layer)
	if err != nil {
		return nil, err
	}
	out := make([]ReplaceReport, len(docs))
	for i, d := range docs {
		if err := json.Unmarshal(d, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// today is the calendar date in China of the App's clock.
func (a *App) today() campaign.Date { return campaign.Today(a.cfg.Now()) }

// ledgerEdit checks an edit of parcel f of layer l against the ledger's types and workflow
// (docs/domain.md §7), and completes it: closing off sets XHRQ, reopening clears it.
func (a *App) ledgerEdit(l *spatial.Layer, f *spatial.Feature, e *Edit) error {
	stateField, ok := l.Role(spatial.RoleDisposalState)
	if !ok {
		stateField = "CZZT"
	}
	for k, v := range e.Set {
		if (spatial.IsDateField(k) || fieldType(l.Fields, k) == spatial.FieldDate) && k != "XHRQ" {
			s, isStr := v.(string)
			if _, err := campaign.ParseDate(s); !isStr || err != nil {
				return invalid(k, "%v is not a date: write it as YYYY-MM-DD", v)
			}
		}
	}
	if _, ok := e.Set["XHRQ"]; ok || slices.Contains(e.Remove, "XHRQ") {
		return invalid("XHRQ", "the close-off date is set when the parcel is closed off (%s = %s)", stateField, spatial.StateClosed)
	}
	if slices.Contains(e.Remove, stateField) {
		return invalid(stateField, "the disposal state cannot be removed; move it along the workflow")
	}
	v, ok := e.Set[stateField]
	if !ok {
		return nil
	}
	to, isStr := v.(string)
	if !isStr || !slices.Contains(spatial.DisposalStates, to) {
		return invalid(stateField, "%v is not a disposal state: one of %s", v, strings.Join(spatial.DisposalStates, ", "))
	}
	from := strings.TrimSpace(f.Attrs.String(stateField))
	if from == "" {
		from = spatial.StateNotStarted
	}
	if from == to {
		return nil
	}
	next := spatial.NextStates(from)
	if !slices.Contains(next, to) {
		return &Error{Kind: Conflict, Type: "invalid-transition", Param: stateField,
			Reason: fmt.Sprintf("a parcel in state %s cannot move to %s; allowed next states: %s", from, to, strings.Join(next, ", "))}
	}
	if spatial.TransitionNeedsReason(from, to) && strings.TrimSpace(e.Reason) == "" {
		return invalid("reason", "moving a parcel from %s back to %s needs a reason", from, to)
	}
	switch to {
	case spatial.StateClosed:
		if !e.Actor.Role.Allows(RoleReviewer) {
			return &Error{Kind: Forbidden, Type: "reviewer-required", Param: stateField,
				Reason: fmt.Sprintf("closing a parcel off (%s) needs a reviewer key; key %s is an %s key", spatial.StateClosed, e.Actor.Name, e.Actor.Role)}
		}
		submitter, err := a.submitter(l.ID, f.ID, stateField)
		if err != nil {
			return err
		}
		if submitter != "" && submitter == e.Actor.Name {
			return &Error{Kind: Forbidden, Type: "four-eyes", Param: stateField,
				Reason: fmt.Sprintf("key %s moved this parcel to %s itself: another reviewer must close it off", e.Actor.Name, spatial.StateToVerify)}
		}
		e.Set["XHRQ"] = a.today().String()
	default:
		if from == spatial.StateClosed {
			if f.Attrs.Has("XHRQ") {
				e.Remove = append(e.Remove, "XHRQ")
			}
		}
	}
	return nil
}

// submitter returns the name of the key that last moved parcel id to 待核验.
func (a *App) submitter(layer string, id spatial.FeatureID, stateField string) (string, error) {
	changes, err := a.db.History(layer, id)
	if err != nil {
		return "", err
	}
	for i := len(changes) - 1; i >= 0; i-- {
		if c := changes[i]; c.Key == stateField && c.After == spatial.StateToVerify {
			return c.Actor, nil
		}
	}
	return "", nil
}

func fieldType(fields []spatial.Field, name string) spatial.FieldType {
	for _, f := range fields {
		if f.Name == name {
			return f.Type
		}
	}
	return ""
}

// Evidence limits and kinds.
const DefaultMaxEvidenceBytes = 20 << 20

// evidenceTypes are the accepted kinds of evidence files, by sniffed content type.
var evidenceTypes = map[string]bool{
	"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true,
	"application/pdf": true, "text/plain; charset=utf-8": true,
	"application/msword": true, "application/vnd.ms-excel": true,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         true,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": true,
}

// ErrTooLarge is wrapped by the error for an evidence file over the size limit.
var ErrTooLarge = errors.New("file too large")

// EvidenceFile is a file sent as evidence: its name and content.
type EvidenceFile struct {
	Name string
	Data []byte
}

// checkEvidence returns the content type of an evidence file, or why it is refused: over the
// size limit, empty, or not a kind of evidence.
func (a *App) checkEvidence(f EvidenceFile) (string, error) {
	limit := a.cfg.MaxEvidenceBytes
	if limit <= 0 {
		limit = DefaultMaxEvidenceBytes
	}
	if int64(len(f.Data)) > limit {
		return "", fmt.Errorf("evidence %q: %d bytes, over the limit of %d: %w", f.Name, len(f.Data), limit, ErrTooLarge)
	}
	if len(f.Data) == 0 {
		return "", invalid("file", "the file %q is empty", f.Name)
	}
	ct := sniff(f.Name, f.Data)
	if !evidenceTypes[ct] {
		return "", &Error{Kind: Unsupported, Param: "file", Reason: fmt.Sprintf("file %q is %s: evidence is photos (JPEG, PNG, GIF, WebP), PDF, Office documents or plain text", f.Name, ct)}
	}
	return ct, nil
}

// AddEvidence attaches files to the parcel with code: each file's kind is sniffed from its
// bytes (photos, PDF, Office documents, plain text; executables and anything else are
// refused) and its size limited. The files are stored, each with a history entry, in one
// transaction: all of them or, when one is refused, none. An archived parcel takes no evidence
// (its ledger can be read, not extended).
func (a *App) AddEvidence(ctx context.Context, layer, code string, files []EvidenceFile, actor Actor, reason string) ([]store.Evidence, error) {
	if len(files) == 0 {
		return nil, invalid("file", "no evidence file")
	}
	types := make([]string, len(files))
	for i, f := range files {
		ct, err := a.checkEvidence(f)
		if err != nil {
			return nil, err
		}
		types[i] = ct
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p, err := a.ParcelByCode(layer, code)
	if err != nil {
		return nil, err
	}
	if p.Archived != nil {
		return nil, conflict("archived", "", "parcel %s was removed from layer %s by version %d: its ledger can be read, not extended", code, layer, p.Archived.Version)
	}
	now := a.cfg.Now().UTC()
	out := make([]store.Evidence, len(files))
	changes := make([]spatial.Change, len(files))
	for i, f := range files {
		sum := sha256.Sum256(f.Data)
		out[i] = store.Evidence{Name: f.Name, ContentType: types[i], Size: int64(len(f.Data)), SHA256: hex.EncodeToString(sum[:]), Time: now, Actor: actor.Name}
		changes[i] = spatial.Change{Time: now, Key: "evidence", After: f.Name, Actor: actor.Name, Reason: reason, Version: p.Layer.Layer.Version}
	}
	err = a.commit(ctx, nil, func(tx *store.Tx) error {
		for i, f := range files {
			if err := tx.PutEvidence(layer, code, &out[i], f.Data); err != nil {
				return err
			}
		}
		return tx.AppendHistory(layer, map[spatial.FeatureID][]spatial.Change{p.Feature.ID: changes})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EvidenceList lists the evidence files of the parcel with code.
func (a *App) EvidenceList(layer, code string) ([]store.Evidence, error) {
	if _, err := a.ParcelByCode(layer, code); err != nil {
		return nil, err
	}
	return a.db.EvidenceList(layer, code)
}

// EvidenceFile returns one evidence file of the parcel with code.
func (a *App) EvidenceFile(layer, code, id string) (store.Evidence, []byte, error) {
	if _, err := a.ParcelByCode(layer, code); err != nil {
		return store.Evidence{}, nil, err
	}
	e, data, err := a.db.EvidenceData(layer, code, id)
	if errors.Is(err, store.ErrNotFound) {
		return e, nil, notFound("parcel %q has no evidence %q", code, id)
	}
	return e, data, err
}
