package supervision

import (
	"fmt"
	"time"

	"github.com/gridsentry/gridsentry/geo"
)

// Flags (风险标记): explainable findings. Each rule reads facts the store
// gathers (EntityFacts, ComplaintArea), and each finding says which rule,
// how strongly (a score of 0 to 100) and on what evidence: the facts it
// used, as a JSON object. A flag is one finding per rule and subject kept
// with its review: open → confirmed or dismissed by a reviewer, re-opened
// when its facts change, resolved when the rule no longer finds it.

// A FlagKind names a rule.
type FlagKind string

// The rules. docs/flags.md describes each, its evidence and its score.
const (
	FlagAddress    FlagKind = "address_unverified"   // not in the library, no such number or room, or matched only coarsely
	FlagBuilding   FlagKind = "building_unfit"       // demolished, slated for demolition, or no building at the address
	FlagCluster    FlagKind = "cluster_registration" // more entities at one room or doorplate than allowed
	FlagRestricted FlagKind = "restricted_trade"     // a trade the building's use does not allow
	FlagParties    FlagKind = "linked_parties"       // one phone or legal representative behind many entities (关联比对)
	FlagOffSite    FlagKind = "off_site"             // checked in far from the registered building, or reported elsewhere
	FlagNotFound   FlagKind = "not_found"            // 查无此户: a candidate for the abnormal-operation list
	FlagHotspot    FlagKind = "complaint_hotspot"    // complaints above the threshold for the industry
	FlagDormant    FlagKind = "dormant"              // 死火: found closed, no annual report
	FlagBlindSpot  FlagKind = "blind_spot"           // 盲点: not inspected for months, or first check overdue
)

// FlagKinds lists the rules in the order they are documented.
var FlagKinds = []FlagKind{FlagAddress, FlagBuilding, FlagCluster, FlagRestricted, FlagParties,
	FlagOffSite, FlagNotFound, FlagHotspot, FlagDormant, FlagBlindSpot}

// ParseFlagKind returns the kind s names.
func ParseFlagKind(s string) (FlagKind, error) {
	for _, k := range FlagKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("%q is not a flag kind (one of %v)", s, FlagKinds)
}

// FlagStatus is where a flag is in its review.
type FlagStatus string

// Flag statuses. Resolved means the rule no longer finds what it found;
// confirmed and dismissed are a reviewer's decisions.
const (
	FlagOpen      FlagStatus = "open"
	FlagConfirmed FlagStatus = "confirmed"
	FlagDismissed FlagStatus = "dismissed"
	FlagResolved  FlagStatus = "resolved"
)

// ParseFlagStatus returns the status s names.
func ParseFlagStatus(s string) (FlagStatus, error) {
	switch st := FlagStatus(s); st {
	case FlagOpen, FlagConfirmed, FlagDismissed, FlagResolved:
		return st, nil
	}
	return "", fmt.Errorf("%q is not a flag status (open, confirmed, dismissed, resolved)", s)
}

// A ReviewDecision is what a reviewer does with a flag.
type ReviewDecision string

// Review decisions.
const (
	ReviewConfirm ReviewDecision = "confirm"
	ReviewDismiss ReviewDecision = "dismiss"
	ReviewReopen  ReviewDecision = "reopen"
)

// A Review is a reviewer's decision on a flag, with the reason.
type Review struct {
	Decision ReviewDecision
	Reviewer string
	Reason   string
}

// Validate checks the review's fields: a known decision, a reviewer and a
// reason of reasonable length.
func (r *Review) Validate() error {
	switch r.Decision {
	case ReviewConfirm, ReviewDismiss, ReviewReopen:
	case "":
		return fieldErr("decision", "is required: confirm, dismiss or reopen")
	default:
		return fieldErr("decision", "%q is not a decision: confirm, dismiss or reopen", r.Decision)
	}
	if r.Reviewer == "" {
		return fieldErr("reviewer", "is required: who decides")
	}
	if len([]rune(r.Reviewer)) > 100 {
		return fieldErr("reviewer", "has more than 100 characters")
	}
	if r.Reason == "" {
		return fieldErr("reason", "is required: why the flag is %sed", r.Decision)
	}
	if len([]rune(r.Reason)) > 2000 {
		return fieldErr("reason", "has more than 2000 characters")
	}
	return nil
}

