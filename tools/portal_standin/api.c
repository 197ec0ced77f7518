/*
 * tools/portal_standin/api.c — the portal's dossier API.
 *
 *   PUT /api/v1/dossiers/{code}/versions/{version}   Authorization: Bearer <token>, body: a JSON object
 *       201 {"result":"recorded"}   200 {"result":"duplicate"}   409 {"error":"out_of_order","expected_version":n}
 *       401 without the right token, 400 for a bad code, version or body, 503 in fail mode or when the state file
 *       cannot be written.
 *   GET /api/v1/received             every record (without payloads) and the duplicate / out-of-order counters
 *   GET /api/v1/received/{code}      one dossier's records with their payloads, and its counters
 */
#include "handlers.h"
#include "http.h"
#include "standin_auth.h"

#include "cong/module.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Splits "{code}/versions/{version}" (rest of the path). 0, or -1 when it is not that shape. */
static int parse_target(h2o_iovec_t rest, char code[PS_CODE_MAX + 1], int *version)
{
    static const char middle[] = "/versions/";
    const char *slash = memchr(rest.base, '/', rest.len);
    if (!slash || (size_t)(slash - rest.base) > PS_CODE_MAX)
        return -1;
    size_t code_len = (size_t)(slash - rest.base);
    memcpy(code, rest.base, code_len);
    code[code_len] = '\0';
    size_t left = rest.len - code_len;
    if (!ps_code_valid(code) || left <= sizeof middle - 1 || memcmp(slash, middle, sizeof middle - 1) != 0)
        return -1;
    char digits[12];
    size_t dlen = left - (sizeof middle - 1);
    if (dlen >= sizeof digits)
        return -1;
    memcpy(digits, slash + sizeof middle - 1, dlen);
    digits[dlen] = '\0';
    char *end;
    errno = 0;
    long v = strtol(digits, &end, 10);
    if (errno || *end || digits[0] < '1' || digits[0] > '9' || v < 1 || v > 0x7fffffff)
        return -1;
    *version = (int)v;
    return 0;
}

void ps_serve_put_version(ps_app_t *app, h2o_req_t *req, h2o_iovec_t rest)
{
    if (!standin_bearer_is(req, app->config.token)) {
        standin_header(req, "www-authenticate", "Bearer");
        standin_reply_error(req, 401, "unauthorized");
        return;
    }
    char code[PS_CODE_MAX + 1];
    int version;
    if (parse_target(rest, code, &version) != 0) {
        standin_reply_error(req, 400, "bad dossier code or version");
        return;
    }
    if (app->mode == PS_MODE_FAIL) {
        standin_reply_error(req, 503, "unavailable (fail mode)");
        return;
    }
    if (app->mode == PS_MODE_TIMEOUT) {
        ps_reply_json_later(app, req, 504, json_pack("{s:s}", "error", "held (timeout mode)"),
                            app->delay_ms > 0 ? app->delay_ms : PS_DEFAULT_HOLD_MS);
        return;
    }
    json_t *payload = json_loadb(req->entity.base, req->entity.len, 0, NULL);
    if (!json_is_object(payload)) {
        json_decref(payload);
        standin_reply_error(req, 400, "the body must be a JSON object");
        return;
    }
    ps_outcome_t outcome;
    int rc = ps_ledger_put(&app->ledger, code, version, payload, &outcome);
    json_decref(payload);
    int status;
    json_t *body;
    if (rc != CONG_OK) {
        status = 503;
        body = json_pack("{s:s}", "error", "cannot record");
    } else if (outcome == PS_RECORDED) {
        status = 201;
        body = json_pack("{s:s, s:s, s:i}", "result", "recorded", "dossier_code", code, "version", version);
    } else if (outcome == PS_DUPLICATE) {
        status = 200;
        body = json_pack("{s:s, s:s, s:i}", "result", "duplicate", "dossier_code", code, "version", version);
    } else {
        status = 409;
        body = json_pack("{s:s, s:s, s:i}", "error", "out_of_order", "dossier_code", code, "version", version);
    }
    if (app->mode == PS_MODE_SLOW)
        ps_reply_json_later(app, req, status, body, app->delay_ms);
    else
        standin_reply_json(req, status, body);
}

void ps_serve_received(ps_app_t *app, h2o_req_t *req, h2o_iovec_t rest)
{
    if (rest.len == 0) {
        standin_reply_json(req, 200, ps_ledger_json(&app->ledger, NULL));
        return;
    }
    char code[PS_CODE_MAX + 1];
    if (rest.len > PS_CODE_MAX) {
        standin_reply_error(req, 404, "no such dossier");
        return;
    }
    memcpy(code, rest.base, rest.len);
    code[rest.len] = '\0';
    if (!ps_code_valid(code)) {
        standin_reply_error(req, 404, "no such dossier");
        return;
    }
    standin_reply_json(req, 200, ps_ledger_json(&app->ledger, code));
}
