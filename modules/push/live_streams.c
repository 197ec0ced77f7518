/*
 * Each worker's open event streams and the live channel that wakes them (contract in live_streams.h; the log and the
 * channel are push/live.h's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live_streams.h"

#define LIVE_CHANNEL "cong:live" /* push/live.h PUSH_LIVE_CHANNEL (a module includes cong/ headers only) */
#define BUCKETS 4096             /* per worker; chains stay short up to tens of thousands of people */

typedef struct subject_entry {
    struct subject_entry *next; /* in its bucket */
    push_sse_t *streams;
    int count;
    char subject[];
} subject_entry_t;

typedef struct session_entry {
    struct session_entry *next; /* in its bucket */
    int count;                  /* open streams of this session on this worker */
    char session_id[];
} session_entry_t;

/* Sessions ended lately on this worker: a stream of one of them that was still connecting when the revocation came
 * (authenticated, then two round trips before it is counted in `sessions`) is refused when it would begin. */
#define ENDED_RING 4096
#define ENDED_KEEP_MS 60000 /* longer than any connect: its two round trips are bounded by the stores' timeouts */

typedef struct ended_session {
    long long at_ms;
    char session_id[64]; /* a token's "sid": 1..63 printable characters (module.h) */
} ended_session_t;

typedef struct worker_streams {
    cong_worker_t *worker;
    ended_session_t ended[ENDED_RING];
    unsigned ended_next;
    subject_entry_t *buckets[BUCKETS];
    session_entry_t *sessions[BUCKETS];
    cong_timer_id_t tick;
    char *text;              /* one event being formatted: events_buffer_bytes + 1 */
} worker_streams_t;

static _Thread_local worker_streams_t *here;

long long push_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned bucket_of(const char *s, size_t len)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h % BUCKETS;
}

static subject_entry_t *find(const char *subject, size_t len)
{
    if (here == NULL)
        return NULL;
    for (subject_entry_t *e = here->buckets[bucket_of(subject, len)]; e != NULL; e = e->next)
        if (strlen(e->subject) == len && memcmp(e->subject, subject, len) == 0)
            return e;
    return NULL;
}

int push_live_count(const char *subject)
{
    subject_entry_t *e = find(subject, strlen(subject));
    return e != NULL ? e->count : 0;
}

char *push_live_text(void)
{
    return here != NULL ? here->text : NULL;
}

/* The session's count on this worker: *link is where its entry is (or would be) in its bucket's chain. */
static session_entry_t **session_link(const char *session_id)
{
    session_entry_t **p = &here->sessions[bucket_of(session_id, strlen(session_id))];
    while (*p != NULL && strcmp((*p)->session_id, session_id) != 0)
        p = &(*p)->next;
    return p;
}

static int count_session(const char *session_id)
{
    session_entry_t **p = session_link(session_id);
    if (*p == NULL) {
        size_t len = strlen(session_id);
        if ((*p = calloc(1, sizeof **p + len + 1)) == NULL)
            return CONG_ENOMEM;
        memcpy((*p)->session_id, session_id, len + 1);
    }
    (*p)->count++;
    return 0;
}

static void uncount_session(const char *session_id)
{
    session_entry_t **p = session_link(session_id);
    session_entry_t *e = *p;
    if (e != NULL && --e->count == 0) {
        *p = e->next;
        free(e);
    }
}

static int add(push_sse_t *sse)
{
    if (here == NULL || count_session(sse->session_id) != 0)
        return CONG_ENOMEM;
    size_t len = strlen(sse->subject);
    subject_entry_t *e = find(sse->subject, len);
    if (e == NULL) {
        if ((e = calloc(1, sizeof *e + len + 1)) == NULL) {
            uncount_session(sse->session_id);
            return CONG_ENOMEM;
        }
        memcpy(e->subject, sse->subject, len + 1);
        unsigned b = bucket_of(sse->subject, len);
        e->next = here->buckets[b];
        here->buckets[b] = e;
    }
    sse->next = e->streams;
    if (e->streams != NULL)
        e->streams->prev = sse;
    e->streams = sse;
    e->count++;
    return 0;
}

/* Out of the map for good; the entry goes with its last stream. */
static void forget(push_sse_t *sse)
{
    if (sse->closed)
        return;
    sse->closed = 1;
    uncount_session(sse->session_id);
    size_t len = strlen(sse->subject);
    subject_entry_t *e = find(sse->subject, len);
    if (e == NULL)
        return;
    if (sse->prev != NULL)
        sse->prev->next = sse->next;
    else
        e->streams = sse->next;
    if (sse->next != NULL)
        sse->next->prev = sse->prev;
    if (--e->count > 0)
        return;
    subject_entry_t **p = &here->buckets[bucket_of(sse->subject, len)];
    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
    free(e);
}

