/*
 * modules/queue — walk-in queue numbers (issue 15): a citizen takes the next number of a unit's queue for a procedure
 * domain, officials call numbers at their counters, a public view shows who is served where. Built on
 * include/cong/module.h (1.5).
 *
 * The contract:
 *   - A number comes from Redis, atomically (number.c: one Lua script, INCR raised to at least the highest number
 *     PostgreSQL holds plus one), per unit, domain and queue day; a ticket is answered 201 only once its row is
 *     committed, and the row's UNIQUE (unit_code, domain, day, number) makes a number impossible to hand out twice:
 *     after a Redis restart, a FLUSH or an older snapshot the script starts again above PostgreSQL's highest, and a
 *     number that races a commit is refused by the constraint and taken again (take.c, at most QUEUE_TAKE_ATTEMPTS).
 *     Redis down: 503 with Retry-After, never a number taken elsewhere.
 *   - The queue day is Hanoi's (UTC+7, no daylight saving), starting at modules.queue.day_start_hour (day.c); no
 *     number on a day outside modules.queue.open_days, nor on a holiday of the procedures module's calendar (unless
 *     modules.queue.holidays_closed is false).
 *   - Per citizen and queue day, across units: at most max_per_day numbers, max_per_domain_per_day in one domain
 *     (limits.c; PostgreSQL checks them again under a lock on the citizen, so concurrent takes cannot pass together).
 *   - Officials of a unit are the procedures module's rule, read through SQL: a user_roles row (subject, 'official',
 *     unit code). Calling the next number locks it FOR UPDATE SKIP LOCKED, so two counters never call one ticket; the
 *     call, its push_outbox row (topic 'queue.called', to the ticket's holder) and its audit record commit together.
 *   - The public view is a JSON snapshot kept in Redis for view_cache_ms, dropped after every change (a number
 *     taken, called or cancelled), rebuilt from PostgreSQL on a miss (also when Redis is down).
 *   - The holder sees their tickets of the day, each with its place (ahead, estimated_wait_minutes) while it waits,
 *     in one query on queue_tickets_holder (subject, day); another person's ticket is 404. The holder cancels a
 *     waiting ticket (409 queue-ticket-not-waiting once called, served, absent or cancelled): the row is locked, so
 *     a cancel and a call of one ticket never both win; it commits with its audit record. A cancelled ticket counts
 *     toward no limit and is never called.
 *   - Nobody takes, sees or cancels a number for someone else (every route's mandate_action is NULL: the gateway
 *     answers 403 mandate-does-not-cover). A number is a place in the hall for the person standing there, and the
 *     per-citizen limits are per person; a mandate's scope names procedures or domains for dossiers, and a
 *     grantee's view of the grantor's affairs is audited at every read, which a screen polled every few seconds
 *     must not be. (holder.c)
 *
 * Files: queue.c (entry point, configuration, shared replies), day.c, limits.c, wait.c, place.c (pure:
 * unit-tested), number.c (the Redis counter), take.c (POST tickets), view.c (GET the queue), desk.c (officials),
 * holder.c (the holder's tickets and cancel). The SQL, with the rules that need the tables: migrations/.
 */
#ifndef CONG_MODULE_QUEUE_H
#define CONG_MODULE_QUEUE_H

#include <cong/module.h>
#include <jansson.h>
#include <stddef.h>
#include <time.h>

#define QUEUE_MODULE "queue"
#define QUEUE_VERSION "1.0.0"
#define QUEUE_TAKE_ATTEMPTS 3   /* numbers one request may take before it gives up (503): only a race after a loss */
#define QUEUE_CODE_MAX 32       /* unit codes, domains and counters are at most this long */
#define QUEUE_DAY_SIZE 11       /* "YYYY-MM-DD" and its NUL */

typedef struct queue_config {
    int max_per_day;            /* numbers a citizen may take in one queue day, all units and domains */
    int max_per_domain_per_day; /* ... in one domain */
    int minutes_per_ticket;     /* the wait estimate's time per ticket until enough were measured */
    int measured_min_tickets;   /* served tickets of the day after which the measured mean is used (0: never) */
    int day_start_hour;         /* Hanoi hour at which a queue day starts (0..12) */
    unsigned open_days;         /* bit w set: weekday w takes numbers (0 Sunday .. 6 Saturday) */
    int holidays_closed;        /* 1: no numbers on the procedures module's holidays */
    int view_cache_ms;          /* lifetime of the view's snapshot in Redis, and the view's max-age */
} queue_config_t;

extern const cong_api_t *queue_api;
extern queue_config_t queue_config;

/* ---- day.c (pure) ---- */
/** The queue day at `now`: Hanoi's date of now − day_start_hour, as "YYYY-MM-DD" in out (QUEUE_DAY_SIZE bytes), its
 *  weekday (0 Sunday .. 6 Saturday) in *weekday, and the seconds until the next day starts (1..86400) in
 *  *seconds_left. 0, or -1 for an hour outside 0..23. */
