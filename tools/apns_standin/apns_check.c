/* tools/apns_standin/apns_check.c — APNs' request checks as pure functions (see apns_check.h). */
#include "apns_check.h"

#include <jansson.h>
#include <string.h>

static const struct {
    const char *name;
    int status;
} reasons[APNS_REASON_COUNT] = {
    [APNS_OK] = {"", 200},
    [APNS_BAD_COLLAPSE_ID] = {"BadCollapseId", 400},
    [APNS_BAD_DEVICE_TOKEN] = {"BadDeviceToken", 400},
    [APNS_BAD_EXPIRATION_DATE] = {"BadExpirationDate", 400},
    [APNS_BAD_MESSAGE_ID] = {"BadMessageId", 400},
    [APNS_BAD_PRIORITY] = {"BadPriority", 400},
    [APNS_BAD_TOPIC] = {"BadTopic", 400},
    [APNS_DEVICE_TOKEN_NOT_FOR_TOPIC] = {"DeviceTokenNotForTopic", 400},
    [APNS_DUPLICATE_HEADERS] = {"DuplicateHeaders", 400},
    [APNS_INVALID_PUSH_TYPE] = {"InvalidPushType", 400},
    [APNS_MISSING_DEVICE_TOKEN] = {"MissingDeviceToken", 400},
    [APNS_MISSING_TOPIC] = {"MissingTopic", 400},
    [APNS_PAYLOAD_EMPTY] = {"PayloadEmpty", 400},
    [APNS_TOPIC_DISALLOWED] = {"TopicDisallowed", 400},
    [APNS_EXPIRED_PROVIDER_TOKEN] = {"ExpiredProviderToken", 403},
    [APNS_INVALID_PROVIDER_TOKEN] = {"InvalidProviderToken", 403},
    [APNS_MISSING_PROVIDER_TOKEN] = {"MissingProviderToken", 403},
    [APNS_BAD_PATH] = {"BadPath", 404},
    [APNS_METHOD_NOT_ALLOWED] = {"MethodNotAllowed", 405},
    [APNS_EXPIRED_TOKEN] = {"ExpiredToken", 410},
    [APNS_UNREGISTERED] = {"Unregistered", 410},
    [APNS_PAYLOAD_TOO_LARGE] = {"PayloadTooLarge", 413},
    [APNS_TOO_MANY_PROVIDER_TOKEN_UPDATES] = {"TooManyProviderTokenUpdates", 429},
    [APNS_TOO_MANY_REQUESTS] = {"TooManyRequests", 429},
    [APNS_INTERNAL_SERVER_ERROR] = {"InternalServerError", 500},
    [APNS_SERVICE_UNAVAILABLE] = {"ServiceUnavailable", 503},
};

/* Apple's push types and the suffix of the topic each is sent to (after the bundle id). */
static const struct {
    const char *name;
    const char *topic_suffix;
} push_types[APNS_PUSH_TYPE_COUNT] = {
    [APNS_PUSH_ALERT] = {"alert", ""},
    [APNS_PUSH_BACKGROUND] = {"background", ""},
    [APNS_PUSH_LOCATION] = {"location", ".location-query"},
    [APNS_PUSH_VOIP] = {"voip", ".voip"},
    [APNS_PUSH_COMPLICATION] = {"complication", ".complication"},
    [APNS_PUSH_FILEPROVIDER] = {"fileprovider", ".pushkit.fileprovider"},
    [APNS_PUSH_MDM] = {"mdm", ""},
    [APNS_PUSH_LIVEACTIVITY] = {"liveactivity", ".push-type.liveactivity"},
    [APNS_PUSH_PUSHTOTALK] = {"pushtotalk", ".voip-ptt"},
    [APNS_PUSH_WIDGETS] = {"widgets", ".push-type.widgets"},
};

const char *apns_reason_name(apns_reason_t r)
{
    return (unsigned)r < APNS_REASON_COUNT ? reasons[r].name : "";
}

int apns_reason_status(apns_reason_t r)
{
    return (unsigned)r < APNS_REASON_COUNT ? reasons[r].status : 500;
}

int apns_reason_parse(const char *name)
{
    for (int r = 1; r < APNS_REASON_COUNT; r++)
        if (strcmp(reasons[r].name, name) == 0)
            return r;
    return -1;
}

const char *apns_push_type_name(apns_push_type_t t)
{
    return (unsigned)t < APNS_PUSH_TYPE_COUNT ? push_types[t].name : "";
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

apns_reason_t apns_check_device_token(const char *token, size_t len)
{
    if (len == 0)
        return APNS_MISSING_DEVICE_TOKEN;
    if (len < APNS_DEVICE_TOKEN_MIN || len > APNS_DEVICE_TOKEN_MAX || len % 2 != 0)
        return APNS_BAD_DEVICE_TOKEN;
    for (size_t i = 0; i < len; i++)
        if (!is_hex(token[i]))
            return APNS_BAD_DEVICE_TOKEN;
    return APNS_OK;
}

int apns_uuid_ok(const char *s, size_t len)
{
    if (len != APNS_UUID_LEN)
        return 0;
    for (size_t i = 0; i < len; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex(s[i]))
            return 0;
    }
    return 1;
}

