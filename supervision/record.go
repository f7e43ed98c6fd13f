package supervision

import "time"

// An EntityRecord is an entity as stored: the registration, its link and
// the bookkeeping around them.
type EntityRecord struct {
	Entity
	Link            Link
	LinkedAt        *time.Time // nil: not linked yet
	Version         int        // bumped by every accepted write
	UpdatedAt       time.Time
	LastInspectedAt *time.Time
}
