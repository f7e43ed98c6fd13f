package auth_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridsentry/gridsentry/auth"
	"github.com/gridsentry/gridsentry/derrors"
)

func TestPermissionTableCoversEveryRoleAndPermission(t *testing.T) {
	granted := map[auth.Permission]bool{}
	for _, r := range auth.Roles {
		perms, ok := auth.Permissions[r]
		if !ok || len(perms) == 0 {
			t.Errorf("role %s has no row in the permission table", r)
		}
		seen := map[auth.Permission]bool{}
		for _, p := range perms {
			if seen[p] {
				t.Errorf("role %s lists %s twice", r, p)
			}
			seen[p] = true
			granted[p] = true
		}
	}
	if len(auth.Permissions) != len(auth.Roles) {
		t.Errorf("permission table has %d rows, want one per role (%d)", len(auth.Permissions), len(auth.Roles))
	}
	for _, p := range auth.AllPermissions {
		if !granted[p] {
			t.Errorf("permission %s is granted to no role", p)
		}
	}
}

func TestCan(t *testing.T) {
	for _, tc := range []struct {
		role auth.Role
		perm auth.Permission
		want bool
	}{
		{auth.Admin, auth.ManageTokens, true},
		{auth.Admin, auth.Unmask, true},
		{auth.Clerk, auth.WriteEntities, true},
		{auth.Clerk, auth.ReadFlags, false},
		{auth.Inspector, auth.WriteInspections, true},
		{auth.Inspector, auth.ReviewFlags, false},
		{auth.Inspector, auth.Unmask, false},
		{auth.GridManager, auth.ReviewFlags, true},
		{auth.GridManager, auth.Export, true}, // its town's, scoped like its lists
		{auth.Clerk, auth.Export, false},
		{auth.Department, auth.HandleLeads, true},
		{auth.Department, auth.ManageCampaigns, false},
		{auth.Coordinator, auth.ManageCampaigns, true},
		{auth.Coordinator, auth.ManageTokens, false},
		{auth.GIS, auth.WriteLibrary, true},
		{auth.GIS, auth.ReadEntities, false},
		{"", auth.ReadLibrary, false},
		{"root", auth.ReadLibrary, false},
	} {
		t.Run(string(tc.role)+"/"+string(tc.perm), func(t *testing.T) {
			p := auth.Principal{Role: tc.role}
			if got := p.Can(tc.perm); got != tc.want {
				t.Errorf("Can = %v, want %v", got, tc.want)
			}
			err := p.Require(tc.perm)
			if tc.want && err != nil {
				t.Errorf("Require = %v, want nil", err)
			}
			if !tc.want && !errors.Is(err, derrors.Forbidden) {
				t.Errorf("Require = %v, want a forbidden error", err)
			}
		})
	}
}

