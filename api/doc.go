// Package api is gridsentry's HTTP interface: a gorilla/mux router, the
// handlers, the middleware (request ids, logs, metrics, body limits, panic
// recovery) and the one place where domain errors become HTTP statuses.
// The OpenAPI 3.1 document it serves at /openapi.json is the reference, and a
// test keeps it in step with the routes.
package api