/* The stream is over: what was written goes out, then the response ends; the client reconnects and resumes. */
static void drop(push_sse_t *sse)
{
    cong_stream_t *stream = sse->stream;
    forget(sse);
    push_api->stream_end(stream);
}

static void on_stream(cong_req_t *req, cong_stream_t *stream, int err, void *udata)
{
    (void)req, (void)stream;
    push_sse_t *sse = udata;
    if (err != 0) { /* CONG_EGONE: the client left, or the gateway stops */
        forget(sse);
        return;
    }
    sse->waiting = 0;
    push_live_read(sse, 0); /* it stopped in the middle of what was new (that log is still marked) */
}

int push_live_write(push_sse_t *sse, const char *text, size_t len)
{
    if (sse->closed || sse->waiting)
        return 0;
    int rc = push_api->stream_write(sse->stream, text, len);
    if (rc == CONG_EBUSY) {
        sse->waiting = 1;
        sse->waiting_since_ms = push_now_ms();
        return 0;
    }
    if (rc != 0) {
        if (rc == CONG_EGONE || rc == CONG_ESTATE)
            forget(sse);
        else
            drop(sse);
        return 0;
    }
    sse->last_write_ms = push_now_ms();
    return 1;
}

int push_live_open(push_sse_t *sse)
{
    const cong_api_t *api = push_api;
    if (push_live_session_ended(sse->session_id))
        return CONG_ESTATE;
    api->reply_header(sse->req, "cache-control", "no-store");
    int rc = api->stream_begin(sse->req, 200, "text/event-stream", (size_t)push_config.events_buffer_bytes, on_stream,
                               sse, &sse->stream);
    if (rc != 0)
        return rc;
    if (add(sse) != 0) {
        sse->closed = 1;
        api->stream_end(sse->stream);
        return 0;
    }
    char retry[32];
    int n = snprintf(retry, sizeof retry, "retry: %d\n\n", push_config.events_retry_ms);
    push_live_write(sse, retry, (size_t)n);
    return 0;
}

/* ---- the live channel: lines of subjects and areas (push/live.h); NULL after a (re)subscription ---- */

/* Every stream of this worker that follows the area named (the city: ward NULL) marks that log. */
static void wake_area(const char *ward, size_t len)
{
    for (unsigned b = 0; b < BUCKETS; b++)
        for (subject_entry_t *e = here->buckets[b]; e != NULL; e = e->next)
            for (push_sse_t *s = e->streams; s != NULL; s = s->next) {
                if (ward == NULL && s->city)
                    push_live_read(s, 1u << PUSH_LOG_CITY); /* never leaves the map synchronously */
                else if (ward != NULL && strlen(s->ward) == len && memcmp(s->ward, ward, len) == 0)
                    push_live_read(s, 1u << PUSH_LOG_AREA);
            }
}

static void read_all(void)
{
    for (unsigned b = 0; b < BUCKETS; b++)
        for (subject_entry_t *e = here->buckets[b]; e != NULL; e = e->next)
            for (push_sse_t *s = e->streams; s != NULL; s = s->next)
                push_live_read(s, PUSH_SSE_ALL_LOGS);
}

static void on_line(const char *line, size_t n)
{
    const char *name;
    size_t len;
    switch (push_live_line(line, n, &name, &len)) {
    case PUSH_LINE_CITY:
        wake_area(NULL, 0);
        break;
    case PUSH_LINE_AREA:
        wake_area(name, len);
        break;
    case PUSH_LINE_SUBJECT: {
        subject_entry_t *e = find(name, len);
        for (push_sse_t *s = e != NULL ? e->streams : NULL; s != NULL; s = s->next)
            push_live_read(s, 1u << PUSH_LOG_PERSON);
        break;
    }
    case PUSH_LINE_NONE:
        break;
    }
}

static void on_live(cong_worker_t *worker, const char *message, size_t len, void *udata)
{
    (void)worker, (void)udata;
    if (here == NULL)
        return;
    if (message == NULL) {
        read_all();
        return;
    }
    while (len > 0) {
        const char *nl = memchr(message, '\n', len);
        size_t n = nl != NULL ? (size_t)(nl - message) : len;
        on_line(message, n);
        message += n < len ? n + 1 : n;
        len -= n < len ? n + 1 : n;
    }
}

/* ---- ended sessions (ABI 1.8): their streams say so and end ---- */

static void remember_ended(const char *session_id)
{
    ended_session_t *e = &here->ended[here->ended_next++ % ENDED_RING];
    e->at_ms = push_now_ms();
    snprintf(e->session_id, sizeof e->session_id, "%s", session_id);
}

