-- queue 0001: walk-in queue numbers (modules/queue, issue 15). Units, domains, the procedures each unit handles,
-- the holidays and the officials' grants (user_roles: role 'official', resource = unit code) are the procedures
-- module's tables; this module only reads them. The numbers themselves come from Redis (modules/queue/number.c):
-- UNIQUE (unit_code, domain, day, number) is what guarantees that a number is never handed out twice.

CREATE TABLE queue_tickets (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    unit_code       text NOT NULL REFERENCES units (code),
    domain          text NOT NULL REFERENCES domains (code),
    day             date NOT NULL,                  -- the queue day (Hanoi), as the gateway computed it
    number          integer NOT NULL CHECK (number > 0),
    subject         text NOT NULL,                  -- the holder's pseudonymous subject, never a citizen number
    idempotency_key text,
    state           text NOT NULL DEFAULT 'waiting'
                    CHECK (state IN ('waiting', 'called', 'served', 'absent', 'cancelled')),
    counter         text,                           -- where it was called
    official        text,                           -- who called it, then who marked it served or absent
    taken_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    called_at       timestamptz,
    finished_at     timestamptz,
    UNIQUE (unit_code, domain, day, number),
    UNIQUE (subject, idempotency_key)
);
CREATE INDEX queue_tickets_waiting ON queue_tickets (unit_code, day, taken_at, number) WHERE state = 'waiting';
CREATE INDEX queue_tickets_holder ON queue_tickets (subject, day);
CREATE INDEX queue_tickets_called ON queue_tickets (unit_code, day, counter, called_at DESC) WHERE called_at IS NOT NULL;
CREATE INDEX queue_tickets_served ON queue_tickets (unit_code, day, finished_at DESC) WHERE state = 'served';

CREATE FUNCTION queue_local_iso(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN to_char(t AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD"T"HH24:MI:SS"+07:00"');

-- A ticket as the API shows it (never its holder).
CREATE FUNCTION queue_ticket_json(t queue_tickets) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object('id', t.id, 'unit', t.unit_code, 'domain', t.domain, 'day', to_char(t.day, 'YYYY-MM-DD'),
                              'number', t.number, 'state', t.state, 'counter', t.counter,
                              'taken_at', queue_local_iso(t.taken_at), 'called_at', queue_local_iso(t.called_at),
                              'finished_at', queue_local_iso(t.finished_at));

-- What the wait estimate needs (modules/queue/wait.c): the waiting tickets ahead in the same queue, the counters
-- that called this domain in the last hour, and the mean time at the counter of the unit's last 20 served tickets.
CREATE FUNCTION queue_ticket_position(t queue_tickets) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'ahead', (SELECT count(*) FROM queue_tickets w WHERE w.unit_code = t.unit_code AND w.day = t.day
                  AND w.state = 'waiting' AND w.domain = t.domain AND w.number < t.number),
        'counters', (SELECT count(DISTINCT c.counter) FROM queue_tickets c WHERE c.unit_code = t.unit_code
                     AND c.day = t.day AND c.domain = t.domain AND c.called_at > now() - interval '1 hour'),
        'measured_s', coalesce(avg(extract(epoch FROM s.finished_at - s.called_at)), 0),
        'measured_n', count(s.*))
    FROM (SELECT finished_at, called_at FROM queue_tickets WHERE unit_code = t.unit_code AND day = t.day
          AND state = 'served' ORDER BY finished_at DESC LIMIT 20) s
$$;

-- Before a number is taken: is the unit known, the domain one it handles; a replay of the citizen's Idempotency-Key;
-- whether the day is a holiday; the citizen's tickets of the day; and the queue's highest number (the counter's floor).
-- outcome: unknown-unit, unknown-domain, not-handled, replay, key-reused, ok.
CREATE FUNCTION queue_ticket_prepare(p_subject text, p_unit text, p_domain text, p_day date, p_key text)
    RETURNS TABLE (outcome text, today integer, in_domain integer, last_number integer, holiday boolean, body jsonb)
    LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    t queue_tickets;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM units WHERE code = p_unit) THEN
        RETURN QUERY SELECT 'unknown-unit', 0, 0, 0, false, NULL::jsonb;
        RETURN;
    END IF;
    IF p_key IS NOT NULL THEN
        SELECT * INTO t FROM queue_tickets q WHERE q.subject = p_subject AND q.idempotency_key = p_key;
        IF FOUND THEN
            RETURN QUERY SELECT CASE WHEN t.unit_code = p_unit AND t.domain = p_domain THEN 'replay'
                                     ELSE 'key-reused' END, 0, 0, 0, false, queue_ticket_json(t) || queue_ticket_position(t);
            RETURN;
        END IF;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM domains WHERE code = p_domain) THEN
        RETURN QUERY SELECT 'unknown-domain', 0, 0, 0, false, NULL::jsonb;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM procedure_units pu JOIN procedures p ON p.code = pu.procedure_code
                   WHERE pu.unit_code = p_unit AND p.domain = p_domain) THEN
        RETURN QUERY SELECT 'not-handled', 0, 0, 0, false, NULL::jsonb;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'ok', count(*)::integer, (count(*) FILTER (WHERE q.domain = p_domain))::integer,
        (SELECT coalesce(max(m.number), 0) FROM queue_tickets m
         WHERE m.unit_code = p_unit AND m.domain = p_domain AND m.day = p_day),
        EXISTS (SELECT 1 FROM holidays h WHERE h.day = p_day), NULL::jsonb
        FROM queue_tickets q WHERE q.subject = p_subject AND q.day = p_day AND q.state <> 'cancelled';
