package spatial

import (
	"slices"
	"strings"
)

// The ledger (一宗一策) of a parcel is kept in its attributes under the conventional codes
// (docs/domain.md §7). LedgerFields lists them with their types: dates are ISO calendar dates,
// the disposal state one of [DisposalStates].
var LedgerFields = []Field{
	{Name: "XCYY", Type: FieldString, Alias: "形成原因"},
	{Name: "CZCS", Type: FieldString, Alias: "处置措施"},
	{Name: "WCSX", Type: FieldDate, Alias: "完成时限"},
	{Name: "ZRDW", Type: FieldString, Alias: "责任单位"},
	{Name: "ZRR", Type: FieldString, Alias: "责任人"},
	{Name: "CZZT", Type: FieldString, Alias: "处置状态"},
	{Name: "XHRQ", Type: FieldDate, Alias: "销号日期"},
}

// DateFields are the conventional date attributes of parcels: supply, agreed and actual start,
// completion and production, stop and approval dates, and the ledger's dates.
var DateFields = []string{"GDRQ", "YDDGRQ", "SJDGRQ", "YDJGRQ", "SJJGRQ", "YDTCRQ", "SJTCRQ", "TGRQ", "PZRQ", "WCSX", "XHRQ"}

// Disposal states (处置状态) of the workflow, in order.
const (
	StateNotStarted = "未启动"
	StateInProgress = "处置中"
	StateToVerify   = "待核验"
	StateClosed     = "已销号"
)

// DisposalStates lists the disposal states in workflow order.
var DisposalStates = []string{StateNotStarted, StateInProgress, StateToVerify, StateClosed}

// NextStates returns the states a parcel in state from may move to (an empty state is
// 未启动): 未启动 → 处置中 → 待核验 → 已销号; 待核验 → 处置中 (returned after review);
// 已销号 → 处置中 (reopened). It returns nil for an unknown state.
func NextStates(from string) []string {
	switch strings.TrimSpace(from) {
	case "", StateNotStarted:
		return []string{StateInProgress}
	case StateInProgress:
		return []string{StateToVerify}
	case StateToVerify:
		return []string{StateInProgress, StateClosed}
	case StateClosed:
		return []string{StateInProgress}
	}
	return nil
}

// TransitionNeedsReason reports whether moving from one state to another must give a reason:
// returning a parcel after review and reopening a closed one.
func TransitionNeedsReason(from, to string) bool {
	return to == StateInProgress && (from == StateToVerify || from == StateClosed)
}

// IsLedgerField reports whether name is one of [LedgerFields].
func IsLedgerField(name string) bool {
	return slices.ContainsFunc(LedgerFields, func(f Field) bool { return f.Name == name })
}

// IsDateField reports whether name is one of [DateFields].
func IsDateField(name string) bool { return slices.Contains(DateFields, name) }
