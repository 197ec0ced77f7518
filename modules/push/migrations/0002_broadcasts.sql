-- push 0002: broadcasts (issue 14, "Broadcasts"): who can be reached by area, the messages officials send to a ward or
-- the whole city, and each reader's marks on them. OWNERSHIP: these tables are the push module's; cong-push-fanout
-- (push/fanout/) reads push_subscribers and writes the progress columns of push_broadcasts (state, targeted,
-- delivered, cursor, started_at, finished_at) in the shape below (columns may be added, never renamed).
--
-- Fan-out on read: the PostgreSQL inbox is not written per recipient. GET /v1/me/inbox shows the broadcasts of the
-- reader's area merged with their own push_inbox rows (push_inbox_page below), so a city-wide message is one row, not
-- 8.5 million; push_broadcast_marks keeps what a reader read or deleted. Broadcast ids come from push_inbox's id
-- sequence: one id space and one cursor for both.

-- Who can be reached by area: one row per person who registered a device (push_subscriber_touch, from
-- POST /v1/me/devices) or chose an area (PUT /v1/me/push-area). ward_code NULL: reached by city-wide broadcasts only.
-- area_since: when the current area was chosen; a reader sees (and the fan-out reaches) the broadcasts of their area
-- created since then, never older ones of a ward they just moved to.
CREATE TABLE push_subscribers (
    subject     text PRIMARY KEY,
    ward_code   text,
    locale      text NOT NULL DEFAULT 'vi' CHECK (locale IN ('vi', 'en')),
    area_since  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- The fan-out pages a ward's subscribers by subject from its cursor (city-wide: the primary key).
CREATE INDEX push_subscribers_ward ON push_subscribers (ward_code, subject) WHERE ward_code IS NOT NULL;

CREATE TABLE push_broadcasts (
    id              bigint PRIMARY KEY DEFAULT nextval('push_inbox_id_seq'::regclass),
    area_kind       text NOT NULL CHECK (area_kind IN ('ward', 'city')),
    ward_code       text CHECK ((area_kind = 'ward') = (ward_code IS NOT NULL)),
    title_vi        text NOT NULL,
    body_vi         text NOT NULL,
    title_en        text NOT NULL,
    body_en         text NOT NULL,
    created_by      text NOT NULL,   -- the official's subject
    idempotency_key text NOT NULL,
    request_hash    text NOT NULL,   -- SHA-256 of the request's canonical body: a key reused with another body is 422
    state           text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'done', 'cancelled')),
    targeted        bigint NOT NULL DEFAULT 0, -- recipients of the area, counted when the fan-out starts
    delivered       bigint NOT NULL DEFAULT 0, -- recipients whose live log has it (pages committed)
    cursor          text,            -- the last recipient (subject) done; NULL before the first page
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,     -- done or cancelled
    cancelled_by    text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (created_by, idempotency_key)
);
CREATE INDEX push_broadcasts_to_send ON push_broadcasts (updated_at, id) WHERE state IN ('queued', 'sending');
CREATE INDEX push_broadcasts_city ON push_broadcasts (id DESC) WHERE area_kind = 'city' AND state <> 'cancelled';
CREATE INDEX push_broadcasts_ward ON push_broadcasts (ward_code, id DESC)
    WHERE area_kind = 'ward' AND state <> 'cancelled';

-- A reader's marks on a broadcast of their area: read, deleted (out of the list and the unread count).
CREATE TABLE push_broadcast_marks (
    subject      text NOT NULL,
    broadcast_id bigint NOT NULL REFERENCES push_broadcasts (id),
    read_at      timestamptz,
    deleted_at   timestamptz,
    PRIMARY KEY (subject, broadcast_id)
);

-- A ward or commune of the procedures module's units (a department is no area).
CREATE FUNCTION push_ward_known(p_code text) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM units u WHERE u.code = p_code AND u.kind IN ('ward', 'commune'));
END $$;

-- Registering a device makes its owner reachable by area (city-wide until they choose a ward) in its locale.
CREATE FUNCTION push_subscriber_touch(p_subject text, p_locale text) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO push_subscribers AS s (subject, locale) VALUES (p_subject, p_locale)
    ON CONFLICT (subject) DO UPDATE SET locale = EXCLUDED.locale, updated_at = now()
$$;

CREATE FUNCTION push_area_json(s push_subscribers) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object('ward_code', s.ward_code, 'locale', coalesce(s.locale, 'vi'),
                              'since', to_char(s.area_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));

