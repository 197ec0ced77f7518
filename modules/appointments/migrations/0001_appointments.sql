-- appointments 0001: booked times with a unit's staff (modules/appointments, issue 15). Units, domains, the
-- procedures each unit handles, the holidays and the officials' grants (user_roles: role 'official', resource = unit
-- code) are the procedures module's tables; this module only reads them. Times are instants (timestamptz); the
-- schedule's days and hours are Hanoi's (UTC+7, no daylight saving).
--
-- Never overbooked: a seat is taken by ONE statement on the slot's counter row (appointment_seat_take: INSERT ... ON
-- CONFLICT DO UPDATE SET taken = taken + 1 WHERE taken < capacity), in the transaction that checks the citizen's
-- limits under an advisory lock on the citizen (appointment_book). Every way out of an active appointment (cancel,
-- a hold's expiry) gives the seat back in its own transaction.

-- A unit's published schedule for one procedure domain: which ISO weekdays (1 Monday .. 7 Sunday: weekends only
-- when listed), the periods of the day ("08:00"-"11:30", ...), the slot length and the seats of each slot.
CREATE TABLE appointment_schedules (
    unit_code     text NOT NULL REFERENCES units (code),
    domain        text NOT NULL REFERENCES domains (code),
    weekdays      smallint[] NOT NULL CHECK (cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ '{1,2,3,4,5,6,7}'),
    periods       jsonb NOT NULL,                 -- [{"start": "08:00", "end": "11:30"}, ...], sorted, disjoint
    slot_minutes  integer NOT NULL CHECK (slot_minutes BETWEEN 5 AND 480),
    capacity      integer NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
    updated_by    text NOT NULL,                  -- the official who published it
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, domain)
);

-- The seats taken of a slot: a row from its first booking on. capacity is the schedule's when the row was made (a
-- changed schedule updates the future rows); taken may then exceed it, and the slot simply has no seat left.
CREATE TABLE appointment_slots (
    unit_code     text NOT NULL,
    domain        text NOT NULL,
    starts_at     timestamptz NOT NULL,
    capacity      integer NOT NULL CHECK (capacity >= 1),
    taken         integer NOT NULL CHECK (taken >= 0),
    PRIMARY KEY (unit_code, domain, starts_at)
);

CREATE TABLE appointments (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    unit_code        text NOT NULL REFERENCES units (code),
    domain           text NOT NULL REFERENCES domains (code),
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    subject          text NOT NULL,               -- the holder's pseudonymous subject, never a citizen number
    dossier_code     text,                        -- the holder's own dossier it is about, if any
    status           text NOT NULL CHECK (status IN ('held', 'confirmed', 'cancelled', 'expired')),
    hold_expires_at  timestamptz NOT NULL,
    idempotency_key  text NOT NULL,
    request_hash     text NOT NULL,               -- SHA-256 of the canonical request: a retry must match it
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    confirmed_at     timestamptz,
    ended_at         timestamptz,                 -- cancelled or expired
    reminded_day_at  timestamptz,                 -- the reminder 24 hours before was written (or skipped: too late)
    reminded_hour_at timestamptz,                 -- the reminder an hour before was written
    UNIQUE (subject, idempotency_key)
);
CREATE INDEX appointments_holder ON appointments (subject, starts_at DESC);
CREATE INDEX appointments_holds_due ON appointments (hold_expires_at) WHERE status = 'held';
CREATE INDEX appointments_reminders_due ON appointments (starts_at)
    WHERE status = 'confirmed' AND reminded_hour_at IS NULL;

-- An appointment as the API shows it.
CREATE FUNCTION appointment_json(a appointments) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object('id', a.id, 'unit', a.unit_code, 'domain', a.domain, 'slot', cong_local_iso(a.starts_at),
                              'ends_at', cong_local_iso(a.ends_at), 'status', a.status, 'dossier_code', a.dossier_code,
                              'hold_expires_at', CASE WHEN a.status = 'held' THEN cong_local_iso(a.hold_expires_at) END,
                              'created_at', cong_local_iso(a.created_at),
                              'confirmed_at', cong_local_iso(a.confirmed_at));

