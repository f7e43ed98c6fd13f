package api

import (
	"github.com/gorilla/mux"
)

// EntityReader reads market entities: lists with filters, one entity with
// its link, tasks, inspections and leads.
type EntityReader interface{}

// WithEntityReader enables the entity read routes.
func WithEntityReader(rd EntityReader) Option { return func(s *Server) { s.reader = rd } }

func (s *Server) entityReadRoutes(r *mux.Router) {}