// Next returns the status a review moves a flag of status s to: an open
// flag is confirmed or dismissed, a confirmed or dismissed one re-opened.
// Any other step is an error, a conflict for the API (a resolved flag has nothing to review
// until its rule finds it again).
func (s FlagStatus) Next(d ReviewDecision) (FlagStatus, error) {
	switch {
	case s == FlagOpen && d == ReviewConfirm:
		return FlagConfirmed, nil
	case s == FlagOpen && d == ReviewDismiss:
		return FlagDismissed, nil
	case (s == FlagConfirmed || s == FlagDismissed) && d == ReviewReopen:
		return FlagOpen, nil
	}
	return s, fmt.Errorf("a flag that is %s cannot be %s", s, pastTense[d])
}

var pastTense = map[ReviewDecision]string{ReviewConfirm: "confirmed", ReviewDismiss: "dismissed", ReviewReopen: "re-opened"}

// A Finding is what a rule found about a subject: the entity (entity:USCC)
// or the address, building, grid, phone or person it concerns, every
// entity involved, where it is, how strongly (0 to 100), a title in
// Chinese for the people who read it, and the evidence.
type Finding struct {
	Kind        FlagKind
	Subject     string
	USCC        USCC   // the entity, for a finding about one
	USCCs       []USCC // every entity concerned, sorted
	AddressCode string
	BuildingID  int64
	GridCode    string
	VillageCode string
	TownCode    string
	Location    *geo.WGS84
	Score       float64
	Title       string
	Evidence    map[string]any
}

// A Flag is a finding kept with its review.
type Flag struct {
	Finding
	ID           int64
	Status       FlagStatus
	Fingerprint  string
	RaisedAt     time.Time
	OpenedAt     time.Time
	UpdatedAt    time.Time
	ReviewedAt   *time.Time
	Reviewer     string
	ReviewReason string
	ResolvedAt   *time.Time
}

// A FlagEvent is a step of a flag's history.
type FlagEvent struct {
	At       time.Time
	Action   string // raise, update, confirm, dismiss, reopen, resolve
	Actor    string // the reviewer, or system
	Status   FlagStatus
	Note     string
	Score    *float64
	Evidence map[string]any
}

// A FlagFilter selects flags: by kind, status, town, grid, entity (the
// subject or one concerned), minimum score, and a bounding box
// (west, south, east, north in WGS84); pages go by id.
type FlagFilter struct {
	Kind     FlagKind
	Status   FlagStatus
	TownCode string
	GridCode string
	USCC     USCC
	MinScore *float64
	BBox     *[4]float64
	After    int64
	Limit    int
}

// An Alert tells the app and the console, as it happens, that a flag was
// raised or re-opened: the store publishes one per flag a check-in or an
// incremental evaluation raises (PostgreSQL channel AlertChannel, this as
// JSON), and every service node streams them to its clients.
type Alert struct {
	FlagID   int64      `json:"flag_id"`
	Kind     FlagKind   `json:"kind"`
	Action   FlagAction `json:"action"` // raise or reopen
	USCC     USCC       `json:"uscc,omitempty"`
	TownCode string     `json:"town_code,omitempty"`
	GridCode string     `json:"grid_code,omitempty"`
	Score    float64    `json:"score"`
	Title    string     `json:"title"`
	At       time.Time  `json:"at"`
	Location *geo.WGS84 `json:"location,omitempty"`
}

// AlertChannel is the PostgreSQL NOTIFY channel alerts travel on.
const AlertChannel = "gridsentry_alerts"
