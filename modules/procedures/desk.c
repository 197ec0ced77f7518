/*
 * The officials' desk.
 *
 *   GET  /v1/desk/dossiers?unit=&status=&due_before=&page=&page_size=   dossiers of the units I serve, soonest due first
 *   POST /v1/desk/dossiers/{code}/actions  {action, note, result_document}
 *
 * An official is a cong user with role 'official' on one or more units (user_roles, granted by `cong official add`).
 * The grants are read on every request, so a removal takes effect at once. A non-official gets 403; asking for a unit
 * one does not serve, 403; a dossier of another unit is 404 (dossier_transition hides it), like a citizen's.
 *
 * Officials' views and actions are in the audit log (actor_kind 'official', subject the dossier's applicant): one
 * 'dossier.list' record per dossier a desk list shows, written by the list's own statement, and 'dossier.<action>'
 * written by dossier_transition in the transition's transaction.
 *
 * issue_result: `result_document` is the id of a file the official uploaded (POST /v1/uploads). cong signs a small
 * JSON description of it — {"typ":"cong-result","dossier","sha256","media_type","issued_at"} — with its document key
 * (api->jws_sign), and dossier_transition stores the signature and puts the result in the citizen's wallet, in the
 * same transaction as the transition.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "procedures.h"

#define NOTE_MAX_BYTES 4000

static int looks_like_date(const char *s, size_t len)
{
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (size_t i = 0; i < len; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    return 1;
}

static int looks_like_uuid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

static void on_list(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    if (!procedures_one_row(req, err, res))
        return;
    if (api->pg_value(res, 0, 0)[0] != 't')
        return (void)api->reply_problem(req, 403, "forbidden", "Bạn không phải cán bộ của đơn vị nào.",
                                        "You are not an official of any unit.");
    if (api->pg_value(res, 0, 1)[0] != 't')
        return (void)api->reply_problem(req, 403, "forbidden", "Bạn không phục vụ đơn vị này.",
                                        "You do not serve this unit.");
    procedures_reply_json_text(req, 200, api->pg_value(res, 0, 2));
}

static void list(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    size_t unit_len = 0, status_len = 0, due_len = 0;
    const char *unit = api->req_query_param(req, "unit", &unit_len);
    const char *status = api->req_query_param(req, "status", &status_len);
    const char *due = api->req_query_param(req, "due_before", &due_len);
    int page = procedures_query_int(req, "page", 1, 10000);
    int page_size = procedures_query_int(req, "page_size", procedures_config.page_size, 100);
    if (page < 0 || page_size < 0 || (unit && (unit_len == 0 || unit_len > 64)) ||
        (status && (status_len == 0 || status_len > 32)) || (due && !looks_like_date(due, due_len))) {
        api->reply_problem(req, 422, "validation-failed",
                           "Tham số không hợp lệ (due_before dạng YYYY-MM-DD, page 1–10000, page_size 1–100).",
                           "Invalid parameters (due_before as YYYY-MM-DD, page 1-10000, page_size 1-100).");
        return;
    }
    char *page_text = api->req_alloc(req, 16), *size_text = api->req_alloc(req, 16);
    if (page_text == NULL || size_text == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    snprintf(page_text, 16, "%d", page);
    snprintf(size_text, 16, "%d", page_size);
    /* every dossier listed is an official's view of a citizen's dossier: one audit record each, in this statement */
    const char *params[] = {procedures_actor(req), unit, status, due, page_text, size_text, api->req_id(req)};
    procedures_query(req,
        "WITH u AS (SELECT resource FROM user_roles WHERE subject = $1 AND role = 'official'), "
        "f AS (SELECT d.* FROM dossiers d WHERE d.unit_code IN (SELECT resource FROM u) "
        "AND ($2::text IS NULL OR d.unit_code = $2) AND ($3::text IS NULL OR d.status = $3) "
        "AND ($4::date IS NULL OR d.due_date < $4::date)), "
        "page AS (SELECT f.code, f.procedure_code, p.name_vi AS procedure_name_vi, "
        "f.unit_code, f.status, f.version, f.submitted_at, f.due_date, "
        "(f.completed_at IS NULL AND f.status <> 'withdrawn' AND f.due_date < (now() AT TIME ZONE "
        "'Asia/Ho_Chi_Minh')::date) AS overdue, f.subject "
        "FROM f JOIN procedures p ON p.code = f.procedure_code ORDER BY f.due_date, f.id "
        "LIMIT $6::int OFFSET ($5::int - 1) * $6::int), "
        "audited AS (SELECT cong_audit('procedures', $1, 'official', x.subject, 'dossier.list', 'dossier:' || x.code, "
        "$7, jsonb_build_object('unit', x.unit_code)) FROM page x "
        "WHERE ($2::text IS NULL OR EXISTS (SELECT 1 FROM u WHERE resource = $2))) "
        "SELECT EXISTS (SELECT 1 FROM u), ($2::text IS NULL OR EXISTS (SELECT 1 FROM u WHERE resource = $2)), "
        "json_build_object('page', $5::int, 'page_size', $6::int, 'total', (SELECT count(*) FROM f), "
        "'items', coalesce((SELECT json_agg(to_jsonb(x) - 'subject') FROM page x), '[]'::json)) "
        "FROM (SELECT count(*) FROM audited) a",
        7, params, on_list, NULL);
}

