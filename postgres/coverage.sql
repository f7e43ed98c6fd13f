-- Coverage per area (supervision.CoverageMetrics) of the active entities
-- located in a box: the caller puts the area's key (an h3_N column of the
-- allow-list, or grid_code) in place of the AREA mark and its filters on e
-- in place of the COND mark. $1..$4 are the box (west, south, east, north,
-- WGS84), $5 now, $6 the start of the window.
--
-- Overdue on-site tasks and open flags are counted per entity with index
-- look-ups (tasks_uscc_idx, flags_uscc_idx): a box holds thousands of
-- entities, not the city.
SELECT e./*AREA*/ AS area,
       count(*),
       count(*) FILTER (WHERE e.last_inspected_at >= $6),
       count(*) FILTER (WHERE e.last_inspected_at IS NULL),
       coalesce(sum(t.n), 0),
       coalesce(sum(f.n), 0)
FROM entities e
LEFT JOIN LATERAL (
    SELECT count(*) AS n FROM tasks t
    WHERE t.uscc = e.uscc AND t.kind <> 'permit' AND t.status IN ('pushed', 'received', 'feedback') AND t.due_at < $5
) t ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n FROM flags f WHERE f.uscc = e.uscc AND f.status = 'open'
) f ON true
WHERE e.status = 'active' AND e./*AREA*/ IS NOT NULL
  AND e.location && ST_MakeEnvelope($1, $2, $3, $4, 4326)
  AND /*COND*/ true
GROUP BY 1
ORDER BY 1
