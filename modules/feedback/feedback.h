/*
 * modules/feedback — citizens' feedback on a finished dossier or on a unit, and the weekly satisfaction index per unit
 * (issue 15). Built on include/cong/module.h (1.6).
 *
 * The contract:
 *   - POST /v1/feedback {dossier_code, stars 1..5, comment?, tags?[]}: once per dossier (UNIQUE dossier_code: a second
 *     is 409 feedback-already-given), only once the unit has finished it (a result issued: completed_at set; else 409
 *     dossier-not-finished), by its applicant or by a grantee whose mandate includes "rate" and covers the dossier's
 *     procedure (one use, counted by cong_mandate_use in the same transaction). Anyone else gets 404, never 403: as the
 *     procedures module answers for another person's dossier, its existence is not revealed.
 *   - POST /v1/feedback {unit_code, stars, comment?, tags?}: feedback on a unit without a dossier, at most
 *     modules.feedback.unit_weekly_max per citizen, unit and ISO week (Hanoi), counted in PostgreSQL under an advisory
 *     lock on (citizen, unit) so that concurrent posts cannot pass together; over it, 429 feedback-limit-reached with
 *     Retry-After until the next Monday 00:00 in Hanoi. Only in one's own name (a mandate names procedures, not units).
 *   - comment: at most modules.feedback.comment_max_chars characters (Unicode code points, not bytes), valid UTF-8,
 *     stored as given; tags: a subset of FEEDBACK_TAGS (input.c). An invalid field is 422 validation-failed listing
 *     every invalid field, as the procedures module does.
 *   - An Idempotency-Key is required, as for the project's other creating POSTs (dossiers, payments): the same key and
 *     body answer the first 201 again (Idempotent-Replayed: true), another body 422 idempotency-key-reused. Claimed in
 *     the procedures module's idempotency_keys table under 'feedback:' + key, per actor, as payments does.
 *   - The 201 is sent after the commit of one SQL call (feedback_give): the row, the weekly index (a trigger), the
 *     mandate's use and the audit record (feedback.give) together.
 *   - Comments are never shown to other citizens: GET /v1/me/feedback shows a citizen what they gave or what was given
 *     for them; GET /v1/desk/units/{code}/feedback shows a unit's feedback to its officials (user_roles (subject,
 *     'official', unit), the procedures module's rule read in SQL), without who gave it, each item shown audited
 *     (feedback.read). JSON replies are encoded by jansson/PostgreSQL: a comment is a JSON string, never markup.
 *   - The weekly index (ratings, mean, distribution, share of 4–5 stars) is a rollup table kept by a trigger
 *     (migrations/0001_feedback.sql) that replaces the procedures module's SQL stub kpi_unit_satisfaction: that is how
 *     the KPIs (/v1/kpi/units, the late list, the dashboard) see it. No C call crosses modules; the KPI answers each
 *     worker caches (procedures' kpi_cache_ttl_ms) show a new rating after at most twice that time.
 *   - Who rates: a citizen (level 1), someone acting for them under a mandate with "rate", an organization for its own
 *     dossiers (its API client or its staff under a mandate; feedback_rater_allowed). A plain API client: 403.
 *   - PostgreSQL down or slow: 503 with Retry-After.
 *
 * Files: feedback.c (entry point, configuration, shared replies), input.c (pure: the request's fields, tags, UTF-8;
 * unit-tested), give.c (POST), read.c (the citizen's and the desk's GET). The SQL: migrations/0001_feedback.sql.
 */
#ifndef CONG_MODULE_FEEDBACK_H
#define CONG_MODULE_FEEDBACK_H

#include <cong/module.h>
#include <jansson.h>
#include <stddef.h>

#define FEEDBACK_MODULE "feedback"
#define FEEDBACK_VERSION "1.0.0"
#define FEEDBACK_CODE_MAX 64   /* dossier and unit codes */
#define FEEDBACK_TAG_COUNT 7

typedef struct feedback_config {
    int comment_max_chars; /* Unicode characters a comment may hold */
    int unit_weekly_max;   /* unit feedbacks per citizen, unit and ISO week */
    int page_size;         /* items per page of the GET lists */
} feedback_config_t;

extern const cong_api_t *feedback_api;
extern feedback_config_t feedback_config;

/* ---- input.c (pure) ---- */
/** The tags a feedback may carry, in their documented order. */
extern const char *const feedback_tags[FEEDBACK_TAG_COUNT];
/** 1 when `tag` is one of feedback_tags. */
int feedback_tag_known(const char *tag);
/** The number of Unicode characters of the `len` bytes at s, or -1 when they are not valid UTF-8 (overlong forms,
 *  surrogates, code points above U+10FFFF and truncated sequences included). */
long feedback_utf8_chars(const char *s, size_t len);

/** A request's fields, pointing into its JSON body (valid as long as the body). */
typedef struct feedback_input {
    const char *dossier_code;  /* exactly one of dossier_code and unit_code */
    const char *unit_code;
    int stars;
    const char *comment;       /* NULL when absent */
    const char *tags[FEEDBACK_TAG_COUNT];
    int tag_count;
} feedback_input_t;

/** Reads `body` into *in: a JSON array of {field, code} errors (empty when valid; the caller owns it), or NULL when
 *  out of memory. Codes: required, too-long, invalid-format, out-of-range, unknown-tag, duplicate-tag,
 *  one-of (dossier_code and unit_code both given). */
json_t *feedback_input_read(const json_t *body, int comment_max_chars, feedback_input_t *in);
/** The tags as a PostgreSQL text[] literal ("{a,b}"; tags need no quoting) in out; -1 when it does not fit. */
int feedback_tags_literal(const feedback_input_t *in, char *out, size_t size);

/* ---- feedback.c ---- */
/** 503 for a store that is down or slow (Retry-After added by the gateway), else 500 (logged). */
void feedback_reply_store_error(cong_req_t *req, int err);

/** Whether the caller may rate and read its feedback, else the refusal is sent and 0 returned. The routes are declared
 *  at level 0 so that an organization (subject "org:...": its API client, which has no level, or someone acting for
 *  it) rates its own dossiers; a plain API client (client_id, any other subject) has no dossiers: 403
 *  applicant-not-allowed; a citizen needs level 1 as before: 401 step-up-required. The same rule as the procedures
 *  module's applicant (modules/procedures/applicant.c). */
int feedback_rater_allowed(cong_req_t *req);
void feedback_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                    void *udata);
/** A copy of s in the request's pool (NULL when out of memory). */
char *feedback_strdup(cong_req_t *req, const char *s);
/** A (http_status, body jsonb) answer of the SQL: a body with "problem" becomes problem+json (its other members as
 *  extensions), another body JSON with the status. */
void feedback_reply_outcome(cong_req_t *req, const char *status_text, const char *body_text);

/* ---- routes, each file's ---- */
int feedback_give_register(cong_module_ctx_t *ctx);
int feedback_read_register(cong_module_ctx_t *ctx);

#endif
