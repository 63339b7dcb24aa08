package api

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestOGCWritesCarryAReason: a Part 4 PATCH that returns a parcel after review (待核验 → 处置中)
// needs a reason, given as ?reason=, and the history keeps it.
func TestOGCWritesCarryAReason(t *testing.T) {
	ts := newSampleServer(t)
	var id uint64
	var code string
	for _, f := range ts.index.Layer("parcels").Features() {
		if f.Attrs.String("CZZT") == "未启动" {
			id, code = uint64(f.ID), f.Attrs.String("DKBH")
			break
		}
	}
	if id == 0 {
		t.Fatal("no parcel in 未启动")
	}
	for _, state := range []string{"处置中", "待核验"} {
		if r := ts.do("PATCH", "/api/layers/parcels/parcels/"+code, "application/merge-patch+json", editorKey,
			strings.NewReader(`{"CZZT":"`+state+`"}`)); r.status != 200 {
			t.Fatalf("move to %s = %d %s", state, r.status, r.body)
		}
	}
	item := fmt.Sprintf("/ogc/collections/parcels/items/%d", id)
	body := `{"properties":{"CZZT":"处置中"}}`
	if r := ts.do("PATCH", item, "application/merge-patch+json", reviewerKey, strings.NewReader(body)); r.status != 400 || r.json(t)["param"] != "reason" {
		t.Fatalf("return without a reason = %d %s, want 400 naming reason", r.status, r.body)
	}
	reason := "材料不全，退回补充"
	if r := ts.do("PATCH", item+"?reason="+url.QueryEscape(reason), "application/merge-patch+json", reviewerKey, strings.NewReader(body)); r.status != 200 {
		t.Fatalf("return with a reason = %d %s", r.status, r.body)
	}
	h := ts.get("/api/layers/parcels/parcels/" + code + "/history").json(t)["changes"].([]any)
	last := h[len(h)-1].(map[string]any)
	if last["key"] != "CZZT" || last["after"] != "处置中" || last["reason"] != reason || last["actor"] != "li-reviewer" {
		t.Errorf("last history entry = %v", last)
	}
}
