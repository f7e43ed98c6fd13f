-- The facts the flag rules read (supervision.EntityFacts), one row per
-- entity of the scope; the caller puts the condition on e in place of the
-- COND comment at the end, and the joins of the complaint counts and the
-- overdue first checks in place of theirs: hash joins over whole tables
-- for a full run, lateral lookups by entity for a few.
-- $1 is now, $2 the start of the complaint window, $3 the off-site
-- threshold in metres.
--
-- The latest visit comes from entity_visits (kept by a trigger on
-- inspections). Its distance to the registered building (or to the
-- address point without one) is measured on the spheroid only when it may
-- exceed the threshold: a degree is at most 110.7 km at Dongguan's
-- latitude, so a planar distance d° with d° × 110700 ≤ $3 is within it,
-- and that bound is what the row carries. Most check-ins are at the door
-- and skip the costly measure.
SELECT e.uscc, e.name, e.kind, e.status, e.industry, e.scope, e.address_text, e.registered_at,
       coalesce(e.report_year, 0), e.legal_rep, e.phone, e.id_number,
       coalesce(e.link_status, ''), coalesce(e.link_level, ''), coalesce(e.link_score, 0),
       ARRAY(SELECT x->>'code' FROM jsonb_array_elements(e.link_issues) x),
       coalesce(e.address_code, ''), coalesce(e.building_id, 0), coalesce(e.grid_code, ''),
       coalesce(e.village_code, ''), coalesce(e.town_code, ''), ST_X(e.location), ST_Y(e.location),
       coalesce(b.status, ''), coalesce(b.use, ''), coalesce(b.label, ''), coalesce(h.name, ''),
       e.last_inspected_at,
       v.last_id, v.last_at, coalesce(v.inspector, ''), coalesce(v.outcome, ''), coalesce(v.crs, ''),
       ST_X(v.location), ST_Y(v.location), coalesce(v.streak, 0),
       CASE
           WHEN v.location IS NULL OR coalesce(b.geom, e.location) IS NULL THEN -1
           WHEN ST_Distance(coalesce(b.geom, e.location), v.location) * 110700 <= $3
               THEN ST_Distance(coalesce(b.geom, e.location), v.location) * 110700
           ELSE ST_Distance(coalesce(b.geom, e.location)::geography, v.location::geography)
       END,
       coalesce(c.n, 0),
       ft.id, coalesce(ft.assignee, ''), ft.pushed_at, ft.due_at, coalesce(ft.status, '')
FROM entities e
LEFT JOIN buildings b ON b.id = e.building_id
LEFT JOIN cluster_hosts h ON h.address_code = e.address_code
LEFT JOIN entity_visits v ON v.uscc = e.uscc
/*JOINS*/
WHERE /*COND*/ true
