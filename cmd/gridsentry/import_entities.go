package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/postgres"
	"github.com/gridsentry/gridsentry/supervision"
)

// entityChunk is how many entities an import reads, links and writes at a
// time, within its one transaction.
const entityChunk = 5000

// runImportEntities loads market entities: gridsentry import entities FILE.
func runImportEntities(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("import entities", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: gridsentry import entities FILE [flags]

Loads market entities from NDJSON (one JSON object per line) or CSV (a
header row naming the fields), with the fields of PUT /v1/entities/{uscc}:
uscc, name, kind, status, registered_at, address_text, scope, industry,
legal_rep, phone, id_number, report_year, changed_at. Every registered
address is linked through the address matcher (the index is built from the
database first). Everything is written in one transaction: rejected lines
are printed with their number and reason, the good ones are loaded. An
entity already stored is updated only by a newer change (changed_at), so
re-importing a file changes nothing. New and changed entities push their
tasks unless -no-push. FILE - reads standard input.

Exit status: 0 every line was accepted; 3 some lines were rejected (the
good ones were loaded); 1 the import failed and nothing was written.

flags:`)
		fs.PrintDefaults()
	}
	cfg.registerDatabase(fs)
	cfg.registerPolicy(fs)
	format := fs.String("format", "", "ndjson or csv; default from the file name's extension")
	noPush := fs.Bool("no-push", false, "do not push tasks (loading the existing stock of entities, not new registrations)")
	dryRun := fs.Bool("dry-run", false, "check, link and count everything, then roll back: nothing is written")
	report := fs.String("report", "", "write every rejected line to this file as NDJSON ({line, uscc, field, error})")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("import entities: name one FILE")}
	}
	name := pos[0]
	csvInput, err := entityFormat(*format, name)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	policy, err := cfg.policy()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	in, size, err := openInput(name)
	if err != nil {
		return err
	}
	defer in.Close()
	rejects, closeReport, err := openReport(*report)
	if err != nil {
		return err
	}
	defer closeReport()

	start := time.Now()
	db, ix, err := openWithIndex(ctx, &cfg, log, stderr)
	if err != nil {
		return fmt.Errorf("import entities: %w", err)
	}
	defer db.Close()
	bar := byteBar(stderr, size, "importing "+filepath.Base(name))
	lines, err := newEntityLines(io.TeeReader(in, bar), csvInput)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("import entities %s: %w", name, err)}
	}
	im, err := db.BeginEntityImport(ctx, postgres.WriteOptions{Source: "import", Push: !*noPush, Policy: policy})
	if err != nil {
		return err
	}
	defer im.Rollback(context.WithoutCancel(ctx))

	printed := 0
	reject := func(le supervision.LineError) error {
		if printed < printedRejections {
			if printed == 0 {
				fmt.Fprintln(stderr)
			}
			fmt.Fprintf(stderr, "rejected line %d: %s\n", le.Line, le.Error)
		}
		printed++
		if rejects != nil {
			return rejects.Encode(le)
		}
		return nil
	}
	rep, err := importEntities(ctx, im, ix, lines, reject)
	if err != nil {
		return fmt.Errorf("import entities %s failed, nothing was written: %w", name, err)
	}
	_ = bar.Finish()
	if *dryRun {
		if err := im.Rollback(ctx); err != nil {
			return err
		}
	} else if err := im.Commit(ctx); err != nil {
		return fmt.Errorf("import entities %s failed, nothing was written: %w", name, err)
	}
	if more := printed - printedRejections; more > 0 {
		fmt.Fprintf(stderr, "... and %d more rejected lines (-report FILE lists them all)\n", more)
	}
	elapsed := time.Since(start)
	log.Info("entity import done", "file", name, "dry_run", *dryRun, "lines", rep.Lines,
		"duration", elapsed.Round(time.Millisecond).String())
	verb := "imported"
	if *dryRun {
		verb = "dry run, nothing was written; would have imported"
	}
	fmt.Fprintf(stdout, "%s %s in %s: %d created, %d updated, %d unchanged, %d stale, %d rejected; %d tasks pushed\n",
		verb, name, elapsed.Round(100*time.Millisecond), rep.Created, rep.Updated, rep.Unchanged, rep.Stale, rep.Rejected, rep.TasksPushed)
	if rep.Rejected > 0 {
		return &exitError{code: exitRejected, err: fmt.Errorf("%d lines of %s were rejected; the others were loaded", rep.Rejected, name)}
	}
	return nil
}

// importEntities reads lines a chunk at a time, links each chunk's
// registered addresses through ix and writes it into im, until the lines
// end. reject hears each line rejected, by the reader or by the write.
func importEntities(ctx context.Context, im *postgres.EntityImport, ix *addressbook.Index, lines *entityLines,
	reject func(supervision.LineError) error) (supervision.FeedReport, error) {
	var rep supervision.FeedReport
	now := time.Now()
	for {
		chunk, bad, err := lines.next(entityChunk, now)
		if err != nil {
			return rep, err
		}
		rep.Lines += len(chunk) + len(bad)
		for _, le := range bad {
			rep.Rejected++
			if err := reject(le); err != nil {
				return rep, err
			}
		}
		if len(chunk) == 0 && len(bad) == 0 {
			return rep, nil
		}
		linkWrites(ix, chunk)
		results, err := im.Write(ctx, chunk)
		if err != nil {
			return rep, err
		}
		for _, r := range results {
			if r.Outcome == supervision.Rejected {
				// rep.Count counts it.
				if err := reject(supervision.LineError{Line: r.Line, USCC: string(r.USCC), Error: r.Error}); err != nil {
					return rep, err
				}
			}
		}
		rep.Count(results)
	}
}

// entityFormat reports whether the file is CSV (else NDJSON).
func entityFormat(flagValue, name string) (bool, error) {
	switch strings.ToLower(flagValue) {
	case "csv":
		return true, nil
	case "ndjson", "jsonl", "json":
		return false, nil
	case "":
	default:
		return false, fmt.Errorf("-format: %q is not ndjson or csv", flagValue)
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return true, nil
	case ".ndjson", ".jsonl", ".json":
		return false, nil
	}
	return false, fmt.Errorf("import entities: cannot tell the format of %q from its name: give -format ndjson or -format csv", name)
}

// entityLines reads an entity file as EntityInputs.
type entityLines struct {
	br     *bufio.Reader
	csv    *csv.Reader
	header []string
	line   int
}

// entityFields are the CSV columns an entity file may have.
var entityFields = []string{"uscc", "name", "kind", "status", "registered_at", "address_text", "scope", "industry",
	"legal_rep", "phone", "id_number", "report_year", "changed_at", "change"}

func newEntityLines(r io.Reader, isCSV bool) (*entityLines, error) {
	l := &entityLines{}
	if !isCSV {
		l.br = bufio.NewReaderSize(r, 1<<20)
		return l, nil
	}
	l.csv = csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	l.csv.FieldsPerRecord = -1
	header, err := l.csv.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the CSV header: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	for _, h := range header {
		if !contains(entityFields, strings.TrimSpace(h)) {
			return nil, fmt.Errorf("unknown CSV column %q: the columns are %s", h, strings.Join(entityFields, ", "))
		}
	}
	if !contains(header, "uscc") {
		return nil, errors.New("the CSV header has no uscc column")
	}
	l.header, l.line = header, 1
	return l, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}

// next reads up to n good lines, and the bad ones met on the way.
func (l *entityLines) next(n int, now time.Time) ([]supervision.Write, []supervision.LineError, error) {
	var writes []supervision.Write
	var bad []supervision.LineError
	for len(writes) < n {
		in, ok, lerr, err := l.read()
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			break
		}
		if lerr == nil {
			e, verr := in.Entity(now)
			if verr != nil {
				lerr = &supervision.LineError{USCC: in.USCC, Error: verr.Error()}
				var fe *supervision.FieldError
				if errors.As(verr, &fe) {
					lerr.Field = fe.Field
				}
			} else if in.Cancellation() {
				writes = append(writes, supervision.Write{Entity: e, Change: in.Change, Cancel: true, Line: l.line})
				continue
			} else {
				writes = append(writes, supervision.Write{Entity: e, Change: in.Change, Line: l.line})
				continue
			}
		}
		lerr.Line = l.line
		bad = append(bad, *lerr)
		if len(bad) >= n {
			break
		}
	}
	return writes, bad, nil
}

// read returns the next entity, false at the end, or a line error.
func (l *entityLines) read() (supervision.EntityInput, bool, *supervision.LineError, error) {
	if l.csv != nil {
		rec, err := l.csv.Read()
		if errors.Is(err, io.EOF) {
			return supervision.EntityInput{}, false, nil, nil
		}
		l.line++
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return supervision.EntityInput{}, true, &supervision.LineError{Error: pe.Err.Error()}, nil
		}
		if err != nil {
			return supervision.EntityInput{}, false, nil, err
		}
		if len(rec) != len(l.header) {
			return supervision.EntityInput{}, true, &supervision.LineError{
				Error: fmt.Sprintf("%d fields, the header has %d", len(rec), len(l.header))}, nil
		}
		m := map[string]any{}
		for i, h := range l.header {
			h = strings.TrimSpace(h)
			if h == "report_year" {
				if rec[i] == "" {
					continue
				}
				y, err := strconv.Atoi(rec[i])
				if err != nil {
					return supervision.EntityInput{}, true, &supervision.LineError{Field: h, Error: "report_year: not a year"}, nil
				}
				m[h] = y
				continue
			}
			m[h] = rec[i]
		}
		b, _ := json.Marshal(m)
		in, err := supervision.DecodeEntityInput(b)
		if err != nil {
			return in, true, &supervision.LineError{USCC: in.USCC, Error: err.Error()}, nil
		}
		return in, true, nil, nil
	}
	for {
		b, err := l.br.ReadBytes('\n')
		if len(b) == 0 && errors.Is(err, io.EOF) {
			return supervision.EntityInput{}, false, nil, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return supervision.EntityInput{}, false, nil, err
		}
		l.line++
		s := strings.TrimSpace(string(b))
		if s == "" {
			continue
		}
		in, derr := supervision.DecodeEntityInput([]byte(s))
		if derr != nil {
			le := &supervision.LineError{USCC: in.USCC, Error: derr.Error()}
			var fe *supervision.FieldError
			if errors.As(derr, &fe) {
				le.Field = fe.Field
			}
			return in, true, le, nil
		}
		return in, true, nil, nil
	}
}

// linkWrites matches the registered addresses of writes on every core.
func linkWrites(ix *addressbook.Index, writes []supervision.Write) {
	supervision.LinkEach(ix, len(writes), func(i int) (string, bool) { return writes[i].Entity.AddressText, !writes[i].Cancel },
		func(i int, l supervision.Link) { writes[i].Link = &l })
}

// runLink links entities: gridsentry link [-all].
func runLink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("link", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: gridsentry link [-all]

Matches the registered address of market entities against the standard
address library and writes the links that changed, in chunks of 10,000,
each in its own transaction: an interrupted run keeps its finished chunks,
and running again completes it. Without -all it links the entities not
linked yet (a server does this by itself once its address index is loaded).

flags:`)
		fs.PrintDefaults()
	}
	cfg.registerDatabase(fs)
	all := fs.Bool("all", false, "re-link every entity, not only the unlinked ones")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	start := time.Now()
	db, ix, err := openWithIndex(ctx, &cfg, log, stderr)
	if err != nil {
		return fmt.Errorf("link: %w", err)
	}
	defer db.Close()
	built := time.Since(start)
	total, err := db.CountEntities(ctx, !*all)
	if err != nil {
		return err
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("linking entities"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
	)
	stats, err := db.LinkEntities(ctx, ix, postgres.LinkScope{All: *all, Pending: !*all}, func(n int) { _ = bar.Set(n) })
	_ = bar.Finish()
	if err != nil {
		return fmt.Errorf("link: %w (the finished chunks are kept; run again to complete)", err)
	}
	rate := float64(stats.Read) / stats.Duration.Seconds()
	fmt.Fprintf(stdout, "linked %d entities in %s (%.0f/s; index built in %s): %d links changed; matched %d, ambiguous %d, not found %d, invalid %d\n",
		stats.Read, stats.Duration.Round(100*time.Millisecond), rate, built.Round(100*time.Millisecond), stats.Changed,
		stats.ByStatus[addressbook.Matched], stats.ByStatus[addressbook.Ambiguous], stats.ByStatus[addressbook.NotFound], stats.ByStatus[addressbook.Invalid])
	return nil
}

// openWithIndex opens the database, checks that it is migrated, and builds
// the address index from its library.
func openWithIndex(ctx context.Context, cfg *config, log *slog.Logger, stderr io.Writer) (*postgres.DB, *addressbook.Index, error) {
	db, err := openDatabase(ctx, cfg, log, stderr)
	if err != nil {
		return nil, nil, err
	}
	if err := db.Ready(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	fmt.Fprintln(stderr, "building the address index from the library...")
	index := postgres.NewAddressIndex(db, log)
	if err := index.Load(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, index.Index(), nil
}