END $$;

-- Keeps a number taken from Redis: under a lock on the citizen (two takes of one citizen at once are counted one
-- after the other), the Idempotency-Key and the limits again, then the row. A number another ticket holds already
-- (Redis lost its counter while a commit was under way) is refused with the queue's highest number.
-- outcome: created, replay, key-reused, per_day, per_domain, taken.
CREATE FUNCTION queue_ticket_take(p_subject text, p_unit text, p_domain text, p_day date, p_number integer,
                                  p_key text, p_max_day integer, p_max_domain integer)
    RETURNS TABLE (outcome text, body jsonb, last_number integer)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    t queue_tickets;
    n_day integer;
    n_domain integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('queue:' || p_subject));
    IF p_key IS NOT NULL THEN
        SELECT * INTO t FROM queue_tickets q WHERE q.subject = p_subject AND q.idempotency_key = p_key;
        IF FOUND THEN
            RETURN QUERY SELECT CASE WHEN t.unit_code = p_unit AND t.domain = p_domain THEN 'replay'
                                     ELSE 'key-reused' END, queue_ticket_json(t) || queue_ticket_position(t), 0;
            RETURN;
        END IF;
    END IF;
    SELECT count(*), count(*) FILTER (WHERE q.domain = p_domain) INTO n_day, n_domain
        FROM queue_tickets q WHERE q.subject = p_subject AND q.day = p_day AND q.state <> 'cancelled';
    IF n_day >= p_max_day OR n_domain >= p_max_domain THEN
        RETURN QUERY SELECT CASE WHEN n_day >= p_max_day THEN 'per_day' ELSE 'per_domain' END, NULL::jsonb, 0;
        RETURN;
    END IF;
    INSERT INTO queue_tickets (unit_code, domain, day, number, subject, idempotency_key)
        VALUES (p_unit, p_domain, p_day, p_number, p_subject, p_key)
        ON CONFLICT DO NOTHING RETURNING * INTO t;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'taken', NULL::jsonb,
            (SELECT coalesce(max(m.number), 0) FROM queue_tickets m
             WHERE m.unit_code = p_unit AND m.domain = p_domain AND m.day = p_day);
        RETURN;
    END IF;
    RETURN QUERY SELECT 'created', queue_ticket_json(t) || queue_ticket_position(t), t.number;
END $$;

-- The procedures module's rule for who is an official of which unit (modules/procedures/desk.c), read here: NULL
-- when p_subject serves p_unit, else not-official (no unit at all) or not-your-unit.
CREATE FUNCTION queue_official_refusal(p_subject text, p_unit text) RETURNS text
    LANGUAGE sql STABLE
    RETURN CASE
        WHEN NOT EXISTS (SELECT 1 FROM user_roles WHERE subject = p_subject AND role = 'official') THEN 'not-official'
        WHEN NOT EXISTS (SELECT 1 FROM user_roles WHERE subject = p_subject AND role = 'official'
                         AND resource = p_unit) THEN 'not-your-unit'
    END;

