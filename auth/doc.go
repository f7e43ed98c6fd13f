// Package auth says who a caller is and what they may do: the roles of the
// service, the permissions each role holds (one table, [Permissions]), the
// Principal an API token stands for and its scope (a town, a department, or
// the whole city), and the format of API tokens.
//
// It is pure: it knows nothing of HTTP or the database. The api package reads
// the token from a request and asks the store for its Principal; the store
// keeps only the SHA-256 hash of each token ([HashToken]).
package auth
