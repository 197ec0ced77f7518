/*
 * modules/push — the HTTP side of push notifications (issue 14, "Devices and inbox"): a citizen registers the device
 * of their session, and reads an inbox of what happened to their affairs. Built on include/cong/module.h (1.5).
 *
 * The contract (the tables are in migrations/0001_push.sql; the delivery worker of push/ reads them in that shape —
 * columns may be added, never renamed):
 *   - push_devices: one device per session. POST /v1/me/devices upserts on the caller's session_id
 *     (principal->session_id, the token's "sid"): 201 when created, 200 when updated. A token registered again by
 *     another session MOVES to it (the old row goes: a phone changed hands, or its owner logged in again), so
 *     (platform, token) is unique and no phone gets an event twice through two rows. A token without a session (an
 *     API client's, "client:<id>") registers nothing: 403 session-required. The token is never answered back.
 *   - push_templates: per topic, a title and a body in Vietnamese and English with {{name}} placeholders, filled from
 *     the event's payload members (a missing one: ""; values inserted as text, never interpreted again); a code a
 *     payload carries (a dossier's status, a payment's state...) is shown in words when push_labels has it for the
 *     topic, as it is otherwise. A template, and the labels of its codes, is seeded for every topic the modules
 *     write today (the list is in the migration): a module adding a topic or a code adds its rows there too.
 *   - push_inbox: filled in the SAME transaction as the event. An AFTER INSERT trigger on push_outbox (the procedures
 *     module's table, where every module writes its events with its change) renders the topic's template and inserts
 *     the row with event_key 'push_outbox:' || the outbox id, ON CONFLICT (subject, event_key) DO NOTHING. So each
 *     (event, person) lands in the inbox once BY CONSTRUCTION: the event and its inbox row commit together or not at
 *     all, and the unique key refuses a second row whoever inserts it again. A topic without a template gets no inbox
 *     row; its event still goes to the stream (cong-push-relay). The texts are rendered once, at the event: a template
 *     changed later does not rewrite what a citizen was told. An event of the procedures module about a grantor's
 *     dossier, done by a grantee, is the grantor's (push_outbox.subject is the dossier's owner), so it lands in the
 *     grantor's inbox.
 *   - Logout and session deletion stop pushes to the device at once. Sessions live in Redis (modules/identity,
 *     session_scripts.h): the key "cong:session:<session_id>" holds the session's record while it lives, and is
 *     deleted by logout, by ending a session from the sessions list, by a refresh token's reuse, and expires with the
 *     session. THE DELIVERY WORKER checks, right before each send to a device, in one round trip, that
 *     "cong:session:<its session_id>" EXISTS and that the session id is not in the revocation set "cong:revoked"
 *     (gateway/authn/revocation.h: ZSCORE cong:revoked <session_id> is nil or a score before now); otherwise it
 *     sends nothing and deletes the device row (DELETE FROM push_devices WHERE id = $1 AND session_id = $2). This
 *     module cannot delete the row at logout itself: logout is
 *     the identity module's route and modules never call each other; a device of an ended session is harmless in
 *     the table (the worker skips and deletes it), and a new login registering the same token moves the row to it.
 *   - Own affairs only: every route's mandate_action is NULL, so acting for someone is refused by the gateway
 *     (403 mandate-does-not-cover). An inbox item or a device of someone else is 404, never 403.
 *   - The inbox is paged newest first by id with an opaque cursor (cursor.c: the last id shown, base64url); a page
 *     holds modules.push.inbox_page_size items unless ?limit= (1..PUSH_LIMIT_MAX) asks for another number. Every
 *     answer carries "unread", the caller's unread count.
 *
 * Files: push.c (entry point, configuration, shared replies), validate.c and cursor.c (pure: unit-tested),
 * devices.c (POST/GET/DELETE /v1/me/devices), inbox.c (GET /v1/me/inbox, read, delete). The SQL: migrations/.
 * Live events (GET /v1/me/events, Server-Sent Events; ABI 1.7 register_channel): events.c (the route: the person's
 * area, connect, resume), live_streams.c (each worker's open streams by subject, the live channel, heartbeats and
 * stalls), live_read.c (reads of a stream's three logs: the person's, their area's, the city's), live_id.c (pure:
 * the logs' ids and the composite cursor that is each event's id), live_line.c (pure: a channel line's meaning). Their contract with the logs' writers is
 * push/live.h.
 */
