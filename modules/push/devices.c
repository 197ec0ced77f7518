/*
 * The devices of a person's sessions.
 *
 *   POST   /v1/me/devices          {platform: "fcm" | "apns", token, locale?: "vi" | "en"} → the device
 *   GET    /v1/me/devices          {devices: [...]}, oldest first
 *   DELETE /v1/me/devices/{id}     204; another person's → 404
 *
 * One device per session (push.h): the upsert, and the move of a token from another session, is one SQL function
 * (push_device_register) in one transaction; 201 when the row was made, 200 when updated, only after the commit. The
 * locale chooses the language of what is pushed to this device (the inbox follows the request's Accept-Language);
 * absent: "vi". The token is never answered back nor logged.
 */
#include <jansson.h>
#include <string.h>

#include "push.h"

static void not_found(cong_req_t *req)
{
    push_api->reply_problem(req, 404, "not-found", "Không có thiết bị này của bạn.", "You have no such device.");
}

static void invalid(cong_req_t *req, const char *field, const char *code)
{
    push_api->reply_problem_ext(req, 422, "validation-failed", "Thông tin thiết bị không hợp lệ.",
                                "The device's fields are not valid.",
                                json_pack("{s:[{s:s, s:s}]}", "errors", "field", field, "code", code));
}

/* The caller's own session id, or NULL after a 403 (an API client's token, or one without a session). */
static const char *own_session(cong_req_t *req)
{
    const char *sid = push_api->req_principal(req)->session_id;
    if (sid != NULL && sid[0] != '\0' && strncmp(sid, "client:", 7) != 0)
        return sid;
    push_api->reply_problem(req, 403, "session-required",
                            "Chỉ đăng ký được thiết bị khi đã đăng nhập trên thiết bị đó.",
                            "A device is registered from a signed-in session on it; this token has no session.");
    return NULL;
}

static void on_registered(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = push_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return push_reply_store_error(req, err != 0 ? err : CONG_EIO);
    int created = strcmp(api->pg_value(res, 0, 0), "t") == 0;
    push_reply_json_text(req, created ? 201 : 200, api->pg_value(res, 0, 1));
}

/* Member `name` of the body as a string: NULL when absent or null, "" (refused later) when not a string. */
static const char *member(json_t *body, const char *name)
{
    json_t *v = json_object_get(body, name);
    if (v == NULL || json_is_null(v))
        return NULL;
    return json_is_string(v) ? json_string_value(v) : "";
}

static void register_device(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = push_api;
    const char *sid = own_session(req);
    if (sid == NULL)
        return;
    json_t *body = api->req_json(req);
    if (!json_is_object(body))
        return (void)api->reply_problem(req, 400, "invalid-json", NULL, NULL);
    const char *platform = member(body, "platform"), *token = member(body, "token");
    const char *locale = member(body, "locale");
    if (platform == NULL || token == NULL)
        return invalid(req, platform == NULL ? "platform" : "token", "required");
    if (!push_platform_ok(platform))
        return invalid(req, "platform", "unknown-platform");
    if (!push_token_ok(platform, token))
        return invalid(req, "token", "invalid-format");
    if (locale != NULL && !push_locale_ok(locale))
        return invalid(req, "locale", "unknown-locale");
    const char *params[] = {api->req_principal(req)->subject, sid, platform, token, locale != NULL ? locale : "vi"};
    /* The device's owner is reachable by broadcasts from now (city-wide until they choose a ward), in its locale. */
    push_query(req,
               "SELECT d.created, d.body FROM push_device_register($1, $2, $3, $4, $5) d, "
               "push_subscriber_touch($1, $5) s",
               5, params, on_registered, NULL);
}

static void on_listed(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    if (err != 0 || push_api->pg_ntuples(res) != 1)
        return push_reply_store_error(req, err != 0 ? err : CONG_EIO);
    push_reply_json_text(req, 200, push_api->pg_value(res, 0, 0));
}

static void list_devices(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_principal_t *p = push_api->req_principal(req);
    const char *params[] = {p->subject, p->session_id};
    push_query(req,
               "SELECT jsonb_build_object('devices', coalesce(jsonb_agg(push_device_json(d, $2) "
               "ORDER BY d.created_at, d.id), '[]'::jsonb)) FROM push_devices d WHERE d.subject = $1",
               2, params, on_listed, NULL);
}

static void on_deleted(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    if (err != 0)
        return push_reply_store_error(req, err);
    if (push_api->pg_ntuples(res) != 1)
        return not_found(req);
    push_reply_no_content(req);
}

static void delete_device(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *id = push_api->req_path_param(req, "id", NULL);
    if (!push_uuid_ok(id))
        return not_found(req);
    const char *params[] = {id, push_api->req_principal(req)->subject};
    push_query(req, "DELETE FROM push_devices WHERE id = $1::uuid AND subject = $2 RETURNING id", 2, params,
               on_deleted, NULL);
}

int push_devices_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/me/devices", .handler = register_device,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "registerMyDevice",
         .max_body_bytes = 3 * PUSH_FCM_TOKEN_MAX, .mandate_action = NULL},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/me/devices", .handler = list_devices,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "listMyDevices", .mandate_action = NULL},
        {.size = sizeof(cong_route_def_t), .method = "DELETE", .path = "/v1/me/devices/{id}",
         .handler = delete_device, .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "deleteMyDevice",
         .mandate_action = NULL},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = push_api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}
