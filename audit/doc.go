// Package audit describes the audit log of gridsentry: one [Entry] for every
// write and every sensitive read, saying who acted (the API token, its role
// and scope, or the local user of a command), what they did (the kind of act,
// the route and the object), when, and from where; and the [Filter] an
// administrator reads it with.
//
// The log is append-only. The postgres package stores it in a table whose
// triggers refuse UPDATE, DELETE and TRUNCATE, so neither the service nor a
// stray statement can rewrite history; pruning old entries is a deliberate act
// of the database's owner (see migrations/00013_audit.sql).
//
// Entries are built from what a caller sent (paths, X-Forwarded-For, query
// parameters), so [Entry.Clean] makes any entry storable, bounding its
// lengths and mending its text, rather than losing the record of a hostile
// request; [Entry.Validate] refuses only what the program itself got wrong.
//
// It is pure: no database, no HTTP.
package audit
