-- The day a generated city's history runs up to (demo.Config.Until): with
-- the seed and the scale it is what the generator needs to make the same
-- city again.

-- +goose Up
ALTER TABLE datasets ADD COLUMN until date;

-- +goose Down
ALTER TABLE datasets DROP COLUMN until;
