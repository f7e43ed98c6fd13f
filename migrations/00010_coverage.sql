-- Indexes of the tiles.
--
-- The in-memory coverage index (supervision.CoverageIndex) refreshes the
-- res-7 hexagons (buckets) where entities changed; entities_h3_7_idx finds
-- a bucket's active entities without reading the city.
--
-- The flags layer shows the current flags (open and confirmed); resolved
-- and dismissed ones pile up over the years, and a tile should not read
-- them to skip them.

-- +goose Up
CREATE INDEX entities_h3_7_idx ON entities (h3_7) WHERE status = 'active' AND h3_11 IS NOT NULL;
CREATE INDEX flags_current_location_idx ON flags USING gist (location) WHERE status IN ('open', 'confirmed');

-- +goose Down
DROP INDEX flags_current_location_idx;
DROP INDEX entities_h3_7_idx;