CREATE FUNCTION appointment_schedule_json(s appointment_schedules) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object('unit', s.unit_code, 'domain', s.domain, 'weekdays', to_jsonb(s.weekdays),
                              'periods', s.periods, 'slot_minutes', s.slot_minutes, 'capacity', s.capacity,
                              'updated_at', cong_local_iso(s.updated_at));

-- Whether the schedule offers a slot starting at p_at: a listed weekday that is no holiday, a start on the slot grid
-- of one of its periods, the whole slot inside that period. The gateway's slots.c generates the same grid.
CREATE FUNCTION appointment_slot_offered(s appointment_schedules, p_at timestamptz) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT extract(isodow FROM cong_local_date(p_at))::smallint = ANY (s.weekdays)
       AND NOT EXISTS (SELECT 1 FROM holidays h WHERE h.day = cong_local_date(p_at))
       AND EXISTS (SELECT 1 FROM jsonb_array_elements(s.periods) p,
                        LATERAL (SELECT (p_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::time AS t,
                                        (p->>'start')::interval AS a, (p->>'end')::interval AS b) x
                   WHERE x.t::interval >= x.a AND x.t::interval + make_interval(mins => s.slot_minutes) <= x.b
                     AND (extract(epoch FROM x.t::interval - x.a)::bigint % (s.slot_minutes * 60)) = 0)
$$;

-- What GET /v1/units/{code}/slots needs to generate the slots of local days p_from..p_to (slots.c): the schedule, the
-- holidays among those days, the seats taken of slots in them. NULL for an unknown unit; "schedule" null when the
-- unit publishes none for the domain; "domain_known" false for a domain the catalog does not have.
CREATE FUNCTION appointment_slots_basis(p_unit text, p_domain text, p_from date, p_to date) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'domain_known', EXISTS (SELECT 1 FROM domains WHERE code = p_domain),
        'schedule', (SELECT appointment_schedule_json(s) FROM appointment_schedules s
                     WHERE s.unit_code = p_unit AND s.domain = p_domain),
        'holidays', coalesce((SELECT jsonb_agg(to_char(h.day, 'YYYY-MM-DD') ORDER BY h.day) FROM holidays h
                              WHERE h.day BETWEEN p_from AND p_to), '[]'::jsonb),
        'taken', coalesce((SELECT jsonb_agg(jsonb_build_array(extract(epoch FROM t.starts_at)::bigint, t.taken,
                                                              t.capacity) ORDER BY t.starts_at)
                           FROM appointment_slots t
                           WHERE t.unit_code = p_unit AND t.domain = p_domain
                             AND t.starts_at >= cong_local_midnight(p_from)
                             AND t.starts_at < cong_local_midnight(p_to + 1)), '[]'::jsonb))
    WHERE EXISTS (SELECT 1 FROM units WHERE code = p_unit)
$$;

-- The one statement that takes a seat: true when taken, false when the slot is full. The counter row stays locked
-- until the caller's transaction ends, so two bookings of one slot are counted one after the other.
CREATE FUNCTION appointment_seat_take(p_unit text, p_domain text, p_at timestamptz, p_capacity integer) RETURNS boolean
    LANGUAGE sql AS $$
    WITH seat AS (
        INSERT INTO appointment_slots AS s (unit_code, domain, starts_at, capacity, taken)
        VALUES (p_unit, p_domain, p_at, p_capacity, 1)
        ON CONFLICT (unit_code, domain, starts_at) DO UPDATE SET taken = s.taken + 1 WHERE s.taken < s.capacity
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM seat)
$$;

CREATE FUNCTION appointment_seat_give_back(a appointments) RETURNS void
    LANGUAGE sql AS $$
    UPDATE appointment_slots SET taken = taken - 1
    WHERE unit_code = a.unit_code AND domain = a.domain AND starts_at = a.starts_at AND taken > 0
$$;

-- The holder's event of a change (confirmed, cancelled, expired) and its audit record, in the change's transaction.
CREATE FUNCTION appointment_changed(a appointments, p_actor text, p_actor_kind text, p_action text, p_request_id text)
    RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO push_outbox (subject, topic, payload)
    VALUES (a.subject, 'appointment.changed',
            jsonb_build_object('appointment', a.id, 'status', a.status, 'unit', a.unit_code, 'domain', a.domain,
                               'slot', cong_local_iso(a.starts_at)));
    PERFORM cong_audit('appointments', p_actor, p_actor_kind, a.subject, p_action, 'appointment:' || a.id, p_request_id,
                       jsonb_build_object('unit', a.unit_code, 'domain', a.domain,
                                          'slot', cong_local_iso(a.starts_at)));
