-- The in-memory coverage index (supervision.CoverageIndex) refreshes the
-- res-7 hexagons (buckets) where entities changed; this finds a bucket's
-- active entities without reading the city.

-- +goose Up
CREATE INDEX entities_h3_7_idx ON entities (h3_7) WHERE status = 'active' AND h3_11 IS NOT NULL;

-- +goose Down
DROP INDEX entities_h3_7_idx;
