/*
 * Verifying electronic results: POST /v1/results/verify, public (anyone holding a result may check it).
 *
 * Body: {"signature": "<JWS from the result>", "sha256": "<hex of the file>"} — the SHA-256 of the file one holds. The
 * signature must verify with one of cong's document keys (api->jws_verify: any key cong has ever signed documents with,
 * so a result keeps verifying across key rotations; never an access token), describe a cong result, name the same
 * SHA-256, and the dossier must still carry that result. The answer is always 200 with {"valid": true|false, ...} and,
 * when false, a stable "reason": "bad-signature", "hash-mismatch", "unknown-result". A malformed request is 422.
 */
#include <jansson.h>
#include <string.h>

#include "procedures.h"

static void reply_verdict(cong_req_t *req, const char *reason, json_t *doc)
{
    json_t *body = reason == NULL ? json_pack("{s:b, s:O}", "valid", 1, "result", doc)
                                  : json_pack("{s:b, s:s}", "valid", 0, "reason", reason);
    json_decref(doc);
    procedures_api->reply_header(req, "cache-control", "no-store");
    procedures_api->reply_json(req, 200, body);
}

static void on_dossier(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    json_t *doc = udata;
    if (err != 0) {
        json_decref(doc);
        return procedures_reply_store_error(req, err);
    }
    if (procedures_api->pg_ntuples(res) != 1) {
        reply_verdict(req, "unknown-result", doc);
        return;
    }
    json_object_set_new(doc, "procedure_code", json_string(procedures_api->pg_value(res, 0, 0)));
    json_object_set_new(doc, "unit_code", json_string(procedures_api->pg_value(res, 0, 1)));
    reply_verdict(req, NULL, doc);
}

static int hex64(const char *s)
{
    if (s == NULL || strlen(s) != 64)
        return 0;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static void verify(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    json_t *body = api->req_json(req);
    const char *signature = json_string_value(json_object_get(body, "signature"));
    const char *sha = json_string_value(json_object_get(body, "sha256"));
    if (signature == NULL || !hex64(sha)) {
        api->reply_problem(req, 422, "validation-failed",
                           "Cần chữ ký (signature) và SHA-256 của tệp (64 ký tự hex thường).",
                           "A signature and the file's SHA-256 (64 lowercase hex digits) are required.");
        return;
    }
    const char *payload = NULL;
    size_t payload_len = 0;
    int rc = api->jws_verify(req, signature, strlen(signature), &payload, &payload_len);
    if (rc == CONG_ENOTFOUND)
        return (void)api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
    json_t *doc = rc == 0 ? json_loadb(payload, payload_len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    const char *typ = json_string_value(json_object_get(doc, "typ"));
    const char *dossier = json_string_value(json_object_get(doc, "dossier"));
    const char *signed_sha = json_string_value(json_object_get(doc, "sha256"));
    if (doc == NULL || typ == NULL || strcmp(typ, "cong-result") != 0 || dossier == NULL || signed_sha == NULL) {
        reply_verdict(req, "bad-signature", doc);
        return;
    }
    if (strcmp(signed_sha, sha) != 0) {
        reply_verdict(req, "hash-mismatch", doc);
        return;
    }
    const char *params[] = {dossier, sha, signature};
    rc = api->pg_query(req,
                       "SELECT procedure_code, unit_code FROM dossiers WHERE code = $1 AND result_sha256 = $2 "
                       "AND result_signature = $3",
                       3, params, on_dossier, doc);
    if (rc != 0) {
        json_decref(doc);
        procedures_reply_store_error(req, rc);
    }
}

int procedures_results_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t route = {.size = sizeof route, .method = "POST", .path = "/v1/results/verify",
                                    .handler = verify, .auth = CONG_AUTH_NONE, .rate_limit_class = "default",
                                    .operation_id = "verifyResult"};
    return procedures_api->register_route(ctx, &route);
}
