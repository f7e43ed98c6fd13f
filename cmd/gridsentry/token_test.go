package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// TestTokenCommands creates a token with the command, authenticates it
// against the store, lists it, revokes it and sees it refused.
func TestTokenCommands(t *testing.T) {
	url := pgtest.NewURL(t)
	ctx := context.Background()
	dbFlags := []string{"-database-url", url, "-log-format", "text"}
	var out, errOut bytes.Buffer
	if err := run(ctx, append([]string{"migrate", "up"}, dbFlags...), io.Discard, &errOut); err != nil {
		t.Fatalf("migrate up: %v\n%s", err, errOut.String())
	}
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// migrate up leaves departments empty; serve -migrate and dev seed them.
	if err := db.SeedDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	create := append([]string{"token", "create", "-role", "grid_manager", "-town", "441900003",
		"-department", "amr_food", "-ttl", "720h", "-note", "虎门镇网格员"}, dbFlags...)
	if err := run(ctx, create, &out, &errOut); err != nil {
		t.Fatalf("token create: %v\n%s", err, errOut.String())
	}
	token := strings.TrimSpace(out.String())
	if !strings.HasPrefix(token, auth.TokenPrefix) || strings.Contains(token, "\n") {
		t.Fatalf("token create printed %q on stdout, want the token alone", out.String())
	}
	if strings.Contains(errOut.String(), token) {
		t.Error("the token was printed on stderr too")
	}

	p, err := db.Authenticate(ctx, token)
	want := auth.Principal{TokenID: 1, Role: auth.GridManager, TownCode: "441900003", Department: "amr_food"}
	if err != nil || p != want {
		t.Fatalf("Authenticate = %+v, %v; want %+v", p, err, want)
	}

	out.Reset()
	if err := run(ctx, append([]string{"token", "list"}, dbFlags...), &out, io.Discard); err != nil {
		t.Fatalf("token list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("token list printed %q, want a header and one row", out.String())
	}
	for _, f := range []string{"1 ", "grid_manager", "441900003", "amr_food", "active", "虎门镇网格员"} {
		if !strings.Contains(lines[1], f) {
			t.Errorf("token list row %q lacks %q", lines[1], f)
		}
	}
	if strings.Contains(out.String(), token) {
		t.Error("token list shows the token")
	}

	if err := run(ctx, append(append([]string{"token", "revoke"}, dbFlags...), "1"), io.Discard, io.Discard); err != nil {
		t.Fatalf("token revoke: %v", err)
	}
	if _, err := db.Authenticate(ctx, token); !errors.Is(err, derrors.Unauthorized) {
		t.Errorf("Authenticate after revoke: %v, want unauthorized", err)
	}
	out.Reset()
	if err := run(ctx, append([]string{"token", "list"}, dbFlags...), &out, io.Discard); err != nil || !strings.Contains(out.String(), "revoked") {
		t.Errorf("token list after revoke: %v\n%s", err, out.String())
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown role", []string{"token", "create", "-role", "root"}, "unknown role"},
		{"grid manager without a town", []string{"token", "create", "-role", "grid_manager"}, "needs a town"},
		{"unknown department", []string{"token", "create", "-role", "department", "-department", "nope"}, `unknown department "nope"`},
		{"revoke an unknown id", []string{"token", "revoke", "-database-url", url, "99"}, "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.args[1] == "create" {
				args = append(append([]string{}, tc.args...), dbFlags...)
			}
			err := run(ctx, args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestTokenUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no action", []string{"token"}, "create, list or revoke"},
		{"unknown action", []string{"token", "delete"}, "create, list or revoke"},
		{"create without a role", []string{"token", "create"}, "-role is required"},
		{"revoke without an id", []string{"token", "revoke"}, "want a token id"},
		{"revoke a non-number", []string{"token", "revoke", "abc"}, `want a token id, got "abc"`},
		{"list with an argument", []string{"token", "list", "extra"}, `unexpected argument "extra"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", "")
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
			if exitCode(err) == 0 {
				t.Error("exit code 0 for bad usage")
			}
		})
	}
}