-- An official calls the next waiting ticket of the day at a counter (of one domain, or the oldest of any). SKIP
-- LOCKED: two counters calling at once get two different tickets. The call, the holder's push event and the audit
-- record commit together. outcome: not-official, not-your-unit, empty, called.
CREATE FUNCTION queue_call_next(p_official text, p_unit text, p_day date, p_counter text, p_domain text,
                                p_request_id text)
    RETURNS TABLE (outcome text, body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    t queue_tickets;
    refusal text := queue_official_refusal(p_official, p_unit);
BEGIN
    IF refusal IS NOT NULL THEN
        RETURN QUERY SELECT refusal, NULL::jsonb;
        RETURN;
    END IF;
    SELECT * INTO t FROM queue_tickets q
        WHERE q.unit_code = p_unit AND q.day = p_day AND q.state = 'waiting' AND (p_domain IS NULL OR q.domain = p_domain)
        ORDER BY q.taken_at, q.number LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'empty', NULL::jsonb;
        RETURN;
    END IF;
    UPDATE queue_tickets SET state = 'called', counter = p_counter, official = p_official, called_at = clock_timestamp()
        WHERE id = t.id RETURNING * INTO t;
    INSERT INTO push_outbox (subject, topic, payload)
        VALUES (t.subject, 'queue.called', jsonb_build_object('ticket', t.id, 'unit', t.unit_code, 'domain', t.domain,
                'day', to_char(t.day, 'YYYY-MM-DD'), 'number', t.number, 'counter', t.counter));
    PERFORM cong_audit('queue', p_official, 'official', t.subject, 'queue.call', 'queue_ticket:' || t.id, p_request_id,
                       jsonb_build_object('unit', t.unit_code, 'domain', t.domain, 'number', t.number,
                                          'counter', t.counter));
    RETURN QUERY SELECT 'called', queue_ticket_json(t);
END $$;

-- An official marks a called ticket of their unit served or absent (p_state). Again the same: unchanged, nothing
-- recorded twice. outcome: not-official, not-your-unit, not-found, conflict, unchanged, done.
CREATE FUNCTION queue_ticket_finish(p_official text, p_unit text, p_ticket uuid, p_state text, p_request_id text)
    RETURNS TABLE (outcome text, body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    t queue_tickets;
    refusal text := queue_official_refusal(p_official, p_unit);
BEGIN
    IF refusal IS NOT NULL THEN
        RETURN QUERY SELECT refusal, NULL::jsonb;
        RETURN;
    END IF;
    SELECT * INTO t FROM queue_tickets q WHERE q.id = p_ticket AND q.unit_code = p_unit FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not-found', NULL::jsonb;
        RETURN;
    END IF;
    IF t.state = p_state OR t.state <> 'called' THEN
        RETURN QUERY SELECT CASE WHEN t.state = p_state THEN 'unchanged' ELSE 'conflict' END, queue_ticket_json(t);
        RETURN;
    END IF;
    UPDATE queue_tickets SET state = p_state, official = p_official, finished_at = clock_timestamp()
        WHERE id = t.id RETURNING * INTO t;
    PERFORM cong_audit('queue', p_official, 'official', t.subject, 'queue.' || p_state, 'queue_ticket:' || t.id,
                       p_request_id, jsonb_build_object('unit', t.unit_code, 'domain', t.domain, 'number', t.number,
                                                        'counter', t.counter));
    RETURN QUERY SELECT 'done', queue_ticket_json(t);
END $$;

-- The public view of a unit's queue on a day (NULL for an unknown unit): the last number called at each counter, and
-- per domain the tickets waiting and the last number issued. No holder, no ticket id.
CREATE FUNCTION queue_view(p_unit text, p_day date) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'unit', p_unit, 'day', to_char(p_day, 'YYYY-MM-DD'), 'as_of', queue_local_iso(now()),
        'serving', coalesce((SELECT jsonb_agg(jsonb_build_object('counter', s.counter, 'number', s.number,
                                                                 'domain', s.domain,
                                                                 'called_at', queue_local_iso(s.called_at))
                                              ORDER BY s.counter)
                             FROM (SELECT DISTINCT ON (counter) counter, number, domain, called_at FROM queue_tickets
                                   WHERE unit_code = p_unit AND day = p_day AND called_at IS NOT NULL
                                   ORDER BY counter, called_at DESC) s), '[]'::jsonb),
        'waiting', coalesce((SELECT jsonb_agg(jsonb_build_object('domain', w.domain, 'count', w.n,
                                                                 'last_issued', w.last) ORDER BY w.domain)
                             FROM (SELECT domain, count(*) FILTER (WHERE state = 'waiting') AS n, max(number) AS last
                                   FROM queue_tickets WHERE unit_code = p_unit AND day = p_day GROUP BY domain) w),
                            '[]'::jsonb),
        'waiting_total', (SELECT count(*) FROM queue_tickets
                          WHERE unit_code = p_unit AND day = p_day AND state = 'waiting'))
    WHERE EXISTS (SELECT 1 FROM units WHERE code = p_unit)
$$;
