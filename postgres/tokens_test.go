package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// tokenDB is a migrated database with one department, "market".
func tokenDB(t *testing.T) *postgres.DB {
	t.Helper()
	db := pgtest.New(t)
	if _, err := db.Pool().Exec(context.Background(),
		`INSERT INTO departments (code, name) VALUES ('market', '市场监督管理局')`); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	db := tokenDB(t)
	want := auth.Principal{Role: auth.GridManager, TownCode: "441900003", Department: "market"}
	tok, id, err := db.CreateToken(ctx, want, 24*time.Hour, "虎门镇 grid manager")
	if err != nil {
		t.Fatal(err)
	}
	want.TokenID = id
	got, err := db.Authenticate(ctx, tok)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Authenticate (-want +got):\n%s", diff)
	}

	admin, adminID, err := db.CreateToken(ctx, auth.Principal{Role: auth.Admin}, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := db.Authenticate(ctx, admin); err != nil || p != (auth.Principal{TokenID: adminID, Role: auth.Admin}) {
		t.Errorf("Authenticate(admin) = %+v, %v; want a city-wide admin with no department", p, err)
	}

	list, err := db.ListTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Principal != want || list[0].Note != "虎门镇 grid manager" || list[1].TokenID != adminID {
		t.Fatalf("ListTokens = %+v", list)
	}
	now := time.Now()
	if s := list[0].Status(now); s != "active" {
		t.Errorf("status = %s, want active", s)
	}
	if d := list[0].ExpiresAt.Sub(list[0].CreatedAt); d != 24*time.Hour {
		t.Errorf("expires %v after creation, want 24h", d)
	}
	if list[0].LastUsedAt.IsZero() {
		t.Error("last_used_at not set by Authenticate")
	}

	if err := db.RevokeToken(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, tok); !errors.Is(err, derrors.Unauthorized) {
		t.Errorf("Authenticate after revoke: err = %v, want unauthorized", err)
	}
	if _, err := db.Authenticate(ctx, admin); err != nil {
		t.Errorf("revoking one token touched another: %v", err)
	}
	list, _ = db.ListTokens(ctx)
	revokedAt := list[0].RevokedAt
	if s := list[0].Status(now); s != "revoked" || revokedAt.IsZero() {
		t.Errorf("after revoke: status %s, revoked at %v", s, revokedAt)
	}
	if err := db.RevokeToken(ctx, id); err != nil {
		t.Errorf("second revoke: %v, want nil", err)
	}
	if list, _ = db.ListTokens(ctx); !list[0].RevokedAt.Equal(revokedAt) {
		t.Errorf("second revoke moved revoked_at from %v to %v", revokedAt, list[0].RevokedAt)
	}
	if err := db.RevokeToken(ctx, 999999); !errors.Is(err, derrors.NotFound) {
		t.Errorf("revoke unknown id: err = %v, want not found", err)
	}
}

