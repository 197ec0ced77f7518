/*
 * push/delivery/fcm_message.c — the messages:send body (contract in fcm_message.h). The TTL goes to Android only:
 * APNs takes an expiry date (apns-expiration), which would make the body depend on the clock; FCM applies its own
 * default there. event_id stays out: FCM names the message itself.
 */
#include "fcm_message.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

/* The data object of msg->data_json (a new reference), or NULL when it is not an object of strings. */
static json_t *data_object(const char *data_json)
{
    json_t *data = json_loads(data_json, JSON_REJECT_DUPLICATES, NULL);
    const char *key;
    json_t *value;
    if (!json_is_object(data))
        return json_decref(data), NULL;
    json_object_foreach(data, key, value) {
        if (!json_is_string(value))
            return json_decref(data), NULL;
    }
    return data;
}

/* NULL when a text given is not UTF-8. */
static json_t *notification_object(const push_message_t *msg)
{
    json_t *n = json_object();
    if (msg->title != NULL && json_object_set_new(n, "title", json_string(msg->title)) != 0)
        return json_decref(n), NULL;
    if (msg->body != NULL && json_object_set_new(n, "body", json_string(msg->body)) != 0)
        return json_decref(n), NULL;
    return n;
}

static json_t *android_object(const push_message_t *msg)
{
    json_t *a = json_pack("{s:s}", "priority", msg->high_priority ? "HIGH" : "NORMAL");
    if (msg->ttl_s > 0) {
        char ttl[24];
        snprintf(ttl, sizeof ttl, "%ds", msg->ttl_s);
        json_object_set_new(a, "ttl", json_string(ttl));
    }
    if (msg->collapse_id != NULL && json_object_set_new(a, "collapse_key", json_string(msg->collapse_id)) != 0)
        return json_decref(a), NULL;
    return a;
}

static json_t *apns_object(const push_message_t *msg)
{
    json_t *headers = json_pack("{s:s}", "apns-priority", msg->high_priority ? "10" : "5");
    if (msg->collapse_id != NULL && json_object_set_new(headers, "apns-collapse-id", json_string(msg->collapse_id)))
        return json_decref(headers), NULL;
    return json_pack("{s:o}", "headers", headers);
}

char *fcm_message_json(const push_message_t *msg)
{
    if (msg->device_token == NULL || msg->device_token[0] == '\0')
        return NULL;
    json_t *data = NULL;
    if (msg->data_json != NULL && (data = data_object(msg->data_json)) == NULL)
        return NULL;
    json_t *m = json_pack("{s:s}", "token", msg->device_token);
    if (m != NULL && (msg->title != NULL || msg->body != NULL) &&
        json_object_set_new(m, "notification", notification_object(msg)) != 0)
        json_decref(m), m = NULL;
    if (m != NULL && data != NULL)
        json_object_set(m, "data", data);
    if (m != NULL && (json_object_set_new(m, "android", android_object(msg)) != 0 ||
                      json_object_set_new(m, "apns", apns_object(msg)) != 0))
        json_decref(m), m = NULL;
    json_decref(data);
    json_t *doc = m != NULL ? json_pack("{s:o}", "message", m) : NULL;
    char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}