#ifndef CONG_MODULE_PUSH_H
#define CONG_MODULE_PUSH_H

#include <cong/module.h>
#include <jansson.h>
#include <stddef.h>

#define PUSH_MODULE "push"
#define PUSH_VERSION "1.0.0"
#define PUSH_LIMIT_MAX 100       /* the largest page of the inbox one request may ask for */
#define PUSH_FCM_TOKEN_MAX 4096  /* FCM registration tokens: 1..4096 of [A-Za-z0-9_:-] */
#define PUSH_APNS_TOKEN_MIN 64   /* APNs device tokens: hex, an even number of digits, 64..200 */
#define PUSH_APNS_TOKEN_MAX 200
#define PUSH_CURSOR_SIZE 32      /* an encoded cursor and its NUL */
#define PUSH_WARD_CODE_MAX 32    /* a unit's code: 1..32 of [A-Z0-9-] ("HN-W-001") */
#define PUSH_TITLE_MAX 100       /* characters of a broadcast's title (each language) */
#define PUSH_BODY_MAX 500        /* characters of a broadcast's body (each language): a push stays under 4 KB */
/* The delivery workers' counters of a broadcast (a Redis hash: devices_sent, devices_failed): push/pipeline.h's
 * PUSH_BROADCAST_PROGRESS_FMT, repeated here because a module includes cong/ headers only. */
#define PUSH_BROADCAST_PROGRESS_KEY_FMT "cong:broadcast:%s:progress"

typedef struct push_config {
    int inbox_page_size; /* items of an inbox page when the request asks for no limit (1..PUSH_LIMIT_MAX) */
    /* ---- live events (modules.push.events_*) ---- */
    int events_heartbeat_ms;   /* a comment line on a stream quiet this long */
    int events_stall_ms;       /* a stream that cannot take more for this long is ended (its client resumes) */
    int events_retry_ms;       /* the SSE retry hint */
    int events_buffer_bytes;   /* each stream's buffer (an event larger than it is skipped, logged) */
    int events_max_per_subject; /* open streams of one person on one worker */
} push_config_t;

extern const cong_api_t *push_api;
extern push_config_t push_config;

/* ---- validate.c (pure) ---- */
/** "fcm" or "apns". */
int push_platform_ok(const char *platform);
/** A device token of that platform (see PUSH_FCM_TOKEN_MAX, PUSH_APNS_TOKEN_*); 0 for an unknown platform. */
int push_token_ok(const char *platform, const char *token);
/** "vi" or "en". */
int push_locale_ok(const char *locale);
/** A device id of a path: a UUID in its text form. */
int push_uuid_ok(const char *s);
/** An inbox item id of a path: 1..18 decimal digits, not starting with 0. */
int push_item_id_ok(const char *s);
/** A unit code's shape (PUSH_WARD_CODE_MAX); whether the unit exists, PostgreSQL says. */
int push_ward_code_ok(const char *s);
/** NULL when `s` is a text to show: well-formed UTF-8, 1..max_chars characters not all blank, no control character
 *  (but line feeds when multiline); else the error code "required", "too-long" or "invalid-text". */
const char *push_text_problem(const char *s, size_t max_chars, int multiline);

