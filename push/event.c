#include "push.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "common/msgpack_bounds.h"

#define MAX_DEPTH 32

int cong_event_topic_valid(const char *topic)
{
    size_t n = 0;
    for (; topic[n] != '\0'; n++) {
        char c = topic[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return n > 0 && n <= 64;
}

static void pack_string(msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, s, len);
}

static int pack_json(msgpack_packer *pk, const json_t *v, int depth)
{
    if (depth > MAX_DEPTH)
        return CONG_EINVAL;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *value;
        msgpack_pack_map(pk, json_object_size(v));
        json_object_foreach((json_t *)v, key, value) {
            pack_string(pk, key, strlen(key));
            if (pack_json(pk, value, depth + 1) != 0)
                return CONG_EINVAL;
        }
        return 0;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *value;
        msgpack_pack_array(pk, json_array_size(v));
        json_array_foreach(v, i, value) {
            if (pack_json(pk, value, depth + 1) != 0)
                return CONG_EINVAL;
        }
        return 0;
    }
    case JSON_STRING:
        pack_string(pk, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        msgpack_pack_int64(pk, json_integer_value(v));
        return 0;
    case JSON_REAL:
        msgpack_pack_double(pk, json_real_value(v));
        return 0;
    case JSON_TRUE:
        msgpack_pack_true(pk);
        return 0;
    case JSON_FALSE:
        msgpack_pack_false(pk);
        return 0;
    case JSON_NULL:
        msgpack_pack_nil(pk);
        return 0;
    }
    return CONG_EINVAL;
}

int cong_event_encode(const char *topic, int64_t at_ms, const char *request_id, const json_t *payload, char **out,
                      size_t *out_len)
{
    if (topic == NULL || !cong_event_topic_valid(topic) || payload == NULL)
        return CONG_EINVAL;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    pack_string(&pk, "v", 1);
    msgpack_pack_int(&pk, 1);
    pack_string(&pk, "topic", 5);
    pack_string(&pk, topic, strlen(topic));
    pack_string(&pk, "at_ms", 5);
    msgpack_pack_int64(&pk, at_ms);
    pack_string(&pk, "request_id", 10);
    pack_string(&pk, request_id ? request_id : "", request_id ? strlen(request_id) : 0);
    pack_string(&pk, "data", 4);
    if (pack_json(&pk, payload, 0) != 0) {
        msgpack_sbuffer_destroy(&sb);
        return CONG_EINVAL;
    }
    if (sb.data == NULL) {
        msgpack_sbuffer_destroy(&sb);
        return CONG_ENOMEM;
    }
    *out = sb.data; /* msgpack's sbuffer is malloc'd: the caller frees it with free() */
    *out_len = sb.size;
    return 0;
}

static json_t *to_json(const msgpack_object *o, int depth)
{
    if (depth > MAX_DEPTH)
        return NULL;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return json_null();
    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return o->via.u64 > INT64_MAX ? NULL : json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_integer(o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return json_real(o->via.f64);
    case MSGPACK_OBJECT_STR:
        return json_stringn(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; a != NULL && i < o->via.array.size; i++) {
            json_t *item = to_json(&o->via.array.ptr[i], depth + 1);
            if (item == NULL || json_array_append_new(a, item) != 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; m != NULL && i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR) {
                json_decref(m);
                return NULL;
            }
            char key[256];
            if (kv->key.via.str.size >= sizeof key) {
                json_decref(m);
                return NULL;
            }
            memcpy(key, kv->key.via.str.ptr, kv->key.via.str.size);
            key[kv->key.via.str.size] = '\0';
            json_t *value = to_json(&kv->val, depth + 1);
            if (value == NULL || json_object_set_new(m, key, value) != 0) {
                json_decref(m);
                return NULL;
            }
        }
        return m;
    }
    default:
        return NULL;
    }
}

json_t *cong_event_decode(const char *buf, size_t len, char *topic, size_t topic_cap)
{
    if (!cong_msgpack_bounded(buf, len))
        return NULL;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    json_t *result = NULL;
    size_t off = 0;
    if (msgpack_unpack_next(&u, buf, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len ||
        u.data.type != MSGPACK_OBJECT_MAP) {
        msgpack_unpacked_destroy(&u);
        return NULL;
    }
    json_t *event = to_json(&u.data, 0);
    msgpack_unpacked_destroy(&u);
    if (event == NULL)
        return NULL;
    const char *t = json_string_value(json_object_get(event, "topic"));
    json_t *data = json_object_get(event, "data");
    if (t != NULL && data != NULL && json_integer_value(json_object_get(event, "v")) == 1) {
        if (topic != NULL && topic_cap > 0)
            snprintf(topic, topic_cap, "%s", t);
        result = json_incref(data);
    }
    json_decref(event);
    return result;
}
