package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gridsentry/gridsentry/derrors"
)

// errorBody is the error shape of every failed request:
// {"error": {"code": "...", "message": "...", "details": {...}}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// status maps a domain error code to its HTTP status. This is the only place
// the mapping lives.
func status(err error) int {
	switch derrors.Code(err) {
	case "invalid":
		return http.StatusBadRequest
	case "not_found":
		return http.StatusNotFound
	case "conflict":
		return http.StatusConflict
	case "unauthorized":
		return http.StatusUnauthorized
	case "forbidden":
		return http.StatusForbidden
	case "too_large":
		return http.StatusRequestEntityTooLarge
	case "unavailable":
		return http.StatusServiceUnavailable
	case "rate_limited":
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// writeError answers a request with err in the error shape. Internal errors
// are logged with the request id and shown to the client only as "internal
// error"; domain errors show their safe message and, for bad input, the field.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := status(err)
	body := errorBody{Error: errorDetail{Code: derrors.Code(err)}}
	var de *derrors.Error
	var limited errRateLimited
	switch {
	case errors.As(err, &limited):
		body.Error.Message = limited.err.Message
		w.Header().Set("Retry-After", limited.retryAfterSeconds())
	case code == http.StatusInternalServerError:
		body.Error.Message = "internal error"
		s.log.ErrorContext(r.Context(), "internal error", "request_id", requestID(r.Context()), "err", err.Error())
	case errors.As(err, &de):
		body.Error.Message = de.Message
		if de.Field != "" {
			body.Error.Message = de.Field + ": " + de.Message
			body.Error.Details = map[string]any{"field": de.Field}
		}
		if de.Err != nil {
			s.log.WarnContext(r.Context(), "request failed", "request_id", requestID(r.Context()),
				"status", code, "err", de.Err.Error())
		}
	default:
		body.Error.Message = err.Error()
	}
	if id := requestID(r.Context()); id != "" {
		if body.Error.Details == nil {
			body.Error.Details = map[string]any{}
		}
		body.Error.Details["request_id"] = id
	}
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, code, body)
}

// writeJSON writes v as the JSON response body with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	writeBody(w, code, "application/json", b)
}

func writeBody(w http.ResponseWriter, code int, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// logLevel keeps a client's bad request out of the error log.
func logLevel(code int) slog.Level {
	switch {
	case code >= 500:
		return slog.LevelError
	case code >= 400:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
