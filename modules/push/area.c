/*
 * The area a citizen is reached in by broadcasts (migrations/0002_broadcasts.sql, push_subscribers):
 *
 *   GET /v1/me/push-area      {ward_code, locale, since}: ward_code null = city-wide broadcasts only; 404 before the
 *                             person registered a device or chose an area
 *   PUT /v1/me/push-area      {ward_code: "HN-W-001" | null} → 200 the area. A ward or commune of the units table
 *                             (422 unknown-ward otherwise). A changed area starts now: the broadcasts a ward sent
 *                             before are not shown to someone who just moved there.
 *
 * Registering a device also makes its owner a subscriber (city-wide, its locale): devices.c.
 */
#include <string.h>

#include "push.h"

static void invalid(cong_req_t *req, const char *code)
{
    push_api->reply_problem_ext(req, 422, "validation-failed", "Phường/xã không hợp lệ.", "The ward is not valid.",
                                json_pack("{s:[{s:s, s:s}]}", "errors", "field", "ward_code", "code", code));
}

static void on_area(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = push_api;
    if (err != 0)
        return push_reply_store_error(req, err);
    if (api->pg_ntuples(res) != 1)
        return (void)api->reply_problem(req, 404, "not-found", "Bạn chưa chọn khu vực nhận thông báo.",
                                        "You have chosen no area for broadcasts yet.");
    if (strcmp(api->pg_value(res, 0, 0), "422") == 0)
        return invalid(req, "unknown-ward");
    push_reply_json_text(req, 200, api->pg_value(res, 0, 1));
}

static void show(cong_req_t *req, void *udata)
{
    (void)udata;
    const char *params[] = {push_api->req_principal(req)->subject};
    push_query(req, "SELECT 200, push_area_json(s) FROM push_subscribers s WHERE s.subject = $1", 1, params, on_area,
               NULL);
}

static void set(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = push_api;
    json_t *body = api->req_json(req);
    json_t *ward = json_object_get(body, "ward_code");
    if (!json_is_object(body))
        return (void)api->reply_problem(req, 400, "invalid-json", NULL, NULL);
    if (ward == NULL)
        return invalid(req, "required");
    if (!json_is_null(ward) && !push_ward_code_ok(json_string_value(ward)))
        return invalid(req, "invalid-format");
    const char *params[] = {api->req_principal(req)->subject, json_string_value(ward)};
    push_query(req, "SELECT http_status, body FROM push_area_set($1, $2)", 2, params, on_area, NULL);
}

int push_area_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/me/push-area", .handler = show,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "getMyPushArea", .mandate_action = NULL},
        {.size = sizeof(cong_route_def_t), .method = "PUT", .path = "/v1/me/push-area", .handler = set,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "setMyPushArea", .max_body_bytes = 1024,
         .mandate_action = NULL},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = push_api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}
