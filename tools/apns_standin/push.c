/*
 * tools/apns_standin/push.c — POST /3/device/{device token}: APNs' notification request, checked as Apple checks it
 * (README.md, in this order): method, path and device token, the provider token (and its refresh on this
 * connection), the apns-* headers, the payload; then the tests' modes (fail, device marks). Answers 200 with an empty
 * body, or {"reason": ...} (410: with "timestamp"), always with apns-id.
 */
#include "http.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define DEVICE_PREFIX "/3/device/"

/* The one value of a request header and how often it came. */
static apns_field_t field(const h2o_req_t *req, const char *name)
{
    apns_field_t f = {NULL, 0, 0};
    size_t n = strlen(name);
    for (ssize_t i = -1; (i = h2o_find_header_by_str(&req->headers, name, n, i)) >= 0;) {
        if (f.count++ == 0) {
            f.base = req->headers.entries[i].value.base;
            f.len = req->headers.entries[i].value.len;
        }
    }
    return f;
}

/* The request's apns-id when it is a UUID, else a new random (version 4) one, lower case. */
static void apns_id_for(const h2o_req_t *req, char out[APNS_UUID_LEN + 1])
{
    apns_field_t id = field(req, "apns-id");
    if (id.count == 1 && apns_uuid_ok(id.base, id.len)) {
        memcpy(out, id.base, APNS_UUID_LEN);
        out[APNS_UUID_LEN] = '\0';
        return;
    }
    unsigned char b[16] = {0};
    RAND_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, APNS_UUID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void reply(h2o_req_t *req, apns_reason_t reason, int64_t timestamp_ms)
{
    if (reason == APNS_OK) {
        standin_reply(req, 200, NULL, "", 0);
        return;
    }
    json_t *body = json_pack("{s:s}", "reason", apns_reason_name(reason));
    if (body != NULL && apns_reason_status(reason) == 410)
        json_object_set_new(body, "timestamp", json_integer((json_int_t)timestamp_ms));
    standin_reply_json(req, apns_reason_status(reason), body);
}

/* Method, path, device token, provider token: what comes before the notification itself. */
static apns_reason_t check_request(apns_app_t *app, h2o_req_t *req, h2o_iovec_t token)
{
    if (!standin_method_is(req, "POST"))
        return APNS_METHOD_NOT_ALLOWED;
    apns_reason_t r = apns_check_device_token(token.base, token.len);
    if (r != APNS_OK)
        return r;
    apns_field_t auth = field(req, "authorization");
    if (auth.count > 1)
        return APNS_DUPLICATE_HEADERS;
    const apns_jwt_expect_t expect = {app->config.auth_key, app->config.key_id, app->config.team_id};
    apns_jwt_info_t info;
    r = apns_jwt_check(&expect, auth.base, auth.len, standin_now_ms() / 1000, &info);
    return r != APNS_OK ? r : apns_store_use_token(&app->store, req->conn->id, &info);
}

static json_t *optional_string(const apns_field_t *f)
{
    json_t *s = f->base != NULL ? json_stringn(f->base, f->len) : NULL; /* NULL too when not UTF-8 */
    return s != NULL ? s : json_null();
}

/* What the tests read back (GET /control/notifications). */
static json_t *record_of(const h2o_req_t *req, const char *apns_id, h2o_iovec_t token, const apns_headers_t *h,
                         const apns_notification_meta_t *meta)
{
    json_t *payload = json_loadb(req->entity.base, req->entity.len, 0, NULL);
    return json_pack("{s:s, s:s%, s:s%, s:s, s:i, s:o, s:o, s:o, s:I, s:I}", "apns_id", apns_id, "device_token",
                     token.base, token.len, "topic", h->topic.base, h->topic.len, "push_type",
                     apns_push_type_name(meta->push_type), "priority", meta->priority, "expiration",
                     meta->expiration >= 0 ? json_integer((json_int_t)meta->expiration) : json_null(), "collapse_id",
                     optional_string(&h->collapse_id), "payload", payload ? payload : json_null(), "connection",
                     (json_int_t)req->conn->id, "received_at", (json_int_t)standin_now_ms());
}

/* The fail mode, then the device's mark: how a well-formed notification is answered. */
static apns_reason_t outcome(apns_app_t *app, h2o_iovec_t token, int64_t *timestamp_ms)
{
    apns_mode_t *m = &app->mode;
    if (m->fail != APNS_OK) {
        apns_reason_t fail = m->fail;
        if (m->fail_count > 0 && --m->fail_count == 0)
            m->fail = APNS_OK;
        return fail;
    }
    return apns_store_marked(&app->store, token.base, token.len, timestamp_ms);
}

void apns_serve_push(apns_app_t *app, h2o_req_t *req)
{
    char apns_id[APNS_UUID_LEN + 1];
    apns_id_for(req, apns_id);
    standin_header(req, "apns-id", apns_id);
    size_t n = standin_path_length(req), prefix = strlen(DEVICE_PREFIX);
    if (n < prefix || memcmp(req->path.base, DEVICE_PREFIX, prefix) != 0) {
        apns_store_record(&app->store, NULL, APNS_BAD_PATH);
        reply(req, APNS_BAD_PATH, 0);
        return;
    }
    h2o_iovec_t token = h2o_iovec_init(req->path.base + prefix, n - prefix);
    apns_headers_t h = {field(req, "apns-id"), field(req, "apns-topic"), field(req, "apns-push-type"),
                        field(req, "apns-priority"), field(req, "apns-expiration"), field(req, "apns-collapse-id")};
    apns_notification_meta_t meta;
    apns_reason_t r = check_request(app, req, token);
    if (r == APNS_OK)
        r = apns_check_headers(&h, app->config.bundle, &meta);
    if (r == APNS_OK)
        r = apns_check_payload(req->entity.base, req->entity.len, meta.push_type);
    if (r != APNS_OK) {
        apns_store_record(&app->store, NULL, r);
        reply(req, r, 0);
        return;
    }
    int64_t timestamp_ms = 0;
    int fail_mode = app->mode.fail != APNS_OK;
    r = outcome(app, token, &timestamp_ms);
    if (fail_mode && app->mode.retry_after_s > 0) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%d", app->mode.retry_after_s);
        standin_header(req, "retry-after", seconds);
    }
    json_t *record = record_of(req, apns_id, token, &h, &meta);
    if (record != NULL) {
        json_object_set_new(record, "status", json_integer(apns_reason_status(r)));
        json_object_set_new(record, "reason", r != APNS_OK ? json_string(apns_reason_name(r)) : json_null());
    }
    apns_store_record(&app->store, record, r);
    reply(req, r, timestamp_ms);
}