static int field_is(const apns_field_t *f, const char *s)
{
    size_t n = strlen(s);
    return f->base != NULL && f->len == n && memcmp(f->base, s, n) == 0;
}

/* The push type named by the header, or -1. */
static int push_type_of(const apns_field_t *f)
{
    for (int t = 0; t < APNS_PUSH_TYPE_COUNT; t++)
        if (field_is(f, push_types[t].name))
            return t;
    return -1;
}

static int topic_printable(const apns_field_t *f)
{
    if (f->len == 0 || f->len > APNS_TOPIC_MAX)
        return 0;
    for (size_t i = 0; i < f->len; i++)
        if ((unsigned char)f->base[i] <= 0x20 || (unsigned char)f->base[i] >= 0x7f)
            return 0;
    return 1;
}

/* Whether the topic is bundle + suffix, exactly. */
static int topic_is(const apns_field_t *topic, const char *bundle, const char *suffix)
{
    size_t b = strlen(bundle), s = strlen(suffix);
    return topic->len == b + s && memcmp(topic->base, bundle, b) == 0 && memcmp(topic->base + b, suffix, s) == 0;
}

/* The topic: present, well-formed, one of the app's. */
static apns_reason_t check_topic(const apns_field_t *topic, const char *bundle)
{
    if (topic->base == NULL)
        return APNS_MISSING_TOPIC;
    if (!topic_printable(topic))
        return APNS_BAD_TOPIC;
    for (int t = 0; t < APNS_PUSH_TYPE_COUNT; t++)
        if (topic_is(topic, bundle, push_types[t].topic_suffix))
            return APNS_OK;
    return APNS_TOPIC_DISALLOWED;
}

/* 1..10 decimal digits into *out; else -1. */
static int parse_digits(const apns_field_t *f, int64_t *out)
{
    if (f->len == 0 || f->len > 10)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < f->len; i++) {
        if (f->base[i] < '0' || f->base[i] > '9')
            return -1;
        v = v * 10 + (f->base[i] - '0');
    }
    *out = v;
    return 0;
}

static apns_reason_t check_priority(const apns_field_t *f, apns_push_type_t type, int *priority)
{
    *priority = 10;
    if (f->base != NULL) {
        if (field_is(f, "10"))
            *priority = 10;
        else if (field_is(f, "5"))
            *priority = 5;
        else if (field_is(f, "1"))
            *priority = 1;
        else
            return APNS_BAD_PRIORITY;
    }
    return type == APNS_PUSH_BACKGROUND && *priority != 5 ? APNS_BAD_PRIORITY : APNS_OK;
}

apns_reason_t apns_check_headers(const apns_headers_t *h, const char *bundle, apns_notification_meta_t *meta)
{
    const apns_field_t *all[] = {&h->id, &h->topic, &h->push_type, &h->priority, &h->expiration, &h->collapse_id};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]->count > 1)
            return APNS_DUPLICATE_HEADERS;
    if (h->id.base != NULL && !apns_uuid_ok(h->id.base, h->id.len))
        return APNS_BAD_MESSAGE_ID;
    apns_reason_t r = check_topic(&h->topic, bundle);
    if (r != APNS_OK)
        return r;
    int type = push_type_of(&h->push_type);
    if (type < 0)
        return APNS_INVALID_PUSH_TYPE;
    if (!topic_is(&h->topic, bundle, push_types[type].topic_suffix))
        return APNS_DEVICE_TOKEN_NOT_FOR_TOPIC;
    int priority;
    if ((r = check_priority(&h->priority, (apns_push_type_t)type, &priority)) != APNS_OK)
        return r;
    int64_t expiration = -1;
    if (h->expiration.base != NULL && parse_digits(&h->expiration, &expiration) != 0)
        return APNS_BAD_EXPIRATION_DATE;
    if (h->collapse_id.base != NULL && h->collapse_id.len > APNS_COLLAPSE_ID_MAX)
        return APNS_BAD_COLLAPSE_ID;
    *meta = (apns_notification_meta_t){.push_type = (apns_push_type_t)type, .priority = priority,
                                       .expiration = expiration};
    return APNS_OK;
}

apns_reason_t apns_check_payload(const char *body, size_t len, apns_push_type_t type)
{
    size_t max = type == APNS_PUSH_VOIP ? APNS_PAYLOAD_MAX_VOIP : APNS_PAYLOAD_MAX;
    if (len > max)
        return APNS_PAYLOAD_TOO_LARGE;
    if (len == 0)
        return APNS_PAYLOAD_EMPTY;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    int ok = json_is_object(doc) && json_is_object(json_object_get(doc, "aps"));
    json_decref(doc);
    return ok ? APNS_OK : APNS_PAYLOAD_EMPTY;
}