typedef struct desk_action {
    const char *code, *action, *note;
    const char *result_json; /* {"sha256","signature","media_type"} for issue_result */
} desk_action_t;

static void transition(cong_req_t *req, desk_action_t *a)
{
    const cong_api_t *api = procedures_api;
    const char *params[] = {a->code, procedures_actor(req), a->action, a->note, a->result_json, api->req_id(req)};
    procedures_query(req,
                     "SELECT http_status, body FROM dossier_transition($1, $2, 'official', $3, $4, "
                     "(SELECT coalesce(array_agg(resource), '{}') FROM user_roles WHERE subject = $2 AND "
                     "role = 'official'), $5::jsonb, $6)",
                     6, params, procedures_pg_outcome, NULL);
}

/* The result document is known: sign its description, then transition. */
static void on_result_document(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = procedures_api;
    desk_action_t *a = udata;
    if (err != 0)
        return procedures_reply_store_error(req, err);
    if (api->pg_ntuples(res) != 1) {
        json_t *errors = json_pack("[{s:s, s:s}]", "field", "result_document", "code", "unknown-upload");
        api->reply_problem_ext(req, 422, "validation-failed", "Không tìm thấy tệp kết quả bạn đã tải lên.",
                               "The result file you uploaded was not found.", json_pack("{s:o}", "errors", errors));
        return;
    }
    const char *sha = api->pg_value(res, 0, 0), *media_type = api->pg_value(res, 0, 1);
    char issued[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(issued, sizeof issued, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "typ", "cong-result", "dossier", a->code, "sha256", sha,
                            "media_type", media_type, "issued_at", issued);
    char *doc_text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    const char *signature = doc_text ? api->jws_sign(req, doc_text, strlen(doc_text)) : NULL;
    free(doc_text);
    if (signature == NULL) {
        api->log(CONG_LOG_ERROR, PROCEDURES_MODULE, "cannot sign a result: is a document key loaded?");
        return (void)api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
    }
    json_t *result = json_pack("{s:s, s:s, s:s}", "sha256", sha, "signature", signature, "media_type", media_type);
    char *result_text = json_dumps(result, JSON_COMPACT);
    json_decref(result);
    char *copy = result_text ? api->req_alloc(req, strlen(result_text) + 1) : NULL;
    if (copy == NULL) {
        free(result_text);
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    }
    strcpy(copy, result_text);
    free(result_text);
    a->result_json = copy;
    transition(req, a);
}

static void act(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    size_t len = 0;
    const char *code = api->req_path_param(req, "code", &len);
    if (code == NULL || len == 0 || len > 32)
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    json_t *body = api->req_json(req);
    const char *action = json_string_value(json_object_get(body, "action"));
    const json_t *note = json_object_get(body, "note");
    const json_t *doc = json_object_get(body, "result_document");
    if (!json_is_object(body) || action == NULL || strlen(action) > 32 || (note && !json_is_string(note)) ||
        (note && json_string_length(note) > NOTE_MAX_BYTES) || (doc && !looks_like_uuid(json_string_value(doc)))) {
        json_t *errors = json_pack("[{s:s, s:s}]", "field", action == NULL ? "action" : "body", "code", "invalid");
        api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL, json_pack("{s:o}", "errors", errors));
        return;
    }
    desk_action_t *a = api->req_alloc(req, sizeof *a);
    if (a == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    a->code = code;
    a->action = action;
    a->note = json_string_value(note);
    if (strcmp(action, "issue_result") != 0) {
        transition(req, a);
        return;
    }
    if (doc == NULL) {
        json_t *errors = json_pack("[{s:s, s:s}]", "field", "result_document", "code", "required");
        api->reply_problem_ext(req, 422, "validation-failed", "Cần tệp kết quả (result_document).",
                               "A result file (result_document) is required.", json_pack("{s:o}", "errors", errors));
        return;
    }
    const char *params[] = {json_string_value(doc), procedures_actor(req)};
    procedures_query(req, "SELECT sha256, media_type FROM uploads WHERE id = $1::uuid AND owner = $2", 2,
                     params, on_result_document, a);
}

int procedures_desk_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/desk/dossiers", .handler = list,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 2, .rate_limit_class = "default", .operation_id = "listDeskDossiers"},
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/desk/dossiers/{code}/actions",
         .handler = act, .auth = CONG_AUTH_REQUIRED, .min_loa = 2, .rate_limit_class = "default",
         .operation_id = "actOnDossier"},
    };
    return procedures_register_routes(ctx, routes, sizeof routes / sizeof routes[0]);
}
