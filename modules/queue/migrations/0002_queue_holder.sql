-- queue 0002: the ticket holder's side (modules/queue/holder.c): their tickets, each with its place, and cancelling a
-- waiting one. No new table nor index: a holder's tickets of a day are read through queue_tickets_holder
-- (subject, day), one ticket through the primary key, and the place of a waiting ticket through
-- queue_tickets_waiting and queue_tickets_served as queue_ticket_position does for a ticket just taken.

-- A ticket as its holder sees it: the ticket, and while it waits what its wait estimate needs (ahead, counters,
-- measured_s, measured_n: modules/queue/place.c turns them into estimated_wait_minutes). Once called, served,
-- absent or cancelled it has no place in the queue.
CREATE FUNCTION queue_holder_json(t queue_tickets) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN queue_ticket_json(t) || CASE WHEN t.state = 'waiting' THEN queue_ticket_position(t) ELSE '{}'::jsonb END;

-- The holder cancels a waiting ticket of theirs. The row is locked first: against an official calling it at the same
-- moment (queue_call_next locks with SKIP LOCKED) exactly one wins — a call that locked first makes this a
-- not-waiting, a cancel that locked first is skipped by the call. A cancelled ticket counts no more toward the
-- holder's limits (queue_ticket_prepare and queue_ticket_take count state <> 'cancelled'), nor in the queue (every
-- reader of the queue reads state = 'waiting'). The cancel commits with its audit record. No push event: the only
-- one who learns something is the holder, who asked.
-- outcome: not-found (no such ticket of this holder), not-waiting (with the ticket), cancelled.
CREATE FUNCTION queue_ticket_cancel(p_subject text, p_ticket uuid, p_request_id text)
    RETURNS TABLE (outcome text, body jsonb)
    LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    t queue_tickets;
BEGIN
    SELECT * INTO t FROM queue_tickets q WHERE q.id = p_ticket AND q.subject = p_subject FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not-found', NULL::jsonb;
        RETURN;
    END IF;
    IF t.state <> 'waiting' THEN
        RETURN QUERY SELECT 'not-waiting', queue_ticket_json(t);
        RETURN;
    END IF;
    UPDATE queue_tickets SET state = 'cancelled', finished_at = clock_timestamp() WHERE id = t.id RETURNING * INTO t;
    PERFORM cong_audit('queue', p_subject, 'citizen', p_subject, 'queue.cancel', 'queue_ticket:' || t.id,
                       p_request_id, jsonb_build_object('unit', t.unit_code, 'domain', t.domain, 'number', t.number));
    RETURN QUERY SELECT 'cancelled', queue_ticket_json(t);
END $$;
