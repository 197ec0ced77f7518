/* push/worker/event.c — a stream entry into an event, its texts (its inbox row, or a broadcast's data) and its live
 * log append (worker.h; steps 1 and the texts of step 2 in push/pipeline.h). */
#include "worker.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "push/live.h"
#include "push/pipeline.h"
#include "push/push.h"

static const char *const TEXT_NAMES[4] = {"title_vi", "body_vi", "title_en", "body_en"};

/* The inbox rows of (subject, event key) pairs, given as two arrays of the same length. */
static const char TEXTS_SQL[] =
    "SELECT k.subject, k.event_key, i.id, i.title_vi, i.body_vi, i.title_en, i.body_en"
    " FROM unnest($1::text[], $2::text[]) AS k(subject, event_key)"
    " JOIN push_inbox i ON i.subject = k.subject AND i.event_key = k.event_key";

/* The event's request_id (push/push.h), malloc'd, or NULL. cong_event_decode gives the payload only. */
static char *request_id_of(const char *m, size_t len)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    char *id = NULL;
    size_t off = 0;
    if (msgpack_unpack_next(&u, m, len, &off) == MSGPACK_UNPACK_SUCCESS && u.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object_map *map = &u.data.via.map;
        for (uint32_t i = 0; i < map->size && !id; i++) {
            const msgpack_object *k = &map->ptr[i].key, *v = &map->ptr[i].val;
            if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 10 &&
                memcmp(k->via.str.ptr, "request_id", 10) == 0 && v->type == MSGPACK_OBJECT_STR)
                id = strndup(v->via.str.ptr, v->via.str.size);
        }
    }
    msgpack_unpacked_destroy(&u);
    return id;
}

/* A subject or event key as push/live.h takes them, and without " or \ (they are put in SQL array literals). */
static int key_ok(const char *s)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if ((unsigned char)s[n] <= ' ' || s[n] == 0x7f || s[n] == '"' || s[n] == '\\')
            return 0;
    return s && n > 0 && n <= 128;
}

int worker_event_parse(worker_event_t *ev, const char *topic, const char *entry_id, const char *m, size_t m_len)
{
    *ev = (worker_event_t){.ok = 1};
    snprintf(ev->topic, sizeof ev->topic, "%s", topic);
    snprintf(ev->entry_id, sizeof ev->entry_id, "%s", entry_id);
    for (int i = 0; i < 4; i++)
        ev->texts[i] = strdup("");
    char event_topic[72];
    json_t *data = m ? cong_event_decode(m, m_len, event_topic, sizeof event_topic) : NULL;
    char *key = m ? request_id_of(m, m_len) : NULL;
    const char *subject = json_string_value(json_object_get(data, "subject"));
    if (!json_is_object(data) || !key_ok(key) || !key_ok(subject)) {
        json_decref(data);
        free(key);
        return CONG_EINVAL; /* event_key stays NULL: acknowledged, nothing delivered */
    }
    ev->data = data;
    ev->event_key = key;
    ev->subject = strdup(subject);
    ev->live_done = json_is_true(json_object_get(data, "live_done"));
    ev->broadcast = strcmp(topic, PUSH_BROADCAST_TOPIC) == 0;
    if (ev->broadcast) {
        json_t *id = json_object_get(data, "broadcast_id");
        if (json_is_string(id))
            snprintf(ev->inbox_id, sizeof ev->inbox_id, "%s", json_string_value(id));
        else if (json_is_integer(id))
            snprintf(ev->inbox_id, sizeof ev->inbox_id, "%lld", (long long)json_integer_value(id));
        for (int i = 0; i < 4; i++) {
            const char *t = json_string_value(json_object_get(data, TEXT_NAMES[i]));
            if (t && *t) {
                free(ev->texts[i]);
                ev->texts[i] = strdup(t);
                ev->has_texts = 1;
            }
        }
    }
    return CONG_OK;
}

void worker_event_free(worker_event_t *ev)
{
    json_decref(ev->data);
    free(ev->event_key);
    free(ev->subject);
    for (int i = 0; i < 4; i++)
        free(ev->texts[i]);
    *ev = (worker_event_t){0};
}

