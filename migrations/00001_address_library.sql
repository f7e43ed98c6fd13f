-- The standard address library: divisions (town → village → grid), roads,
-- doorplates, buildings, rooms and named places. All geometry is WGS84
-- (EPSG:4326). Codes carry the hierarchy (a village code starts with its town
-- code, a grid code with its village code), and CHECK constraints plus
-- composite foreign keys keep every row's town, village and grid consistent,
-- so no row can point to a grid of another village. Every table carries
-- town_code, the key a future distribution by town would use.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE towns (
    code text PRIMARY KEY CHECK (code ~ '^[0-9]{9}$'),
    name text NOT NULL UNIQUE CHECK (name <> ''),
    kind text NOT NULL CHECK (kind IN ('街道', '镇', '功能区')),
    geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX towns_geom_idx ON towns USING gist (geom);

CREATE TABLE villages (
    code text PRIMARY KEY CHECK (code ~ '^[0-9]{12}$'),
    town_code text NOT NULL REFERENCES towns (code),
    name text NOT NULL CHECK (name <> ''),
    kind text NOT NULL CHECK (kind IN ('村', '社区', '其他')),
    geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    CHECK (left(code, 9) = town_code),
    UNIQUE (town_code, name),
    UNIQUE (code, town_code)
);
CREATE INDEX villages_geom_idx ON villages USING gist (geom);

CREATE TABLE grids (
    code text PRIMARY KEY CHECK (code ~ '^[0-9]{15}$'),
    village_code text NOT NULL,
    town_code text NOT NULL,
    name text NOT NULL CHECK (name <> ''),
    geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    CHECK (left(code, 12) = village_code),
    FOREIGN KEY (village_code, town_code) REFERENCES villages (code, town_code),
    UNIQUE (code, village_code, town_code)
);
CREATE INDEX grids_village_idx ON grids (village_code);
CREATE INDEX grids_geom_idx ON grids USING gist (geom);

CREATE TABLE roads (
    code text PRIMARY KEY CHECK (code ~ '^[0-9]{14}$'),
    town_code text NOT NULL REFERENCES towns (code),
    name text NOT NULL CHECK (name <> ''),
    geom geometry(MultiLineString, 4326) NOT NULL,
    CHECK (left(code, 9) = town_code),
    UNIQUE (town_code, name),
    UNIQUE (code, town_code)
);
CREATE INDEX roads_geom_idx ON roads USING gist (geom);

-- A doorplate is a road and a number (鸿福路88号) with an optional sub-number
-- (88号之一 = 88-1号). Retired doorplates keep their code and name a successor.
CREATE TABLE doorplates (
    code text PRIMARY KEY CHECK (code ~ '^[0-9]{16}$'),
    road_code text NOT NULL,
    town_code text NOT NULL,
    village_code text NOT NULL,
    grid_code text NOT NULL,
    number integer NOT NULL CHECK (number > 0),
    sub_number integer NOT NULL DEFAULT 0 CHECK (sub_number >= 0),
    geom geometry(Point, 4326) NOT NULL,
    version integer NOT NULL DEFAULT 1 CHECK (version > 0),
    retired_at timestamptz,
    successor_code text REFERENCES doorplates (code),
    CHECK (successor_code IS NULL OR retired_at IS NOT NULL),
    FOREIGN KEY (road_code, town_code) REFERENCES roads (code, town_code),
    FOREIGN KEY (grid_code, village_code, town_code) REFERENCES grids (code, village_code, town_code)
);
CREATE UNIQUE INDEX doorplates_number_idx ON doorplates (road_code, number, sub_number)
    WHERE retired_at IS NULL;
CREATE INDEX doorplates_grid_idx ON doorplates (grid_code);
CREATE INDEX doorplates_geom_idx ON doorplates USING gist (geom);

CREATE TABLE places (
    id bigint PRIMARY KEY CHECK (id > 0),
    name text NOT NULL CHECK (name <> ''),
    kind text NOT NULL CHECK (kind IN ('tower', 'estate', 'industrial_park', 'plaza', 'tech_park', 'market')),
    town_code text NOT NULL,
    village_code text NOT NULL,
    doorplate_code text NOT NULL REFERENCES doorplates (code),
    geom geometry(Point, 4326) NOT NULL,
    FOREIGN KEY (village_code, town_code) REFERENCES villages (code, town_code),
    UNIQUE (town_code, name)
);
CREATE INDEX places_geom_idx ON places USING gist (geom);

CREATE TABLE buildings (
    id bigint PRIMARY KEY CHECK (id > 0),
    doorplate_code text NOT NULL REFERENCES doorplates (code),
    place_id bigint REFERENCES places (id),
    label text NOT NULL CHECK (label <> ''),
    use text NOT NULL CHECK (use IN ('residential', 'commercial', 'office', 'industrial', 'mixed', 'public')),
    floors smallint NOT NULL CHECK (floors BETWEEN 1 AND 200),
    basement_floors smallint NOT NULL DEFAULT 0 CHECK (basement_floors BETWEEN 0 AND 10),
    status text NOT NULL CHECK (status IN ('existing', 'demolished', 'slated')),
    town_code text NOT NULL,
    village_code text NOT NULL,
    grid_code text NOT NULL,
    geom geometry(Polygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    FOREIGN KEY (grid_code, village_code, town_code) REFERENCES grids (code, village_code, town_code),
    UNIQUE (doorplate_code, label)
);
CREATE INDEX buildings_place_idx ON buildings (place_id) WHERE place_id IS NOT NULL;
CREATE INDEX buildings_grid_idx ON buildings (grid_code);
CREATE INDEX buildings_geom_idx ON buildings USING gist (geom);

-- A room: floor is negative below ground and never zero; unit is '' when the
-- building has no units.
CREATE TABLE rooms (
    code text PRIMARY KEY CHECK (code ~ '^[0-9]{18}$'),
    building_id bigint NOT NULL REFERENCES buildings (id),
    unit text NOT NULL DEFAULT '',
    floor smallint NOT NULL CHECK (floor <> 0),
    label text NOT NULL CHECK (label <> ''),
    version integer NOT NULL DEFAULT 1 CHECK (version > 0),
    retired_at timestamptz,
    successor_code text REFERENCES rooms (code),
    CHECK (successor_code IS NULL OR retired_at IS NOT NULL)
);
CREATE UNIQUE INDEX rooms_label_idx ON rooms (building_id, unit, label) WHERE retired_at IS NULL;

-- The data set the database holds: which generator seed and scale, or which
-- import, so the service can tell an empty database from a loaded one.
CREATE TABLE datasets (
    name text PRIMARY KEY,
    seed bigint,
    scale text,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    counts jsonb NOT NULL DEFAULT '{}'
);

-- +goose Down
DROP TABLE datasets;
DROP TABLE rooms;
DROP TABLE buildings;
DROP TABLE places;
DROP TABLE doorplates;
DROP TABLE roads;
DROP TABLE grids;
DROP TABLE villages;
DROP TABLE towns;
