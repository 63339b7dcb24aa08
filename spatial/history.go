package spatial

import "time"

// Change is one entry of a feature's append-only history (the 一宗一策 ledger): at Time, the
// attribute Key changed from Before to After. A nil Before means the attribute was added; a nil
// After with Removed set means it was removed.
type Change struct {
	Seq     uint64    `json:"seq"` // position in the feature's history, from 1
	Time    time.Time `json:"time"`
	Key     string    `json:"key"`
	Before  any       `json:"before"`
	After   any       `json:"after"`
	Removed bool      `json:"removed,omitempty"`
	Actor   string    `json:"actor,omitempty"`  // who made the change (API key name), if known
	Reason  string    `json:"reason,omitempty"` // why, as the editor gave it
	// Version is the layer version the change made (an edit, or the import that brought it).
	Version uint64 `json:"version,omitempty"`
}
