-- The groups of the rules about many entities (supervision.Group): active
-- entities sharing a matched registered address, a phone or a legal
-- representative (phone_key, person_key of migration 00008). $1 is the
-- smallest threshold: only groups with more members come back. The caller
-- narrows the members (alias e) in place of the MEMBERS mark and the keys
-- (alias k) in place of the KEYS mark: everything for a full run; the
-- keys of a few entities, with every member of those keys, for an
-- incremental one.
WITH m AS (
    SELECT e.uscc, e.name, coalesce(e.link_level, '') AS link_level, e.address_code, coalesce(e.building_id, 0) AS building_id,
           coalesce(e.grid_code, '') AS grid_code, coalesce(e.village_code, '') AS village_code,
           coalesce(e.town_code, '') AS town_code, e.location,
           CASE WHEN e.link_status = 'matched' THEN e.address_code END AS address_key,
           phone_key(e.phone) AS phone_key, person_key(e.legal_rep, e.id_number) AS person_key
    FROM entities e
    WHERE e.status = 'active' AND /*MEMBERS*/ true
), k AS (
    SELECT 'address' AS link, address_key AS key, m.* FROM m WHERE address_key IS NOT NULL
    UNION ALL SELECT 'phone', phone_key, m.* FROM m WHERE phone_key IS NOT NULL
    UNION ALL SELECT 'person', person_key, m.* FROM m WHERE person_key IS NOT NULL
), big AS (
    SELECT link, key FROM k WHERE /*KEYS*/ true GROUP BY link, key HAVING count(*) > $1
)
SELECT k.link, k.key, coalesce(min(h.name), ''),
       array_agg(k.uscc ORDER BY k.uscc), array_agg(k.name ORDER BY k.uscc), array_agg(k.link_level ORDER BY k.uscc),
       array_agg(coalesce(k.address_code, '') ORDER BY k.uscc), array_agg(k.building_id ORDER BY k.uscc),
       array_agg(k.grid_code ORDER BY k.uscc), array_agg(k.village_code ORDER BY k.uscc),
       array_agg(k.town_code ORDER BY k.uscc),
       array_agg(coalesce(ST_X(k.location), 'NaN') ORDER BY k.uscc), array_agg(coalesce(ST_Y(k.location), 'NaN') ORDER BY k.uscc)
FROM k JOIN big USING (link, key)
LEFT JOIN cluster_hosts h ON k.link = 'address' AND h.address_code = k.key
GROUP BY k.link, k.key
