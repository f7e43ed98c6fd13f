-- Lists are pages in id or USCC order. A filter on a rare value (the 2% of
-- cooperatives, whose codes start with 93 and so come last; a small
-- industry; the cancelled) or on a town whose rows were numbered late would
-- otherwise walk most of the primary key before it fills a page: these
-- indexes give each such filter its own order.

-- +goose Up
CREATE INDEX entities_kind_idx ON entities (kind, uscc);
CREATE INDEX entities_status_idx ON entities (status, uscc);
CREATE INDEX entities_industry_idx ON entities (industry, uscc);
CREATE INDEX entities_link_status_idx ON entities (link_status, uscc);
CREATE INDEX inspections_town_id_idx ON inspections (town_code, id);
CREATE INDEX inspections_grid_id_idx ON inspections (grid_code, id);
CREATE INDEX tasks_town_id_idx ON tasks (town_code, id);
CREATE INDEX tasks_grid_id_idx ON tasks (grid_code, id);
CREATE INDEX tasks_open_town_idx ON tasks (town_code, id) WHERE status IN ('pushed', 'received', 'feedback');

-- +goose Down
DROP INDEX tasks_open_town_idx;
DROP INDEX tasks_grid_id_idx;
DROP INDEX tasks_town_id_idx;
DROP INDEX inspections_grid_id_idx;
DROP INDEX inspections_town_id_idx;
DROP INDEX entities_link_status_idx;
DROP INDEX entities_industry_idx;
DROP INDEX entities_status_idx;
DROP INDEX entities_kind_idx;
