/*
 * Dossiers, the applicant's side: a citizen's, or an organization's (issue 18: its API client, or someone acting for it
 * under a mandate; a dossier belongs to principal->subject, "org:<id>" for an organization).
 *
 *   POST /v1/dossiers                      submit (Idempotency-Key required)
 *   GET  /v1/dossiers                      my dossiers, newest first (?status=&page=&page_size=)
 *   GET  /v1/dossiers/{code}               one dossier with its timeline
 *   POST /v1/dossiers/{code}/supplement    answer a supplement request {note}
 *   POST /v1/dossiers/{code}/withdraw      withdraw before the unit receives it {note}
 *   GET  /v1/dossiers/{code}/result        the electronic result's file, with its SHA-256 and signature
 *
 * Acting for someone under a mandate (principal.actor, ABI 1.5: the gateway checked it is active and includes the
 * route's mandate_action), the grantee files and sees the grantor's dossiers of the procedures the mandate covers:
 * one outside it is 404 like any other person's (api->mandate_covers on what the store returned; lists are filtered
 * by the mandate's scope in SQL, so pages stay whole). A submission, supplement or withdrawal is one use of the
 * mandate, counted by cong_mandate_use in the transaction that writes it (refused: 403 naming what is missing,
 * nothing written); a view, list or result download writes its audit record before the answer (access_audit.c). The
 * dossier and its timeline record both parties and the mandate. Another person's dossier is 404, never 403: its
 * existence is not revealed.
 *
 * Who may call these routes at all, and who may apply for which procedure, is applicant.c's: the routes are
 * registered with min_loa 0 (an organization's client has no level) and each handler asks procedures_party_allowed
 * first (a citizen below level 1: 401 step-up-required as before; a plain API client: 403 applicant-not-allowed).
 *
 * Submission: the form is checked here against the procedure's fields (422 lists every invalid field); who applies
 * against the procedure's applicants (403 applicant-not-allowed) and the level of assurance against the procedure's
 * (401 step-up-required, RFC 9470; procedures_may_apply) — the procedure read from the catalog in memory
 * (catalog_live.h; from PostgreSQL before its first load or when it has not got the code yet), so that a submission
 * is one round trip to PostgreSQL; then ONE call of dossier_submit writes the
 * dossier, its timeline event, the portal outbox row, the push outbox row and the idempotency record in one
 * transaction. The 201 goes out only after that commit.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_live.h"
#include "form.h"
#include "procedures.h"

#define IDEMPOTENCY_KEY_MAX 255
#define NOTE_MAX_BYTES 4000

typedef struct submission {
    json_t *body;          /* the request's JSON (borrowed from the request) */
    const char *procedure, *unit, *key;
    char request_hash[65];
} submission_t;

