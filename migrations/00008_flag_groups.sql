-- The keys of the linked-parties rule (关联比对) as functions, so that the
-- rule and its incremental evaluation find one phone or one legal
-- representative however it was typed: phone_key keeps the digits
-- (full-width ones too) without a +86 or 0086 prefix, as
-- supervision.NormalizePhone does; person_key joins the name and the
-- upper-case ID number. Expression indexes serve the look-ups.

-- +goose Up
SET LOCAL statement_timeout = 0;

-- +goose StatementBegin
CREATE FUNCTION phone_key(phone text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN d ~ '^(0086|86)[0-9]{11}$' THEN right(d, 11) WHEN length(d) >= 7 THEN d END
    FROM (SELECT regexp_replace(translate(phone, '０１２３４５６７８９', '0123456789'), '[^0-9]', '', 'g') AS d) x
$$;
CREATE FUNCTION person_key(name text, id_number text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN name <> '' AND id_number <> '' THEN name || '|' || upper(id_number) END
$$;
-- +goose StatementEnd
CREATE INDEX entities_phone_key_idx ON entities (phone_key(phone)) WHERE phone <> '';
CREATE INDEX entities_person_key_idx ON entities (person_key(legal_rep, id_number)) WHERE id_number <> '';

-- +goose Down
DROP INDEX entities_person_key_idx;
DROP INDEX entities_phone_key_idx;
DROP FUNCTION person_key(text, text);
DROP FUNCTION phone_key(text);
