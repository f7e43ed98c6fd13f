package api

import (
	"github.com/gorilla/mux"
)

// EntityStore writes market entities: single writes, the registration feed.
type EntityStore interface{}

// WithEntities enables the entity write routes.
func WithEntities(st EntityStore) Option { return func(s *Server) { s.entities = st } }

func (s *Server) entityRoutes(r *mux.Router) {}