// Only admin may manage tokens or read the audit log: a row added to the
// table by mistake must not hand them out.
func TestOnlyAdminManagesTokensAndReadsAudit(t *testing.T) {
	for _, r := range auth.Roles {
		if r == auth.Admin {
			continue
		}
		p := auth.Principal{Role: r}
		for _, perm := range []auth.Permission{auth.ManageTokens, auth.ReadAudit, auth.ManageRules} {
			if p.Can(perm) {
				t.Errorf("%s can %s", r, perm)
			}
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range auth.Roles {
		got, err := auth.ParseRole(string(r))
		if err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "Admin", "superuser", "grid-manager"} {
		if _, err := auth.ParseRole(s); !errors.Is(err, derrors.Invalid) {
			t.Errorf("ParseRole(%q) err = %v, want invalid", s, err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     auth.Principal
		field string // "" when valid
	}{
		{"city-wide admin", auth.Principal{Role: auth.Admin}, ""},
		{"grid manager of a town", auth.Principal{Role: auth.GridManager, TownCode: "441900003"}, ""},
		{"department officer", auth.Principal{Role: auth.Department, Department: "market"}, ""},
		{"department officer in a town", auth.Principal{Role: auth.Department, Department: "fire", TownCode: "441900003"}, ""},
		{"city-wide inspector", auth.Principal{Role: auth.Inspector}, ""},
		{"unknown role", auth.Principal{Role: "root"}, "role"},
		{"grid manager without a town", auth.Principal{Role: auth.GridManager}, "town"},
		{"department without a department", auth.Principal{Role: auth.Department}, "department"},
		{"admin limited to a town", auth.Principal{Role: auth.Admin, TownCode: "441900003"}, "role"},
		{"town code too short", auth.Principal{Role: auth.Inspector, TownCode: "4419"}, "town"},
		{"town code with letters", auth.Principal{Role: auth.Inspector, TownCode: "44190000x"}, "town"},
		{"town code of a village", auth.Principal{Role: auth.Inspector, TownCode: "441900003001"}, "town"},
		{"department with upper case", auth.Principal{Role: auth.Department, Department: "Market"}, "department"},
		{"department with an injection", auth.Principal{Role: auth.Department, Department: "x'; DROP TABLE api_tokens;--"}, "department"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.field == "" {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			var de *derrors.Error
			if !errors.As(err, &de) || !errors.Is(err, derrors.Invalid) || de.Field != tc.field {
				t.Errorf("Validate = %v, want an invalid error on field %q", err, tc.field)
			}
		})
	}
}

func TestScope(t *testing.T) {
	city := auth.Principal{Role: auth.Coordinator}
	town := auth.Principal{Role: auth.GridManager, TownCode: "441900003"}
	if !city.CityWide() || town.CityWide() {
		t.Errorf("CityWide: city %v, town %v; want true, false", city.CityWide(), town.CityWide())
	}
	for _, tc := range []struct {
		name string
		p    auth.Principal
		town string
		want bool
	}{
		{"city-wide sees any town", city, "441900004", true},
		{"town-scoped sees its town", town, "441900003", true},
		{"town-scoped does not see another", town, "441900004", false},
		{"town-scoped does not see rows without a town", town, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.SeesTown(tc.town); got != tc.want {
				t.Errorf("SeesTown(%q) = %v, want %v", tc.town, got, tc.want)
			}
		})
	}
	if got := city.TownFilter(); got != nil {
		t.Errorf("city-wide TownFilter = %v, want nil (SQL NULL)", got)
	}
	if got := town.TownFilter(); got != "441900003" {
		t.Errorf("town TownFilter = %v, want the town code", got)
	}
}

func TestTokenRoundTrip(t *testing.T) {
	tok, hash := auth.NewToken()
	if !strings.HasPrefix(tok, auth.TokenPrefix) || len(tok) != 46 {
		t.Fatalf("token %q: want gs_ and 43 characters", tok)
	}
	if len(hash) != 32 {
		t.Errorf("hash is %d bytes, want 32 (SHA-256)", len(hash))
	}
	got, err := auth.HashToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, hash) {
		t.Error("HashToken(token) differs from the hash NewToken gave")
	}
	other, otherHash := auth.NewToken()
	if other == tok || bytes.Equal(otherHash, hash) {
		t.Error("two tokens are equal")
	}
}

func TestHashTokenRejectsMalformed(t *testing.T) {
	tok, _ := auth.NewToken()
	body := strings.TrimPrefix(tok, auth.TokenPrefix)
	for _, tc := range []struct{ name, token string }{
		{"empty", ""},
		{"prefix only", "gs_"},
		{"no prefix", body},
		{"other prefix", "gh_" + body},
		{"truncated", tok[:len(tok)-1]},
		{"one character more", tok + "A"},
		{"standard base64 characters", "gs_" + strings.Repeat("+", 43)},
		{"padding", tok[:len(tok)-1] + "="},
		// The last character carries 4 bits of padding: a non-zero pad is a
		// second spelling of the same secret, refused by the strict decoder.
		{"non-canonical last character", "gs_" + strings.Repeat("A", 42) + "B"},
		{"bearer scheme left on", "Bearer " + tok},
		{"invalid UTF-8", "gs_" + strings.Repeat("\xff", 43)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := auth.HashToken(tc.token); !errors.Is(err, derrors.Unauthorized) {
				t.Errorf("HashToken(%q) err = %v, want unauthorized", tc.token, err)
			}
		})
	}
}

func FuzzHashToken(f *testing.F) {
	tok, _ := auth.NewToken()
	f.Add(tok)
	f.Add("gs_")
	f.Add("gs_" + strings.Repeat("A", 43))
	f.Fuzz(func(t *testing.T, s string) {
		h, err := auth.HashToken(s)
		if err != nil {
			return
		}
		if len(h) != 32 || !strings.HasPrefix(s, auth.TokenPrefix) || len(s) != 46 {
			t.Errorf("HashToken(%q) accepted a token of the wrong shape", s)
		}
	})
}

func TestTokenStatus(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		tok  auth.Token
		want string
	}{
		{"active", auth.Token{ExpiresAt: now.Add(time.Second)}, "active"},
		{"expires this instant", auth.Token{ExpiresAt: now}, "expired"},
		{"expired", auth.Token{ExpiresAt: now.Add(-time.Hour)}, "expired"},
		{"revoked before expiry", auth.Token{ExpiresAt: now.Add(time.Hour), RevokedAt: now.Add(-time.Minute)}, "revoked"},
		{"revoked and expired", auth.Token{ExpiresAt: now.Add(-time.Hour), RevokedAt: now.Add(-2 * time.Hour)}, "revoked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.tok.Status(now); got != tc.want {
				t.Errorf("Status = %s, want %s", got, tc.want)
			}
		})
	}
}
