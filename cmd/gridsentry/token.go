package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/auth"
)

// runToken creates, lists and revokes API tokens.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gridsentry token create -role R [-town CODE] [-department D] [-ttl 720h] [-note TEXT] [flags]")
		fmt.Fprintln(stderr, "       gridsentry token list [flags]")
		fmt.Fprintln(stderr, "       gridsentry token revoke [flags] ID")
		fs.PrintDefaults()
	}
	cfg.registerDatabase(fs)
	role := fs.String("role", "", fmt.Sprintf("create: the holder's role, one of %v", auth.Roles))
	town := fs.String("town", "", "create: the 9-digit town code the holder is limited to; empty for city-wide")
	department := fs.String("department", "", "create: the department code the holder acts for")
	ttl := fs.Duration("ttl", 30*24*time.Hour, "create: how long the token lives")
	note := fs.String("note", "", "create: what or whom the token is for")
	if len(args) == 0 || args[0] != "create" && args[0] != "list" && args[0] != "revoke" {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("token: say create, list or revoke")}
	}
	action := args[0]
	maxArgs := 0
	if action == "revoke" {
		maxArgs = 1
	}
	if err := parse(fs, args[1:], maxArgs); err != nil {
		return err
	}
	var id int64
	switch action {
	case "create":
		if *role == "" {
			return &exitError{code: 2, err: errors.New("token create: -role is required")}
		}
	case "revoke":
		var err error
		if id, err = strconv.ParseInt(fs.Arg(0), 10, 64); err != nil || id <= 0 {
			return &exitError{code: 2, err: fmt.Errorf("token revoke: want a token id, got %q", fs.Arg(0))}
		}
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	db, err := openReady(ctx, &cfg, log, stderr, "token")
	if err != nil {
		return err
	}
	defer db.Close()
	switch action {
	case "create":
		p := auth.Principal{Role: auth.Role(*role), TownCode: *town, Department: *department}
		token, id, err := db.CreateToken(ctx, p, *ttl, *note)
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		p.TokenID = id
		recordCLI(ctx, db, stderr, audit.Token, "token create", "id="+strconv.FormatInt(id, 10),
			map[string]any{"role": p.Role, "town_code": p.TownCode, "department": p.Department, "ttl": ttl.String(), "note": *note})
		// The token alone on stdout, so a script can capture it; the rest
		// on stderr. It is never shown again.
		fmt.Fprintf(stderr, "created %v, expires in %v; store the token now, it is not shown again:\n", p, *ttl)
		fmt.Fprintln(stdout, token)
		return nil
	case "revoke":
		if err := db.RevokeToken(ctx, id); err != nil {
			return fmt.Errorf("token revoke: %w", err)
		}
		recordCLI(ctx, db, stderr, audit.Token, "token revoke", "id="+strconv.FormatInt(id, 10), nil)
		fmt.Fprintf(stderr, "revoked token %d\n", id)
		return nil
	}
	tokens, err := db.ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("token list: %w", err)
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tTOWN\tDEPARTMENT\tSTATUS\tEXPIRES\tLAST USED\tNOTE")
	for _, t := range tokens {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.TokenID, t.Role, dash(t.TownCode), dash(t.Department),
			t.Status(now), t.ExpiresAt.Local().Format(time.DateTime), when(t.LastUsedAt), t.Note)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format(time.DateTime)
}