END $$;

-- A hold is booked: under a lock on the citizen (concurrent bookings of one citizen are counted one after the other)
-- the Idempotency-Key (same key and request: the appointment again, replayed; another request: 422), the slot against
-- the schedule, the dossier, the citizen's limits — active appointments (held or confirmed, not begun) in the domain,
-- and on the slot's local day — then the seat in one statement, then the row. Answers (http_status, body, replayed);
-- a body with "problem" is answered as problem+json.
CREATE FUNCTION appointment_book(p_subject text, p_key text, p_hash text, p_unit text, p_domain text, p_at timestamptz,
                                 p_dossier text, p_hold_s integer, p_max_domain integer, p_max_day integer,
                                 p_horizon_days integer, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb, replayed boolean)
    LANGUAGE plpgsql AS $$
DECLARE
    a appointments;
    s appointment_schedules;
    n_domain integer;
    n_day integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('appointments:' || p_subject));
    SELECT * INTO a FROM appointments x WHERE x.subject = p_subject AND x.idempotency_key = p_key;
    IF FOUND THEN
        IF a.request_hash = p_hash THEN
            RETURN QUERY SELECT 201, appointment_json(a), true;
        ELSE
            RETURN QUERY SELECT 422, '{"problem": "idempotency-key-reused"}'::jsonb, false;
        END IF;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM units WHERE code = p_unit) THEN
        RETURN QUERY SELECT 404, '{"problem": "not-found"}'::jsonb, false;
        RETURN;
    END IF;
    SELECT * INTO s FROM appointment_schedules x WHERE x.unit_code = p_unit AND x.domain = p_domain;
    IF NOT FOUND OR p_at <= now() OR p_at > now() + make_interval(days => p_horizon_days)
       OR NOT appointment_slot_offered(s, p_at) THEN
        RETURN QUERY SELECT 422, jsonb_build_object('problem', 'validation-failed', 'errors',
            jsonb_build_array(jsonb_build_object('field', CASE WHEN s.unit_code IS NULL THEN 'domain' ELSE 'slot' END,
                                                 'code', 'not-offered'))), false;
        RETURN;
    END IF;
    IF p_dossier IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM dossiers d WHERE d.code = p_dossier AND d.subject = p_subject) THEN
        RETURN QUERY SELECT 422, '{"problem": "validation-failed",
                                   "errors": [{"field": "dossier_code", "code": "unknown"}]}'::jsonb, false;
        RETURN;
    END IF;
    SELECT count(*) FILTER (WHERE x.domain = p_domain AND x.starts_at > now()),
           count(*) FILTER (WHERE cong_local_date(x.starts_at) = cong_local_date(p_at))
        INTO n_domain, n_day
        FROM appointments x WHERE x.subject = p_subject AND x.status IN ('held', 'confirmed');
    IF n_domain >= p_max_domain OR n_day >= p_max_day THEN
        RETURN QUERY SELECT 409, jsonb_build_object('problem', 'appointment-limit-reached',
            'limit', CASE WHEN n_domain >= p_max_domain THEN 'per_domain' ELSE 'per_day' END,
            'max', CASE WHEN n_domain >= p_max_domain THEN p_max_domain ELSE p_max_day END), false;
        RETURN;
    END IF;
    IF NOT appointment_seat_take(p_unit, p_domain, p_at, s.capacity) THEN
        RETURN QUERY SELECT 409, '{"problem": "slot-full"}'::jsonb, false;
        RETURN;
    END IF;
    INSERT INTO appointments (unit_code, domain, starts_at, ends_at, subject, dossier_code, status, hold_expires_at,
                              idempotency_key, request_hash)
    VALUES (p_unit, p_domain, p_at, p_at + make_interval(mins => s.slot_minutes), p_subject, p_dossier, 'held',
            now() + make_interval(secs => p_hold_s), p_key, p_hash)
    RETURNING * INTO a;
    PERFORM cong_audit('appointments', p_subject, 'citizen', p_subject, 'appointment.book', 'appointment:' || a.id,
                       p_request_id, jsonb_build_object('unit', p_unit, 'domain', p_domain,
                                                        'slot', cong_local_iso(p_at), 'dossier', p_dossier));
    RETURN QUERY SELECT 201, appointment_json(a), false;
