/*
 * modules/push/live_streams.h — the open event streams of GET /v1/me/events on one worker (internal to the module).
 *
 * Each worker keeps a map subject → its open streams (thread-local, made by the worker's on_init hook). The live
 * channel (push/live.h: PUSH_LIVE_CHANNEL, followed through ABI 1.7 register_channel) names subjects whose log may
 * have grown; for each stream of a named subject this worker reads the log after the last id the stream sent
 * (XRANGE, with the stream's own request) and writes what is new. After a (re)subscription every open stream reads
 * its log again. One read per stream at a time: a message during a read asks for another one after it.
 *
 * A stream whose buffer is full (stream_write CONG_EBUSY) reads nothing more until it has drained; one that stays
 * full for modules.push.events_stall_ms is ended — its client resumes with Last-Event-ID — so a stalled reader holds
 * at most its stream's buffers and never delays another stream. A quiet stream gets a comment line every
 * modules.push.events_heartbeat_ms.
 *
 * Ownership: a push_sse_t lives in its request's pool; it is in the map from the first write until its stream is
 * ended or gone (CONG_EGONE), and never touched afterwards (`closed`), whatever callback comes late.
 */
#ifndef CONG_MODULE_PUSH_LIVE_STREAMS_H
#define CONG_MODULE_PUSH_LIVE_STREAMS_H

#include "push.h"

#define PUSH_SSE_PAGE 32 /* log entries per XRANGE */
#define PUSH_SSE_KEY_SIZE 160 /* "cong:user:<subject, at most 128>:log" */

typedef struct push_sse push_sse_t;
struct push_sse {
    cong_req_t *req;
    cong_stream_t *stream;          /* NULL until the stream has begun */
    const char *subject;            /* the principal's (as long as the request) */
    char log_key[PUSH_SSE_KEY_SIZE];
    char last_id[PUSH_LIVE_ID_SIZE]; /* the newest entry written (or known at connect), "0-0" for none */
    unsigned long long seen;        /* the worker's channel calls when the connect read was sent */
    int reading;                    /* an XRANGE of this stream is under way */
    int again;                      /* the log may have grown since that read began: read once more */
    int waiting;                    /* a write answered CONG_EBUSY: wait for the stream to drain */
    int closed;                     /* ended or gone: out of the map, never written again */
    long long last_write_ms, waiting_since_ms;
    push_sse_t *prev, *next;        /* in its subject's list */
};

/** Monotonic milliseconds. */
long long push_now_ms(void);
/** Open streams of `subject` on this worker. */
int push_live_count(const char *subject);
/** Channel calls this worker has had (messages and subscriptions): a connect whose read began before a change of it
 *  reads once more. */
unsigned long long push_live_seen(void);
/** Begins `sse`'s stream (its request unanswered so far), writes the retry hint and puts it in the map. 0, or the
 *  stream_begin error (nothing was sent: answer the request). */
int push_live_open(push_sse_t *sse);
/** Writes the entries of an XRANGE reply from index `from`, as SSE events, advancing last_id. 1 when every entry was
 *  written, 0 when the stream is full (waiting) or over. */
int push_live_write_entries(push_sse_t *sse, const cong_redis_reply_t *entries, size_t from);
/** Writes `text` (a whole SSE record); 1 when written, 0 when full (waiting) or over. */
int push_live_write(push_sse_t *sse, const char *text, size_t len);
/** Reads the log after last_id and writes what is new (or asks for it after the read under way). */
void push_live_read(push_sse_t *sse);
/** Registers the live channel and the worker hooks. */
int push_live_register(cong_module_ctx_t *ctx);

#endif
