/* tools/webhook_standin/record.c — the deliveries received, one entry per webhook-id (record.h). */
#include "record.h"

#include <string.h>

int wh_record_init(wh_record_t *r)
{
    *r = (wh_record_t){.entries = json_array(), .by_id = json_object()};
    return r->entries && r->by_id ? 0 : -1;
}

void wh_record_reset(wh_record_t *r)
{
    json_array_clear(r->entries);
    json_object_clear(r->by_id);
    r->requests = r->verified = r->refused = r->duplicates = 0;
}

int wh_event_type(const char *body, size_t len, char out[WH_TYPE_MAX + 1])
{
    json_t *doc = len > 0 ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    const char *type = json_string_value(json_object_get(doc, "type"));
    size_t n = type ? strlen(type) : 0;
    int ok = n > 0 && n <= WH_TYPE_MAX;
    if (ok)
        memcpy(out, type, n + 1);
    json_decref(doc);
    return ok ? 0 : -1;
}

static void drop_oldest(wh_record_t *r)
{
    json_t *oldest = json_array_get(r->entries, 0);
    const char *id = json_string_value(json_object_get(oldest, "id"));
    if (id && json_object_get(r->by_id, id) == oldest)
        json_object_del(r->by_id, id);
    json_array_remove(r->entries, 0);
}

/* A new entry for the attempt (added to the list, and to by_id when it has an id), or NULL. */
static json_t *new_entry(wh_record_t *r, const wh_attempt_t *a, const char *id)
{
    json_t *e = json_pack("{s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "id", id ? json_string(id) : json_null(),
                          "path", a->path, "attempts", (json_int_t)0, "verified_attempts", (json_int_t)0, "status",
                          (json_int_t)0, "abandoned", (json_int_t)0, "first_at_ms", (json_int_t)a->at_ms,
                          "last_at_ms", (json_int_t)a->at_ms);
    if (!e)
        return NULL;
    if (json_array_size(r->entries) >= WH_MAX_ENTRIES)
        drop_oldest(r);
    if (json_array_append(r->entries, e) != 0 || (id && json_object_set(r->by_id, id, e) != 0)) {
        json_decref(e);
        return NULL;
    }
    json_decref(e); /* the list (and by_id) hold it */
    return e;
}

json_t *wh_record_add(wh_record_t *r, const wh_attempt_t *a)
{
    int ok = a->verdict == WEBHOOK_OK;
    r->requests++;
    ok ? r->verified++ : r->refused++;
    char id[WEBHOOK_ID_MAX + 1];
    int has_id = a->id && webhook_id_valid(a->id, a->id_len);
    if (has_id) {
        memcpy(id, a->id, a->id_len);
        id[a->id_len] = '\0';
    }
    json_t *e = has_id ? json_object_get(r->by_id, id) : NULL;
    if (!e && (e = new_entry(r, a, has_id ? id : NULL)) == NULL)
        return NULL;
    json_int_t verified_before = json_integer_value(json_object_get(e, "verified_attempts"));
    if (ok && verified_before > 0)
        r->duplicates++;
    char type[WH_TYPE_MAX + 1];
    json_object_set_new(e, "type", wh_event_type(a->body, a->body_len, type) == 0 ? json_string(type) : json_null());
    json_object_set_new(e, "timestamp", a->timestamp >= 0 ? json_integer(a->timestamp) : json_null());
    json_object_set_new(e, "path", json_string(a->path));
    json_object_set_new(e, "verified", json_boolean(ok));
    json_object_set_new(e, "reason", json_string(webhook_verdict_name(a->verdict)));
    json_object_set_new(e, "attempts", json_integer(json_integer_value(json_object_get(e, "attempts")) + 1));
    json_object_set_new(e, "verified_attempts", json_integer(verified_before + ok));
    json_object_set_new(e, "status", json_integer(0));
    json_object_set_new(e, "last_at_ms", json_integer(a->at_ms));
    return e;
}

void wh_record_answered(json_t *entry, int status)
{
    if (status == 0)
        json_object_set_new(entry, "abandoned", json_integer(json_integer_value(json_object_get(entry, "abandoned")) + 1));
    else
        json_object_set_new(entry, "status", json_integer(status));
}

json_t *wh_record_json(const wh_record_t *r, const char *id)
{
    json_t *list = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(r->entries, i, e)
    {
        const char *eid = json_string_value(json_object_get(e, "id"));
        if (list && (!id || (eid && strcmp(eid, id) == 0)))
            json_array_append(list, e);
    }
    if (!list)
        return NULL;
    return json_pack("{s:o, s:I, s:I, s:I, s:I, s:I}", "deliveries", list, "requests", (json_int_t)r->requests,
                     "verified", (json_int_t)r->verified, "refused", (json_int_t)r->refused, "duplicates",
                     (json_int_t)r->duplicates, "unique_ids", (json_int_t)json_object_size(r->by_id));
}