int push_live_session_ended(const char *session_id)
{
    if (here == NULL)
        return 0;
    long long now = push_now_ms();
    for (unsigned k = 1; k <= ENDED_RING; k++) { /* newest first, until the entries are too old */
        const ended_session_t *e = &here->ended[(here->ended_next - k) % ENDED_RING];
        if (e->at_ms == 0 || now - e->at_ms > ENDED_KEEP_MS)
            return 0;
        if (strcmp(e->session_id, session_id) == 0)
            return 1;
    }
    return 0;
}

static void on_session_ended(cong_worker_t *worker, const char *session_id, void *udata)
{
    (void)worker, (void)udata;
    if (here == NULL)
        return;
    remember_ended(session_id);
    if (*session_link(session_id) == NULL)
        return;
    static const char ended[] = "event: session-ended\ndata: {}\n\n";
    for (unsigned b = 0; b < BUCKETS; b++) {
        subject_entry_t *e = here->buckets[b];
        while (e != NULL) {
            subject_entry_t *next_entry = e->next; /* e goes when its last stream is dropped */
            push_sse_t *s = e->streams;
            while (s != NULL) {
                push_sse_t *next = s->next;
                if (strcmp(s->session_id, session_id) == 0) {
                    /* a full buffer loses the notice: the reconnect's 401 says the same */
                    push_live_write(s, ended, sizeof ended - 1);
                    if (!s->closed)
                        drop(s);
                }
                s = next;
            }
            e = next_entry;
        }
    }
}

/* Heartbeats for quiet streams; streams full for too long are ended; reads that failed are tried again. */
static void on_tick(cong_worker_t *worker, cong_timer_id_t id, void *udata)
{
    (void)worker, (void)id, (void)udata;
    long long now = push_now_ms();
    for (unsigned b = 0; b < BUCKETS; b++) {
        subject_entry_t *e = here->buckets[b];
        while (e != NULL) {
            subject_entry_t *next_entry = e->next; /* e goes when its last stream is dropped */
            push_sse_t *s = e->streams;
            while (s != NULL) {
                push_sse_t *next = s->next;
                if (s->waiting && now - s->waiting_since_ms >= push_config.events_stall_ms) {
                    push_api->log(CONG_LOG_INFO, PUSH_MODULE, "live event stream %s ended: its client took nothing "
                                  "for %d ms", push_api->req_id(s->req), push_config.events_stall_ms);
                    drop(s);
                }
                else if (!s->waiting && now - s->last_write_ms >= push_config.events_heartbeat_ms)
                    push_live_write(s, ":\n\n", 3);
                if (!s->closed && s->unread != 0 && !s->reading && !s->waiting)
                    push_live_read(s, 0); /* a read that failed (Redis away) */
                s = next;
            }
            e = next_entry;
        }
    }
}

static void on_init(cong_worker_t *worker, int index, void *udata)
{
    (void)udata;
    here = calloc(1, sizeof *here);
    if (here != NULL && (here->text = malloc((size_t)push_config.events_buffer_bytes + 1)) == NULL) {
        free(here);
        here = NULL;
    }
    if (here == NULL) {
        push_api->log(CONG_LOG_ERROR, PUSH_MODULE, "worker %d: no memory for live events", index);
        return;
    }
    here->worker = worker;
    int smallest = push_config.events_heartbeat_ms < push_config.events_stall_ms ? push_config.events_heartbeat_ms
                                                                                 : push_config.events_stall_ms;
    long long tick = smallest / 4 < 50 ? 50 : smallest / 4 > 1000 ? 1000 : smallest / 4;
    if (push_api->timer_start(worker, tick, tick, on_tick, NULL, &here->tick) != 0)
        push_api->log(CONG_LOG_ERROR, PUSH_MODULE, "worker %d: no heartbeat timer", index);
}

static void on_dispose(cong_worker_t *worker, int index, void *udata)
{
    (void)worker, (void)index, (void)udata;
    if (here == NULL)
        return;
    for (unsigned b = 0; b < BUCKETS; b++) { /* none left after a shutdown: every stream was told CONG_EGONE */
        while (here->buckets[b] != NULL) {
            subject_entry_t *e = here->buckets[b];
            here->buckets[b] = e->next;
            free(e);
        }
        while (here->sessions[b] != NULL) {
            session_entry_t *e = here->sessions[b];
            here->sessions[b] = e->next;
            free(e);
        }
    }
    free(here->text);
    free(here);
    here = NULL;
}

int push_live_register(cong_module_ctx_t *ctx)
{
    int rc = push_api->register_worker_hooks(ctx, on_init, on_dispose, NULL);
    if (rc == 0)
        rc = push_api->register_channel(ctx, LIVE_CHANNEL, on_live, NULL);
    return rc != 0 ? rc : push_api->register_session_listener(ctx, on_session_ended, NULL);
}
