package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/supervision"
)

// maxRecordLine is the longest NDJSON line a record import reads.
const maxRecordLine = 1 << 20

// runImportRecords loads complaints or violation records:
// gridsentry import complaints|violations FILE.
func runImportRecords(ctx context.Context, what string, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("import "+what, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `usage: gridsentry import %s FILE [flags]

Loads %s from NDJSON, one JSON object per line with the fields of
POST /v1/%s. Complaints' address text is matched against the address
library (the index is built from the database first). Bad lines are printed
with their number and reason; the good ones are applied in one transaction.
Re-importing a file changes nothing: complaints are keyed by (source,
external_id), violations by external_id. FILE - reads standard input.

Exit status: 0 every line was accepted; 3 some lines were rejected (the
good ones were loaded); 1 the import failed and nothing was written.

flags:
`, what, what, what)
		fs.PrintDefaults()
	}
	cfg.registerDatabase(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("import %s: name one FILE", what)}
	}
	name := pos[0]
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	in, _, err := openInput(name)
	if err != nil {
		return err
	}
	defer in.Close()
	rejected := 0
	reject := func(line int, reason string) {
		if rejected < printedRejections {
			fmt.Fprintf(stderr, "rejected line %d: %s\n", line, reason)
		}
		rejected++
	}

	var complaints []supervision.Complaint
	var violations []supervision.Violation
	var lines []int // the line of each good record
	err = readNDJSON(in, func(line int, b []byte) {
		var err error
		if what == "complaints" {
			var in supervision.ComplaintInput
			var c supervision.Complaint
			if err = strictJSON(b, &in); err == nil {
				if c, err = in.Complaint(); err == nil {
					complaints = append(complaints, c)
				}
			}
		} else {
			var in supervision.ViolationInput
			var v supervision.Violation
			if err = strictJSON(b, &in); err == nil {
				if v, err = in.Violation(); err == nil {
					violations = append(violations, v)
				}
			}
		}
		if err != nil {
			reject(line, err.Error())
			return
		}
		lines = append(lines, line)
	})
	if err != nil {
		return fmt.Errorf("import %s %s failed, nothing was written: %w", what, name, err)
	}

	db, err := openDatabase(ctx, &cfg, log, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Ready(ctx); err != nil {
		return err
	}
	var rep postgres.RecordImport
	if what == "complaints" {
		if err := linkComplaints(ctx, db, log, complaints, stderr); err != nil {
			return err
		}
		rep, err = db.ImportComplaints(ctx, complaints)
	} else {
		rep, err = db.ImportViolations(ctx, violations)
	}
	if err != nil {
		return fmt.Errorf("import %s %s failed, nothing was written: %w", what, name, err)
	}
	for _, r := range rep.Rejected {
		reject(lines[r.Index], r.Reason)
	}
	if more := rejected - printedRejections; more > 0 {
		fmt.Fprintf(stderr, "... and %d more rejected lines\n", more)
	}
	fmt.Fprintf(stdout, "imported %s %s: %d inserted, %d unchanged, %d rejected\n", what, name, rep.Inserted, rep.Unchanged, rejected)
	if rejected > 0 {
		return &exitError{code: exitRejected, err: fmt.Errorf("%d lines of %s were rejected; the others were loaded", rejected, name)}
	}
	return nil
}

// linkComplaints matches the address text of complaints, building the
// address index only when one has an address.
func linkComplaints(ctx context.Context, db *postgres.DB, log *slog.Logger, cs []supervision.Complaint, stderr io.Writer) error {
	need := false
	for _, c := range cs {
		need = need || c.AddressText != ""
	}
	if !need {
		return nil
	}
	fmt.Fprintln(stderr, "building the address index from the library...")
	index := postgres.NewAddressIndex(db, log)
	if err := index.Load(ctx); err != nil {
		return fmt.Errorf("import complaints: %w", err)
	}
	ix := index.Index()
	for i := range cs {
		if cs[i].AddressText != "" {
			cs[i].Link = supervision.LinkOf(ix.Match(cs[i].AddressText, ""))
		}
	}
	return nil
}

// readNDJSON calls fn with each non-blank line and its number.
func readNDJSON(r io.Reader, fn func(line int, b []byte)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxRecordLine)
	n := 0
	for sc.Scan() {
		n++
		if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 {
			fn(n, b)
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return fmt.Errorf("line %d is longer than %d bytes", n+1, maxRecordLine)
	}
	return sc.Err()
}

// strictJSON decodes one JSON object, refusing unknown fields and trailing data.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: must be a %s", te.Field, te.Type)
		}
		return fmt.Errorf("not a JSON object: %v", err)
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}
