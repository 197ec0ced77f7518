/*
 * POST /v1/mandates — a citizen authorizes another (or, with parent_id, the grantee of a mandate passes part of it on).
 *
 * Level 2, fresh (min_loa 2: the gateway answers 401 step-up-required for a level-2 login older than
 * auth.step_up_max_age_s), and nobody creates a mandate while acting for someone (mandate_action NULL). The grantee is
 * named by citizen number; only its pseudonymous subject (api->citizen_subject) goes further. The answer carries a
 * one-time acceptance code that only the grantor sees; PostgreSQL keeps its SHA-256.
 *
 * With grantor_org the caller grants for an organization they are the current legal representative of (mandates.h;
 * the SQL decides: 403 not-representative, organization-suspended).
 *
 * Idempotency-Key is required, as for a dossier: a retried create never makes two requests. A replay answers the same
 * mandate with a NEW code while it is still requested (the first was never kept in clear, and the new one replaces
 * it), without a code once it moved on.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mandates.h"

#define IDEMPOTENCY_KEY_MAX 255

typedef struct creation {
    char code[MANDATES_CODE_LEN + 3];
} creation_t;

static int key_ok(const char *key, size_t len)
{
    if (key == NULL || len == 0 || len > IDEMPOTENCY_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            return 0;
    return 1;
}

static void on_created(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = mandates_api;
    creation_t *c = udata;
    if (err != 0 || api->pg_ntuples(res) != 1) {
        mandates_reply_store_error(req, err != 0 ? err : CONG_EIO);
        return;
    }
    const char *status = api->pg_value(res, 0, 0);
    if (strcmp(status, "201") != 0) {
        mandates_reply_outcome(req, status, api->pg_value(res, 0, 1));
        return;
    }
    json_t *body = json_loads(api->pg_value(res, 0, 1), 0, NULL);
    if (body == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    if (api->pg_value(res, 0, 3)[0] == 't')
        json_object_set_new(body, "acceptance_code", json_string(c->code));
    if (api->pg_value(res, 0, 2)[0] == 't')
        api->reply_header(req, "idempotent-replayed", "true");
    char location[96];
    snprintf(location, sizeof location, "/v1/mandates/%s", json_string_value(json_object_get(body, "id")));
    api->reply_header(req, "location", location);
    api->reply_header(req, "cache-control", "no-store");
    api->reply_json(req, 201, body);
}

static void validation_failed(cong_req_t *req, json_t *errors)
{
    mandates_api->reply_problem_ext(req, 422, "validation-failed", "Một số trường của ủy quyền không hợp lệ.",
                                    "Some fields of the mandate are invalid.", json_pack("{s:o}", "errors", errors));
}

/* The grantee's subject, or an error already answered (NULL). */
static const char *grantee_subject(cong_req_t *req, const json_t *body)
{
    const cong_api_t *api = mandates_api;
    char *subject = api->req_alloc(req, CONG_SUBJECT_SIZE);
    const char *number = json_string_value(json_object_get(body, "grantee_citizen_number"));
    if (subject == NULL || api->citizen_subject(number, subject, CONG_SUBJECT_SIZE) != 0) {
        api->log(CONG_LOG_ERROR, MANDATES_MODULE, "no subject secret: cannot name a grantee");
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return NULL;
    }
    return subject;
}

static void store(cong_req_t *req, json_t *body, const char *key, size_t key_len)
{
    const cong_api_t *api = mandates_api;
    const char *grantee = grantee_subject(req, body);
    if (grantee == NULL)
        return;
    creation_t *c = api->req_alloc(req, sizeof *c);
    json_t *shaped = json_deep_copy(body);
    json_object_del(shaped, "grantee_citizen_number"); /* the number never reaches PostgreSQL */
    /* The request's hash names the grantee by subject, never by number: a hash over a citizen number and fields the
     * mandate row shows would give the number back to whoever tries the 10^12 of them. */
    json_object_set_new(shaped, "grantee", json_string(grantee));
    char *canonical = json_dumps(shaped, JSON_COMPACT | JSON_SORT_KEYS);
    json_object_del(shaped, "grantee");
    char *shaped_text = json_dumps(shaped, JSON_COMPACT);
    json_decref(shaped);
    char *key_copy = api->req_alloc(req, key_len + 1);
    char hash[65], code_hash[65], days[16];
    if (c == NULL || canonical == NULL || shaped_text == NULL || key_copy == NULL ||
        mandates_code_new(c->code, sizeof c->code) != 0 || mandates_code_hash(c->code, code_hash) != 0 ||
        mandates_sha256_hex(canonical, strlen(canonical), hash) != 0) {
        free(canonical);
        free(shaped_text);
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    memcpy(key_copy, key, key_len);
    snprintf(days, sizeof days, "%d", mandates_config.max_days);
    const char *params[] = {api->req_principal(req)->subject, grantee, key_copy, hash, shaped_text, code_hash, days,
                            api->req_id(req)};
    mandates_query(req,
                   "SELECT http_status, body, replayed, code_stored FROM mandate_create($1, $2, $3, $4, $5::jsonb, "
                   "$6, $7::int, $8)",
                   8, params, on_created, c);
    free(canonical);
    free(shaped_text);
}

static void create(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = mandates_api;
    size_t key_len = 0;
    const char *key = api->req_header(req, "idempotency-key", &key_len);
    if (!key_ok(key, key_len)) {
        api->reply_problem(req, 400, "idempotency-key-required",
                           "Cần tiêu đề Idempotency-Key (1–255 ký tự ASCII in được) để tạo ủy quyền an toàn khi gửi lại.",
                           "An Idempotency-Key header (1-255 printable ASCII characters) is required, so that a "
                           "retried request never creates two mandates.");
        return;
    }
    json_t *body = api->req_json(req);
    if (!json_is_object(body)) {
        api->reply_problem(req, 400, "invalid-json", NULL, NULL);
        return;
    }
    json_t *errors = mandates_request_errors(body);
    if (errors == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    if (json_array_size(errors) > 0) {
        validation_failed(req, errors);
        return;
    }
    json_decref(errors);
    store(req, body, key, key_len);
}

int mandates_create_register(cong_module_ctx_t *ctx)
{
    cong_route_def_t def = {.size = sizeof def, .method = "POST", .path = "/v1/mandates", .handler = create,
                            .auth = CONG_AUTH_REQUIRED, .min_loa = 2, .operation_id = "createMandate",
                            .max_body_bytes = 16384, .mandate_action = NULL};
    return mandates_api->register_route(ctx, &def);
}
