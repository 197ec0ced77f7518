-- orgs 0004: webhooks, what a business needs after the first release (orgs.h "Webhooks"): rotating an endpoint's
-- secret with an overlap, re-enabling an endpoint the worker disabled, and paging the delivery log.
--
-- Rotation (POST /v1/org/webhooks/{id}/rotate-secret): the secret in use moves to previous_secret_sealed (sealed as
-- before: same key, the endpoint's id the additional data) and stays valid until previous_secret_until; the worker
-- signs with both until then (webhook_previous_secret), the new one first. A second rotation within the overlap
-- drops the oldest: only the last two secrets are ever signed with.
ALTER TABLE webhook_endpoints
    ADD COLUMN previous_secret_sealed bytea,
    ADD COLUMN previous_secret_until  timestamptz;

-- The worker's second secret for an endpoint: the previous one while its overlap runs, else NULL. Read right after
-- webhook_claim (whose lease holds the endpoint row's lock until the worker's statement ends).
CREATE FUNCTION webhook_previous_secret(p_endpoint uuid) RETURNS bytea
    LANGUAGE sql STABLE AS $$
    SELECT previous_secret_sealed FROM webhook_endpoints
     WHERE id = p_endpoint AND previous_secret_until > now()
$$;

-- The delivery log's keyset cursor: its position in the order newest first, (created_at, id) descending, as text
-- "<created_at UTC to the microsecond>_<id>" (exact: no float on the way). A page after cursor c holds the rows with
-- (created_at, id) < c, so rows inserted since (newer) never shift it.
CREATE FUNCTION webhook_delivery_cursor(d webhook_deliveries) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '_' || d.id::text
$$;

-- The log's index in the order it is paged (0003's had id ascending within one created_at).
CREATE INDEX webhook_deliveries_page ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
DROP INDEX webhook_deliveries_log;
