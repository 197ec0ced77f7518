/*
 * POST /v1/feedback — a citizen rates a finished dossier {dossier_code, ...} or a unit {unit_code, ...} (see
 * feedback.h for the rules).
 *
 * The fields are checked here (input.c: 422 listing every invalid field); acting for someone, the dossier's procedure
 * must be covered by the mandate (mandate_covers on what the store says, 404 otherwise, as the procedures module
 * answers), and a unit cannot be rated for someone else (403 mandate-does-not-cover). Then ONE call of feedback_give
 * decides and writes everything in one transaction; the 201 follows its commit.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"

#define IDEMPOTENCY_KEY_MAX 255
#define TAGS_LITERAL_MAX 128

typedef struct giving {
    feedback_input_t in;
    const char *key;
    char request_hash[65];
    char stars[4];
    char tags[TAGS_LITERAL_MAX];
} giving_t;

static const char *actor_of(cong_req_t *req)
{
    const cong_principal_t *p = feedback_api->req_principal(req);
    return p->actor != NULL && p->actor[0] != '\0' ? p->actor : p->subject;
}

static const char *mandate_of(cong_req_t *req)
{
    const cong_principal_t *p = feedback_api->req_principal(req);
    return p->actor != NULL && p->mandate_id != NULL && p->mandate_id[0] != '\0' ? p->mandate_id : NULL;
}

static int key_ok(const char *key, size_t len)
{
    if (key == NULL || len == 0 || len > IDEMPOTENCY_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            return 0;
    return 1;
}

static int sha256_hex(const char *s, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    static const char digits[] = "0123456789abcdef";
    if (EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return -1;
    for (unsigned int i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
    return 0;
}

static void on_given(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = feedback_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return feedback_reply_store_error(req, err != 0 ? err : CONG_EIO);
    const char *status = api->pg_value(res, 0, 0), *body = api->pg_value(res, 0, 1);
    if (api->pg_value(res, 0, 2)[0] == 't')
        api->reply_header(req, "idempotent-replayed", "true");
    if (strcmp(status, "429") == 0) { /* Retry-After: until the next ISO week starts in Hanoi */
        json_t *b = json_loads(body, 0, NULL);
        char seconds[24];
        snprintf(seconds, sizeof seconds, "%lld", (long long)json_integer_value(json_object_get(b, "retry_after")));
        json_decref(b);
        api->reply_header(req, "retry-after", seconds);
    }
    feedback_reply_outcome(req, status, body);
}

static void give(cong_req_t *req, giving_t *g)
{
    const cong_api_t *api = feedback_api;
    char weekly_max[16];
    snprintf(weekly_max, sizeof weekly_max, "%d", feedback_config.unit_weekly_max);
    snprintf(g->stars, sizeof g->stars, "%d", g->in.stars);
    const char *params[] = {actor_of(req),     api->req_principal(req)->subject, mandate_of(req), g->key,
                            g->request_hash,   g->in.dossier_code,               g->in.unit_code, g->stars,
                            g->in.comment,     g->tags,                          weekly_max,      api->req_id(req)};
    feedback_query(req,
                   "SELECT http_status, body, replayed FROM feedback_give($1, $2, $3::uuid, $4, $5, $6, $7, $8::int, "
                   "$9, $10::text[], $11::int, $12)",
                   12, params, on_given, g);
}

/* Acting for someone: the dossier's procedure must be covered by the mandate (the token's copy of its scope). */
static void on_dossier(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = feedback_api;
    if (err != 0)
        return feedback_reply_store_error(req, err);
    if (api->pg_ntuples(res) != 1 || api->mandate_covers(req, api->pg_value(res, 0, 0), api->pg_value(res, 0, 1)) != 0)
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    give(req, udata);
}

static void post_feedback(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = feedback_api;
    if (!feedback_rater_allowed(req))
        return;
    size_t key_len = 0;
    const char *key = api->req_header(req, "idempotency-key", &key_len);
    if (!key_ok(key, key_len))
        return (void)api->reply_problem(req, 400, "idempotency-key-required", NULL, NULL);
    json_t *body = api->req_json(req);
    if (!json_is_object(body))
        return (void)api->reply_problem(req, 400, "invalid-json", NULL, NULL);
    giving_t *g = api->req_alloc(req, sizeof *g);
    char *key_copy = api->req_alloc(req, key_len + 1);
    if (g == NULL || key_copy == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    json_t *errors = feedback_input_read(body, feedback_config.comment_max_chars, &g->in);
    if (errors == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    if (json_array_size(errors) > 0)
        return (void)api->reply_problem_ext(req, 422, "validation-failed", "Một số trường của phản hồi không hợp lệ.",
                                            "Some fields of the feedback are invalid.",
                                            json_pack("{s:o}", "errors", errors));
    json_decref(errors);
    if (g->in.unit_code != NULL && mandate_of(req) != NULL)
        return (void)api->reply_problem_ext(req, 403, "mandate-does-not-cover",
                                            "Chỉ đánh giá đơn vị dưới tên của chính mình.",
                                            "A unit is rated in one's own name only.",
                                            json_pack("{s:s}", "missing", "procedure"));
    char *canonical = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    int hashed = canonical != NULL && sha256_hex(canonical, g->request_hash) == 0;
    free(canonical);
    if (!hashed || feedback_tags_literal(&g->in, g->tags, sizeof g->tags) != 0)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    memcpy(key_copy, key, key_len);
    g->key = key_copy;
    if (mandate_of(req) == NULL)
        return give(req, g);
    const char *params[] = {g->in.dossier_code, api->req_principal(req)->subject};
    feedback_query(req,
                   "SELECT d.procedure_code, p.domain FROM dossiers d JOIN procedures p ON p.code = d.procedure_code "
                   "WHERE d.code = $1 AND d.subject = $2",
                   2, params, on_dossier, g);
}

int feedback_give_register(cong_module_ctx_t *ctx)
{
    cong_route_def_t def = {.size = sizeof def, .method = "POST", .path = "/v1/feedback", .handler = post_feedback,
                            .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .rate_limit_class = "default",
                            .operation_id = "giveFeedback", .max_body_bytes = 65536, .mandate_action = "rate"};
    return feedback_api->register_route(ctx, &def);
}
