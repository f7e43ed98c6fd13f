package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/postgres/pgtest"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCommandsEndToEnd runs the binary's own run function: migrate, load the
// demo city, refuse a second load, serve on port 0, answer, shut down cleanly.
func TestCommandsEndToEnd(t *testing.T) {
	url := pgtest.NewURL(t)
	ctx := context.Background()
	db := []string{"-database-url", url, "-log-format", "text"}

	var out, errOut bytes.Buffer
	if err := run(ctx, append([]string{"migrate", "up"}, db...), &out, &errOut); err != nil {
		t.Fatalf("migrate up: %v\n%s", err, errOut.String())
	}
	out.Reset()
	if err := run(ctx, append([]string{"migrate", "status"}, db...), &out, &errOut); err != nil {
		t.Fatalf("migrate status: %v", err)
	}
	if !strings.Contains(out.String(), "applied") || !strings.Contains(out.String(), "00001_address_library.sql") {
		t.Errorf("migrate status printed %q", out.String())
	}
	if err := run(ctx, append([]string{"demo", "-scale", "demo", "-seed", "7"}, db...), io.Discard, &errOut); err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut.String())
	}
	err := run(ctx, append([]string{"demo", "-scale", "demo", "-seed", "7"}, db...), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already holds a city") {
		t.Errorf("second demo load: err = %v, want a refusal", err)
	}

	serveCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdout := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(serveCtx, append([]string{"serve", "-addr", "127.0.0.1:0"}, db...), stdout, io.Discard)
	}()
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); base == ""; {
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v", err)
		default:
		}
		base = urlRE.FindString(stdout.String())
		if base == "" {
			if time.Now().After(deadline) {
				t.Fatal("serve printed no URL within 20 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Ready once the address index is in memory: 503 until then.
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := http.Get(base + "readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("/readyz = %d, want 503 while the index loads, then 200", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The API needs a token: made on the machine, printed alone on stdout.
	var tokenOut bytes.Buffer
	if err := run(ctx, append([]string{"token", "create", "-role", "clerk", "-note", "desk 3"}, db...), &tokenOut, io.Discard); err != nil {
		t.Fatalf("token create: %v", err)
	}
	token := strings.TrimSpace(tokenOut.String())
	validate := func(token string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+"v1/addresses/validate", strings.NewReader(`{"address": "东莞市不存在路1号"}`))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := validate(""); code != http.StatusUnauthorized {
		t.Errorf("validate without a token = %d, want 401", code)
	}
	if code := validate(token); code != http.StatusOK {
		t.Errorf("validate with a clerk's token = %d, want 200", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after shutdown: %v, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down within 20 s")
	}
}

func TestBadUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"migrate without action", []string{"migrate"}, "up, down or status"},
		{"stats without action", []string{"stats"}, "refresh or bench"},
		{"bad scale", []string{"demo", "-scale", "galaxy"}, "-scale"},
		{"serve without database", []string{"serve", "-database-url", ""}, "DATABASE_URL"},
		{"stray argument", []string{"dev", "extra"}, `unexpected argument "extra"`},
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

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db":      "postgres://u:xxxxx@h:5432/db",
		"postgres://u@h/db?password=secret":  "postgres://u@h/db?password=xxxxx",
		"postgres://postgres@127.0.0.1:5/db": "postgres://postgres@127.0.0.1:5/db",
		"":                                   "",
	} {
		if got := maskURL(in); got != want {
			t.Errorf("maskURL(%q) = %q, want %q", in, got, want)
		}
	}
}
