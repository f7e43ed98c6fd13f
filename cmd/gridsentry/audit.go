package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/postgres"
)

// runAudit prints the audit log, newest first, for a DBA on the machine.
// Reading the log is itself logged, before anything is shown.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gridsentry audit [-token ID] [-action A] [-route R] [-object O] [-since T] [-until T] [-after ID] [-limit N] [-json] [flags]")
		fmt.Fprintln(stderr, "print the audit log, newest first, as a table or (-json) one JSON object a line")
		fs.PrintDefaults()
	}
	cfg.registerDatabase(fs)
	var f audit.Filter
	fs.Int64Var(&f.TokenID, "token", 0, "only acts under this API token id")
	fs.StringVar(&f.Action, "action", "", fmt.Sprintf("only this kind of act, one of %v", audit.Actions))
	fs.StringVar(&f.Route, "route", "", `only this route template or command, exactly ("/v1/tasks/{id}/receive", "audit")`)
	fs.StringVar(&f.Object, "object", "", `only this object, exactly ("id=42", "uscc=9144...")`)
	since := fs.String("since", "", "only entries at or after this time: RFC 3339, a date (local midnight), or a duration ago (24h)")
	until := fs.String("until", "", "only entries before this time, in the same forms as -since")
	fs.Int64Var(&f.After, "after", 0, "only entries with ids below this one (the next page after it)")
	limit := fs.Int("limit", audit.DefaultLimit, "print at most this many entries; 0 prints every one")
	asJSON := fs.Bool("json", false, "print one JSON object a line (NDJSON), with each entry's detail")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	now := time.Now()
	var err error
	if f.Since, err = parseWhen(*since, now); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("audit: -since: %w", err)}
	}
	if f.Until, err = parseWhen(*until, now); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("audit: -until: %w", err)}
	}
	switch {
	case f.TokenID < 0, f.After < 0, *limit < 0:
		return &exitError{code: 2, err: errors.New("audit: -token, -after and -limit are not negative")}
	}
	if err := f.Validate(); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("audit: -%w", err)}
	}

	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	db, err := openReady(ctx, &cfg, log, stderr, "audit")
	if err != nil {
		return err
	}
	defer db.Close()
	// No entry is shown before this read is on record.
	filter := map[string]any{}
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "token", "action", "route", "object", "since", "until", "after", "limit":
			filter[fl.Name] = fl.Value.String()
		}
	})
	if _, err := db.AppendAudit(ctx, audit.Entry{Actor: audit.CLIActor(osUser()), Action: audit.ReadAudit,
		Route: "audit", Detail: map[string]any{"filter": filter}}); err != nil {
		return fmt.Errorf("audit: record this read: %w", err)
	}

	out := newAuditPrinter(stdout, *asJSON)
	for left := *limit; ; {
		f.Limit = audit.MaxLimit
		if *limit > 0 {
			f.Limit = min(left, audit.MaxLimit)
		}
		es, more, err := db.AuditLog(ctx, f)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		for _, e := range es {
			if err := out.print(e); err != nil {
				return err
			}
		}
		left -= len(es)
		if !more || len(es) == 0 || *limit > 0 && left <= 0 {
			break
		}
		f.After = es[len(es)-1].ID
	}
	return out.flush()
}

// parseWhen reads a time as -since and -until take it: RFC 3339, a date
// (midnight, local time), or a duration before now. "" is the zero time.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time, a date (2026-11-27) or a duration ago (24h)", s)
}

// osUser names the user running the command, for the audit log.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// auditPrinter writes entries as a table or as NDJSON.
type auditPrinter struct {
	tw  *tabwriter.Writer // nil for NDJSON
	enc *json.Encoder
}

func newAuditPrinter(w io.Writer, asJSON bool) *auditPrinter {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return &auditPrinter{enc: enc}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAT\tWHO\tACTION\tMETHOD\tROUTE\tOBJECT\tSTATUS\tREMOTE")
	return &auditPrinter{tw: tw}
}

func (p *auditPrinter) print(e audit.Entry) error {
	if p.enc != nil {
		e.At = e.At.Local()
		return p.enc.Encode(e)
	}
	who := e.Actor
	if e.TokenID != 0 {
		who = "token " + strconv.FormatInt(e.TokenID, 10) + " " + strings.Join(nonEmpty(e.Role, e.TownCode, e.Department), " ")
	}
	status := "-"
	if e.Status != 0 {
		status = strconv.Itoa(e.Status)
	}
	_, err := fmt.Fprintf(p.tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.At.Local().Format(time.DateTime),
		cell(who), e.Action, cell(e.Method), cell(e.Route), cell(e.Object), status, cell(e.Remote))
	return err
}

func (p *auditPrinter) flush() error {
	if p.tw != nil {
		return p.tw.Flush()
	}
	return nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// cell shows s in a table cell: "-" when empty, and with what a terminal
// would act on (escape sequences, tabs, newlines) written as Go escapes,
// since the log holds text that callers sent.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// recordCLI appends to the audit log what a local command wrote: the
// actor is the operating-system user. A failure is reported on stderr but
// does not fail the command, whose write is already committed.
func recordCLI(ctx context.Context, db *postgres.DB, stderr io.Writer, action, command, object string, detail map[string]any) {
	e := audit.Entry{Actor: audit.CLIActor(osUser()), Action: action, Route: command, Object: object, Detail: detail}
	if _, err := db.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		fmt.Fprintf(stderr, "warning: the audit log was not written: %v\n", err)
	}
}