-- PUT /v1/me/push-area: (422 when the ward is unknown, else 200; the area's JSON). A changed area starts now.
CREATE FUNCTION push_area_set(p_subject text, p_ward text) RETURNS TABLE (http_status integer, body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    s push_subscribers;
BEGIN
    IF p_ward IS NOT NULL AND NOT push_ward_known(p_ward) THEN
        RETURN QUERY SELECT 422, NULL::jsonb;
        RETURN;
    END IF;
    INSERT INTO push_subscribers AS x (subject, ward_code) VALUES (p_subject, p_ward)
    ON CONFLICT (subject) DO UPDATE
        SET ward_code = EXCLUDED.ward_code, updated_at = now(),
            area_since = CASE WHEN x.ward_code IS NOT DISTINCT FROM EXCLUDED.ward_code THEN x.area_since ELSE now() END
    RETURNING * INTO s;
    RETURN QUERY SELECT 200, push_area_json(s);
END $$;

-- A broadcast as officials see it; devices_sent / devices_failed are added from Redis by the module.
CREATE FUNCTION push_broadcast_json(b push_broadcasts) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object(
        'id', b.id::text, 'area', jsonb_build_object('kind', b.area_kind, 'ward_code', b.ward_code),
        'title', jsonb_build_object('vi', b.title_vi, 'en', b.title_en),
        'body', jsonb_build_object('vi', b.body_vi, 'en', b.body_en),
        'state', b.state, 'targeted', b.targeted, 'delivered', b.delivered,
        'created_at', to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'finished_at', to_char(b.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));

-- POST /v1/broadcasts: (201, the broadcast, replayed) — a replay of the official's Idempotency-Key with the same body
-- answers the same broadcast; with another body (422 'idempotency-key-reused'); an unknown ward (422 'unknown-ward').
-- The row and its audit record commit together.
CREATE FUNCTION push_broadcast_create(p_official text, p_key text, p_kind text, p_ward text,
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
    INSERT INTO push_broadcasts (area_kind, ward_code, title_vi, body_vi, title_en, body_en, created_by,
                                 idempotency_key, request_hash)
    VALUES (p_kind, CASE WHEN p_kind = 'ward' THEN p_ward END, p_title_vi, p_body_vi, p_title_en, p_body_en,
            p_official, p_key, v_hash)
    RETURNING * INTO b;
    PERFORM cong_audit('push', p_official, 'official', NULL, 'broadcast.create', 'broadcast:' || b.id, p_request_id,
                       jsonb_build_object('area', p_kind, 'ward_code', b.ward_code));
    RETURN QUERY SELECT 201, NULL::text, push_broadcast_json(b), false;
END $$;

-- DELETE /v1/broadcasts/{id}: (200, the broadcast) cancelled now or before; (409) done; (404) no such broadcast. Waits
-- for a fan-out page under way (its row lock), so no page starts after the cancel commits.
CREATE FUNCTION push_broadcast_cancel(p_official text, p_id bigint, p_request_id text)
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

-- The broadcasts p_subject sees: of their area (city-wide ones always, their ward's when they have one), created
-- since they chose it, not cancelled, not deleted by them; below id p_before, newest first, at most p_limit.
CREATE FUNCTION push_broadcasts_seen(p_subject text, p_before bigint, p_limit integer)
    RETURNS TABLE (b push_broadcasts, read_at timestamptz)
    LANGUAGE sql STABLE AS $$
    WITH s AS (SELECT * FROM push_subscribers WHERE subject = p_subject),
    area AS (
        (SELECT x FROM push_broadcasts x, s
          WHERE x.area_kind = 'city' AND x.state <> 'cancelled' AND x.created_at >= s.area_since
            AND (p_before IS NULL OR x.id < p_before)
          ORDER BY x.id DESC)
        UNION ALL
        (SELECT x FROM push_broadcasts x, s
          WHERE x.area_kind = 'ward' AND x.ward_code = s.ward_code AND x.state <> 'cancelled'
            AND x.created_at >= s.area_since AND (p_before IS NULL OR x.id < p_before)
          ORDER BY x.id DESC))
    SELECT a.x, m.read_at
      FROM area a LEFT JOIN push_broadcast_marks m ON m.subject = p_subject AND m.broadcast_id = (a.x).id
     WHERE m.deleted_at IS NULL
     ORDER BY (a.x).id DESC
     LIMIT p_limit
$$;

-- One page of p_subject's inbox (0001's contract, now with the broadcasts of their area merged in by id).
CREATE OR REPLACE FUNCTION push_inbox_page(p_subject text, p_before bigint, p_limit integer, p_en boolean)
    RETURNS TABLE (unread bigint, items jsonb, next_before bigint)
    LANGUAGE sql STABLE AS $$
    WITH own AS (
        SELECT i.id, i.topic, CASE WHEN p_en THEN i.title_en ELSE i.title_vi END AS title,
               CASE WHEN p_en THEN i.body_en ELSE i.body_vi END AS body, i.data, i.read_at IS NOT NULL AS read,
               i.created_at
          FROM push_inbox i
         WHERE i.subject = p_subject AND i.deleted_at IS NULL AND (p_before IS NULL OR i.id < p_before)
         ORDER BY i.id DESC LIMIT p_limit + 1),
    cast_ AS (
        SELECT (s.b).id, 'broadcast.message'::text AS topic,
               CASE WHEN p_en THEN (s.b).title_en ELSE (s.b).title_vi END AS title,
               CASE WHEN p_en THEN (s.b).body_en ELSE (s.b).body_vi END AS body,
               jsonb_build_object('broadcast_id', (s.b).id::text, 'area', (s.b).area_kind,
                                  'ward_code', (s.b).ward_code) AS data,
               s.read_at IS NOT NULL AS read, (s.b).created_at
          FROM push_broadcasts_seen(p_subject, p_before, p_limit + 1) s),
    page AS (
        SELECT u.*, row_number() OVER (ORDER BY u.id DESC) AS n
          FROM (SELECT * FROM own UNION ALL SELECT * FROM cast_ ORDER BY id DESC LIMIT p_limit + 1) u)
    SELECT (SELECT count(*) FROM push_inbox WHERE subject = p_subject AND deleted_at IS NULL AND read_at IS NULL)
           + (SELECT count(*) FROM push_broadcasts_seen(p_subject, NULL, NULL) s WHERE s.read_at IS NULL),
           coalesce(jsonb_agg(jsonb_build_object(
               'id', p.id, 'topic', p.topic, 'title', p.title, 'body', p.body, 'data', p.data, 'read', p.read,
               'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
               ORDER BY p.id DESC) FILTER (WHERE p.n <= p_limit), '[]'::jsonb),
           CASE WHEN count(*) > p_limit THEN min(p.id) FILTER (WHERE p.n <= p_limit) END
      FROM page p
$$;

-- POST /v1/me/inbox/{id}/read (p_deleting false) and DELETE /v1/me/inbox/{id} (true) for either kind of item: the
-- reader's push_inbox row, or a broadcast they see (a mark). The id, or no row when it is not theirs (404). As
-- before: reading a deleted item is 404, deleting twice is not.
CREATE FUNCTION push_inbox_mark(p_subject text, p_id bigint, p_deleting boolean) RETURNS SETOF bigint
    LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    UPDATE push_inbox i SET read_at = CASE WHEN p_deleting THEN i.read_at ELSE coalesce(i.read_at, now()) END,
                            deleted_at = CASE WHEN p_deleting THEN coalesce(i.deleted_at, now()) ELSE i.deleted_at END
     WHERE i.id = p_id AND i.subject = p_subject AND (p_deleting OR i.deleted_at IS NULL)
    RETURNING i.id INTO v_id;
    IF FOUND THEN
        RETURN NEXT v_id;
        RETURN;
    END IF;
    -- A broadcast of the reader's area (seen now, or deleted by them before: deleting again is no error).
    IF NOT EXISTS (SELECT 1 FROM push_broadcasts_seen(p_subject, p_id + 1, 1) s WHERE (s.b).id = p_id)
       AND NOT (p_deleting AND EXISTS (SELECT 1 FROM push_broadcast_marks m
                                        WHERE m.subject = p_subject AND m.broadcast_id = p_id
                                          AND m.deleted_at IS NOT NULL)) THEN
        RETURN;
    END IF;
    INSERT INTO push_broadcast_marks AS m (subject, broadcast_id, read_at, deleted_at)
    VALUES (p_subject, p_id, CASE WHEN p_deleting THEN NULL ELSE now() END, CASE WHEN p_deleting THEN now() END)
    ON CONFLICT (subject, broadcast_id) DO UPDATE
        SET read_at = CASE WHEN p_deleting THEN m.read_at ELSE coalesce(m.read_at, now()) END,
            deleted_at = CASE WHEN p_deleting THEN coalesce(m.deleted_at, now()) ELSE m.deleted_at END;
    RETURN NEXT p_id;
END $$;
