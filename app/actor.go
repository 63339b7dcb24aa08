package app

// Role is what an API key may do (docs/design.md, "Keys and roles").
type Role string

// Roles of API keys, from least to most: an editor edits the ledger and imports layers; a
// reviewer can also close parcels off (销号) after review; an admin can also manage layers and
// settings (delete layers, change roles and control layers, set targets) and review.
const (
	RoleReader   Role = "reader" // reads only, where reads are private
	RoleEditor   Role = "editor"
	RoleReviewer Role = "reviewer"
	RoleAdmin    Role = "admin"
)

// ParseRole returns the role named s.
func ParseRole(s string) (Role, bool) {
	switch r := Role(s); r {
	case RoleReader, RoleEditor, RoleReviewer, RoleAdmin:
		return r, true
	}
	return "", false
}

// Allows reports whether a key of role r may act where role need is required.
func (r Role) Allows(need Role) bool {
	switch need {
	case "":
		return true
	case RoleReader:
		return r == RoleReader || r == RoleEditor || r == RoleReviewer || r == RoleAdmin
	case RoleEditor:
		return r == RoleEditor || r == RoleReviewer || r == RoleAdmin
	case RoleReviewer:
		return r == RoleReviewer || r == RoleAdmin
	case RoleAdmin:
		return r == RoleAdmin
	}
	return false
}

// Actor is who asks for a change: an API key's name (never its secret) and role. History
// records the name.
type Actor struct {
	Name string
	Role Role
}
