-- Complaints per building and industry and per grid and industry within
-- the window ($1), for the hot-spot rule (supervision.ComplaintArea); the
-- caller puts a condition on c in place of the COND comment. The industry is the
-- complaint's own, else that of the entity complained about. Rows below
-- the smallest threshold ($2) are left out.
WITH c AS (
    SELECT c.building_id, c.grid_code, c.village_code, c.town_code, c.uscc,
           coalesce(nullif(c.industry, ''), e.industry, '') AS industry, c.location
    FROM complaints c LEFT JOIN entities e ON e.uscc = c.uscc
    WHERE c.at >= $1 AND /*COND*/ true
)
SELECT 'building', building_id, min(grid_code), min(village_code), min(town_code), industry,
       ST_X(ST_PointOnSurface(ST_Collect(location))), ST_Y(ST_PointOnSurface(ST_Collect(location))),
       count(*), array_remove(array_agg(DISTINCT uscc), NULL)
FROM c WHERE building_id IS NOT NULL GROUP BY building_id, industry HAVING count(*) >= $2
UNION ALL
SELECT 'grid', 0, grid_code, min(village_code), min(town_code), industry,
       ST_X(ST_PointOnSurface(ST_Collect(location))), ST_Y(ST_PointOnSurface(ST_Collect(location))),
       count(*), array_remove(array_agg(DISTINCT uscc), NULL)
FROM c WHERE grid_code IS NOT NULL GROUP BY grid_code, industry HAVING count(*) >= $2