static int key_ok(const char *key, size_t len)
{
    if (key == NULL || len == 0 || len > IDEMPOTENCY_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            return 0;
    return 1;
}

static void on_submitted(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    if (!procedures_one_row(req, err, res))
        return;
    const char *replayed = api->pg_value(res, 0, 2);
    if (replayed != NULL && replayed[0] == 't')
        api->reply_header(req, "idempotent-replayed", "true");
    json_t *body = json_loads(api->pg_value(res, 0, 1), 0, NULL);
    const char *code = json_string_value(json_object_get(body, "code"));
    if (code != NULL && strcmp(api->pg_value(res, 0, 0), "201") == 0) {
        char location[128];
        snprintf(location, sizeof location, "/v1/dossiers/%s", code);
        api->reply_header(req, "location", location);
    }
    json_decref(body);
    procedures_reply_outcome(req, api->pg_value(res, 0, 0), api->pg_value(res, 0, 1));
}

static void submit_to_store(cong_req_t *req, submission_t *s)
{
    const cong_api_t *api = procedures_api;
    json_t *attachments = json_object_get(s->body, "attachments");
    char *form_text = json_dumps(json_object_get(s->body, "form"), JSON_COMPACT);
    char *attachments_text = json_dumps(attachments != NULL ? attachments : json_array(), JSON_COMPACT);
    char *form = api->req_alloc(req, form_text ? strlen(form_text) + 1 : 1);
    char *att = api->req_alloc(req, attachments_text ? strlen(attachments_text) + 1 : 1);
    if (form_text && form)
        strcpy(form, form_text);
    if (attachments_text && att)
        strcpy(att, attachments_text);
    free(form_text);
    free(attachments_text);
    if (form == NULL || att == NULL || form[0] == '\0' || att[0] == '\0') {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    const char *params[] = {procedures_applicant(req), procedures_actor(req), s->key, s->request_hash, s->procedure,
                            s->unit, form, att, api->req_id(req), procedures_mandate(req)};
    procedures_query(req,
                     "SELECT http_status, body, replayed FROM dossier_submit($1, $2, $3, $4, $5, $6, $7::jsonb, "
                     "$8::jsonb, $9, $10::uuid)",
                     10, params, on_submitted, NULL);
}

/* The procedure is known: mandate, who applies and their level of assurance, then the form against its fields
 * (jsonb text), then the store. Synchronous up to the query (whose strings pg_query copies): the memory path holds
 * the catalog index meanwhile. */
static void check_and_submit(cong_req_t *req, submission_t *s, const catalog_procedure_t *p)
{
    const cong_api_t *api = procedures_api;
    if (api->mandate_covers(req, s->procedure, p->domain) != 0)
        return procedures_reply_not_covered(req, s->procedure);
    if (!procedures_may_apply(req, s->procedure, p->applicants, p->min_loa))
        return;
    json_t *fields = json_loads(p->form_fields, 0, NULL);
    json_t *errors = procedures_form_check(fields, json_object_get(s->body, "form"));
    json_decref(fields);
    if (errors == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    if (json_array_size(errors) > 0) {
        api->reply_problem_ext(req, 422, "validation-failed", "Một số trường của tờ khai không hợp lệ.",
                               "Some fields of the form are invalid.", json_pack("{s:o}", "errors", errors));
        return;
    }
    json_decref(errors);
    submit_to_store(req, s);
}

static void on_procedure(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = procedures_api;
    submission_t *s = udata;
    if (err != 0) {
        procedures_reply_store_error(req, err);
        return;
    }
    if (api->pg_ntuples(res) != 1) {
        json_t *errors = json_pack("[{s:s, s:s}]", "field", "procedure_code", "code", "unknown-procedure");
        api->reply_problem_ext(req, 422, "validation-failed", "Không có thủ tục với mã này.",
                               "No procedure has this code.", json_pack("{s:o}", "errors", errors));
        return;
    }
    catalog_procedure_t p = {.form_fields = api->pg_value(res, 0, 0), .min_loa = atoi(api->pg_value(res, 0, 1)),
                             .domain = api->pg_value(res, 0, 2),
                             .applicants = catalog_applicants_parse(api->pg_value(res, 0, 3))};
    check_and_submit(req, s, &p);
}

/* The procedure from the catalog in memory (catalog_live.h): one round trip to PostgreSQL per submission instead of
 * two. 0 when the index is not loaded yet or has no such procedure (one added since its last refresh): the caller
 * asks PostgreSQL. A form changed in the catalog is checked here at most one refresh (catalog_refresh_ms) late;
 * dossier_submit itself reads the procedure's row in its transaction. */
static int submit_from_memory(cong_req_t *req, submission_t *s)
{
    const catalog_index_t *ix = catalog_live_acquire();
    if (ix == NULL)
        return 0;
    catalog_procedure_t p;
    int found = catalog_index_procedure(ix, s->procedure, &p);
    if (found)
        check_and_submit(req, s, &p);
    catalog_live_release();
    return found;
}

/* The shape of the request: {procedure_code, unit_code, form: {}, attachments: [] (optional)}. */
static json_t *shape_errors(const json_t *body)
{
    json_t *errors = json_array();
    static const char *const strings[] = {"procedure_code", "unit_code"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = json_string_value(json_object_get(body, strings[i]));
        if (v == NULL || v[0] == '\0' || strlen(v) > 64)
            json_array_append_new(errors, json_pack("{s:s, s:s}", "field", strings[i], "code", "required"));
    }
    if (!json_is_object(json_object_get(body, "form")))
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "form", "code", "required"));
    const json_t *att = json_object_get(body, "attachments");
    if (att != NULL && (!json_is_array(att) || json_array_size(att) > 50))
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "attachments", "code", "type"));
    return errors;
}

