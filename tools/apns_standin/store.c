/* tools/apns_standin/store.c — marks, notifications, connections' tokens, counters (see store.h). */
#include "store.h"

#include <ctype.h>
#include <string.h>

int apns_store_init(apns_store_t *s)
{
    memset(s, 0, sizeof *s);
    s->marks = json_object();
    s->notifications = json_array();
    return s->marks != NULL && s->notifications != NULL ? 0 : -1;
}

void apns_store_reset(apns_store_t *s)
{
    json_object_clear(s->marks);
    json_array_clear(s->notifications);
    memset(s->conns, 0, sizeof s->conns);
    memset(s->by_reason, 0, sizeof s->by_reason);
    s->requests = s->token_updates = 0;
}

/* The lower-case key of a device token (at most APNS_DEVICE_TOKEN_MAX characters, checked by the caller). */
static void key_of(const char *token, size_t len, char key[APNS_DEVICE_TOKEN_MAX + 1])
{
    size_t n = len < APNS_DEVICE_TOKEN_MAX ? len : APNS_DEVICE_TOKEN_MAX;
    for (size_t i = 0; i < n; i++)
        key[i] = (char)tolower((unsigned char)token[i]);
    key[n] = '\0';
}

int apns_store_mark(apns_store_t *s, const char *token, size_t len, apns_reason_t reason, int64_t timestamp_ms)
{
    char key[APNS_DEVICE_TOKEN_MAX + 1];
    key_of(token, len, key);
    if (reason == APNS_OK) {
        json_object_del(s->marks, key);
        return 0;
    }
    if (json_object_size(s->marks) >= APNS_MAX_MARKS && json_object_get(s->marks, key) == NULL)
        return -1;
    json_t *mark = json_pack("{s:s, s:I}", "reason", apns_reason_name(reason), "timestamp", (json_int_t)timestamp_ms);
    return mark != NULL && json_object_set_new(s->marks, key, mark) == 0 ? 0 : -1;
}

apns_reason_t apns_store_marked(const apns_store_t *s, const char *token, size_t len, int64_t *timestamp_ms)
{
    char key[APNS_DEVICE_TOKEN_MAX + 1];
    key_of(token, len, key);
    json_t *mark = json_object_get(s->marks, key);
    if (mark == NULL)
        return APNS_OK;
    *timestamp_ms = (int64_t)json_integer_value(json_object_get(mark, "timestamp"));
    int r = apns_reason_parse(json_string_value(json_object_get(mark, "reason")));
    return r > 0 ? (apns_reason_t)r : APNS_OK;
}

/* The connection's entry; else a free one, or the least recently used one (forgotten), cleared. */
static apns_conn_state_t *conn_slot(apns_store_t *s, uint64_t conn_id)
{
    apns_conn_state_t *free_slot = NULL, *oldest = &s->conns[0];
    for (size_t i = 0; i < APNS_MAX_CONNS; i++) {
        apns_conn_state_t *c = &s->conns[i];
        if (c->conn_id == conn_id)
            return c;
        if (c->conn_id == 0 && free_slot == NULL)
            free_slot = c;
        if (c->last_used < oldest->last_used)
            oldest = c;
    }
    apns_conn_state_t *slot = free_slot != NULL ? free_slot : oldest;
    memset(slot, 0, sizeof *slot);
    return slot;
}

apns_reason_t apns_store_use_token(apns_store_t *s, uint64_t conn_id, const apns_jwt_info_t *token)
{
    apns_conn_state_t *c = conn_slot(s, conn_id);
    c->last_used = ++s->clock;
    if (c->conn_id == conn_id && memcmp(c->digest, token->digest, sizeof c->digest) == 0)
        return APNS_OK;
    if (c->conn_id == conn_id) {
        if (token->iat - c->iat < APNS_TOKEN_REFRESH_MIN_S)
            return APNS_TOO_MANY_PROVIDER_TOKEN_UPDATES;
        s->token_updates++;
    }
    c->conn_id = conn_id;
    memcpy(c->digest, token->digest, sizeof c->digest);
    c->iat = token->iat;
    return APNS_OK;
}

void apns_store_record(apns_store_t *s, json_t *record, apns_reason_t reason)
{
    s->requests++;
    s->by_reason[(unsigned)reason < APNS_REASON_COUNT ? reason : APNS_INTERNAL_SERVER_ERROR]++;
    if (record == NULL)
        return;
    if (json_array_size(s->notifications) >= APNS_MAX_NOTIFICATIONS)
        json_array_remove(s->notifications, 0);
    json_array_append_new(s->notifications, record);
}
