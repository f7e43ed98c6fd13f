package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/geo"
)

// exitRejected is the exit status of an import that loaded its good rows
// but rejected others.
const exitRejected = 3

// printedRejections is how many rejected rows an import prints; --report
// has them all.
const printedRejections = 50

// parseInterspersed parses flags that may come before or after the
// positional arguments (gridsentry import addresses FILE -dry-run), and
// returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, checkEnv()
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// runImport loads a library file: gridsentry import addresses|buildings|all FILE.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "entities" {
		return runImportEntities(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && (args[0] == "complaints" || args[0] == "violations") {
		return runImportRecords(ctx, args[0], args[1:], stdout, stderr)
	}
	var cfg config
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: gridsentry import addresses|buildings|all FILE [flags]

Loads a CSV or GeoJSON file of standard addresses (roads, doorplates, named
places, rooms) or building footprints into the library, in one transaction.
Rows are checked one by one; rejected rows are printed with their line and
reason, the good ones are loaded. Re-importing a file changes nothing.
FILE - reads standard input. Formats: docs/library-formats.md.

Exit status: 0 every row was accepted; 3 some rows were rejected (the good
rows were loaded); 1 the import failed and nothing was written; 2 bad usage.

flags:`)
		fs.PrintDefaults()
	}
	cfg.registerDatabase(fs)
	format := fs.String("format", "", "csv or geojson; default from the file name's extension")
	typ := fs.String("type", "", "record type of every row, for a file without a type column: road, doorplate, place, building or room (buildings imports default to building)")
	crs := fs.String("crs", "", "coordinate system of the file unless a row's crs column says otherwise: wgs84 (default), cgcs2000 or gcj02 (converted to WGS84)")
	dryRun := fs.Bool("dry-run", false, "check and count everything, then roll back: nothing is written")
	retire := fs.Bool("retire-missing", false, "retire the doorplates and rooms (and mark demolished the buildings) of the file's towns that the file no longer lists; only when no row is rejected")
	report := fs.String("report", "", "write every rejected row to this file as NDJSON ({line, type, code, reason})")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("import: say what and from where: import addresses|buildings|all FILE")}
	}
	kind, err := addressbook.ParseLibraryKind(pos[0])
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("import: %w", err)}
	}
	opt := addressbook.ReadOptions{Kind: kind}
	if opt.Format, err = fileFormat(*format, pos[1]); err != nil {
		return &exitError{code: 2, err: err}
	}
	if *typ != "" {
		if opt.Type, err = addressbook.ParseRecordType(*typ); err != nil {
			return &exitError{code: 2, err: fmt.Errorf("-type: %w", err)}
		}
	} else if kind == addressbook.KindBuildings {
		opt.Type = addressbook.TypeBuilding
	}
	if opt.CRS, err = geo.ParseCRS(*crs); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("-crs: %w", err)}
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}

	in, size, err := openInput(pos[1])
	if err != nil {
		return err
	}
	defer in.Close()
	rejects, closeReport, err := openReport(*report)
	if err != nil {
		return err
	}
	defer closeReport()

	db, err := openDatabase(ctx, &cfg, log, stderr)
	if err != nil {
		return err
	}
	defer db.Close()

	bar := byteBar(stderr, size, "reading "+filepath.Base(pos[1]))
	rd, err := addressbook.NewReader(io.TeeReader(in, bar), opt)
	if err != nil {
		return fmt.Errorf("import %s: %w", pos[1], err)
	}
	printed := 0
	start := time.Now()
	rep, err := db.ImportLibrary(ctx, rd, addressbook.ImportOptions{
		Kind:          kind,
		Source:        filepath.Base(pos[1]),
		DryRun:        *dryRun,
		RetireMissing: *retire,
		MaxErrors:     1,
		OnReject: func(e addressbook.RowError) error {
			if printed == 0 {
				_ = bar.Finish()
			}
			if printed < printedRejections {
				fmt.Fprintf(stderr, "rejected %s\n", e.Error())
			}
			printed++
			if rejects != nil {
				return rejects.Encode(e)
			}
			return nil
		},
		Trace: func(step string, rows int, d time.Duration) {
			if step == "stage rows" {
				_ = bar.Finish()
				fmt.Fprintf(stderr, "read %d rows; checking them against the library and applying them, in one transaction...\n", rows)
			}
			log.Debug("import step", "step", step, "rows", rows, "duration_ms", d.Milliseconds())
		},
	})
	_ = bar.Finish()
	if err != nil {
		return fmt.Errorf("import %s failed, nothing was written: %w", pos[1], err)
	}
	if more := printed - printedRejections; more > 0 {
		where := "(-report FILE lists them all)"
		if *report != "" {
			where = "(all are in " + *report + ")"
		}
		fmt.Fprintf(stderr, "... and %d more rejected rows %s\n", more, where)
	}
	if !rep.DryRun {
		recordCLI(ctx, db, stderr, audit.Write, "import "+pos[0], "import_id="+strconv.FormatInt(rep.ImportID, 10),
			map[string]any{"file": pos[1], "inserted": rep.Inserted, "updated": rep.Updated, "unchanged": rep.Unchanged,
				"retired": rep.Retired, "rejected": rep.Rejected})
	}
	log.Info("import done", "file", pos[1], "import_id", rep.ImportID, "dry_run", rep.DryRun,
		"duration", time.Since(start).Round(time.Millisecond).String())
	verb := "imported"
	if rep.DryRun {
		verb = "dry run, nothing was written; would have imported"
	}
	fmt.Fprintf(stdout, "%s %s: %d inserted, %d updated, %d unchanged, %d retired, %d rejected\n",
		verb, pos[1], rep.Inserted, rep.Updated, rep.Unchanged, rep.Retired, rep.Rejected)
	if rep.RetireSkipped != "" {
		fmt.Fprintln(stdout, "retire-missing:", rep.RetireSkipped)
	}
	if rep.Rejected > 0 {
		loaded := "the other rows were loaded"
		if rep.DryRun {
			loaded = "the other rows would load"
		}
		return &exitError{code: exitRejected, err: fmt.Errorf("%d rows of %s were rejected; %s", rep.Rejected, pos[1], loaded)}
	}
	return nil
}

// runExport writes the library: gridsentry export addresses|buildings|all > FILE.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: gridsentry export addresses|buildings|all [flags] > FILE

Writes the library as CSV or GeoJSON (docs/library-formats.md), streamed, in
the format import reads: importing the file into an empty library (divisions
loaded) recreates it, importing it into the same library changes nothing.

flags:`)
		fs.PrintDefaults()
	}
	cfg.registerDatabase(fs)
	format := fs.String("format", "csv", "csv or geojson")
	town := fs.String("town", "", "only this town (9-digit code)")
	retired := fs.Bool("include-retired", false, "also retired doorplates and rooms (with retired_at and successor_code)")
	out := fs.String("o", "", "write to this file instead of standard output")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("export: say what: export addresses|buildings|all")}
	}
	kind, err := addressbook.ParseLibraryKind(pos[0])
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("export: %w", err)}
	}
	f, err := addressbook.ParseFormat(*format)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("-format: %w", err)}
	}
	if *town != "" && (len(*town) != 9 || !allDigits(*town)) {
		return &exitError{code: 2, err: fmt.Errorf("-town: %q is not a 9-digit town code", *town)}
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, &cfg, log, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if *town != "" {
		if _, err := db.Town(ctx, *town); err != nil {
			return fmt.Errorf("-town: %w", err)
		}
	}
	w := stdout
	if *out != "" {
		file, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	enc, err := addressbook.NewWriter(w, f, kind)
	if err != nil {
		return err
	}
	n := 0
	start := time.Now()
	err = db.ExportLibrary(ctx, addressbook.ExportOptions{Kind: kind, TownCode: *town, IncludeRetired: *retired},
		func(r addressbook.Record) error {
			n++
			return enc.Write(r)
		})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	log.Info("export done", "kind", kind, "format", f, "town", *town, "records", n,
		"duration", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// fileFormat is the -format flag, or the format the file name says.
func fileFormat(flagValue, name string) (addressbook.Format, error) {
	if flagValue != "" {
		f, err := addressbook.ParseFormat(flagValue)
		if err != nil {
			return "", fmt.Errorf("-format: %w", err)
		}
		return f, nil
	}
	if f, ok := addressbook.FormatOf(name); ok {
		return f, nil
	}
	return "", fmt.Errorf("import: cannot tell the format of %q from its name: give -format csv or -format geojson", name)
}

// openInput opens a file, or standard input for "-", with its size (-1
// when unknown) for the progress bar.
func openInput(name string) (io.ReadCloser, int64, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), -1, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	size := int64(-1)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	return f, size, nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// openReport opens the -report file of rejected rows as NDJSON; with no
// path it returns a nil encoder. close flushes and closes it.
func openReport(path string) (enc *json.Encoder, close func(), err error) {
	if path == "" {
		return nil, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("-report: %w", err)
	}
	bw := bufio.NewWriter(f)
	return json.NewEncoder(bw), func() { _ = bw.Flush(); _ = f.Close() }, nil
}

// byteBar is the progress bar of reading a file of size bytes (-1:
// unknown).
func byteBar(w io.Writer, size int64, what string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}
