-- The facts the flag rules read (supervision.EntityFacts), one row per
-- entity of the scope; the caller puts the condition on e in place of
-- the COND comment at the end.
-- $1 is now, $2 the start of the complaint window, $3 the off-site
-- threshold in metres.
--
-- Each entity's latest three visits come from the (uscc, at DESC) index.
-- The latest one's distance to the registered building (or to the address
-- point without one) is measured on the spheroid only when it may exceed
-- the threshold: a degree is at most 110.7 km at Dongguan's latitude, so a
-- planar distance d° with d° × 110700 ≤ $3 is within it, and that bound is
-- what the row carries. Most check-ins are at the door and skip the
-- costly measure.
SELECT e.uscc, e.name, e.kind, e.status, e.industry, e.scope, e.address_text, e.registered_at,
       coalesce(e.report_year, 0), e.legal_rep, e.phone, e.id_number,
       coalesce(e.link_status, ''), coalesce(e.link_level, ''), coalesce(e.link_score, 0),
       ARRAY(SELECT x->>'code' FROM jsonb_array_elements(e.link_issues) x),
       coalesce(e.address_code, ''), coalesce(e.building_id, 0), coalesce(e.grid_code, ''),
       coalesce(e.village_code, ''), coalesce(e.town_code, ''), ST_X(e.location), ST_Y(e.location),
       coalesce(b.status, ''), coalesce(b.use, ''), coalesce(b.label, ''), coalesce(h.name, ''),
       e.last_inspected_at,
       coalesce(v.ids, '{}'), coalesce(v.ats, '{}'), coalesce(v.inspectors, '{}'), coalesce(v.outcomes, '{}'),
       coalesce(v.crss, '{}'), coalesce(v.lons, '{}'), coalesce(v.lats, '{}'),
       CASE
           WHEN v.last IS NULL OR coalesce(b.geom, e.location) IS NULL THEN -1
           WHEN ST_Distance(coalesce(b.geom, e.location), v.last) * 110700 <= $3
               THEN ST_Distance(coalesce(b.geom, e.location), v.last) * 110700
           ELSE ST_Distance(coalesce(b.geom, e.location)::geography, v.last::geography)
       END,
       (SELECT count(*) FROM complaints c WHERE c.uscc = e.uscc AND c.at >= $2),
       ft.id, coalesce(ft.assignee, ''), ft.pushed_at, ft.due_at, coalesce(ft.status, '')
FROM entities e
LEFT JOIN buildings b ON b.id = e.building_id
LEFT JOIN cluster_hosts h ON h.address_code = e.address_code
LEFT JOIN LATERAL (
    SELECT array_agg(i.id ORDER BY i.at DESC, i.id DESC) AS ids,
           array_agg(i.at ORDER BY i.at DESC, i.id DESC) AS ats,
           array_agg(i.inspector ORDER BY i.at DESC, i.id DESC) AS inspectors,
           array_agg(i.outcome ORDER BY i.at DESC, i.id DESC) AS outcomes,
           array_agg(i.crs ORDER BY i.at DESC, i.id DESC) AS crss,
           array_agg(ST_X(i.location) ORDER BY i.at DESC, i.id DESC) AS lons,
           array_agg(ST_Y(i.location) ORDER BY i.at DESC, i.id DESC) AS lats,
           (array_agg(i.location ORDER BY i.at DESC, i.id DESC))[1] AS last
    FROM (SELECT * FROM inspections i WHERE i.uscc = e.uscc ORDER BY i.at DESC, i.id DESC LIMIT 3) i
) v ON true
LEFT JOIN LATERAL (
    SELECT t.id, t.assignee, t.pushed_at, t.due_at, t.status FROM tasks t
    WHERE t.uscc = e.uscc AND t.kind = 'first_check' AND t.status IN ('pushed', 'received', 'feedback')
      AND t.due_at < $1
    ORDER BY t.due_at LIMIT 1
) ft ON true
WHERE /*COND*/ true
