package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/gridsentry/gridsentry/derrors"
)

// TokenPrefix begins every API token, so a leaked one is easy to recognise
// (and to scan for in logs and repositories).
const TokenPrefix = "gs_"

// secretBytes is the length of a token's random secret: 256 bits, so the
// store can look a token up by its unsalted hash.
const secretBytes = 32

// tokenEncoding writes the secret: URL-safe, no padding, and strict so each
// secret has exactly one spelling (and so one hash).
var tokenEncoding = base64.RawURLEncoding.Strict()

// tokenLen is the length of a well-formed token: the prefix and 43 characters.
var tokenLen = len(TokenPrefix) + tokenEncoding.EncodedLen(secretBytes)

// NewToken returns a fresh token, to be shown to its holder once, and the
// hash to store in its place.
func NewToken() (token string, hash []byte) {
	b := make([]byte, secretBytes)
	rand.Read(b) // never fails (crypto/rand, Go 1.24)
	token = TokenPrefix + tokenEncoding.EncodeToString(b)
	sum := sha256.Sum256(b)
	return token, sum[:]
}

// HashToken returns the stored hash of token: the SHA-256 of its decoded
// secret. A string that is not a well-formed token is an Unauthorized error,
// found without asking the database.
func HashToken(token string) ([]byte, error) {
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok || len(token) != tokenLen {
		return nil, derrors.New(derrors.Unauthorized, "malformed token")
	}
	b, err := tokenEncoding.DecodeString(rest)
	if err != nil || len(b) != secretBytes {
		return nil, derrors.New(derrors.Unauthorized, "malformed token")
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}

// MaxTokenTTL bounds a token's life: a forgotten token dies within a year.
const MaxTokenTTL = 366 * 24 * time.Hour

// A Token is what is known of an issued token: never its secret.
type Token struct {
	Principal         // TokenID, role and scope
	Note       string // what or whom it is for
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time // zero unless revoked
	LastUsedAt time.Time // zero if never used; updated at most once a minute
}

// Status says whether t is "active", "expired" or "revoked" at now.
func (t Token) Status(now time.Time) string {
	switch {
	case !t.RevokedAt.IsZero():
		return "revoked"
	case !now.Before(t.ExpiresAt):
		return "expired"
	}
	return "active"
}

// An Authenticator returns the principal a token stands for, or an
// Unauthorized error when the token is unknown, expired or revoked (without
// saying which).
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}
