/*
 * gateway/http/problem.h — RFC 9457 problem details, in Vietnamese (default) or English.
 *
 * Each problem kind has a stable slug; its `type` is the configured base URI + slug (e.g.
 * https://cong.hanoi.gov.vn/problems/not-found). `instance` is the request id. Titles and default details come from
 * the catalog; modules may use their own slugs ([a-z0-9-], at most 64 chars) with their own details. Texts never
 * carry internals (no SQL, no library errors, no paths of the machine).
 * 503 and 429 replies carry Retry-After.
 */
#ifndef CONG_GATEWAY_PROBLEM_H
#define CONG_GATEWAY_PROBLEM_H

#include <jansson.h>

#include "cong/module.h"

typedef struct cong_problem_kind {
    const char *slug;
    int status;
    const char *title_vi, *title_en;
    const char *detail_vi, *detail_en;
} cong_problem_kind_t;

/** The catalog entry for a slug, or NULL. */
const cong_problem_kind_t *cong_problem_find(const char *slug);
/** 1 if the slug is well-formed for a module-defined problem. */
int cong_problem_slug_valid(const char *slug);
/** 1 if an Accept-Language value prefers English over Vietnamese (q-values honoured; default Vietnamese). */
int cong_lang_prefers_en(const char *accept_language, size_t len);

/* retry_after_s for a module's reply: the Retry-After it set itself (reply_header: a quota that resets at midnight),
 * else 2 s for a 503 and 1 s for a 429 — such replies always tell the client when to come back. */
#define CONG_RETRY_AFTER_UNLESS_SET (-1)

/**
 * Reply with application/problem+json. `detail_*` may be NULL (the catalog's default detail is used). Adds
 * Retry-After (seconds) to 503/429 when retry_after_s > 0 (or see CONG_RETRY_AFTER_UNLESS_SET). Returns like
 * cong_reply.
 */
int cong_reply_problem(cong_req_t *r, int status, const char *slug, const char *detail_vi, const char *detail_en,
                       int retry_after_s);
/** The same with RFC 9457 extension members from the object `extensions` (reference stolen, may be NULL); members
 *  named like the standard ones are ignored. */
int cong_reply_problem_ext(cong_req_t *r, int status, const char *slug, const char *detail_vi, const char *detail_en,
                           int retry_after_s, json_t *extensions);

#endif
