package supervision

import (
	"fmt"
	"time"

	"github.com/gridsentry/gridsentry/geo"
)

// LeadStatus is where a lead (线索) stands.
type LeadStatus string

// Lead statuses.
const (
	LeadAssigned     LeadStatus = "assigned"     // with a department, not yet accepted
	LeadCoordination LeadStatus = "coordination" // the competent department is unclear: the coordinator decides
	LeadAccepted     LeadStatus = "accepted"     // the department took it on
	LeadClosed       LeadStatus = "closed"       // handled, with a result
)

// LeadAction is a step in a lead's life.
type LeadAction string

// Lead actions.
const (
	LeadCreate   LeadAction = "create"   // from an inspection or a department
	LeadTransfer LeadAction = "transfer" // the holder passes it to another department
	LeadEscalate LeadAction = "escalate" // the holder says it is not competent: to the coordinator
	LeadDecide   LeadAction = "decide"   // the coordinator names the competent department
	LeadAccept   LeadAction = "accept"
	LeadClose    LeadAction = "close"
)

// A Lead is a suspected violation handed from one department (or an
// inspection) to another.
type Lead struct {
	ID             int64
	USCC           USCC // empty when the lead concerns an unregistered business
	InspectionID   *int64
	FromDepartment string
	Department     string // the current holder; empty while with the coordinator
	Category       string
	Description    string
	Location       *geo.WGS84
	TownCode       string // its entity's town, else the town its location lies in; set by the store
	Status         LeadStatus
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Result         string
	History        []LeadEvent
}

// A LeadEvent is one step of a lead's history.
type LeadEvent struct {
	At         time.Time  `json:"at"`
	Action     LeadAction `json:"action"`
	Actor      string     `json:"actor"`
	Department string     `json:"department,omitempty"` // the holder after the step
	Status     LeadStatus `json:"status"`
	Note       string     `json:"note,omitempty"`
}

// NextLead returns the status after action on a lead in status from, and the
// holder after it, or an error naming what is not allowed. to is the
// department the action names (transfer, decide; create when known).
func NextLead(from LeadStatus, action LeadAction, holder, to string) (LeadStatus, string, error) {
	switch action {
	case LeadCreate:
		if from != "" {
			return "", "", fmt.Errorf("the lead exists already")
		}
		if to == "" {
			return LeadCoordination, "", nil
		}
		return LeadAssigned, to, nil
	case LeadTransfer:
		if from != LeadAssigned && from != LeadAccepted {
			return "", "", fmt.Errorf("a lead in status %s cannot be transferred", from)
		}
		if to == "" || to == holder {
			return "", "", fmt.Errorf("a transfer names another department")
		}
		return LeadAssigned, to, nil
	case LeadEscalate:
		if from != LeadAssigned && from != LeadAccepted {
			return "", "", fmt.Errorf("a lead in status %s cannot go to the coordinator", from)
		}
		return LeadCoordination, "", nil
	case LeadDecide:
		if from != LeadCoordination {
			return "", "", fmt.Errorf("only a lead with the coordinator (status coordination) can be decided; this one is %s", from)
		}
		if to == "" {
			return "", "", fmt.Errorf("the decision names the competent department")
		}
		return LeadAssigned, to, nil
	case LeadAccept:
		if from != LeadAssigned {
			return "", "", fmt.Errorf("a lead in status %s cannot be accepted", from)
		}
		return LeadAccepted, holder, nil
	case LeadClose:
		if from != LeadAccepted && from != LeadAssigned {
			return "", "", fmt.Errorf("a lead in status %s cannot be closed", from)
		}
		return LeadClosed, holder, nil
	}
	return "", "", fmt.Errorf("unknown action %q", action)
}