/* ---- broadcast_request.c (pure) ---- */
/** The errors of a POST /v1/broadcasts body (a JSON object): a new array of {field, code}, empty when it is valid, NULL
 *  when memory ran out. Valid: {"area": {"kind": "city"} | {"kind": "ward", "ward_code": <push_ward_code_ok>},
 *  "title": {"vi", "en"} (PUSH_TITLE_MAX, one line), "body": {"vi", "en"} (PUSH_BODY_MAX, lines)}. */
json_t *push_broadcast_request_errors(json_t *body);

/* ---- cursor.c (pure) ---- */
/** The cursor continuing below inbox id `before` (> 0): base64url text, PUSH_CURSOR_SIZE bytes. */
void push_cursor_encode(long long before, char out[PUSH_CURSOR_SIZE]);
/** The id a cursor continues below, or -1 when it is not one push_cursor_encode made. */
long long push_cursor_decode(const char *cursor);

/* ---- live_id.c (pure) ---- */
#define PUSH_LIVE_ID_SIZE 42 /* "<20 digits>-<20 digits>" and its NUL */
typedef struct push_live_id {
    unsigned long long ms, seq;
} push_live_id_t;
/** A Redis stream id "<ms>-<seq>" (decimal, no sign, no leading zero, each at most 2^64-1): 1 and *id (may be NULL),
 *  else 0. */
int push_live_id_parse(const char *s, push_live_id_t *id);
/** -1, 0, 1 as a is before, equal to, after b. */
int push_live_id_cmp(push_live_id_t a, push_live_id_t b);
/** "<ms>-<seq>" into out. */
void push_live_id_format(push_live_id_t id, char out[PUSH_LIVE_ID_SIZE]);
/* The SSE id: a cursor over the logs a stream follows, in this order (push/live.h). */
enum { PUSH_LOG_PERSON, PUSH_LOG_AREA, PUSH_LOG_CITY, PUSH_LIVE_LOGS };
#define PUSH_LIVE_CURSOR_SIZE (PUSH_LIVE_LOGS * PUSH_LIVE_ID_SIZE) /* three ids, two dots, the NUL */
typedef struct push_live_cursor {
    push_live_id_t id[PUSH_LIVE_LOGS];
} push_live_cursor_t;
/** A Last-Event-ID: "<person id>.<area id>.<city id>" (live_id.c), or one id alone (the person's; the others 0-0).
 *  1 and *cursor (may be NULL), else 0. */
int push_live_cursor_parse(const char *s, push_live_cursor_t *cursor);
/** The cursor's text (three ids) into out. */
void push_live_cursor_format(const push_live_cursor_t *c, char out[PUSH_LIVE_CURSOR_SIZE]);

/* ---- live_line.c (pure) ---- */
typedef enum { PUSH_LINE_NONE, PUSH_LINE_SUBJECT, PUSH_LINE_AREA, PUSH_LINE_CITY } push_live_line_t;
/** What a line of a live channel message names (push/live.h): a subject (*name, *name_len: it), a ward's area log
 *  ("area <ward_code>": *name the ward), the city log ("area *"), or nothing (empty, or no valid subject or ward). */
push_live_line_t push_live_line(const char *line, size_t len, const char **name, size_t *name_len);

/* ---- push.c ---- */
/** 503 for a store that is down or slow (Retry-After added by the gateway), else 500 (logged). */
void push_reply_store_error(cong_req_t *req, int err);
void push_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                void *udata);
/** A JSON text of a PostgreSQL column answered as application/json, no-store. */
void push_reply_json_text(cong_req_t *req, int status, const char *text);
/** 204, no-store. */
void push_reply_no_content(cong_req_t *req);

/* ---- routes, each file's ---- */
int push_devices_register(cong_module_ctx_t *ctx);
int push_inbox_register(cong_module_ctx_t *ctx);
int push_broadcasts_register(cong_module_ctx_t *ctx);
int push_area_register(cong_module_ctx_t *ctx);
/** GET /v1/me/events, the live channel and the worker hooks (needs ABI 1.7). */
int push_events_register(cong_module_ctx_t *ctx);

#endif
