-- What the coverage index holds of each active, located entity
-- (supervision.CoverageEntity): its cell, grid, town, industry, kind, last
-- inspection, the deadlines of its open on-site tasks and its open flags.
-- For some buckets only, Go puts their condition in place of the BUCKETS
-- mark and the look-up of the scope's entities in place of the IN_SCOPE
-- marks, and $1 is the res-7 buckets.
--
-- Tasks and flags are aggregated by entity first and hash-joined: for the
-- whole city that reads each table once instead of looking up 2 million
-- entities one by one (seconds rather than minutes). For a few buckets
-- the planner turns the joins into index look-ups (tasks_uscc_idx,
-- flags_uscc_idx) on the bucket's entities, found by entities_h3_7_idx.
WITH scope AS (
    SELECT e.uscc, e.h3_7, e.h3_8, e.h3_9, e.h3_10, e.h3_11, e.grid_code, e.town_code, e.industry, e.kind, e.last_inspected_at
    FROM entities e
    WHERE e.status = 'active' AND e.h3_11 IS NOT NULL
      AND /*BUCKETS*/ true
)
SELECT s.h3_7, s.h3_8, s.h3_9, s.h3_10, s.h3_11, coalesce(s.grid_code, ''), coalesce(s.town_code, ''), s.industry, s.kind, s.last_inspected_at,
       coalesce(t.dues, '{}'), coalesce(f.n, 0)
FROM scope s
LEFT JOIN (
    SELECT t.uscc, array_agg(t.due_at ORDER BY t.due_at) AS dues
    FROM tasks t
    WHERE t.kind <> 'permit' AND t.status IN ('pushed', 'received', 'feedback')
      AND /*IN_SCOPE t*/ true
    GROUP BY t.uscc
) t ON t.uscc = s.uscc
LEFT JOIN (
    SELECT f.uscc, count(*)::int AS n
    FROM flags f
    WHERE f.status = 'open' AND f.uscc IS NOT NULL
      AND /*IN_SCOPE f*/ true
    GROUP BY f.uscc
) f ON f.uscc = s.uscc
