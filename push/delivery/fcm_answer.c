/*
 * push/delivery/fcm_answer.c — FCM HTTP v1 answers → provider.h outcomes (contract in fcm_answer.h).
 *
 * Why a 404 needs UNREGISTERED and a 400 needs the token named before GONE: GONE deletes the citizen's device, so
 * only FCM's own word that the token is dead may cause it — a misrouted endpoint answering a bare 404 must not.
 */
#include "fcm_answer.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define FCM_ERROR_TYPE "type.googleapis.com/google.firebase.fcm.v1.FcmError"
#define BAD_REQUEST_TYPE "type.googleapis.com/google.rpc.BadRequest"

static void set_reason(push_result_t *out, const char *reason)
{
    snprintf(out->reason, sizeof out->reason, "%s", reason);
}

/* The FcmError detail's errorCode, or NULL. */
static const char *fcm_error_code(json_t *details)
{
    size_t i;
    json_t *d;
    json_array_foreach(details, i, d) {
        const char *type = json_string_value(json_object_get(d, "@type"));
        const char *code = json_string_value(json_object_get(d, "errorCode"));
        if (type != NULL && strcmp(type, FCM_ERROR_TYPE) == 0 && code != NULL)
            return code;
    }
    return NULL;
}

/* 1 when a BadRequest detail blames message.token. */
static int blames_token_field(json_t *details)
{
    size_t i, j;
    json_t *d, *v;
    json_array_foreach(details, i, d) {
        const char *type = json_string_value(json_object_get(d, "@type"));
        if (type == NULL || strcmp(type, BAD_REQUEST_TYPE) != 0)
            continue;
        json_array_foreach(json_object_get(d, "fieldViolations"), j, v) {
            const char *field = json_string_value(json_object_get(v, "field"));
            if (field != NULL && strcmp(field, "message.token") == 0)
                return 1;
        }
    }
    return 0;
}

/* 1 when the INVALID_ARGUMENT is about the registration token rather than the payload. */
static int invalid_token(json_t *error)
{
    json_t *details = json_object_get(error, "details");
    if (blames_token_field(details))
        return 1;
    const char *message = json_string_value(json_object_get(error, "message"));
    return message != NULL && strstr(message, "registration token") != NULL && strstr(message, "not a valid") != NULL;
}

static push_outcome_t outcome_of(int status, const char *code, json_t *error)
{
    if (status == 200)
        return PUSH_SENT;
    if (status == 404)
        return code != NULL && strcmp(code, "UNREGISTERED") == 0 ? PUSH_GONE : PUSH_DROP;
    if (status == 400)
        return invalid_token(error) ? PUSH_GONE : PUSH_DROP;
    if (status == 401 || status == 429 || status >= 500)
        return PUSH_RETRY;
    return status >= 400 && status < 500 ? PUSH_DROP : PUSH_RETRY;
}

void fcm_answer_map(int status, const char *body, size_t len, int retry_after_s, push_result_t *out)
{
    *out = (push_result_t){.http_status = status};
    json_t *doc = body != NULL && len > 0 ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *error = json_object_get(doc, "error");
    const char *code = fcm_error_code(json_object_get(error, "details"));
    out->outcome = outcome_of(status, code, error);
    if (out->outcome == PUSH_RETRY && retry_after_s > 0)
        out->retry_after_s = retry_after_s;
    if (out->outcome != PUSH_SENT) {
        const char *google_status = json_string_value(json_object_get(error, "status"));
        if (code != NULL || google_status != NULL)
            set_reason(out, code != NULL ? code : google_status);
        else
            snprintf(out->reason, sizeof out->reason, "http %d", status);
    }
    json_decref(doc);
}

int fcm_retry_after_parse(const char *value, size_t len)
{
    while (len > 0 && (*value == ' ' || *value == '\t'))
        value++, len--;
    while (len > 0 && isspace((unsigned char)value[len - 1]))
        len--;
    if (len == 0 || len > 10)
        return -1;
    long seconds = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)value[i]))
            return -1;
        seconds = seconds * 10 + (value[i] - '0');
    }
    return seconds > 86400 ? 86400 : (int)seconds;
}

void fcm_answer_no_answer(const char *reason, push_result_t *out)
{
    *out = (push_result_t){.outcome = PUSH_RETRY};
    set_reason(out, reason);
}