static void submit(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    if (!procedures_party_allowed(req))
        return;
    size_t key_len = 0;
    const char *key = api->req_header(req, "idempotency-key", &key_len);
    if (!key_ok(key, key_len)) {
        api->reply_problem(req, 400, "idempotency-key-required",
                           "Cần tiêu đề Idempotency-Key (1–255 ký tự ASCII in được) để nộp hồ sơ an toàn khi gửi lại.",
                           "An Idempotency-Key header (1-255 printable ASCII characters) is required, so that a "
                           "retried submission is never filed twice.");
        return;
    }
    json_t *body = api->req_json(req);
    if (!json_is_object(body)) {
        api->reply_problem(req, 400, "invalid-json", NULL, NULL);
        return;
    }
    json_t *errors = shape_errors(body);
    if (json_array_size(errors) > 0) {
        api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL, json_pack("{s:o}", "errors", errors));
        return;
    }
    json_decref(errors);
    submission_t *s = api->req_alloc(req, sizeof *s);
    char *key_copy = api->req_alloc(req, key_len + 1);
    char *canonical = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    if (s == NULL || key_copy == NULL || canonical == NULL) {
        free(canonical);
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    memcpy(key_copy, key, key_len);
    s->body = body;
    s->key = key_copy;
    s->procedure = json_string_value(json_object_get(body, "procedure_code"));
    s->unit = json_string_value(json_object_get(body, "unit_code"));
    procedures_sha256_hex(canonical, strlen(canonical), s->request_hash);
    free(canonical);
    if (submit_from_memory(req, s))
        return;
    const char *params[] = {s->procedure};
    procedures_query(req, "SELECT form_fields, min_loa, domain, applicants FROM procedures WHERE code = $1", 1, params,
                     on_procedure, s);
}

/* ---- reading ---- */