int queue_day(time_t now, int day_start_hour, char out[QUEUE_DAY_SIZE], int *weekday, int *seconds_left);
/** Parses modules.queue.open_days ("mon tue wed thu fri sat": three-letter English names, in any order, separated by
 *  spaces or commas) into weekday bits. 0 and *bits, or -1 (an unknown name, a repeat, an empty list). */
int queue_open_days_parse(const char *text, unsigned *bits);

/* ---- limits.c (pure) ---- */
enum queue_limit { QUEUE_LIMIT_OK = 0, QUEUE_LIMIT_DAY = 1, QUEUE_LIMIT_DOMAIN = 2 };
/** Whether one more number is allowed to a citizen who holds `today` numbers of this queue day (not cancelled), of
 *  which `in_domain` in the domain asked for. The day's limit is reported first. */
enum queue_limit queue_limit_check(int today, int in_domain, int max_per_day, int max_per_domain);
/** The limit's name in problems and the SQL ("per_day", "per_domain"), NULL for QUEUE_LIMIT_OK. */
const char *queue_limit_name(enum queue_limit limit);

/* ---- wait.c (pure) ---- */
/** Minutes until a ticket with `ahead` waiting tickets before it is called: ahead × minutes per ticket / counters
 *  (at least 1), rounded up. Minutes per ticket: the measured mean (`measured_s` seconds over `measured_n` served
 *  tickets) once measured_n ≥ min_measured > 0, else `configured_min`. 0 when nobody is ahead. */
int queue_wait_minutes(int ahead, int counters, double measured_s, int measured_n, int min_measured,
                       int configured_min);

/* ---- place.c (pure) ---- */
/** A ticket as its holder is shown it: when it waits (the SQL gave "ahead", "counters", "measured_s", "measured_n",
 *  queue_ticket_position), "estimated_wait_minutes" by queue_wait_minutes; otherwise "ahead" and
 *  "estimated_wait_minutes" null. The internal figures are dropped either way. 0, or -1 (not an object). */
int queue_place(json_t *ticket, int min_measured, int minutes_per_ticket);

/* ---- number.c ---- */
/** Code of a unit, domain or counter: 1..QUEUE_CODE_MAX of [A-Za-z0-9._-]. (Keys of Redis are built from them.) */
int queue_code_ok(const char *s);
/** A ticket id of a path: a UUID in its text form (36 characters, hyphens at 8, 13, 18, 23, hex digits elsewhere). */
int queue_id_ok(const char *s);
/** The Redis key of a queue's counter, "cong:queue:{UNIT}:DAY:DOMAIN:last" (the unit as hash tag: one unit's keys on
 *  one cluster slot). Length written, or -1 when it does not fit. */
int queue_counter_key(char *out, size_t size, const char *unit, const char *day, const char *domain);
typedef void (*queue_number_cb)(cong_req_t *req, int err, long long number, void *udata);
/** Takes the next number of (unit, day, domain), never at or below `floor` (PostgreSQL's highest): cb with err 0
 *  and the number, or a CONG_E* (CONG_EIO for an error answer of Redis). The counter key lives two days. Returns 0,
 *  or a synchronous error (cb not called). */
int queue_number_take(cong_req_t *req, const char *unit, const char *day, const char *domain, long long floor,
                      queue_number_cb cb, void *udata);

/* ---- view.c ---- */
/** The Redis key of a unit's view snapshot, "cong:queue:{UNIT}:DAY:view". Length written, or -1. */
int queue_view_key(char *out, size_t size, const char *unit, const char *day);
/** Drops the unit's view snapshot, without waiting for the answer (it lives view_cache_ms at most anyway). */
void queue_view_forget(cong_req_t *req, const char *unit, const char *day);

/* ---- queue.c ---- */
/** 503 for a store that is down or slow (Retry-After added by the gateway), else 500 (logged). */
void queue_reply_store_error(cong_req_t *req, int err);
void queue_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                 void *udata);
/** The queue day of now under the configuration (queue_day), or an answered 500 (NULL). */
const char *queue_today(cong_req_t *req, int *weekday, int *seconds_left);
/** A JSON text of a PostgreSQL column answered as application/json, no-store. */
void queue_reply_json_text(cong_req_t *req, int status, const char *text);
/** A copy of s in the request's pool (NULL when out of memory). */
char *queue_strdup(cong_req_t *req, const char *s);

/* ---- routes, each file's ---- */
int queue_take_register(cong_module_ctx_t *ctx);
int queue_view_register(cong_module_ctx_t *ctx);
int queue_desk_register(cong_module_ctx_t *ctx);
int queue_holder_register(cong_module_ctx_t *ctx);

#endif