/* Appends s as a PostgreSQL array element ("..." with \ and " escaped) to the literal in *buf. */
static void array_add(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t need = *len + 2 * strlen(s) + 4;
    if (need > *cap) {
        *cap = need * 2;
        *buf = realloc(*buf, *cap);
    }
    char *p = *buf + *len;
    *p++ = *len > 1 ? ',' : '{';
    *p++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            *p++ = '\\';
        *p++ = *s;
    }
    *p++ = '"';
    *len = (size_t)(p - *buf);
}

static char *array_end(char *buf, size_t len)
{
    if (!buf)
        return strdup("{}");
    buf[len] = '}';
    buf[len + 1] = '\0';
    return buf;
}

static void set_texts(worker_event_t *ev, PGresult *res, int row)
{
    snprintf(ev->inbox_id, sizeof ev->inbox_id, "%s", PQgetvalue(res, row, 2));
    for (int t = 0; t < 4; t++) {
        free(ev->texts[t]);
        ev->texts[t] = strdup(PQgetvalue(res, row, 3 + t));
        ev->has_texts |= ev->texts[t][0] != '\0';
    }
}

int worker_events_texts(worker_t *w, worker_event_t *evs, int n)
{
    char *subjects = NULL, *keys = NULL;
    size_t sl = 0, sc = 0, kl = 0, kc = 0;
    int wanted = 0;
    for (int i = 0; i < n; i++)
        if (evs[i].event_key && !evs[i].broadcast) {
            array_add(&subjects, &sl, &sc, evs[i].subject);
            array_add(&keys, &kl, &kc, evs[i].event_key);
            wanted++;
        }
    subjects = array_end(subjects, sl);
    keys = array_end(keys, kl);
    PGresult *res = NULL;
    const char *params[] = {subjects, keys};
    int rc = wanted == 0 ? CONG_OK : relay_pg_ensure(&w->pg);
    if (wanted > 0 && rc == CONG_OK)
        rc = relay_pg_query(&w->pg, TEXTS_SQL, 2, params, &res);
    free(subjects);
    free(keys);
    if (rc != CONG_OK || wanted == 0)
        return rc;
    for (int r = 0; r < PQntuples(res); r++)
        for (int i = 0; i < n; i++)
            if (evs[i].event_key && !evs[i].broadcast && strcmp(evs[i].subject, PQgetvalue(res, r, 0)) == 0 &&
                strcmp(evs[i].event_key, PQgetvalue(res, r, 1)) == 0)
                set_texts(&evs[i], res, r);
    PQclear(res);
    return CONG_OK;
}

/* The live log's data (push/live.h): one JSON line, malloc'd. */
static char *live_data(const worker_event_t *ev)
{
    json_t *payload = json_deep_copy(ev->data);
    json_object_del(payload, "subject");
    json_t *inbox = ev->inbox_id[0] == '\0' ? json_null()
                    : ev->broadcast         ? json_string(ev->inbox_id)
                                            : json_integer(strtoll(ev->inbox_id, NULL, 10));
    json_t *d = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:o}", "event_key", ev->event_key, "topic", ev->topic,
                          "inbox_id", inbox, "title_vi", ev->texts[0], "body_vi", ev->texts[1], "title_en",
                          ev->texts[2], "body_en", ev->texts[3], "data", payload);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    return text;
}

int worker_events_live(worker_t *w, worker_event_t *evs, int n)
{
    push_live_item_t *items = calloc((size_t)n + 1, sizeof *items);
    char **texts = calloc((size_t)n + 1, sizeof *texts);
    size_t k = 0;
    int rc = items && texts ? CONG_OK : CONG_ENOMEM;
    for (int i = 0; i < n && rc == CONG_OK; i++) {
        if (!evs[i].event_key || evs[i].live_done)
            continue;
        texts[k] = live_data(&evs[i]);
        items[k] = (push_live_item_t){evs[i].subject, evs[i].event_key, evs[i].topic, texts[k]};
        rc = texts[k++] ? CONG_OK : CONG_ENOMEM;
    }
    if (rc == CONG_OK && k > 0)
        rc = relay_redis_ensure(&w->redis);
    if (rc == CONG_OK && k > 0) {
        rc = push_live_append(w->redis.ctx, items, k, NULL);
        if (rc == CONG_EUNAVAILABLE)
            relay_redis_down(&w->redis, "live append failed");
        else if (rc != CONG_OK)
            relay_log_failure("live", "live append refused (%d)", rc);
    }
    for (size_t i = 0; texts && i < k; i++)
        free(texts[i]);
    free(texts);
    free(items);
    return rc;
}