func TestAuthenticateRejects(t *testing.T) {
	ctx := context.Background()
	db := tokenDB(t)
	create := func() (string, int64) {
		tok, id, err := db.CreateToken(ctx, auth.Principal{Role: auth.Coordinator}, time.Hour, "")
		if err != nil {
			t.Fatal(err)
		}
		return tok, id
	}
	expired, expiredID := create()
	if _, err := db.Pool().Exec(ctx,
		`UPDATE api_tokens SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = $1`,
		expiredID); err != nil {
		t.Fatal(err)
	}
	revoked, revokedID := create()
	if err := db.RevokeToken(ctx, revokedID); err != nil {
		t.Fatal(err)
	}
	unknown, _ := auth.NewToken()
	valid, _ := create()

	var messages []string
	for _, tc := range []struct{ name, token string }{
		{"unknown", unknown},
		{"expired", expired},
		{"revoked", revoked},
		{"malformed", "gs_nope"},
		{"empty", ""},
		{"valid token with a character changed", valid[:10] + flip(valid[10]) + valid[11:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := db.Authenticate(ctx, tc.token)
			if !errors.Is(err, derrors.Unauthorized) {
				t.Fatalf("Authenticate = %+v, %v; want unauthorized", p, err)
			}
			if p != (auth.Principal{}) {
				t.Errorf("principal %+v returned with the error", p)
			}
			var de *derrors.Error
			if errors.As(err, &de) {
				messages = append(messages, de.Message)
			}
		})
	}
	// Unknown, expired and revoked read the same: a caller learns nothing
	// about which tokens exist.
	if len(messages) < 3 || messages[0] != messages[1] || messages[1] != messages[2] {
		t.Errorf("messages differ by reason: %q", messages)
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestCreateTokenRejects(t *testing.T) {
	ctx := context.Background()
	db := tokenDB(t)
	for _, tc := range []struct {
		name  string
		p     auth.Principal
		ttl   time.Duration
		note  string
		field string
	}{
		{"unknown role", auth.Principal{Role: "root"}, time.Hour, "", "role"},
		{"grid manager without a town", auth.Principal{Role: auth.GridManager}, time.Hour, "", "town"},
		{"malformed town", auth.Principal{Role: auth.Inspector, TownCode: "4419000"}, time.Hour, "", "town"},
		{"unknown department", auth.Principal{Role: auth.Department, Department: "no_such_department"}, time.Hour, "", "department"},
		{"zero ttl", auth.Principal{Role: auth.Clerk}, 0, "", "ttl"},
		{"negative ttl", auth.Principal{Role: auth.Clerk}, -time.Hour, "", "ttl"},
		{"ttl over the cap", auth.Principal{Role: auth.Clerk}, auth.MaxTokenTTL + time.Hour, "", "ttl"},
		{"long note", auth.Principal{Role: auth.Clerk}, time.Hour, strings.Repeat("注", 201), "note"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, _, err := db.CreateToken(ctx, tc.p, tc.ttl, tc.note)
			var de *derrors.Error
			if !errors.As(err, &de) || !errors.Is(err, derrors.Invalid) || de.Field != tc.field {
				t.Errorf("CreateToken err = %v, want invalid on field %q", err, tc.field)
			}
			if tok != "" {
				t.Errorf("token %q returned with the error", tok)
			}
		})
	}
	if list, err := db.ListTokens(ctx); err != nil || len(list) != 0 {
		t.Errorf("stored after rejections: %d tokens, %v", len(list), err)
	}
}

// The database holds the token's hash and nothing from which the token can
// be read back.
func TestTokenStoredHashed(t *testing.T) {
	ctx := context.Background()
	db := tokenDB(t)
	tok, id, err := db.CreateToken(ctx, auth.Principal{Role: auth.Admin}, time.Hour, "ops")
	if err != nil {
		t.Fatal(err)
	}
	var stored []byte
	var row string
	if err := db.Pool().QueryRow(ctx, `SELECT hash, t::text FROM api_tokens t WHERE id = $1`, id).Scan(&stored, &row); err != nil {
		t.Fatal(err)
	}
	want, _ := auth.HashToken(tok)
	if !bytes.Equal(stored, want) {
		t.Errorf("stored hash %x, want SHA-256 of the secret %x", stored, want)
	}
	if body := strings.TrimPrefix(tok, auth.TokenPrefix); strings.Contains(row, body) {
		t.Errorf("row %q holds the token", row)
	}
}

func TestAuthenticateRecordsUseAtMostOnceAMinute(t *testing.T) {
	ctx := context.Background()
	db := tokenDB(t)
	tok, id, err := db.CreateToken(ctx, auth.Principal{Role: auth.GIS}, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() *time.Time {
		var at *time.Time
		if err := db.Pool().QueryRow(ctx, `SELECT last_used_at FROM api_tokens WHERE id = $1`, id).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	if at := lastUsed(); at != nil {
		t.Fatalf("last_used_at = %v before any use", at)
	}
	if _, err := db.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	first := lastUsed()
	if first == nil {
		t.Fatal("last_used_at not set by the first use")
	}
	if _, err := db.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if again := lastUsed(); !again.Equal(*first) {
		t.Errorf("a second use within the minute wrote last_used_at: %v → %v", first, again)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	old := lastUsed()
	if _, err := db.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if later := lastUsed(); !later.After(*old) {
		t.Errorf("a use after a minute did not move last_used_at from %v", old)
	}
}

// The schema refuses what auth.Principal.Validate refuses, for rows written
// by hand or by a later bug.
func TestTokenSchemaConstraints(t *testing.T) {
	ctx := context.Background()
	db := tokenDB(t)
	_, hash := auth.NewToken()
	for _, tc := range []struct{ name, sql string }{
		{"unknown role", `INSERT INTO api_tokens (hash, role, expires_at) VALUES ($1, 'root', now() + interval '1 hour')`},
		{"grid manager without a town", `INSERT INTO api_tokens (hash, role, expires_at) VALUES ($1, 'grid_manager', now() + interval '1 hour')`},
		{"department role without a department", `INSERT INTO api_tokens (hash, role, expires_at) VALUES ($1, 'department', now() + interval '1 hour')`},
		{"admin limited to a town", `INSERT INTO api_tokens (hash, role, town_code, expires_at) VALUES ($1, 'admin', '441900003', now() + interval '1 hour')`},
		{"town code of 8 digits", `INSERT INTO api_tokens (hash, role, town_code, expires_at) VALUES ($1, 'inspector', '44190000', now() + interval '1 hour')`},
		{"unknown department", `INSERT INTO api_tokens (hash, role, department, expires_at) VALUES ($1, 'department', 'no_such_department', now() + interval '1 hour')`},
		{"no expiry", `INSERT INTO api_tokens (hash, role) VALUES ($1, 'clerk')`},
		{"expiry before creation", `INSERT INTO api_tokens (hash, role, expires_at) VALUES ($1, 'clerk', now() - interval '1 hour')`},
		{"hash not SHA-256", `INSERT INTO api_tokens (hash, role, expires_at) VALUES (substring($1 from 1 for 16), 'clerk', now() + interval '1 hour')`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.Pool().Exec(ctx, tc.sql, hash); err == nil {
				t.Error("insert succeeded, want a constraint violation")
			}
		})
	}
	insert := `INSERT INTO api_tokens (hash, role, expires_at) VALUES ($1, 'clerk', now() + interval '1 hour')`
	if _, err := db.Pool().Exec(ctx, insert, hash); err != nil {
		t.Fatalf("valid insert: %v", err)
	}
	if _, err := db.Pool().Exec(ctx, insert, hash); err == nil {
		t.Error("a second token with the same hash was stored")
	}
}
