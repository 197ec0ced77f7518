/*
 * modules/push/live_streams.h — the open event streams of GET /v1/me/events on one worker (internal to the module).
 *
 * Each worker keeps a map subject → its open streams (thread-local, made by the worker's on_init hook). A stream
 * follows up to three logs (push/live.h): its person's, its area's (the ward it had when it opened) and the city's.
 * The live channel (PUSH_LIVE_CHANNEL, followed through ABI 1.7 register_channel) names subjects whose log may have
 * grown, and areas ("area <ward>", "area *" for the city) whose log grew; a subject's line marks the person log of
 * that subject's streams to be read, an area's line that area log of every stream of this worker that follows it
 * (found by a walk over the worker's streams: area lines come once per broadcast, so the walk is rare), and after a
 * (re)subscription every log of every stream. A stream reads its marked logs one at a time, in the order person,
 * area, city, each after its own component of the stream's cursor (XRANGE, with the stream's own request), and
 * writes what is new: so within each log the order is the log's, and a round of reads writes the person's new
 * entries before the area's and those before the city's. One read per stream at a time: a line during a read marks
 * the log again and it is read after.
 *
 * A stream whose buffer is full (stream_write CONG_EBUSY) reads nothing more until it has drained; one that stays
 * full for modules.push.events_stall_ms is ended — its client resumes with Last-Event-ID — so a stalled reader holds
 * at most its stream's buffers and never delays another stream. A quiet stream gets a comment line every
 * modules.push.events_heartbeat_ms.
 *
 * A session's streams end when the session is revoked (logout, session deletion, refresh-token reuse: ABI 1.8
 * register_session_listener, on every worker of every instance): each gets `event: session-ended` and its response
 * ends, so a logged-out app is not left reading a log it may no longer open, and does not reconnect in a loop (the
 * reconnect is refused 401 anyway). Each worker counts its streams by session id, so a revocation for a session with
 * no stream here — nearly all of them, and the whole catch-up after a resubscription — costs one lookup. A stream
 * still connecting when its session is revoked (authenticated, not yet counted) is refused 401 when it would begin:
 * each worker remembers the sessions revoked in the last minute (a ring of the last 4,096).
 *
 * Ownership: a push_sse_t lives in its request's pool; it is in the map from the first write until its stream is
 * ended or gone (CONG_EGONE), and never touched afterwards (`closed`), whatever callback comes late.
 */
#ifndef CONG_MODULE_PUSH_LIVE_STREAMS_H
#define CONG_MODULE_PUSH_LIVE_STREAMS_H

#include "push.h"

#define PUSH_SSE_PAGE 32 /* log entries per XRANGE */
#define PUSH_SSE_KEY_SIZE 160 /* "cong:user:<subject, at most 128>:log" */
#define PUSH_SSE_ALL_LOGS ((1u << PUSH_LIVE_LOGS) - 1)

typedef struct push_sse push_sse_t;
struct push_sse {
    cong_req_t *req;
    cong_stream_t *stream;          /* NULL until the stream has begun */
    const char *subject;            /* the principal's (as long as the request) */
    const char *session_id;         /* the principal's session (as long as the request) */
    char log_key[PUSH_SSE_KEY_SIZE]; /* the person's log */
    char ward[PUSH_WARD_CODE_MAX + 1]; /* the area log followed: this ward's; "" none */
    int city;                       /* the city log is followed (the person is a subscriber) */
    long long area_since_us;        /* area and city entries made before it are skipped (push_subscribers) */
    push_live_cursor_t cursor;      /* per log: the newest entry written or skipped (or known at connect) */
    unsigned unread;                /* logs (1 << PUSH_LOG_*) that may have grown: to read */
    int reading;                    /* an XRANGE of this stream is under way */
    int reading_log;                /* ...of this log */
    int waiting;                    /* a write answered CONG_EBUSY: wait for the stream to drain */
    int closed;                     /* ended or gone: out of the map, never written again */
    long long last_write_ms, waiting_since_ms;
    push_sse_t *prev, *next;        /* in its subject's list */
};

/** Monotonic milliseconds. */
long long push_now_ms(void);
/** Open streams of `subject` on this worker. */
int push_live_count(const char *subject);
/** This worker's buffer for one event being formatted (events_buffer_bytes + 1 bytes), or NULL. */
char *push_live_text(void);
/** Whether `session_id` was revoked on this worker in the last minute (a stream still connecting then was not yet
 *  in the map when its session's listener call came). */
int push_live_session_ended(const char *session_id);
/** Begins `sse`'s stream (its request unanswered so far), writes the retry hint and puts it in the map. 0;
 *  CONG_ESTATE when its session was revoked while it connected (nothing was sent: answer 401); or the stream_begin
 *  error (nothing was sent: answer the request). */
int push_live_open(push_sse_t *sse);
/** Writes `text` (a whole SSE record); 1 when written, 0 when full (waiting) or over. */
int push_live_write(push_sse_t *sse, const char *text, size_t len);
/** Whether `sse` follows log `log` (PUSH_LOG_*). */
int push_live_follows(const push_sse_t *sse, int log);
/** Marks the logs of `logs` (bits 1 << PUSH_LOG_*, only those followed count) to be read, and reads them after their
 *  components of the cursor, writing what is new (or after the read under way). */
void push_live_read(push_sse_t *sse, unsigned logs);
/** Registers the worker hooks, the live channel and the session listener. */
int push_live_register(cong_module_ctx_t *ctx);

#endif
