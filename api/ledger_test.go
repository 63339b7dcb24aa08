package api

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/fixtures"
)

// Acceptance tests of the parcel ledger (一宗一策): a parcel is its code; its ledger fields,
// history and evidence follow the code across imports, and the disposal workflow is enforced.

// parcelPath is the path of the parcel with code in layer, below /api/layers.
func parcelPath(layer, code string) string {
	return "/api/layers/" + layer + "/parcels/" + url.PathEscape(code)
}

// patchParcel sends a JSON merge patch of a parcel's ledger with key (and a reason, when given).
func (ts *testServer) patchParcel(layer, code, key, patch, reason string) response {
	ts.t.Helper()
	p := parcelPath(layer, code)
	if reason != "" {
		p += "?reason=" + url.QueryEscape(reason)
	}
	return ts.do("PATCH", p, "application/merge-patch+json", key, strings.NewReader(patch))
}

// mustPatch is patchParcel that fails the test unless the patch is accepted.
func (ts *testServer) mustPatch(layer, code, key, patch, reason string) {
	ts.t.Helper()
	if r := ts.patchParcel(layer, code, key, patch, reason); r.status != 200 {
		ts.t.Fatalf("PATCH %s %s = %d %s", code, patch, r.status, r.body)
	}
}

// parcelJSON returns GET …/parcels/{code} decoded, failing the test unless it answers 200.
func (ts *testServer) parcelJSON(layer, code string) map[string]any {
	ts.t.Helper()
	r := ts.get(parcelPath(layer, code))
	if r.status != 200 {
		ts.t.Fatalf("GET parcel %s = %d %s", code, r.status, r.body)
	}
	return r.json(ts.t)
}

// historyJSON returns the history entries of the parcel with code.
func (ts *testServer) historyJSON(layer, code string) []any {
	ts.t.Helper()
	r := ts.get(parcelPath(layer, code) + "/history")
	if r.status != 200 {
		ts.t.Fatalf("GET history %s = %d %s", code, r.status, r.body)
	}
	return r.json(ts.t)["changes"].([]any)
}

// parcelState is everything a client can read of a parcel — the parcel, its history, its
// evidence list — and the store's summary, to check that a refused write changed nothing.
func (ts *testServer) parcelState(layer, code string) string {
	ts.t.Helper()
	var b strings.Builder
	for _, p := range []string{parcelPath(layer, code), parcelPath(layer, code) + "/history", parcelPath(layer, code) + "/evidence", "/api/layers/" + layer + "/changes"} {
		r := ts.get(p)
		var m map[string]any
		if err := json.Unmarshal(r.body, &m); err != nil {
			ts.t.Fatalf("GET %s: %v", p, err)
		}
		delete(m, "request_id") // differs on every request
		body, _ := json.Marshal(m)
		fmt.Fprintf(&b, "%s → %d %s\n", p, r.status, body)
	}
	b.WriteString(ts.storeState())
	return b.String()
}

// ledgerFields are the ledger's attributes (一宗一策).
var ledgerFields = []string{"XCYY", "CZCS", "WCSX", "ZRDW", "ZRR", "CZZT", "XHRQ"}

