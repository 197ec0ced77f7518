/* tools/fcm_standin/message.c — validating a messages:send body as FCM does (see message.h). */
#include "message.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_fields[] = {"message", "validate_only", NULL};
static const char *const message_fields[] = {"name", "data", "notification", "android", "webpush", "apns",
                                             "fcm_options", "token", "topic", "condition", NULL};
static const char *const notification_fields[] = {"title", "body", "image", NULL};
static const char *const object_fields[] = {"android", "webpush", "apns", "fcm_options", NULL};
static const char *const targets[] = {"token", "topic", "condition"};

static int refuse(fcm_message_t *m, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(fcm_message_t *m, const char *field, const char *fmt, ...)
{
    snprintf(m->field, sizeof m->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof m->error, fmt, ap);
    va_end(ap);
    /* they quote the sender's bytes (names, the parser's "near '...'"), cut anywhere: ASCII only, so they stay a JSON
     * string in the answer */
    for (char *c = m->error; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
    return -1;
}

static int listed(const char *name, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(name, *names) == 0)
            return 1;
    return 0;
}

/* Google's proto parser: a member it does not know is an error, named with where it was found. */
static int unknown_member(fcm_message_t *m, json_t *obj, const char *const *known, const char *where)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        if (!listed(key, known))
            return refuse(m, where, "Invalid JSON payload received. Unknown name \"%.64s\" at '%s': Cannot find field.",
                          key, where);
    }
    return 0;
}

static int is_reserved_data_key(const char *key)
{
    return strcmp(key, "from") == 0 || strcmp(key, "message_type") == 0 || strncmp(key, "google", 6) == 0 ||
           strncmp(key, "gcm", 3) == 0;
}

static int check_data(fcm_message_t *m, json_t *data)
{
    if (!json_is_object(data))
        return refuse(m, "message.data", "Invalid value at 'message.data' (type.googleapis.com/google.protobuf.Struct)");
    const char *key;
    json_t *value;
    size_t i = 0;
    json_object_foreach(data, key, value) {
        char field[64];
        snprintf(field, sizeof field, "message.data[%zu].value", i);
        if (!json_is_string(value))
            return refuse(m, field, "Invalid value at '%s' (TYPE_STRING)", field);
        if (is_reserved_data_key(key))
            return refuse(m, "message.data", "Invalid data payload key: %.64s", key);
        i++;
    }
    return 0;
}

static int check_notification(fcm_message_t *m, json_t *n)
{
    if (!json_is_object(n))
        return refuse(m, "message.notification", "Invalid value at 'message.notification' (TYPE_MESSAGE)");
    if (unknown_member(m, n, notification_fields, "message.notification") != 0)
        return -1;
    for (const char *const *f = notification_fields; *f; f++) {
        json_t *v = json_object_get(n, *f);
        if (v && !json_is_string(v))
            return refuse(m, "message.notification", "Invalid value at 'message.notification.%s' (TYPE_STRING)", *f);
    }
    return 0;
}

static int valid_token(const char *s, size_t n)
{
    return n > 0 && n <= FCM_MAX_TOKEN_BYTES &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:.-") == n;
}

static int valid_topic(const char *s, size_t n)
{
    if (n > 8 && strncmp(s, "/topics/", 8) == 0) {
        s += 8;
        n -= 8;
    }
    return n > 0 && n <= 900 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~%") == n;
}

static int check_target(fcm_message_t *m, json_t *msg)
{
    int found = 0;
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(msg, targets[i]);
        if (!v)
            continue;
        if (found++)
            return refuse(m, "message", "Exactly one of token, topic or condition must be set.");
        const char *s = json_string_value(v);
        size_t n = s ? json_string_length(v) : 0;
        if (!s || strlen(s) != n)
            return refuse(m, "message", "Invalid value at 'message.%s' (TYPE_STRING)", targets[i]);
        if ((i == 0 && !valid_token(s, n)) || (i == 1 && !valid_topic(s, n)) || (i == 2 && n == 0))
            return refuse(m, NULL, i == 0 ? "The registration token is not a valid FCM registration token"
                                          : "Invalid %s.", targets[i]);
        m->target_kind = (fcm_target_kind_t)(i + 1);
        m->target = s;
    }
    return found ? 0 : refuse(m, "message", "Recipient of the message is not set.");
}

/* The bytes FCM's limit is measured on here: the message's compact JSON without its target and name. */
static int measure_payload(fcm_message_t *m, json_t *msg)
{
    json_t *copy = json_copy(msg);
    for (int i = 0; copy && i < 3; i++)
        json_object_del(copy, targets[i]);
    if (copy)
        json_object_del(copy, "name");
    char *text = copy ? json_dumps(copy, JSON_COMPACT) : NULL;
    json_decref(copy);
    if (!text)
        return refuse(m, NULL, "out of memory");
    m->payload_bytes = strlen(text);
    free(text);
    if (m->payload_bytes > FCM_MAX_PAYLOAD_BYTES)
        return refuse(m, "message", "Message is too big: %zu bytes of payload, at most %d.", m->payload_bytes,
                      FCM_MAX_PAYLOAD_BYTES);
    return 0;
}

static int check_message(fcm_message_t *m, json_t *msg)
{
    if (!json_is_object(msg))
        return refuse(m, "message", "Invalid value at 'message' (type.googleapis.com/google.firebase.fcm.v1.Message)");
    if (unknown_member(m, msg, message_fields, "message") != 0 || check_target(m, msg) != 0)
        return -1;
    json_t *data = json_object_get(msg, "data"), *notification = json_object_get(msg, "notification");
    if ((data && check_data(m, data) != 0) || (notification && check_notification(m, notification) != 0))
        return -1;
    for (const char *const *f = object_fields; *f; f++) {
        json_t *v = json_object_get(msg, *f);
        if (v && !json_is_object(v))
            return refuse(m, "message", "Invalid value at 'message.%s' (TYPE_MESSAGE)", *f);
    }
    json_t *name = json_object_get(msg, "name");
    if (name && !json_is_string(name))
        return refuse(m, "message", "Invalid value at 'message.name' (TYPE_STRING)");
    return measure_payload(m, msg);
}

int fcm_message_check(const char *body, size_t len, fcm_message_t *out)
{
    *out = (fcm_message_t){0};
    json_error_t error;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &error);
    int rc;
    if (!json_is_object(doc))
        rc = refuse(out, NULL, "Invalid JSON payload received. %s", doc ? "Expected an object." : error.text);
    else if (unknown_member(out, doc, top_fields, "") != 0)
        rc = -1;
    else if (json_object_get(doc, "validate_only") && !json_is_boolean(json_object_get(doc, "validate_only")))
        rc = refuse(out, "validate_only", "Invalid value at 'validate_only' (TYPE_BOOL)");
    else
        rc = check_message(out, json_object_get(doc, "message"));
    if (rc == 0) {
        out->message = json_incref(json_object_get(doc, "message"));
        out->validate_only = json_is_true(json_object_get(doc, "validate_only"));
    } else {
        out->target = NULL;
        out->target_kind = 0;
    }
    json_decref(doc);
    return rc;
}

void fcm_message_free(fcm_message_t *m)
{
    json_decref(m->message);
    m->message = NULL;
    m->target = NULL;
}

const char *fcm_target_name(fcm_target_kind_t kind)
{
    return kind >= FCM_TARGET_TOKEN && kind <= FCM_TARGET_CONDITION ? targets[kind - 1] : "?";
}
