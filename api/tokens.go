package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridsentry/gridsentry/audit"
	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
)

// TokenStore issues, lists and revokes API tokens. The database implements
// it, and it is the Authenticator too.
type TokenStore interface {
	CreateToken(ctx context.Context, p auth.Principal, ttl time.Duration, note string) (token string, id int64, err error)
	ListTokens(ctx context.Context) ([]auth.Token, error)
	RevokeToken(ctx context.Context, id int64) error
}

// WithTokens enables the token routes over st, for admins; the same can be
// done on the machine with gridsentry token.
func WithTokens(st TokenStore) Option {
	return func(s *Server) { s.tokens = st }
}

func (s *Server) tokenRoutes(r *mux.Router) {
	s.protect(r, http.MethodPost, "/v1/tokens", endpoint{perm: auth.ManageTokens, sensitive: audit.Token}, s.createToken)
	s.protect(r, http.MethodGet, "/v1/tokens", endpoint{perm: auth.ManageTokens, sensitive: audit.Read}, s.listTokens)
	s.protect(r, http.MethodPost, "/v1/tokens/{id}/revoke", endpoint{perm: auth.ManageTokens, sensitive: audit.Token}, s.revokeToken)
}

func (s *Server) tokenStore() (TokenStore, error) {
	if s.tokens == nil {
		return nil, derrors.New(derrors.Unavailable, "token management is not enabled on this server")
	}
	return s.tokens, nil
}

// tokenJSON is a token as the API shows it: never its secret, which only
// the answer to its creation holds.
type tokenJSON struct {
	ID         int64      `json:"id"`
	Token      string     `json:"token,omitempty"`
	Role       string     `json:"role"`
	TownCode   *string    `json:"town_code"`
	Department *string    `json:"department"`
	Note       string     `json:"note"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func toTokenJSON(t auth.Token, now time.Time) tokenJSON {
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		b := beijing(t)
		return &b
	}
	return tokenJSON{ID: t.TokenID, Role: string(t.Role), TownCode: strOrNil(t.TownCode), Department: strOrNil(t.Department),
		Note: t.Note, Status: t.Status(now), CreatedAt: beijing(t.CreatedAt), ExpiresAt: beijing(t.ExpiresAt),
		RevokedAt: at(t.RevokedAt), LastUsedAt: at(t.LastUsedAt)}
}

// POST /v1/tokens {"role", "town_code", "department", "ttl": "720h", "note"}:
// issue a token. The answer holds its secret, shown this once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	st, err := s.tokenStore()
	if err != nil {
		return err
	}
	var body struct {
		Role       string `json:"role"`
		TownCode   string `json:"town_code"`
		Department string `json:"department"`
		TTL        string `json:"ttl"`
		Note       string `json:"note"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Role == "" {
		return derrors.Field("role", "is required: one of %v", auth.Roles)
	}
	ttl := 30 * 24 * time.Hour
	if body.TTL != "" {
		if ttl, err = time.ParseDuration(body.TTL); err != nil || ttl <= 0 {
			return derrors.Field("ttl", "want a positive duration such as 720h, got %q", body.TTL)
		}
	}
	if strings.TrimSpace(body.Note) == "" {
		return derrors.Field("note", "is required: what or whom the token is for")
	}
	p := auth.Principal{Role: auth.Role(body.Role), TownCode: body.TownCode, Department: body.Department}
	secret, id, err := st.CreateToken(r.Context(), p, ttl, body.Note)
	var de *derrors.Error
	if errors.As(err, &de) && de.Field == "town" { // the command's -town is the body's town_code
		de.Field = "town_code"
	}
	if err != nil {
		return err
	}
	now := time.Now()
	p.TokenID = id
	out := toTokenJSON(auth.Token{Principal: p, Note: body.Note, CreatedAt: now, ExpiresAt: now.Add(ttl)}, now)
	out.Token = secret
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// GET /v1/tokens: every token issued, revoked and expired ones too.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	st, err := s.tokenStore()
	if err != nil {
		return err
	}
	ts, err := st.ListTokens(r.Context())
	if err != nil {
		return err
	}
	now := time.Now()
	items := make([]tokenJSON, len(ts))
	for i, t := range ts {
		items[i] = toTokenJSON(t, now)
	}
	writeList(w, items, false, 0)
	return nil
}

// POST /v1/tokens/{id}/revoke: the token stops working at once on this
// node, and within Config.TokenCacheTTL on the others.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	st, err := s.tokenStore()
	if err != nil {
		return err
	}
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	if err := st.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	if c, ok := s.authn.(*tokenCache); ok {
		c.forget(id)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "status": "revoked"})
	return nil
}