static void list(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    if (!procedures_party_allowed(req))
        return;
    int page = procedures_query_int(req, "page", 1, 10000);
    int page_size = procedures_query_int(req, "page_size", procedures_config.page_size, 100);
    size_t status_len = 0;
    const char *status = api->req_query_param(req, "status", &status_len);
    if (page < 0 || page_size < 0 || (status != NULL && (status_len == 0 || status_len > 32))) {
        api->reply_problem(req, 422, "validation-failed", NULL, NULL);
        return;
    }
    char *page_text = api->req_alloc(req, 16), *size_text = api->req_alloc(req, 16);
    if (page_text == NULL || size_text == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    snprintf(page_text, 16, "%d", page);
    snprintf(size_text, 16, "%d", page_size);
    /* acting for someone: only what the mandate covers, and one audit record naming the dossiers listed */
    const char *params[] = {procedures_applicant(req), page_text, size_text, status, procedures_mandate(req),
                            procedures_actor(req), api->req_id(req)};
    procedures_query(req,
        "WITH f AS (SELECT d.*, p.name_vi, p.name_en FROM dossiers d JOIN procedures p ON p.code = d.procedure_code "
        "WHERE d.subject = $1 AND ($4::text IS NULL OR d.status = $4) "
        "AND dossier_mandate_scope($5::uuid, d.procedure_code, p.domain)), "
        "page AS (SELECT f.code, f.procedure_code, f.name_vi AS procedure_name_vi, f.name_en AS procedure_name_en, "
        "f.unit_code, f.status, f.version, f.submitted_at, f.due_date, f.submitted_by, f.mandate_id FROM f "
        "ORDER BY f.submitted_at DESC, f.id DESC LIMIT $3::int OFFSET ($2::int - 1) * $3::int), "
        "audited AS (SELECT cong_audit('procedures', $6, 'citizen', $1, 'dossier.list', NULL, $7, "
        "jsonb_build_object('codes', (SELECT coalesce(jsonb_agg(code), '[]') FROM page)), $5::uuid) "
        "WHERE $5::uuid IS NOT NULL) "
        "SELECT json_build_object('page', $2::int, 'page_size', $3::int, 'total', (SELECT count(*) FROM f), "
        "'items', coalesce((SELECT json_agg(x) FROM page x), '[]'::json)) FROM (SELECT count(*) FROM audited) a",
        7, params, procedures_pg_json, NULL);
}

static const char *code_param(cong_req_t *req)
{
    size_t len = 0;
    const char *code = procedures_api->req_path_param(req, "code", &len);
    return code != NULL && len > 0 && len <= 32 ? code : NULL;
}

static void reply_view(cong_req_t *req, void *udata)
{
    procedures_reply_json_text(req, 200, udata);
}

/* (view, procedure_code, domain): one's own dossier is answered at once; under a mandate, one it covers, once the
 * view is recorded. */
static void on_view(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = procedures_api;
    const char *code = udata;
    if (err != 0)
        return procedures_reply_store_error(req, err);
    if (api->pg_ntuples(res) != 1 || api->pg_is_null(res, 0, 0) ||
        api->mandate_covers(req, api->pg_value(res, 0, 1), api->pg_value(res, 0, 2)) != 0)
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    if (procedures_mandate(req) == NULL)
        return procedures_reply_json_text(req, 200, api->pg_value(res, 0, 0));
    size_t len = strlen(api->pg_value(res, 0, 0));
    char *view = api->req_alloc(req, len + 1), *object = api->req_alloc(req, strlen(code) + 9);
    if (view == NULL || object == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    memcpy(view, api->pg_value(res, 0, 0), len + 1);
    sprintf(object, "dossier:%s", code);
    procedures_audit_acting(req, "dossier.view", object, reply_view, view);
}

static void show(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    if (!procedures_party_allowed(req))
        return;
    const char *code = code_param(req);
    if (code == NULL)
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    const char *params[] = {code, procedures_applicant(req)};
    procedures_query(req,
                     "SELECT dossier_view($1, $2, NULL), d.procedure_code, p.domain FROM dossiers d "
                     "JOIN procedures p ON p.code = d.procedure_code WHERE d.code = $1 AND d.subject = $2",
                     2, params, on_view, (void *)code);
}

/* ---- the applicant's transitions (the state machine's role 'citizen': the applicant's side) ---- */

/* An optional JSON body {note}: NULL note when absent; -1 when the body is not acceptable. */
static int optional_note(cong_req_t *req, const char **note)
{
    size_t len = 0;
    procedures_api->req_body(req, &len);
    *note = NULL;
    if (len == 0)
        return 0;
    json_t *body = procedures_api->req_json(req);
    const json_t *n = json_object_get(body, "note");
    if (!json_is_object(body) || (n != NULL && !json_is_string(n)) || (n && json_string_length(n) > NOTE_MAX_BYTES))
        return -1;
    *note = json_string_value(n);
    return 0;
}

static void applicant_action(cong_req_t *req, const char *action)
{
    const cong_api_t *api = procedures_api;
    if (!procedures_party_allowed(req))
        return;
    const char *code = code_param(req), *note = NULL;
    if (code == NULL)
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    if (optional_note(req, &note) != 0)
        return (void)api->reply_problem(req, 422, "validation-failed", "Ghi chú không hợp lệ.", "Invalid note.");
    /* who acts and whose dossier it is; under a mandate, dossier_transition counts the use in its transaction */
    const char *params[] = {code, procedures_actor(req), action, note, api->req_id(req), procedures_applicant(req),
                            procedures_mandate(req)};
    procedures_query(req,
                     "SELECT http_status, body FROM dossier_transition($1, $2, 'citizen', $3, $4, NULL, NULL, $5, "
                     "$6, $7::uuid)",
                     7, params, procedures_pg_outcome, NULL);
}

static void supplement(cong_req_t *req, void *udata)
{
    (void)udata;
    applicant_action(req, "supplement");
}

static void withdraw(cong_req_t *req, void *udata)
{
    (void)udata;
    applicant_action(req, "withdraw");
}

/* ---- the result's file ---- */

typedef struct result_file {
    char path[4200];
    const char *media_type;
} result_file_t;

static void send_result(cong_req_t *req, void *udata)
{
    result_file_t *f = udata;
    if (procedures_api->reply_file(req, 200, f->media_type, f->path) != 0) {
        procedures_api->log(CONG_LOG_ERROR, PROCEDURES_MODULE, "the stored result of a dossier is missing (request %s)",
                            procedures_api->req_id(req));
        procedures_api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
    }
}

/* (sha256, signature, media type, procedure_code, domain): under a mandate, sent once the download is recorded. */
static void on_result(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = procedures_api;
    const char *code = udata;
    if (err != 0) {
        procedures_reply_store_error(req, err);
        return;
    }
    if (api->pg_ntuples(res) != 1 || api->pg_is_null(res, 0, 0) ||
        api->mandate_covers(req, api->pg_value(res, 0, 3), api->pg_value(res, 0, 4)) != 0) {
        api->reply_problem(req, 404, "not-found", "Hồ sơ chưa có kết quả điện tử.",
                           "This dossier has no electronic result yet.");
        return;
    }
    const char *sha = api->pg_value(res, 0, 0);
    result_file_t *f = api->req_alloc(req, sizeof *f);
    char *media_type = api->req_alloc(req, strlen(api->pg_value(res, 0, 2)) + 1);
    char *object = api->req_alloc(req, strlen(code) + 9);
    if (f == NULL || media_type == NULL || object == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    snprintf(f->path, sizeof f->path, "%s/%.2s/%s", procedures_config.data_dir, sha, sha);
    strcpy(media_type, api->pg_value(res, 0, 2));
    f->media_type = media_type;
    api->reply_header(req, "result-sha256", sha);
    api->reply_header(req, "result-signature", api->pg_value(res, 0, 1));
    api->reply_header(req, "cache-control", "private, no-store");
    if (procedures_mandate(req) == NULL)
        return send_result(req, f);
    sprintf(object, "dossier:%s", code);
    procedures_audit_acting(req, "dossier.result", object, send_result, f);
}

static void result(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    if (!procedures_party_allowed(req))
        return;
    const char *code = code_param(req);
    if (code == NULL)
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    const char *params[] = {code, procedures_applicant(req)};
    procedures_query(req,
                     "SELECT d.result_sha256, d.result_signature, coalesce(w.media_type, 'application/pdf'), "
                     "d.procedure_code, p.domain FROM dossiers d JOIN procedures p ON p.code = d.procedure_code "
                     "LEFT JOIN wallet_documents w ON w.dossier_code = d.code AND w.kind = 'result' "
                     "WHERE d.code = $1 AND d.subject = $2 AND d.result_sha256 IS NOT NULL LIMIT 1",
                     2, params, on_result, (void *)code);
}

/* min_loa 0: an organization's client has no level; each handler checks the applicant first (applicant.c). */
int procedures_dossiers_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/dossiers", .handler = submit,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .rate_limit_class = "default", .operation_id = "submitDossier",
         .mandate_action = "submit"},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/dossiers", .handler = list,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .rate_limit_class = "default", .operation_id = "listMyDossiers",
         .mandate_action = "view"},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/dossiers/{code}", .handler = show,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .rate_limit_class = "default", .operation_id = "getDossier",
         .mandate_action = "view"},
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/dossiers/{code}/supplement",
         .handler = supplement, .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .rate_limit_class = "default",
         .operation_id = "supplementDossier",
         .mandate_action = "submit"},
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/dossiers/{code}/withdraw",
         .handler = withdraw, .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .rate_limit_class = "default",
         .operation_id = "withdrawDossier",
         .mandate_action = "submit"},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/dossiers/{code}/result", .handler = result,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .rate_limit_class = "default", .operation_id = "getDossierResult",
         .mandate_action = "receive_result"},
    };
    return procedures_register_routes(ctx, routes, sizeof routes / sizeof routes[0]);
}
