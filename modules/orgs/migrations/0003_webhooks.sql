-- orgs 0003: webhooks (issue 18, "Webhooks instead of polling") — an organization's HTTPS endpoints and the log of
-- what was delivered to them. The contract is modules/orgs/webhooks.h; the deliverer is cong-webhook-worker
-- (push/webhook_worker/), which reads and writes these tables through the functions below only.
--
-- An endpoint's signing secret ("whsec_" + base64 of 32 random bytes) is shown once, at creation, and stored sealed:
-- AES-256-GCM under the key of modules.orgs.webhook_key_file (secret_sealed = 12-byte nonce | ciphertext | 16-byte
-- tag, the additional data the endpoint's id), so a dump of the database alone signs nothing.
CREATE TABLE webhook_endpoints (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url              text NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    event_types      text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 5),
    secret_sealed    bytea NOT NULL,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    disabled_at      timestamptz,
    created_by       text NOT NULL,          -- the API client that created it
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (organization_id);

-- One delivery per (event, endpoint, event type): its id is the webhook-id ('msg_' + the uuid's hex), the same for
-- every attempt and every replay, so a receiver deduplicates on it. body is the exact bytes signed and sent, made once
-- at the event. attempts counts every attempt ever made; tries and series_started_at the attempts of the current
-- series (since the event, or since the last replay): the retry schedule's position and age.
CREATE TABLE webhook_deliveries (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    endpoint_id        uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    outbox_id          bigint NOT NULL,
    event_type         text NOT NULL,
    body               text NOT NULL,
    state              text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts           integer NOT NULL DEFAULT 0,
    tries              integer NOT NULL DEFAULT 0,
    series_started_at  timestamptz NOT NULL DEFAULT now(),
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    leased_until       timestamptz,              -- an attempt under way (a worker's lease) until then
    last_attempt_at    timestamptz,
    last_status        integer,                  -- the receiver's HTTP status, NULL for none (timeout, refused)
    last_error         text,                     -- 'timeout', 'connect', 'http', ... (never the receiver's body)
    delivered_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (endpoint_id, outbox_id, event_type)
);
-- The worker's lease reads an endpoint's pending deliveries in due order (webhook_claim): due ones first, leased ones
-- (due at their lease's end) after.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at DESC, id);

-- The webhook event types an outbox event is, from the topics the writers use (push/push.h, modules/push's list):
--   dossier.status {code, status, version}      -> dossier.status_changed, and dossier.supplement_requested when the
--                                                  status is supplement_requested, dossier.result_issued when it is
--                                                  result_issued
--   payment.status {id, dossier_code, state, …} -> payment.succeeded when the state is success
--   payment.refund {…, state}                   -> payment.refunded when the state is success
-- Any other topic (mandates, queue, appointments, broadcasts) is no webhook event.
CREATE FUNCTION webhook_event_types(p_topic text, p_payload jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_topic
        WHEN 'dossier.status' THEN
            ARRAY['dossier.status_changed']
            || CASE p_payload ->> 'status' WHEN 'supplement_requested' THEN ARRAY['dossier.supplement_requested']
                                           WHEN 'result_issued' THEN ARRAY['dossier.result_issued']
                                           ELSE ARRAY[]::text[] END
        WHEN 'payment.status' THEN
            CASE WHEN p_payload ->> 'state' = 'success' THEN ARRAY['payment.succeeded'] ELSE ARRAY[]::text[] END
        WHEN 'payment.refund' THEN
            CASE WHEN p_payload ->> 'state' = 'success' THEN ARRAY['payment.refunded'] ELSE ARRAY[]::text[] END
        ELSE ARRAY[]::text[] END
$$;

-- The deliveries of an outbox event about an organization ("org:<id>"), in the event's own transaction (as the push
-- inbox is filled): an event commits with its deliveries or not at all, and the UNIQUE key makes each once.
-- Endpoints disabled at the event get nothing.
CREATE FUNCTION webhook_deliveries_fill() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.subject NOT LIKE 'org:%'
       OR substr(NEW.subject, 5) !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_deliveries (endpoint_id, outbox_id, event_type, body, created_at, series_started_at)
    SELECT e.id, NEW.id, t.type,
           jsonb_build_object('type', t.type,
                              'timestamp', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                              'data', CASE WHEN jsonb_typeof(NEW.payload) = 'object' THEN NEW.payload
                                           ELSE jsonb_build_object('value', NEW.payload) END
                                      || jsonb_build_object('organization', e.organization_id,
                                                            'event_id', NEW.id::text))::text,
           now(), now()
      FROM unnest(webhook_event_types(NEW.topic, NEW.payload)) AS t(type)
      JOIN webhook_endpoints e ON e.organization_id = substr(NEW.subject, 5)::uuid
                              AND e.status = 'active' AND t.type = ANY (e.event_types)
    ON CONFLICT (endpoint_id, outbox_id, event_type) DO NOTHING;
    RETURN NULL;
END $$;

DO $do$
BEGIN
    IF to_regclass('push_outbox') IS NOT NULL THEN
        CREATE TRIGGER webhook_deliveries_fill AFTER INSERT ON push_outbox
            FOR EACH ROW EXECUTE FUNCTION webhook_deliveries_fill();
    END IF;
    -- The organization's inbox text when an endpoint is disabled (modules/push renders it in the event's transaction).
    IF to_regclass('push_templates') IS NOT NULL THEN
        INSERT INTO push_templates (topic, title_vi, body_vi, title_en, body_en) VALUES
            ('webhook.endpoint_disabled', 'Webhook bị tắt',
             'Địa chỉ webhook {{url}} không nhận được sự kiện trong thời gian dài và đã bị tắt.',
             'Webhook disabled', 'The webhook endpoint {{url}} failed for too long and was disabled.')
        ON CONFLICT DO NOTHING;
    END IF;
END $do$;

-- The worker's lease (cong-webhook-worker): up to p_batch due deliveries, at most p_per_endpoint under way per endpoint
-- counting those other workers hold. Endpoint rows are locked (SKIP LOCKED) while counting, so two workers never both
-- fill one endpoint's room; a taken delivery's next_attempt_at and leased_until move p_lease_ms ahead — a worker that
-- dies holding it lets it come due again then (the reclaim). Each take counts an attempt.
CREATE FUNCTION webhook_claim(p_batch integer, p_per_endpoint integer, p_lease_ms integer)
    RETURNS TABLE (o_id uuid, o_webhook_id text, o_endpoint uuid, o_url text, o_sealed bytea, o_body text,
                   o_attempts integer, o_tries integer, o_series_ms bigint)
    LANGUAGE plpgsql AS $$
DECLARE
    v_ep uuid;
    v_room integer;
    v_left integer := p_batch;
    v_taken integer;
    v_lease interval := make_interval(secs => p_lease_ms / 1000.0);
BEGIN
    -- each active endpoint is asked whether it has a due delivery (one index probe each: the endpoints are far fewer
    -- than the deliveries waiting for them)
    FOR v_ep IN SELECT e.id FROM webhook_endpoints e
                 WHERE e.status = 'active'
                   AND EXISTS (SELECT 1 FROM webhook_deliveries d
                                WHERE d.endpoint_id = e.id AND d.state = 'pending' AND d.next_attempt_at <= now())
                 FOR UPDATE SKIP LOCKED
    LOOP
        EXIT WHEN v_left <= 0;
        -- under way: leased, so due at the lease's end, in the future
        SELECT p_per_endpoint - count(*) INTO v_room FROM webhook_deliveries d
         WHERE d.endpoint_id = v_ep AND d.state = 'pending' AND d.next_attempt_at > now() AND d.leased_until > now();
        CONTINUE WHEN v_room <= 0;
        RETURN QUERY
        WITH c AS (SELECT d.id FROM webhook_deliveries d
                    WHERE d.endpoint_id = v_ep AND d.state = 'pending' AND d.next_attempt_at <= now()
                    ORDER BY d.next_attempt_at, d.id LIMIT least(v_room, v_left) FOR UPDATE SKIP LOCKED)
        UPDATE webhook_deliveries d
           SET leased_until = now() + v_lease, next_attempt_at = now() + v_lease, attempts = d.attempts + 1,
               tries = d.tries + 1, last_attempt_at = now()
          FROM c, webhook_endpoints e
         WHERE d.id = c.id AND e.id = d.endpoint_id
        RETURNING d.id, 'msg_' || replace(d.id::text, '-', ''), e.id, e.url, e.secret_sealed, d.body, d.attempts,
                  d.tries, (extract(epoch FROM d.series_started_at) * 1000)::bigint;
        GET DIAGNOSTICS v_taken = ROW_COUNT;
        v_left := v_left - v_taken;
    END LOOP;
END $$;

-- An attempt's outcome (p_attempts: the count the worker's lease returned, so that only the latest lease schedules).
--   delivered: the delivery is done (whoever's attempt it was: a receiver that answered 2xx has it);
--   else p_next_ms > 0: tried again in p_next_ms; p_next_ms <= 0: the schedule is over, the delivery failed — and when
--   the endpoint delivered nothing since this delivery's series began (it failed for the whole schedule), the endpoint
--   is disabled and the organization told (push_outbox topic webhook.endpoint_disabled, its inbox and devices).
-- Returns 'delivered', 'retry', 'failed', 'disabled', or 'stale' (the row moved on: deleted, replayed, re-leased).
CREATE FUNCTION webhook_record(p_id uuid, p_attempts integer, p_delivered boolean, p_status integer, p_error text,
                               p_next_ms bigint) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    d webhook_deliveries;
    e webhook_endpoints;
BEGIN
    IF p_delivered THEN
        UPDATE webhook_deliveries SET state = 'delivered', delivered_at = now(), last_status = p_status,
               last_error = NULL, leased_until = NULL
         WHERE id = p_id AND state <> 'delivered' RETURNING * INTO d;
        RETURN CASE WHEN d.id IS NULL THEN 'stale' ELSE 'delivered' END;
    END IF;
    UPDATE webhook_deliveries
       SET last_status = p_status, last_error = p_error, leased_until = NULL,
           state = CASE WHEN p_next_ms > 0 THEN 'pending' ELSE 'failed' END,
           next_attempt_at = now() + make_interval(secs => greatest(p_next_ms, 0) / 1000.0)
     WHERE id = p_id AND state = 'pending' AND attempts = p_attempts RETURNING * INTO d;
    IF d.id IS NULL THEN
        RETURN 'stale';
    ELSIF p_next_ms > 0 THEN
        RETURN 'retry';
    END IF;
    UPDATE webhook_endpoints w SET status = 'disabled', disabled_at = now()
     WHERE w.id = d.endpoint_id AND w.status = 'active'
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries x
                        WHERE x.endpoint_id = w.id AND x.delivered_at >= d.series_started_at)
    RETURNING * INTO e;
    IF e.id IS NULL THEN
        RETURN 'failed';
    END IF;
    -- what was still waiting for it will not be sent: failed, so the log says so (a replay needs an active endpoint)
    UPDATE webhook_deliveries SET state = 'failed', last_error = 'endpoint-disabled', leased_until = NULL
     WHERE endpoint_id = e.id AND state = 'pending';
    INSERT INTO push_outbox (subject, topic, payload)
    VALUES ('org:' || e.organization_id, 'webhook.endpoint_disabled',
            jsonb_build_object('endpoint', e.id, 'url', e.url));
    RETURN 'disabled';
END $$;

-- The JSON of an endpoint as its organization sees it: never its secret.
CREATE FUNCTION webhook_endpoint_json(e webhook_endpoints) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', e.id, 'url', e.url, 'event_types', to_jsonb(e.event_types), 'status', e.status,
                              'created_at', to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                              'disabled_at', to_char(e.disabled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
$$;

-- The JSON of a delivery in its endpoint's log.
CREATE FUNCTION webhook_delivery_json(d webhook_deliveries) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', d.id, 'webhook_id', 'msg_' || replace(d.id::text, '-', ''),
                              'event_type', d.event_type, 'event_id', d.outbox_id::text, 'state', d.state,
                              'attempts', d.attempts, 'last_status', d.last_status, 'last_error', d.last_error,
                              'last_attempt_at',
                              to_char(d.last_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                              'next_attempt_at', CASE WHEN d.state = 'pending' THEN
                              to_char(d.next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END,
                              'delivered_at',
                              to_char(d.delivered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                              'created_at', to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;
