package auth

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/gridsentry/gridsentry/derrors"
)

// A Role is the job a token holder does. Roles are stored by name in
// api_tokens.role, whose CHECK constraint lists the same names.
type Role string

// The roles, from the narrowest to the widest.
const (
	Clerk       Role = "clerk"        // registration desk: entities and address validation
	Inspector   Role = "inspector"    // field inspector: tasks, inspections, leads
	GridManager Role = "grid_manager" // grid manager of one town: its entities, flags and tasks
	Department  Role = "department"   // officer of one department: the tasks and leads it holds
	Coordinator Role = "coordinator"  // city coordination centre: dispatch, campaigns, review
	GIS         Role = "gis"          // keeper of the standard address library and the maps
	Admin       Role = "admin"        // everything, including tokens and the audit log
)

// Roles lists every role in a fixed order (for usage text, tests and the README).
var Roles = []Role{Clerk, Inspector, GridManager, Department, Coordinator, GIS, Admin}

// ParseRole returns the role named s, or an Invalid error naming the roles.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", derrors.Field("role", "unknown role %q (one of %v)", s, Roles)
	}
	return r, nil
}

// A Principal is the caller a valid token stands for.
type Principal struct {
	TokenID    int64
	Role       Role
	TownCode   string // the 9-digit town the holder is limited to; "" for city-wide
	Department string // the department code the holder acts for; "" for none
}

var (
	townCodeRE   = regexp.MustCompile(`^[0-9]{9}$`)
	departmentRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`) // as departments.code
)

// Validate reports whether p is a principal a token may be issued for: a
// known role, a well-formed town and department, and the scope the role needs
// (a grid manager has a town, a department officer a department, an admin
// neither).
func (p Principal) Validate() error {
	if _, err := ParseRole(string(p.Role)); err != nil {
		return err
	}
	if p.TownCode != "" && !townCodeRE.MatchString(p.TownCode) {
		return derrors.Field("town", "a town code is 9 digits, got %q", p.TownCode)
	}
	if p.Department != "" && !departmentRE.MatchString(p.Department) {
		return derrors.Field("department", "a department code is lower-case letters, digits and _, got %q", p.Department)
	}
	switch {
	case p.Role == GridManager && p.TownCode == "":
		return derrors.Field("town", "a grid_manager token needs a town")
	case p.Role == Department && p.Department == "":
		return derrors.Field("department", "a department token needs a department")
	case p.Role == Admin && (p.TownCode != "" || p.Department != ""):
		return derrors.Field("role", "an admin token is city-wide: give no town or department")
	}
	return nil
}

// Can reports whether p's role holds permission perm.
func (p Principal) Can(perm Permission) bool {
	return slices.Contains(Permissions[p.Role], perm)
}

// Require returns nil when p holds perm and a Forbidden error otherwise.
func (p Principal) Require(perm Permission) error {
	if p.Can(perm) {
		return nil
	}
	return derrors.New(derrors.Forbidden, "a %s token may not %s", p.Role, perm.describe())
}

// CityWide reports whether p sees every town.
func (p Principal) CityWide() bool { return p.TownCode == "" }

// SeesTown reports whether p may see the data of town (a 9-digit town code):
// a city-wide principal sees every town, a town-scoped one only its own.
// Queries apply the same rule in SQL ([Principal.TownFilter]); this is for
// one row already read and for checks before a query.
func (p Principal) SeesTown(town string) bool {
	return p.CityWide() || p.TownCode == town
}

// TownFilter returns the value of a query's town argument, written as
// `($n::text IS NULL OR town_code = $n)`: nil for a city-wide principal, the
// town code otherwise. Passing it as an argument keeps one query text for
// every scope.
func (p Principal) TownFilter() any {
	if p.CityWide() {
		return nil
	}
	return p.TownCode
}

// String names p for logs and the audit trail, never with the secret.
func (p Principal) String() string {
	s := fmt.Sprintf("token %d (%s", p.TokenID, p.Role)
	if p.TownCode != "" {
		s += " town " + p.TownCode
	}
	if p.Department != "" {
		s += " department " + p.Department
	}
	return s + ")"
}
