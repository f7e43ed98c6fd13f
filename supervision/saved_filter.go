package supervision

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of a saved filter's text.
const (
	MaxFilterName        = 100  // characters
	MaxFilterDescription = 2000 // characters
)

// A SavedFilter is an entity filter saved under a name (高级筛选), for its
// list, map layer and export to be run again. Its scope is a town, whose
// tokens alone see it, or the city ("").
type SavedFilter struct {
	ID          int64
	TownCode    string // the scope: "" city-wide, else a 9-digit town code
	Name        string // unique within the scope
	Description string
	// Filter is the entity filter as the API takes it (the JSON object of
	// POST /v1/entities:search without its cursor and limit); the API
	// checks it before it is saved and reads it again at every run.
	Filter    []byte
	CreatedBy string // the principal that saved it first
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int // 1 when created, one more at every change
}

// Validate checks the name, the description and the scope of a filter to
// save; the filter itself is the API's to check.
func (sf *SavedFilter) Validate() error {
	switch n := utf8.RuneCountInString(sf.Name); {
	case strings.TrimSpace(sf.Name) == "":
		return fieldErr("name", "is required: what the screen is called")
	case n > MaxFilterName:
		return fieldErr("name", "has %d characters, more than %d", n, MaxFilterName)
	}
	if n := utf8.RuneCountInString(sf.Description); n > MaxFilterDescription {
		return fieldErr("description", "has %d characters, more than %d", n, MaxFilterDescription)
	}
	if sf.TownCode != "" && !digits(sf.TownCode, 9) {
		return fieldErr("town_code", "must be a 9-digit town code, or empty for the whole city, not %q", sf.TownCode)
	}
	return nil
}
