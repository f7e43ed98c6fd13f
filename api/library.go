package api

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gridsentry/gridsentry/addressbook"
	"github.com/gridsentry/gridsentry/derrors"
	"github.com/gridsentry/gridsentry/geo"
)

// maxReportedErrors caps the rejected rows an import answer lists; its
// rejected count has them all.
const maxReportedErrors = 1000

// bulkDeadline is how long an import may take to upload and an export to
// download, past the server's read and write timeouts meant for API calls.
const bulkDeadline = 2 * time.Hour

// WithLibraryFiles enables bulk import and export of the standard address
// library (POST /v1/library/import, GET /v1/library/export).
func WithLibraryFiles(imp addressbook.Importer, exp addressbook.Exporter) Option {
	return func(s *Server) { s.importer, s.exporter = imp, exp }
}

// libraryKind reads the kind parameter, which bulk routes require.
func libraryKind(r *http.Request) (addressbook.LibraryKind, error) {
	v := r.URL.Query().Get("kind")
	if v == "" {
		return "", derrors.Field("kind", "required: addresses, buildings or all")
	}
	k, err := addressbook.ParseLibraryKind(v)
	if err != nil {
		return "", derrors.Field("kind", "%v", err)
	}
	return k, nil
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, derrors.Field(name, "must be true or false, not %q", v)
	}
	return b, nil
}

// importResponse is the answer of an import: what was done, and the first
// rejected rows.
type importResponse struct {
	addressbook.ImportReport
	ErrorsTruncated bool `json:"errors_truncated"`
}

// POST /v1/library/import?kind=addresses|buildings|all&format=csv|geojson
// with the file as the body, streamed into the database. The request is
// refused (400) only when it is malformed (unknown kind or format, a body
// that is not a CSV or GeoJSON file at all); rejected rows are part of a 200
// answer.
func (s *Server) libraryImport(w http.ResponseWriter, r *http.Request) error {
	if s.importer == nil {
		return derrors.New(derrors.Unavailable, "library import is not enabled on this server")
	}
	q := r.URL.Query()
	kind, err := libraryKind(r)
	if err != nil {
		return err
	}
	opt := addressbook.ReadOptions{Kind: kind}
	switch f := q.Get("format"); {
	case f != "":
		if opt.Format, err = addressbook.ParseFormat(f); err != nil {
			return derrors.Field("format", "%v", err)
		}
	default:
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch ct {
		case "text/csv":
			opt.Format = addressbook.FormatCSV
		case "application/geo+json", "application/json":
			opt.Format = addressbook.FormatGeoJSON
		default:
			return derrors.Field("format", "required: csv or geojson (or a Content-Type of text/csv or application/geo+json)")
		}
	}
	if t := q.Get("type"); t != "" {
		if opt.Type, err = addressbook.ParseRecordType(t); err != nil {
			return derrors.Field("type", "%v", err)
		}
	} else if kind == addressbook.KindBuildings {
		opt.Type = addressbook.TypeBuilding
	}
	if opt.CRS, err = geo.ParseCRS(q.Get("crs")); err != nil {
		return derrors.Field("crs", "%v", err)
	}
	dryRun, err := boolParam(r, "dry_run")
	if err != nil {
		return err
	}
	retire, err := boolParam(r, "retire_missing")
	if err != nil {
		return err
	}
	source := q.Get("source")
	if source == "" {
		source = "api"
	}

	// Uploading a city's library takes longer than the server's read timeout.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bulkDeadline))
	_ = rc.SetWriteDeadline(time.Now().Add(bulkDeadline))

	rd, err := addressbook.NewReader(r.Body, opt)
	if err != nil {
		return bodyError(err)
	}
	rep, err := s.importer.ImportLibrary(r.Context(), rd, addressbook.ImportOptions{
		Kind: kind, Source: source, DryRun: dryRun, RetireMissing: retire, MaxErrors: maxReportedErrors,
	})
	if err != nil {
		return bodyError(err)
	}
	writeJSON(w, http.StatusOK, importResponse{ImportReport: rep, ErrorsTruncated: len(rep.Errors) < rep.Rejected})
	return nil
}

// bodyError turns a body over the limit into a 413; other errors pass.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &derrors.Error{Kind: derrors.TooLarge, Err: err,
			Message: fmt.Sprintf("the file is over the limit of %d bytes; nothing was imported", tooLarge.Limit)}
	}
	return err
}

// GET /v1/library/export?kind=addresses|buildings|all&format=csv|geojson&town=CODE&include_retired=true,
// streamed in the format the import reads.
func (s *Server) libraryExport(w http.ResponseWriter, r *http.Request) error {
	if s.exporter == nil {
		return derrors.New(derrors.Unavailable, "library export is not enabled on this server")
	}
	release, err := s.startExport()
	if err != nil {
		return err
	}
	defer release()
	q := r.URL.Query()
	kind, err := libraryKind(r)
	if err != nil {
		return err
	}
	format := addressbook.FormatCSV
	if f := q.Get("format"); f != "" {
		if format, err = addressbook.ParseFormat(f); err != nil {
			return derrors.Field("format", "%v", err)
		}
	}
	town := q.Get("town")
	if town != "" {
		if !townCode.MatchString(town) {
			return derrors.Field("town", "must be a 9-digit town code, not %q", town)
		}
		if s.library != nil {
			if _, err := s.library.Town(r.Context(), town); err != nil {
				return err
			}
		}
	}
	retired, err := boolParam(r, "include_retired")
	if err != nil {
		return err
	}

	name := "gridsentry-" + string(kind)
	if town != "" {
		name += "-" + town
	}
	contentType := "text/csv; charset=utf-8"
	if format == addressbook.FormatGeoJSON {
		contentType, name = "application/geo+json", name+".geojson"
	} else {
		name += ".csv"
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(bulkDeadline))
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.WriteHeader(http.StatusOK)

	enc, err := addressbook.NewWriter(w, format, kind)
	if err == nil {
		n := 0
		err = s.exporter.ExportLibrary(r.Context(), addressbook.ExportOptions{Kind: kind, TownCode: town, IncludeRetired: retired},
			func(rec addressbook.Record) error {
				n++
				if n%10000 == 0 {
					if err := enc.Flush(); err != nil {
						return err
					}
					_ = rc.Flush()
				}
				return enc.Write(rec)
			})
	}
	if err == nil {
		err = enc.Close()
	}
	if err != nil {
		// The status is sent: abort the response, so that the client sees a
		// broken transfer rather than a file that merely looks short.
		s.log.WarnContext(r.Context(), "export failed mid-stream", "request_id", requestID(r.Context()),
			"err", strings.TrimSpace(err.Error()))
		panic(http.ErrAbortHandler)
	}
	return nil
}
