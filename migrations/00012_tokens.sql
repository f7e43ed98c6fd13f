-- API tokens (issue 8). A token is a random 32-byte secret shown to its
-- holder once as "gs_" + base64url; only its SHA-256 is stored, so a copy of
-- the database does not grant access. The secret has 256 bits of entropy,
-- which is why an unsalted hash looked up by equality is enough.
--
-- The role names are those of package auth (auth.Roles); the permission
-- table lives in code, not here. town_code limits the holder to one town
-- (NULL: city-wide). It is not a foreign key to towns: a token may be made
-- before the divisions are loaded, and reloading them must not be blocked
-- by tokens. department is, as a typo there would silently scope a token to
-- nothing.
--
-- Tokens are never deleted, only revoked, so the audit log can always name
-- the token behind an act.

-- +goose Up
CREATE TABLE api_tokens (
    id bigserial PRIMARY KEY,
    hash bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32),
    role text NOT NULL CHECK (role IN ('clerk', 'inspector', 'grid_manager', 'department', 'coordinator', 'gis', 'admin')),
    town_code text CHECK (town_code ~ '^[0-9]{9}$'),
    department text REFERENCES departments (code),
    note text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    last_used_at timestamptz,
    CHECK (expires_at > created_at),
    -- The scope each role needs, as auth.Principal.Validate checks it.
    CHECK (role <> 'grid_manager' OR town_code IS NOT NULL),
    CHECK (role <> 'department' OR department IS NOT NULL),
    CHECK (role <> 'admin' OR (town_code IS NULL AND department IS NULL))
);

-- +goose Down
DROP TABLE api_tokens;
