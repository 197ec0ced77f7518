-- push 0003: who may broadcast where. Until now any holder of the scope `broadcast` could message any ward or the
-- whole city, and cancel anyone's broadcast. The scope says the token may broadcast at all; the area must also be
-- the caller's to speak for, from the officials' roles (user_roles, procedures 0008: role 'official', resource = a
-- unit the official serves, granted by `cong official add`):
--   * a ward or commune: an official of that ward or commune, or of a city department (kind 'department');
--   * the whole city: an official of a city department.
-- Cancelling follows the same rule for the broadcast's area. Refusals are audited nowhere (nothing happened); the
-- answer is 403 'forbidden' (no row is written, no idempotency key is taken).

CREATE FUNCTION push_may_broadcast(p_official text, p_kind text, p_ward text) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM user_roles r JOIN units u ON u.code = r.resource
                    WHERE r.subject = p_official AND r.role = 'official'
                      AND (u.kind = 'department' OR (p_kind = 'ward' AND u.code = p_ward)))
$$;

CREATE OR REPLACE FUNCTION push_broadcast_create(p_official text, p_key text, p_kind text, p_ward text,
                                                 p_title_vi text, p_body_vi text, p_title_en text, p_body_en text,
                                                 p_request_id text)
    RETURNS TABLE (http_status integer, problem text, body jsonb, replayed boolean)
    LANGUAGE plpgsql AS $$
DECLARE
    b push_broadcasts;
    v_hash text := encode(sha256(convert_to(jsonb_build_array(p_kind, p_ward, p_title_vi, p_body_vi, p_title_en,
                                                              p_body_en)::text, 'UTF8')), 'hex');
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('push_broadcasts:' || p_official || ':' || p_key, 0));
    SELECT * INTO b FROM push_broadcasts x WHERE x.created_by = p_official AND x.idempotency_key = p_key;
    IF FOUND THEN
        IF b.request_hash <> v_hash THEN
            RETURN QUERY SELECT 422, 'idempotency-key-reused', NULL::jsonb, false;
        ELSE
            RETURN QUERY SELECT 201, NULL::text, push_broadcast_json(b), true;
        END IF;
        RETURN;
    END IF;
    IF p_kind = 'ward' AND NOT push_ward_known(p_ward) THEN
        RETURN QUERY SELECT 422, 'unknown-ward', NULL::jsonb, false;
        RETURN;
    END IF;
    IF NOT push_may_broadcast(p_official, p_kind, p_ward) THEN
        RETURN QUERY SELECT 403, 'forbidden', NULL::jsonb, false;
        RETURN;
    END IF;
    INSERT INTO push_broadcasts (area_kind, ward_code, title_vi, body_vi, title_en, body_en, created_by,
                                 idempotency_key, request_hash)
    VALUES (p_kind, CASE WHEN p_kind = 'ward' THEN p_ward END, p_title_vi, p_body_vi, p_title_en, p_body_en,
            p_official, p_key, v_hash)
    RETURNING * INTO b;
    PERFORM cong_audit('push', p_official, 'official', NULL, 'broadcast.create', 'broadcast:' || b.id, p_request_id,
                       jsonb_build_object('area', p_kind, 'ward_code', b.ward_code));
    RETURN QUERY SELECT 201, NULL::text, push_broadcast_json(b), false;
END $$;

-- DELETE /v1/broadcasts/{id}: as before, and (403) when the broadcast's area is not the caller's to speak for.
CREATE OR REPLACE FUNCTION push_broadcast_cancel(p_official text, p_id bigint, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    b push_broadcasts;
BEGIN
    SELECT * INTO b FROM push_broadcasts x WHERE x.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 404, NULL::jsonb;
        RETURN;
    END IF;
    IF NOT push_may_broadcast(p_official, b.area_kind, b.ward_code) THEN
        RETURN QUERY SELECT 403, NULL::jsonb;
        RETURN;
    END IF;
    IF b.state = 'done' THEN
        RETURN QUERY SELECT 409, push_broadcast_json(b);
        RETURN;
    END IF;
    IF b.state <> 'cancelled' THEN
        UPDATE push_broadcasts x SET state = 'cancelled', finished_at = now(), cancelled_by = p_official,
                                     updated_at = now()
         WHERE x.id = p_id RETURNING * INTO b;
        PERFORM cong_audit('push', p_official, 'official', NULL, 'broadcast.cancel', 'broadcast:' || b.id,
                           p_request_id, jsonb_build_object('delivered', b.delivered, 'targeted', b.targeted));
    END IF;
    RETURN QUERY SELECT 200, push_broadcast_json(b);
END $$;
