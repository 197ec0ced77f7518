/*
 * POST /v1/appointments {unit, domain, slot, dossier_code?} + Idempotency-Key — a citizen holds a seat of a slot.
 *
 * Everything is decided in one PostgreSQL transaction (appointment_book, migrations/0001_appointments.sql): under an
 * advisory lock on the citizen, the key, the slot against the schedule, the dossier (the caller's own), the limits,
 * then the seat in one statement and the row. 201 only after that commit, with the hold's expiry; the holder confirms
 * it (change.c) before hold_ttl_s have passed. Level 1; nobody books for someone else (mandate_action NULL).
 *
 * The Idempotency-Key is required (400 idempotency-key-required): a retry with the same key and the same body answers
 * the same appointment again (Idempotent-Replayed: true), another body 422 idempotency-key-reused. The body's hash
 * is of its canonical JSON (sorted keys, compact), so a retry must send the same members with the same values.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appointments.h"

#define IDEMPOTENCY_KEY_MAX 255
#define DOSSIER_CODE_MAX 64

typedef struct booking {
    const char *key;
    char request_hash[65];
} booking_t;

static int key_ok(const char *key, size_t len)
{
    if (key == NULL || len == 0 || len > IDEMPOTENCY_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            return 0;
    return 1;
}

static void sha256_hex(const char *s, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    static const char hex[] = "0123456789abcdef";
    EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

static void on_booked(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = appt_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return appt_reply_store_error(req, err != 0 ? err : CONG_EIO);
    const char *status = api->pg_value(res, 0, 0), *body = api->pg_value(res, 0, 1);
    if (strcmp(status, "201") == 0) {
        json_t *j = json_loads(body, 0, NULL);
        const char *id = json_string_value(json_object_get(j, "id"));
        char location[80];
        if (id != NULL) {
            snprintf(location, sizeof location, "/v1/appointments/%s", id);
            api->reply_header(req, "location", location);
        }
        json_decref(j);
        if (api->pg_value(res, 0, 2)[0] == 't')
            api->reply_header(req, "idempotent-replayed", "true");
    }
    appt_reply_outcome(req, status, body);
}

/* The members of the body, checked: the validation-failed errors (an empty array when all is well). */
static json_t *check_body(const json_t *body, long long *slot)
{
    json_t *errors = json_array();
    const char *unit = json_string_value(json_object_get(body, "unit"));
    const char *domain = json_string_value(json_object_get(body, "domain"));
    const char *at = json_string_value(json_object_get(body, "slot"));
    const json_t *dossier = json_object_get(body, "dossier_code");
    if (!appt_code_ok(unit))
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "unit", "code", unit ? "invalid" : "required"));
    if (!appt_code_ok(domain))
        json_array_append_new(errors,
                              json_pack("{s:s, s:s}", "field", "domain", "code", domain ? "invalid" : "required"));
    if (appt_iso_parse(at, slot) != 0)
        json_array_append_new(errors,
                              json_pack("{s:s, s:s}", "field", "slot", "code", at ? "invalid-format" : "required"));
    if (dossier != NULL && !json_is_null(dossier) &&
        (!json_is_string(dossier) || json_string_length(dossier) == 0 ||
         json_string_length(dossier) > DOSSIER_CODE_MAX))
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "dossier_code", "code", "invalid"));
    return errors;
}

static void book(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = appt_api;
    size_t key_len = 0;
    const char *key = api->req_header(req, "idempotency-key", &key_len);
    if (!key_ok(key, key_len))
        return (void)api->reply_problem(req, 400, "idempotency-key-required", NULL, NULL);
    json_t *body = api->req_json(req);
    if (!json_is_object(body))
        return (void)api->reply_problem(req, 400, "invalid-json", NULL, NULL);
    long long slot = 0;
    json_t *errors = check_body(body, &slot);
    if (json_array_size(errors) > 0)
        return (void)api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL,
                                            json_pack("{s:o}", "errors", errors));
    json_decref(errors);
    booking_t *b = api->req_alloc(req, sizeof *b);
    char *key_copy = api->req_alloc(req, key_len + 1);
    char *canonical = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    if (b == NULL || key_copy == NULL || canonical == NULL) {
        free(canonical);
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    }
    memcpy(key_copy, key, key_len);
    b->key = key_copy;
    sha256_hex(canonical, b->request_hash);
    free(canonical);
    char at[24], hold[16], max_domain[16], max_day[16], horizon[16];
    snprintf(at, sizeof at, "%lld", slot);
    snprintf(hold, sizeof hold, "%d", appt_config.hold_ttl_s);
    snprintf(max_domain, sizeof max_domain, "%d", appt_config.max_active_per_domain);
    snprintf(max_day, sizeof max_day, "%d", appt_config.max_per_day);
    snprintf(horizon, sizeof horizon, "%d", appt_config.horizon_days);
    const json_t *dossier = json_object_get(body, "dossier_code");
    const char *params[] = {api->req_principal(req)->subject, b->key, b->request_hash,
                            json_string_value(json_object_get(body, "unit")),
                            json_string_value(json_object_get(body, "domain")), at,
                            json_is_string(dossier) ? json_string_value(dossier) : NULL, hold, max_domain, max_day,
                            horizon, api->req_id(req)};
    appt_query(req,
               "SELECT http_status, body, replayed FROM appointment_book($1, $2, $3, $4, $5, to_timestamp($6::bigint), "
               "$7, $8::int, $9::int, $10::int, $11::int, $12)",
               12, params, on_booked, b);
}

int appt_book_register(cong_module_ctx_t *ctx)
{
    cong_route_def_t def = {.size = sizeof def, .method = "POST", .path = "/v1/appointments", .handler = book,
                            .auth = CONG_AUTH_REQUIRED, .min_loa = 1, .operation_id = "createAppointment",
                            .max_body_bytes = 2048, .mandate_action = NULL};
    return appt_api->register_route(ctx, &def);
}