// sampleCollection returns the embedded sample county's parcels as GeoJSON features.
func sampleCollection(t *testing.T) []map[string]any {
	t.Helper()
	data, err := fixtures.SampleParcels()
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []map[string]any `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		t.Fatal(err)
	}
	return fc.Features
}

func props(f map[string]any) map[string]any { return f["properties"].(map[string]any) }

func codeOf(f map[string]any) string { return props(f)["DKBH"].(string) }

// encodeCollection writes features as a GeoJSON FeatureCollection whose feature ids are their
// positions (so that the file's ids never match the parcels' ids in mudi).
func encodeCollection(t *testing.T, fs []map[string]any) string {
	t.Helper()
	for i, f := range fs {
		f["id"] = i + 1
	}
	b, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": fs})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// storedIDs returns the code → feature id map of a layer as stored.
func (ts *testServer) storedIDs(layer string) map[string]float64 {
	ts.t.Helper()
	_, fs, err := ts.db.LoadLayer(ts.t.Context(), layer)
	if err != nil {
		ts.t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fs {
		if c := f.Attrs.String("DKBH"); c != "" {
			out[c] = float64(f.ID)
		}
	}
	return out
}

func sortedStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	slices.Sort(out)
	return out
}

// TestReplaceKeepsTheLedgerByCode replaces the sample county with itself shuffled, three parcels
// removed, two added and one reshaped, and one owner renamed in the file. Every parcel keeps
// its id, ledger and history by its code; the report lists exactly what changed; the removed
// parcels stay readable as archived, and one of them comes back whole when its code is imported
// again.
func TestReplaceKeepsTheLedgerByCode(t *testing.T) {
	ts := newTestServerWith(t, func(c *Config, _ *app.Config) { c.MaxBodyBytes = 64 << 20 })
	ts.loadSample()
	all := sampleCollection(t)
	if len(all) != 3000 {
		t.Fatalf("sample has %d parcels, want 3000", len(all))
	}
	idsBefore := ts.storedIDs("parcels")
	if len(idsBefore) != 3000 {
		t.Fatalf("%d coded parcels stored, want 3000", len(idsBefore))
	}

	// Parcels not yet started (CZZT empty or 未启动), one per role, taken in file order from
	// well-separated places.
	used := map[int]bool{}
	pick := func(from int) int {
		for i := from; i < len(all); i++ {
			if s, _ := props(all[i])["CZZT"].(string); (s == "" || s == "未启动") && !used[i] {
				used[i] = true
				return i
			}
		}
		t.Fatalf("no parcel not started after %d", from)
		return -1
	}
	removedIx := []int{pick(100), pick(1100), pick(2100)}
	reshapedIx, renamedIx, keptIx, closedIx := pick(400), pick(500), pick(600), pick(700)
	code := func(i int) string { return codeOf(all[i]) }
	removedCodes := []string{code(removedIx[0]), code(removedIx[1]), code(removedIx[2])}
	slices.Sort(removedCodes)

	// Ledger and history on the parcels: one to be removed, the reshaped one, the renamed one,
	// one kept as is, one closed off by a second reviewer.
	type step struct {
		ix            int
		key, patch, r string
	}
	steps := []step{
		{removedIx[0], editorKey, `{"CZZT":"处置中","ZRR":"王五","WCSX":"2027-03-31","CZCS":"收回"}`, "2026年排摸"},
		{removedIx[0], editorKey, `{"CZZT":"待核验"}`, ""},
		{reshapedIx, editorKey, `{"CZZT":"处置中","ZRDW":"衢江区经信局","XCYY":"资金链断裂"}`, "列入清单"},
		{renamedIx, reviewerKey, `{"ZRR":"赵六","WCSX":"2027-12-31"}`, ""},
		{keptIx, editorKey, `{"CZZT":"处置中"}`, ""},
		{keptIx, editorKey, `{"CZZT":"待核验","CZCS":"盘活利用"}`, "已签约"},
		{closedIx, editorKey, `{"CZZT":"处置中"}`, ""},
		{closedIx, reviewerKey, `{"CZZT":"待核验"}`, ""},
		{closedIx, reviewer2Key, `{"CZZT":"已销号"}`, "现场核验通过"},
	}
	for _, s := range steps {
		ts.mustPatch("parcels", code(s.ix), s.key, s.patch, s.r)
	}
	watched := append(slices.Clone(removedIx), reshapedIx, renamedIx, keptIx, closedIx)
	type state struct {
		id      float64
		ledger  map[string]any
		history []any
	}
	before := map[string]state{}
	for _, i := range watched {
		p := ts.parcelJSON("parcels", code(i))
		ledger := map[string]any{}
		for _, k := range ledgerFields {
			ledger[k] = p["properties"].(map[string]any)[k]
		}
		before[code(i)] = state{p["id"].(float64), ledger, ts.historyJSON("parcels", code(i))}
	}
	// The edits are there before the replace (a check of the set-up).
	if l := before[code(closedIx)].ledger; l["CZZT"] != "已销号" || l["XHRQ"] != "2026-11-21" {
		t.Fatalf("closed parcel's ledger = %v", l)
	}
	if n := len(before[code(removedIx[0])].history); n != 5 {
		t.Fatalf("history of the parcel to remove has %d entries, want 5: %v", n, before[code(removedIx[0])].history)
	}

	// The new file: the same county shuffled, three removed, two added, one reshaped, one
	// owner renamed. The file's ledger values are the sample's, older than mudi's.
	var next []map[string]any
	for i, f := range all {
		if !slices.Contains(removedIx, i) {
			next = append(next, f)
		}
	}
	geom := all[reshapedIx]["geometry"].(map[string]any)
	ring := geom["coordinates"].([]any)[0].([]any)
	p0 := ring[0].([]any)
	moved := []any{p0[0].(float64) - 0.0002, p0[1].(float64) - 0.0001}
	ring[0], ring[len(ring)-1] = moved, moved
	oldOwner := props(all[renamedIx])["QLR"]
	props(all[renamedIx])["QLR"] = "衢州新主人有限公司"
	added := []string{"QJ2026-90001", "QJ2026-90002"}
	for i, c := range added {
		var f map[string]any
		if err := json.Unmarshal([]byte(feature(square(118.95+0.002*float64(i), 28.99, 0.001), `{"DKBH":"`+c+`","QLR":"新增企业","CZZT":"未启动"}`)), &f); err != nil {
			t.Fatal(err)
		}
		next = append(next, f)
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	rng.Shuffle(len(next), func(i, j int) { next[i], next[j] = next[j], next[i] })
	body := encodeCollection(t, next)

	r := ts.do("PUT", "/api/layers/parcels", "application/geo+json", testKey, strings.NewReader(body))
	if r.status != 200 {
		t.Fatalf("replace = %d %s", r.status, r.body)
	}
	answer := r.json(t)
	ch := answer["changes"].(map[string]any)
	wantLists := map[string][]string{
		"added":    added,
		"removed":  removedCodes,
		"reshaped": {code(reshapedIx)},
		"changed":  {code(renamedIx)},
	}
	for k, want := range wantLists {
		if got := sortedStrings(ch[k]); !slices.Equal(got, want) {
			t.Errorf("changes.%s = %v, want %v", k, got, want)
		}
	}
	// Version 1 was the import, 2–10 the nine edits.
	if ch["version"] != 11.0 || ch["actor"] != "admin" || ch["uncoded"] != 0.0 {
		t.Errorf("changes = %v", ch)
	}
	if n := answer["layer"].(map[string]any)["feature_count"]; n != 2999.0 {
		t.Errorf("feature_count = %v, want 2999", n)
	}

	// Every kept code has its id; the added ones have new ids above every id used before.
	idsAfter := ts.storedIDs("parcels")
	for c, id := range idsBefore {
		if slices.Contains(removedCodes, c) {
			if _, ok := idsAfter[c]; ok {
				t.Errorf("removed code %s still in the layer", c)
			}
			continue
		}
		if idsAfter[c] != id {
			t.Errorf("code %s: id %v after the replace, was %v", c, idsAfter[c], id)
		}
	}
	if got := []float64{idsAfter[added[0]], idsAfter[added[1]]}; !(slices.Contains(got, 3001) && slices.Contains(got, 3002)) {
		t.Errorf("ids of the added parcels = %v, want 3001 and 3002", got)
	}

	// Ledgers and histories follow the codes.
	for _, i := range watched {
		c := code(i)
		p := ts.parcelJSON("parcels", c)
		b := before[c]
		if p["id"] != b.id {
			t.Errorf("%s: id %v, was %v", c, p["id"], b.id)
		}
		for _, k := range ledgerFields {
			if got := p["properties"].(map[string]any)[k]; got != b.ledger[k] {
				t.Errorf("%s: %s = %v after the replace, was %v", c, k, got, b.ledger[k])
			}
		}
		archived := slices.Contains(removedCodes, c)
		if p["archived"] != archived {
			t.Errorf("%s: archived = %v, want %v", c, p["archived"], archived)
		}
		h := ts.historyJSON("parcels", c)
		if len(h) < len(b.history) || !jsonEqual(h[:len(b.history)], b.history) {
			t.Errorf("%s: history lost entries:\n got %v\nwant %v first", c, h, b.history)
			continue
		}
		extra := h[len(b.history):]
		var got []string
		for _, e := range extra {
			m := e.(map[string]any)
			got = append(got, fmt.Sprintf("%v %v→%v by %v v%v", m["key"], m["before"], m["after"], m["actor"], m["version"]))
		}
		var want []string
		switch i {
		case reshapedIx:
			m := extra[0].(map[string]any)
			want = []string{fmt.Sprintf("geometry %v→%v by admin v11", m["before"], m["after"])}
			if m["before"] == m["after"] {
				t.Errorf("%s: geometry entry keeps the area %v", c, m["before"])
			}
		case renamedIx:
			want = []string{fmt.Sprintf("QLR %v→衢州新主人有限公司 by admin v11", oldOwner)}
		}
		if strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Errorf("%s: history entries added by the replace = %v, want %v", c, got, want)
		}
	}

	// The removed parcels are archived: readable, with no next states.
	for _, c := range removedCodes {
		p := ts.parcelJSON("parcels", c)
		if p["archived"] != true || p["archived_version"] != 11.0 || len(p["next_states"].([]any)) != 0 {
			t.Errorf("removed %s = archived %v, version %v, next %v", c, p["archived"], p["archived_version"], p["next_states"])
		}
		if h := ts.get(parcelPath("parcels", c) + "/history").json(t); h["archived"] != true || h["feature"] != before[c].id {
			t.Errorf("history of removed %s = %v", c, h)
		}
	}

	// The layer's change log has the replace.
	log := ts.get("/api/layers/parcels/changes").json(t)["changes"].([]any)
	if len(log) != 1 {
		t.Fatalf("change log = %v", log)
	}
	if !jsonEqual(log[0], ch) {
		t.Errorf("change log entry = %v, want the replace answer's %v", log[0], ch)
	}

	// Importing a removed code again brings back its id, ledger and history.
	back := all[removedIx[0]]
	c := code(removedIx[0])
	r = ts.do("PUT", "/api/layers/parcels", "application/geo+json", testKey, strings.NewReader(encodeCollection(t, append(next, back))))
	if r.status != 200 {
		t.Fatalf("second replace = %d %s", r.status, r.body)
	}
	ch2 := r.json(t)["changes"].(map[string]any)
	if got := sortedStrings(ch2["added"]); !slices.Equal(got, []string{c}) {
		t.Errorf("second replace: added = %v, want [%s]", got, c)
	}
	for _, k := range []string{"removed", "reshaped", "changed"} {
		if got := sortedStrings(ch2[k]); len(got) != 0 {
			t.Errorf("second replace: %s = %v, want none", k, got)
		}
	}
	p := ts.parcelJSON("parcels", c)
	if p["archived"] != false || p["id"] != before[c].id || p["state"] != "待核验" {
		t.Errorf("returned parcel: archived %v, id %v (was %v), state %v", p["archived"], p["id"], before[c].id, p["state"])
	}
	for _, k := range ledgerFields {
		if got := p["properties"].(map[string]any)[k]; got != before[c].ledger[k] {
			t.Errorf("returned parcel: %s = %v, was %v", k, got, before[c].ledger[k])
		}
	}
	if h := ts.historyJSON("parcels", c); !jsonEqual(h, before[c].history) {
		t.Errorf("returned parcel's history:\n got %v\nwant %v", h, before[c].history)
	}
	if n := len(ts.get("/api/layers/parcels/changes").json(t)["changes"].([]any)); n != 2 {
		t.Errorf("change log has %d entries, want 2", n)
	}
	// The returned parcel's ledger goes on: a second reviewer may close it off.
	ts.mustPatch("parcels", c, reviewer2Key, `{"CZZT":"已销号"}`, "")
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// Duplicate and missing codes are problems of the import, named by their record in the file:
// leniently a duplicate is left out (two parcels are never merged) and a parcel without a code
// is kept without an identity; with strict=true either refuses the whole file.
func TestReplaceWithDuplicateAndMissingCodes(t *testing.T) {
	ts := newTestServer(t)
	if r := ts.upload("/api/layers?id=parcels", parcelsGeoJSON); r.status != 201 {
		t.Fatal(r.status, string(r.body))
	}
	ts.mustPatch("parcels", "KC-002", editorKey, `{"CZZT":"处置中","ZRR":"钱七"}`, "")
	bowTie := `[[118.88,28.94],[118.881,28.941],[118.881,28.94],[118.88,28.941],[118.88,28.94]]`
	file := collection(
		feature(square(118.87, 28.94, 0.001), `{"DKBH":"KC-001"}`),            // record 0
		feature(bowTie, `{"DKBH":"KC-009"}`),                                  // 1: invalid, skipped
		feature(square(118.871, 28.94, 0.001), `{"DKBH":"KC-002","QLR":"乙"}`), // 2
		feature(square(118.95, 28.95, 0.001), `{"DKBH":"KC-002","QLR":"假"}`),  // 3: duplicate
		feature(square(118.96, 28.95, 0.001), `{"QLR":"无编号"}`),                // 4: no code
		feature(square(118.9, 28.96, 0.002), `{"DKBH":" KC-003 "}`),           // 5: code with blanks
	)

	// strict=true: refused, nothing changed.
	before := ts.parcelState("parcels", "KC-002")
	for _, f := range []string{
		collection(feature(square(118.87, 28.94, 0.001), `{"DKBH":"KC-001"}`), feature(square(118.871, 28.94, 0.001), `{"DKBH":"KC-001"}`)),
		collection(feature(square(118.87, 28.94, 0.001), `{"DKBH":"KC-001"}`), feature(square(118.871, 28.94, 0.001), `{"QLR":"无编号"}`)),
	} {
		r := ts.do("PUT", "/api/layers/parcels?strict=true", "application/geo+json", testKey, strings.NewReader(f))
		if r.status != 400 || r.header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("strict replace = %d %s", r.status, r.body)
		}
		errs := r.json(t)["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["feature"] != 1.0 || !strings.Contains(errs[0].(map[string]any)["reason"].(string), "DKBH") {
			t.Errorf("strict problems = %v", errs)
		}
		if after := ts.parcelState("parcels", "KC-002"); after != before {
			t.Errorf("strict replace changed the store:\n%s\n→\n%s", before, after)
		}
	}

	// Lenient: the duplicate is left out, reported with its record index.
	r := ts.do("PUT", "/api/layers/parcels", "application/geo+json", testKey, strings.NewReader(file))
	if r.status != 200 {
		t.Fatalf("replace = %d %s", r.status, r.body)
	}
	m := r.json(t)
	var got []string
	for _, p := range m["problems"].([]any) {
		p := p.(map[string]any)
		got = append(got, fmt.Sprintf("%v: %v", p["feature"], p["reason"]))
	}
	if len(got) != 3 || !strings.HasPrefix(got[0], "1: ") || !strings.HasPrefix(got[1], "3: duplicate parcel code DKBH=\"KC-002\" (also feature 2)") ||
		!strings.HasPrefix(got[2], "4: no parcel code (DKBH)") {
		t.Errorf("problems:\n%s", strings.Join(got, "\n"))
	}
	if m["skipped"] != 2.0 || m["layer"].(map[string]any)["feature_count"] != 4.0 {
		t.Errorf("skipped %v, feature_count %v; want 2 and 4", m["skipped"], m["layer"].(map[string]any)["feature_count"])
	}
	ch := m["changes"].(map[string]any)
	if ch["uncoded"] != 1.0 || len(ch["added"].([]any)) != 0 || len(ch["removed"].([]any)) != 0 || !slices.Equal(sortedStrings(ch["changed"]), []string{"KC-001", "KC-002", "KC-003"}) {
		t.Errorf("changes = %v", ch)
	}
	// KC-002 is the first record with its code, with its ledger.
	p := ts.parcelJSON("parcels", "KC-002")
	props := p["properties"].(map[string]any)
	if p["id"] != 2.0 || props["QLR"] != "乙" || props["ZRR"] != "钱七" || props["CZZT"] != "处置中" {
		t.Errorf("KC-002 = id %v, %v", p["id"], props)
	}
	if p := ts.parcelJSON("parcels", "KC-003"); p["id"] != 3.0 {
		t.Errorf("KC-003 (code with blanks in the file) = id %v, want 3", p["id"])
	}
}

// Every refused ledger edit is a problem naming the field and changes nothing: not the
// parcel, not its history, not the layer.
func TestLedgerWorkflowErrors(t *testing.T) {
	ts := newTestServer(t)
	if r := ts.upload("/api/layers?id=parcels", parcelsGeoJSON); r.status != 201 {
		t.Fatal(r.status, string(r.body))
	}
	type refusal struct {
		name, key, patch, reason string
		status                   int
		param                    string
		detail                   []string // substrings of the detail
	}
	refuse := func(code string, tt refusal) {
		t.Helper()
		before := ts.parcelState("parcels", code)
		r := ts.patchParcel("parcels", code, tt.key, tt.patch, tt.reason)
		if r.status != tt.status || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s, want %d", tt.name, r.status, r.body, tt.status)
			return
		}
		p := r.json(t)
		if param, _ := p["param"].(string); param != tt.param {
			t.Errorf("%s: param = %v, want %s", tt.name, p["param"], tt.param)
		}
		for _, s := range tt.detail {
			if d, _ := p["detail"].(string); !strings.Contains(d, s) {
				t.Errorf("%s: detail %q does not name %q", tt.name, d, s)
			}
		}
		if after := ts.parcelState("parcels", code); after != before {
			t.Errorf("%s changed the parcel:\n%s\n→\n%s", tt.name, before, after)
		}
	}
	ok := func(code, key, patch, reason string) { t.Helper(); ts.mustPatch("parcels", code, key, patch, reason) }

	// KC-001 starts with no state: 未启动.
	refuse("KC-001", refusal{"未启动→已销号", reviewerKey, `{"CZZT":"已销号"}`, "", 409, "CZZT", []string{"未启动", "allowed next states: 处置中"}})
	refuse("KC-001", refusal{"未启动→待核验", editorKey, `{"CZZT":"待核验"}`, "", 409, "CZZT", []string{"未启动", "处置中"}})
	refuse("KC-001", refusal{"unknown state", editorKey, `{"CZZT":"已完成"}`, "", 400, "CZZT", []string{"已完成", "未启动, 处置中, 待核验, 已销号"}})
	refuse("KC-001", refusal{"state not a string", editorKey, `{"CZZT":2}`, "", 400, "CZZT", nil})
	refuse("KC-001", refusal{"removing the state", editorKey, `{"CZZT":null}`, "", 400, "CZZT", nil})
	ok("KC-001", editorKey, `{"CZZT":"处置中","ZRDW":"柯城区经信局"}`, "列入清单")
	refuse("KC-001", refusal{"处置中→已销号", reviewerKey, `{"CZZT":"已销号"}`, "", 409, "CZZT", []string{"处置中", "allowed next states: 待核验"}})
	refuse("KC-001", refusal{"处置中→未启动", editorKey, `{"CZZT":"未启动"}`, "", 409, "CZZT", []string{"处置中", "待核验"}})
	for _, v := range []string{`"下个月"`, `"2027-13-01"`, `"2027-02-30"`, `"2027/06/30"`, `20270630`, `true`} {
		refuse("KC-001", refusal{"WCSX " + v, editorKey, `{"ZRR":"孙八","WCSX":` + v + `}`, "", 400, "WCSX", []string{"YYYY-MM-DD"}})
	}
	refuse("KC-001", refusal{"editing XHRQ", reviewerKey, `{"XHRQ":"2026-11-01"}`, "", 400, "XHRQ", nil})
	refuse("KC-001", refusal{"editing XHRQ with a state", testKey, `{"ZRR":"孙八","XHRQ":"2026-11-01"}`, "", 400, "XHRQ", nil})
	// A reviewer may submit (an editor's move); the same reviewer may not then close it off.
	ok("KC-001", reviewerKey, `{"CZZT":"待核验"}`, "")
	refuse("KC-001", refusal{"editor closing off", editorKey, `{"CZZT":"已销号"}`, "", 403, "CZZT", []string{"reviewer", "zhang-editor"}})
	refuse("KC-001", refusal{"self-approved close-off", reviewerKey, `{"CZZT":"已销号"}`, "", 403, "CZZT", []string{"li-reviewer", "another reviewer"}})
	refuse("KC-001", refusal{"returning without a reason", reviewer2Key, `{"CZZT":"处置中"}`, "", 400, "reason", []string{"待核验", "处置中"}})
	refuse("KC-001", refusal{"returning with a blank reason", reviewer2Key, `{"CZZT":"处置中"}`, "   ", 400, "reason", nil})
	ok("KC-001", reviewer2Key, `{"CZZT":"已销号"}`, "")
	if p := ts.parcelJSON("parcels", "KC-001")["properties"].(map[string]any); p["XHRQ"] != "2026-11-21" {
		t.Errorf("close-off date = %v, want 2026-11-21", p["XHRQ"])
	}
	refuse("KC-001", refusal{"removing XHRQ", testKey, `{"XHRQ":null}`, "", 400, "XHRQ", nil})
	refuse("KC-001", refusal{"reopening without a reason", testKey, `{"CZZT":"处置中"}`, "", 400, "reason", []string{"已销号", "处置中"}})
	refuse("KC-001", refusal{"已销号→待核验", testKey, `{"CZZT":"待核验"}`, "", 409, "CZZT", []string{"已销号", "allowed next states: 处置中"}})
	ok("KC-001", testKey, `{"CZZT":"处置中"}`, "复查发现未完成整改")
	if p := ts.parcelJSON("parcels", "KC-001")["properties"].(map[string]any); p["XHRQ"] != nil || p["CZZT"] != "处置中" {
		t.Errorf("after reopening: CZZT %v, XHRQ %v", p["CZZT"], p["XHRQ"])
	}

	// An archived parcel (removed by a replace) can be read, not edited.
	if r := ts.do("PUT", "/api/layers/parcels", "application/geo+json", testKey, strings.NewReader(collection(
		feature(square(118.87, 28.94, 0.001), `{"DKBH":"KC-001"}`), feature(square(118.871, 28.94, 0.001), `{"DKBH":"KC-002"}`)))); r.status != 200 {
		t.Fatalf("replace = %d %s", r.status, r.body)
	}
	refuse("KC-003", refusal{"editing an archived parcel", testKey, `{"ZRR":"周九"}`, "", 409, "", []string{"KC-003", "version 6"}})
	refuse("KC-003", refusal{"moving an archived parcel", editorKey, `{"CZZT":"处置中"}`, "", 409, "", nil})
}
