/*
 * push/pipeline.h — how an event becomes a notification: the contract between the processes and the module of
 * issue 14. Who owns what:
 *
 *   module (its change)  --same transaction-->  push_outbox row + push_inbox row (modules/push trigger)
 *   cong-push-relay      push_outbox  -->  Redis stream "cong:events:<topic>"       (push/relay, push/push.h)
 *   cong-push-worker     "cong:events:<topic>"  -->  live log + PUBLISH (push/live.h)  -->  devices (push/delivery)
 *   cong-push-fanout     a broadcast (PostgreSQL)  -->  ONE entry in its area log + a delivery entry per recipient
 *                        with a device
 *   gateway, module push GET /v1/me/events: the person's log, their area's and the city's + the live channel
 *                        -->  Server-Sent Events
 *
 * Organizations' webhooks share the outbox, not the streams: a trigger on push_outbox makes their deliveries in the
 * event's transaction, and cong-webhook-worker sends them from PostgreSQL leases (push/webhook_worker/worker.h).
 *
 * Everything here is at-least-once underneath and once-only where the citizen sees it: the inbox row by its UNIQUE
 * key (subject, event_key), the live logs by their marks (live.h), a device by the delivery marks below.
 *
 * ---- cong-push-worker (push/worker/) ----------------------------------------------------------------------------
 * A process of its own (blocking hiredis + libpq, the provider adapters of push/delivery); several run at once, on
 * one host or many.
 *   - Streams: "cong:events:<topic>" for every topic of push_templates (re-read every minute) and
 *     "cong:events:broadcast.message". Consumer group PUSH_GROUP on each, created at "0" with MKSTREAM when missing;
 *     the consumer name is "<hostname>:<pid>" (a restarted worker is a new consumer).
 *   - Reading: XREADGROUP ... > in batches (COUNT --batch), BLOCK a bounded time so it notices stop and new topics.
 *   - Reclaiming: entries pending longer than --claim-idle-ms (longer than the longest send: deadline × 2) in any
 *     consumer are taken over with XAUTOCLAIM, at start and every few seconds, so a worker that died (SIGKILL
 *     mid-batch) loses nothing. Consumers idle and without pending entries for an hour are deleted (XGROUP
 *     DELCONSUMER) so the group does not grow forever.
 *   - Per event (its msgpack "m", push/push.h; data.subject is the person, request_id the event key):
 *       1. live: push_live_append of {subject, event key, topic, data from the inbox row (subject, event_key): its
 *          id and texts; a topic without a template has no inbox row: inbox_id null, texts ""} — unless
 *          data.live_done is true (a broadcast's recipient: its area log has the broadcast, live.h);
 *       2. devices: the person's rows of push_devices; for each, unless it has a delivery mark (HMGET of those
          devices' fields only: a broadcast's one mark hash holds every recipient's device), check its session
 *          (modules/push/push.h: EXISTS cong:session:<session_id>, not revoked) — an ended session's device gets
 *          nothing and its row is deleted — then send with the adapter of its platform, texts in the device's
 *          locale (from the inbox row; a broadcast's from its data; an event without texts sends nothing to devices);
 *       3. outcome per device, then the mark HSET "cong:push:dlv:<event key>" <device id> <outcome> (EXPIRE 7 days):
 *          sent / dropped (PUSH_DROP, logged once with the provider's reason) / gone (the device row is deleted) —
 *          or a retry (PUSH_RETRY): ZADD PUSH_RETRY_KEY <due ms> "<topic>\n<entry id>\n<event key>\n<device id>\n
 *          <attempt>" with exponential backoff from --retry-base-ms (doubling, jittered, capped) or the provider's
 *          Retry-After when longer; after --retry-max-age-s (default one day) the message is dropped;
 *       4. XACK once every device of the event has a mark or a scheduled retry.
 *     A crash between a provider's 200 and the mark resends that one message to that device (at-least-once at the
 *     provider; apns-id / collapse id make a phone show it once); a crash anywhere else resends nothing.
 *   - Retries due are taken by moving their score forward by --claim-idle-ms in one Lua step (a lease: a worker
 *     that dies holding them lets them come due again), then handled as in 3 and removed (ZREM) once final.
 *   - Broadcast progress: for an event of topic broadcast.message, HINCRBY "cong:broadcast:<id>:progress" of
 *     devices_sent / devices_failed by the device outcomes.
 *   - Stops on SIGTERM after the batch in hand (acked or left pending for a reclaim); never logs a token, a
 *     credential, a payload or a subject whole.
 *
 * ---- cong-push-fanout (push/fanout/) ----------------------------------------------------------------------------
 * Sends a broadcast (modules/push: POST /v1/broadcasts writes the push_broadcasts row and an audit record). One
 * process may run several broadcasts; several processes share them by FOR UPDATE SKIP LOCKED on the row, and a
 * broadcast keeps its cursor in PostgreSQL (the last recipient done), so a fan-out that died is resumed, not
 * restarted.
 *   - Recipients: push_subscribers whose ward_code is the broadcast's area (or every subscriber, city-wide), paged by
 *     subject order from the cursor.
 *   - The broadcast itself, once: at the first page (cursor NULL), push_live_area_append (push/live.h) of ONE entry
 *     to the area log of its ward ("cong:area:<ward_code>:log") or, city-wide, to "cong:city:log" (event key
 *     "broadcast:<id>", topic broadcast.message, inbox_id the broadcast's id, a = when it was made), which also
 *     publishes the area's line on the live channel. Every open event stream of a person of that area reads it from
 *     there (modules/push events.c): nobody's own log grows, so a broadcast costs Redis the same for 10 people or
 *     8.5 million. The script's once-mark makes a first page done again (a crash before its commit) append nothing.
 *   - Per page: one XADD per recipient WITH at least one device to "cong:events:broadcast.message" (data: subject,
 *     broadcast_id, the texts, live_done true), pipelined; recipients without a device cost nothing in Redis. Then
 *     the cursor and the counters (targeted, delivered: the recipients of the pages committed) are committed, a few
 *     pages (about a second of --rate) to a transaction (fanout.h). Paced: at most --rate recipients a second
 *     overall. Cancelled (state 'cancelled' by DELETE /v1/broadcasts/{id}, which waits for the pass
 *     under way: its row lock): stops before the next pass (an area entry already appended stays: streams open then
 *     have shown it).
 *   - The PostgreSQL inbox is not written per recipient: GET /v1/me/inbox shows the broadcasts of the reader's area
 *     (fan-out on read, with push_broadcast_marks for read and deleted), so a city-wide message is one row, not 8.5
 *     million.
 */
#ifndef CONG_PUSH_PIPELINE_H
#define CONG_PUSH_PIPELINE_H

#define PUSH_GROUP "cong-push"                        /* the delivery workers' consumer group on each event stream */
#define PUSH_EVENT_STREAM_PREFIX "cong:events:"       /* + topic (push/push.h) */
#define PUSH_BROADCAST_TOPIC "broadcast.message"      /* per-recipient delivery entries; the area logs' event name */
#define PUSH_RETRY_KEY "cong:push:retry"              /* sorted set of device sends to try again, scored by due ms */
#define PUSH_DELIVERY_MARK_PREFIX "cong:push:dlv:"    /* + event key: hash device id -> sent | dropped | gone */
#define PUSH_DELIVERY_MARK_TTL_S (7 * 86400)
#define PUSH_BROADCAST_PROGRESS_FMT "cong:broadcast:%s:progress" /* hash devices_sent, devices_failed */

#endif
