// Package derrors defines the domain error codes of gridsentry. Every package
// returns errors that wrap one of the sentinel errors here (or an *Error that
// carries one), and the API maps them to HTTP status in exactly one place.
package derrors

import (
	"errors"
	"fmt"
)

// Sentinel errors, one per domain error code.
var (
	Invalid      = errors.New("invalid")      // the caller's input is wrong
	NotFound     = errors.New("not found")    // the thing asked for does not exist
	Conflict     = errors.New("conflict")     // the write conflicts with what is stored
	Unauthorized = errors.New("unauthorized") // no or bad credentials
	Forbidden    = errors.New("forbidden")    // credentials lack the permission
	TooLarge     = errors.New("too large")    // the request body is over the limit
	Unavailable  = errors.New("unavailable")  // a dependency (the database) is down
	RateLimited  = errors.New("rate limited") // the caller sent more requests than its rate allows
)

// An Error is a domain error with a message meant for the client and the
// field or parameter it concerns.
type Error struct {
	Kind    error  // one of the sentinel errors
	Message string // safe to show to the client
	Field   string // the parameter or field at fault, if any
	Err     error  // the underlying cause, logged, never shown
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is e's kind, so errors.Is(err, derrors.NotFound) works.
func (e *Error) Is(target error) bool { return e.Kind == target }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error of kind with a client-facing message.
func New(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid error that names the field or parameter at fault.
func Field(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Code returns the domain code of err as clients see it: "invalid",
// "not_found", "conflict", "unauthorized", "forbidden", "too_large",
// "unavailable", "rate_limited", or "internal" for anything else.
func Code(err error) string {
	switch {
	case errors.Is(err, Invalid):
		return "invalid"
	case errors.Is(err, NotFound):
		return "not_found"
	case errors.Is(err, Conflict):
		return "conflict"
	case errors.Is(err, Unauthorized):
		return "unauthorized"
	case errors.Is(err, Forbidden):
		return "forbidden"
	case errors.Is(err, TooLarge):
		return "too_large"
	case errors.Is(err, Unavailable):
		return "unavailable"
	case errors.Is(err, RateLimited):
		return "rate_limited"
	}
	return "internal"
}