END $$;

-- Ends a hold past its time (the job's and confirm's way): expired, its seat given back, event and audit.
CREATE FUNCTION appointment_expire(a appointments, p_request_id text) RETURNS appointments
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE appointments SET status = 'expired', ended_at = now() WHERE id = a.id RETURNING * INTO a;
    PERFORM appointment_seat_give_back(a);
    PERFORM appointment_changed(a, 'system', 'system', 'appointment.expire', p_request_id);
    RETURN a;
END $$;

-- The holder confirms a hold (p_action 'confirm') or cancels a hold or a confirmed appointment not begun ('cancel').
-- Someone else's, or none: 404. Again the same: 200 unchanged. A hold past its time is expired here (the job may not
-- have come yet) and answered 409 hold-expired.
CREATE FUNCTION appointment_change(p_subject text, p_id uuid, p_action text, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    a appointments;
BEGIN
    SELECT * INTO a FROM appointments x WHERE x.id = p_id AND x.subject = p_subject FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 404, '{"problem": "not-found"}'::jsonb;
        RETURN;
    END IF;
    IF a.status = 'held' AND a.hold_expires_at <= now() THEN
        a := appointment_expire(a, p_request_id);
    END IF;
    IF (p_action = 'confirm' AND a.status = 'confirmed') OR (p_action = 'cancel' AND a.status = 'cancelled') THEN
        RETURN QUERY SELECT 200, appointment_json(a);
        RETURN;
    END IF;
    IF p_action = 'confirm' AND a.status = 'expired' THEN
        RETURN QUERY SELECT 409, jsonb_build_object('problem', 'hold-expired', 'appointment', appointment_json(a));
        RETURN;
    END IF;
    IF a.status NOT IN ('held', 'confirmed') OR (p_action = 'confirm' AND a.status <> 'held')
       OR a.starts_at <= now() THEN
        RETURN QUERY SELECT 409, jsonb_build_object('problem', 'invalid-transition', 'current_status', a.status,
                                                    'action', p_action);
        RETURN;
    END IF;
    IF p_action = 'confirm' THEN
        UPDATE appointments SET status = 'confirmed', confirmed_at = now() WHERE id = a.id RETURNING * INTO a;
        -- booked less than a day ahead: the day-before reminder has nothing left to remind of
        IF a.starts_at <= now() + interval '1 day' THEN
            UPDATE appointments SET reminded_day_at = now() WHERE id = a.id RETURNING * INTO a;
        END IF;
    ELSE
        UPDATE appointments SET status = 'cancelled', ended_at = now() WHERE id = a.id RETURNING * INTO a;
        PERFORM appointment_seat_give_back(a);
    END IF;
    PERFORM appointment_changed(a, p_subject, 'citizen', 'appointment.' || p_action, p_request_id);
    RETURN QUERY SELECT 200, appointment_json(a);
END $$;

-- The hold-expiry job's batch: holds past their time, each expired with its seat given back. SKIP LOCKED: another
-- instance's job, or a confirm under way, is left alone. Returns how many.
CREATE FUNCTION appointment_expire_due(p_batch integer) RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    a appointments;
    n integer := 0;
BEGIN
    FOR a IN SELECT * FROM appointments WHERE status = 'held' AND hold_expires_at <= now()
             ORDER BY hold_expires_at LIMIT p_batch FOR UPDATE SKIP LOCKED LOOP
        PERFORM appointment_expire(a, NULL);
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

-- The reminders job's batch: a push_outbox row (topic appointment.reminder, to the holder) 24 hours before a confirmed
-- appointment and another an hour before, each once (reminded_day_at, reminded_hour_at are set in the row's
-- transaction). Within the hour the day-before one is skipped. Returns how many rows were written.
CREATE FUNCTION appointment_remind_due(p_batch integer) RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    a appointments;
    v_kind text;
    n integer := 0;
BEGIN
    FOR a IN SELECT * FROM appointments
             WHERE status = 'confirmed' AND reminded_hour_at IS NULL AND starts_at > now()
               AND (starts_at <= now() + interval '1 hour'
                    OR (reminded_day_at IS NULL AND starts_at <= now() + interval '1 day'))
             ORDER BY starts_at LIMIT p_batch FOR UPDATE SKIP LOCKED LOOP
        IF a.starts_at <= now() + interval '1 hour' THEN
            v_kind := 'hour_before';
            UPDATE appointments SET reminded_hour_at = now(), reminded_day_at = coalesce(reminded_day_at, now())
            WHERE id = a.id;
        ELSE
            v_kind := 'day_before';
            UPDATE appointments SET reminded_day_at = now() WHERE id = a.id;
        END IF;
        INSERT INTO push_outbox (subject, topic, payload)
        VALUES (a.subject, 'appointment.reminder',
                jsonb_build_object('appointment', a.id, 'kind', v_kind, 'unit', a.unit_code, 'domain', a.domain,
                                   'slot', cong_local_iso(a.starts_at)));
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

-- The procedures module's rule for who is an official of which unit, read here: NULL when p_subject serves p_unit,
-- else not-official (no unit at all) or not-your-unit.
CREATE FUNCTION appointment_official_refusal(p_subject text, p_unit text) RETURNS text
    LANGUAGE sql STABLE
    RETURN CASE
        WHEN NOT EXISTS (SELECT 1 FROM user_roles WHERE subject = p_subject AND role = 'official') THEN 'not-official'
        WHEN NOT EXISTS (SELECT 1 FROM user_roles WHERE subject = p_subject AND role = 'official'
                         AND resource = p_unit) THEN 'not-your-unit'
    END;

-- An official of the unit publishes its schedule for a domain the unit handles (validated by the gateway: schedule.c).
-- The capacity of slots already booked from now on follows it. Audited.
CREATE FUNCTION appointment_schedule_put(p_official text, p_unit text, p_domain text, p_weekdays smallint[],
                                         p_periods jsonb, p_slot_minutes integer, p_capacity integer, p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    refusal text := appointment_official_refusal(p_official, p_unit);
    s appointment_schedules;
BEGIN
    IF refusal IS NOT NULL THEN
        RETURN QUERY SELECT 403, jsonb_build_object('problem', 'forbidden', 'reason', refusal);
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM procedure_units pu JOIN procedures p ON p.code = pu.procedure_code
                   WHERE pu.unit_code = p_unit AND p.domain = p_domain) THEN
        RETURN QUERY SELECT 422, '{"problem": "validation-failed",
                                   "errors": [{"field": "domain", "code": "not-handled"}]}'::jsonb;
        RETURN;
    END IF;
    INSERT INTO appointment_schedules (unit_code, domain, weekdays, periods, slot_minutes, capacity, updated_by)
    VALUES (p_unit, p_domain, p_weekdays, p_periods, p_slot_minutes, p_capacity, p_official)
    ON CONFLICT (unit_code, domain) DO UPDATE SET weekdays = EXCLUDED.weekdays, periods = EXCLUDED.periods,
        slot_minutes = EXCLUDED.slot_minutes, capacity = EXCLUDED.capacity, updated_by = EXCLUDED.updated_by,
        updated_at = now()
    RETURNING * INTO s;
    UPDATE appointment_slots SET capacity = p_capacity
    WHERE unit_code = p_unit AND domain = p_domain AND starts_at > now() AND capacity <> p_capacity;
    PERFORM cong_audit('appointments', p_official, 'official', NULL, 'appointment.schedule',
                       'appointment_schedule:' || p_unit || '/' || p_domain, p_request_id,
                       appointment_schedule_json(s));
    RETURN QUERY SELECT 200, appointment_schedule_json(s);
END $$;

-- The holder's appointments, the latest slots first (at most p_limit).
CREATE FUNCTION appointment_list(p_subject text, p_limit integer) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('items', coalesce(jsonb_agg(appointment_json(a) ORDER BY a.starts_at DESC, a.id),
                                                '[]'::jsonb))
    FROM appointments a -- the table's row type (a subquery's record would make appointment_json ambiguous)
    WHERE a.id IN (SELECT id FROM appointments WHERE subject = p_subject ORDER BY starts_at DESC, id LIMIT p_limit)
$$;
