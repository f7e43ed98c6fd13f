package api

import (
	"github.com/gorilla/mux"
)

// WorkflowStore runs the supervision workflow: departments and scope rules,
// tasks, inspections and their items, leads, complaints, violations and the
// abnormal-operation list.
type WorkflowStore interface{}

// WithWorkflow enables the workflow routes.
func WithWorkflow(st WorkflowStore) Option { return func(s *Server) { s.workflow = st } }

func (s *Server) workflowRoutes(r *mux.Router) {}
