/*
 * tools/fcm_standin/send.c — POST /v1/projects/{project}/messages:send, FCM HTTP v1. Checked in this order: the
 * bearer access token (issued by /token, not expired) → 401 UNAUTHENTICATED; the project (the service account's)
 * → 403 PERMISSION_DENIED; the body (message.h) → 400 INVALID_ARGUMENT; then the behaviour set for the device token,
 * else the global one (control.c), decides the answer and its delay. A message answered 200 is recorded, except with
 * validate_only.
 */
#include "handlers.h"
#include "http.h"
#include "message.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void count_and_reply(fcm_app_t *app, h2o_req_t *req, fcm_outcome_t outcome, int status, json_t *body)
{
    app->sends[outcome]++;
    standin_reply_json(req, status, body);
}

static void reply_unauthenticated(fcm_app_t *app, h2o_req_t *req)
{
    standin_header(req, "www-authenticate", "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"");
    count_and_reply(app, req, FCM_OUT_UNAUTHENTICATED, 401,
                    fcm_google_error(401, "UNAUTHENTICATED",
                                     "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                                     "login cookie or other valid authentication credential.",
                                     NULL));
}

static void reply_invalid(fcm_app_t *app, h2o_req_t *req, const fcm_message_t *m)
{
    json_t *details = json_array();
    json_array_append_new(details, fcm_error_detail("INVALID_ARGUMENT"));
    if (m->field[0])
        json_array_append_new(details, json_pack("{s:s, s:[{s:s, s:s}]}", "@type",
                                                 "type.googleapis.com/google.rpc.BadRequest", "fieldViolations",
                                                 "field", m->field, "description", m->error));
    count_and_reply(app, req, FCM_OUT_INVALID_ARGUMENT, 400,
                    fcm_google_error(400, "INVALID_ARGUMENT", m->error, details));
}

/* The error a behaviour answers with: its status, the body, and the outcome counted. */
static json_t *behaviour_error(fcm_mode_t mode, int *status, fcm_outcome_t *outcome)
{
    static const struct {
        int status;
        const char *google_status, *error_code, *message;
        fcm_outcome_t outcome;
    } errors[FCM_MODE_COUNT] = {
        [FCM_MODE_UNREGISTERED] = {404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.",
                                   FCM_OUT_UNREGISTERED},
        [FCM_MODE_QUOTA_EXCEEDED] = {429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED",
                                     "Quota exceeded for quota metric 'Send requests'.", FCM_OUT_QUOTA_EXCEEDED},
        [FCM_MODE_UNAVAILABLE] = {503, "UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable.",
                                  FCM_OUT_UNAVAILABLE},
        [FCM_MODE_INTERNAL] = {500, "INTERNAL", "INTERNAL", "Internal error encountered.", FCM_OUT_INTERNAL},
        [FCM_MODE_SENDER_ID_MISMATCH] = {403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch",
                                         FCM_OUT_SENDER_ID_MISMATCH},
    };
    *status = errors[mode].status;
    *outcome = errors[mode].outcome;
    json_t *details = json_array();
    json_array_append_new(details, fcm_error_detail(errors[mode].error_code));
    return fcm_google_error(errors[mode].status, errors[mode].google_status, errors[mode].message, details);
}

/* 200 {"name"}: recorded unless validate_only. */
static void accept_message(fcm_app_t *app, h2o_req_t *req, const fcm_message_t *m, const fcm_rule_t *rule)
{
    const char *project = app->config.account.project_id;
    char name[256];
    int64_t ms = standin_now_ms();
    if (m->validate_only)
        snprintf(name, sizeof name, "projects/%s/messages/fake_message_id", project);
    else
        snprintf(name, sizeof name, "projects/%s/messages/0:%" PRId64 "%%%016" PRIx64, project, ms,
                 ++app->message_seq);
    char *text = m->validate_only ? NULL : json_dumps(m->message, JSON_COMPACT);
    if (!m->validate_only &&
        (!text || fcm_record_add(app, name, (int)m->target_kind, m->target, text, ms) != 0)) {
        free(text);
        standin_reply_error(req, 503, "out of memory");
        return;
    }
    free(text);
    app->sends[m->validate_only ? FCM_OUT_VALIDATED : FCM_OUT_OK]++;
    fcm_reply_later(app, req, rule->delay_ms, 200, json_pack("{s:s}", "name", name), -1);
}

void fcm_serve_send(fcm_app_t *app, h2o_req_t *req, const char *project, size_t project_len)
{
    h2o_iovec_t token;
    if (!fcm_bearer(req, &token) || !fcm_token_valid(app, token.base, token.len, (int64_t)time(NULL))) {
        reply_unauthenticated(app, req);
        return;
    }
    if (!h2o_memis(project, project_len, app->config.account.project_id, strlen(app->config.account.project_id))) {
        count_and_reply(app, req, FCM_OUT_PERMISSION_DENIED, 403,
                        fcm_google_error(403, "PERMISSION_DENIED",
                                         "Permission 'cloudmessaging.messages.create' denied on resource (or it may "
                                         "not exist).",
                                         NULL));
        return;
    }
    fcm_message_t m;
    if (fcm_message_check(req->entity.base, req->entity.len, &m) != 0) {
        reply_invalid(app, req, &m);
        return;
    }
    fcm_rule_t rule = fcm_rule_take(app, m.target_kind == FCM_TARGET_TOKEN ? m.target : NULL);
    if (rule.mode == FCM_MODE_NORMAL) {
        accept_message(app, req, &m, &rule);
    } else {
        int status;
        fcm_outcome_t outcome;
        json_t *body = behaviour_error(rule.mode, &status, &outcome);
        app->sends[outcome]++;
        int retry = rule.mode == FCM_MODE_QUOTA_EXCEEDED || rule.mode == FCM_MODE_UNAVAILABLE ? rule.retry_after_s : -1;
        fcm_reply_later(app, req, rule.delay_ms, status, body, retry);
    }
    fcm_message_free(&m);
}
