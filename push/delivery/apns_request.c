/*
 * push/delivery/apns_request.c — the payload, headers and refusals of one APNs notification (apns_request.h).
 */
#include "apns_request.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void refuse(push_result_t *r, push_outcome_t outcome, const char *reason)
{
    *r = (push_result_t){.outcome = outcome};
    snprintf(r->reason, sizeof r->reason, "%s", reason);
}

int apns_is_uuid(const char *s)
{
    static const int dash_at[] = {8, 13, 18, 23};
    if (s == NULL || strlen(s) != 36)
        return 0;
    for (int i = 0, d = 0; i < 36; i++) {
        if (d < 4 && i == dash_at[d]) {
            if (s[i] != '-')
                return 0;
            d++;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

int apns_device_token_ok(const char *token)
{
    size_t n = token != NULL ? strlen(token) : 0;
    if (n == 0 || n > APNS_DEVICE_TOKEN_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)token[i]))
            return 0;
    return 1;
}

static int has_text(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* {"aps": ..., the data's members at the top level}; "aps" in the data never replaces ours. NULL on bad data. */
static json_t *payload_object(const push_message_t *m, int alert)
{
    json_t *root = NULL;
    if (has_text(m->data_json)) {
        root = json_loads(m->data_json, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(root))
            return json_decref(root), NULL;
        json_object_del(root, "aps");
    } else {
        root = json_object();
    }
    json_t *aps = json_object();
    if (alert) {
        json_t *a = json_object();
        if (has_text(m->title))
            json_object_set_new(a, "title", json_string(m->title));
        if (has_text(m->body))
            json_object_set_new(a, "body", json_string(m->body));
        json_object_set_new(aps, "alert", a);
        json_object_set_new(aps, "sound", json_string("default"));
    } else {
        json_object_set_new(aps, "content-available", json_integer(1));
    }
    json_object_set_new(root, "aps", aps);
    return root;
}

int apns_request_build(const push_message_t *m, int64_t now_s, apns_request_t *out, push_result_t *result)
{
    *out = (apns_request_t){0};
    if (!apns_device_token_ok(m->device_token))
        return refuse(result, PUSH_GONE, "BadDeviceToken"), -1;
    if (m->collapse_id != NULL && strlen(m->collapse_id) > APNS_COLLAPSE_ID_MAX)
        return refuse(result, PUSH_DROP, "BadCollapseId"), -1;
    int alert = has_text(m->title) || has_text(m->body);
    json_t *root = payload_object(m, alert);
    if (root == NULL)
        return refuse(result, PUSH_DROP, "BadData"), -1;
    out->payload = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (out->payload == NULL)
        return refuse(result, PUSH_RETRY, "out of memory"), -1;
    out->payload_len = strlen(out->payload);
    if (out->payload_len > APNS_PAYLOAD_MAX) {
        apns_request_free(out);
        return refuse(result, PUSH_DROP, "PayloadTooLarge"), -1;
    }
    out->push_type = alert ? "alert" : "background";
    out->priority = alert && m->high_priority ? 10 : 5;
    out->expiration = m->ttl_s > 0 ? now_s + m->ttl_s : 0;
    out->collapse_id = has_text(m->collapse_id) ? m->collapse_id : NULL;
    if (apns_is_uuid(m->event_id))
        for (int i = 0; i <= 36; i++)
            out->apns_id[i] = (char)tolower((unsigned char)m->event_id[i]);
    return 0;
}

void apns_request_free(apns_request_t *req)
{
    free(req->payload);
    req->payload = NULL;
}

static int add_line(char *lines[], int *n, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 3;
    if ((lines[*n] = malloc(len)) == NULL)
        return -1;
    snprintf(lines[(*n)++], len, "%s: %s", name, value);
    return 0;
}

int apns_request_headers(const apns_request_t *req, const char *topic, const char *jwt,
                         char *lines[APNS_HEADER_LINES + 1])
{
    char priority[8], expiration[24];
    snprintf(priority, sizeof priority, "%d", req->priority);
    snprintf(expiration, sizeof expiration, "%lld", (long long)req->expiration);
    size_t auth_len = strlen(jwt) + 8;
    char *auth = malloc(auth_len);
    int n = 0, bad = auth == NULL;
    memset(lines, 0, sizeof(char *) * (APNS_HEADER_LINES + 1));
    if (!bad) {
        snprintf(auth, auth_len, "bearer %s", jwt);
        bad = add_line(lines, &n, "authorization", auth) || add_line(lines, &n, "apns-topic", topic) ||
              add_line(lines, &n, "apns-push-type", req->push_type) ||
              add_line(lines, &n, "apns-priority", priority) || add_line(lines, &n, "apns-expiration", expiration) ||
              (req->collapse_id != NULL && add_line(lines, &n, "apns-collapse-id", req->collapse_id)) ||
              (req->apns_id[0] != '\0' && add_line(lines, &n, "apns-id", req->apns_id)) ||
              add_line(lines, &n, "content-type", "application/json");
        explicit_bzero(auth, auth_len);
    }
    free(auth);
    if (bad)
        apns_headers_free(lines);
    return bad ? -1 : 0;
}

void apns_headers_free(char *lines[APNS_HEADER_LINES + 1])
{
    for (int i = 0; i < APNS_HEADER_LINES && lines[i] != NULL; i++) {
        explicit_bzero(lines[i], strlen(lines[i])); /* the first holds the provider token */
        free(lines[i]);
        lines[i] = NULL;
    }
}
