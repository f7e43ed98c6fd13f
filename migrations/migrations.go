// Package migrations embeds the numbered SQL migrations of the gridsentry
// schema. They are applied by pressly/goose from package postgres.
package migrations

import "embed"

// FS holds the migration files, named NNNNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
