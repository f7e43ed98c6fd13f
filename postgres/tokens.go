package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
)

var _ auth.Authenticator = (*DB)(nil)

// maxTokenNote bounds a token's note (it is shown in listings, not searched).
const maxTokenNote = 200

// CreateToken issues a token for the role and scope of p (p.TokenID is
// ignored) that expires after ttl. It returns the token, to be shown to its
// holder once, and its id; only the token's hash is stored.
func (db *DB) CreateToken(ctx context.Context, p auth.Principal, ttl time.Duration, note string) (token string, id int64, err error) {
	if err := p.Validate(); err != nil {
		return "", 0, err
	}
	if ttl <= 0 || ttl > auth.MaxTokenTTL {
		return "", 0, derrors.Field("ttl", "a token lives more than 0 and at most %v, got %v", auth.MaxTokenTTL, ttl)
	}
	if len([]rune(note)) > maxTokenNote {
		return "", 0, derrors.Field("note", "at most %d characters", maxTokenNote)
	}
	token, hash := auth.NewToken()
	err = db.pool.QueryRow(ctx, `
		INSERT INTO api_tokens (hash, role, town_code, department, note, expires_at)
		VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''), $5, now() + $6::bigint * interval '1 microsecond')
		RETURNING id`,
		hash, string(p.Role), p.TownCode, p.Department, note, ttl.Microseconds()).Scan(&id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // the only foreign key: department
		return "", 0, derrors.Field("department", "unknown department %q", p.Department)
	}
	if err != nil {
		return "", 0, translate(err, "create token")
	}
	return token, id, nil
}

// Authenticate returns the principal of token when it is known, unexpired
// and not revoked, and an Unauthorized error otherwise, the same for each
// reason so a caller learns nothing of other tokens. It records the use,
// at most once a minute per token, so a busy token does not write a row
// on every request.
func (db *DB) Authenticate(ctx context.Context, token string) (auth.Principal, error) {
	hash, err := auth.HashToken(token)
	if err != nil {
		return auth.Principal{}, err
	}
	var p auth.Principal
	err = db.pool.QueryRow(ctx, `
		WITH t AS (
			SELECT id, role, town_code, department, last_used_at FROM api_tokens
			WHERE hash = $1 AND revoked_at IS NULL AND expires_at > now()
		), used AS (
			UPDATE api_tokens a SET last_used_at = now() FROM t
			WHERE a.id = t.id AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')
		)
		SELECT id, role, coalesce(town_code, ''), coalesce(department, '') FROM t`,
		hash).Scan(&p.TokenID, &p.Role, &p.TownCode, &p.Department)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.Principal{}, derrors.New(derrors.Unauthorized, "invalid, expired or revoked token")
	}
	if err != nil {
		return auth.Principal{}, translate(err, "authenticate")
	}
	return p, nil
}

// RevokeToken revokes token id at once. Revoking a revoked token keeps its
// first revocation time; an unknown id is NotFound.
func (db *DB) RevokeToken(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, id)
	if err != nil {
		return translate(err, "revoke token")
	}
	if tag.RowsAffected() == 0 {
		return derrors.New(derrors.NotFound, "token %d does not exist", id)
	}
	return nil
}

// ListTokens returns every token ever issued, revoked and expired ones too,
// oldest first. Tokens are never deleted: the audit log names them.
func (db *DB) ListTokens(ctx context.Context) ([]auth.Token, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT id, role, coalesce(town_code, ''), coalesce(department, ''), note,
		       created_at, expires_at, revoked_at, last_used_at
		FROM api_tokens ORDER BY id`)
	tokens, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (auth.Token, error) {
		var t auth.Token
		var revoked, used *time.Time
		err := row.Scan(&t.TokenID, &t.Role, &t.TownCode, &t.Department, &t.Note,
			&t.CreatedAt, &t.ExpiresAt, &revoked, &used)
		if revoked != nil {
			t.RevokedAt = *revoked
		}
		if used != nil {
			t.LastUsedAt = *used
		}
		return t, err
	})
	if err != nil {
		return nil, translate(err, "list tokens")
	}
	return tokens, nil
}
