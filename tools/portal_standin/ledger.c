/* tools/portal_standin/ledger.c — the received records and their state file (see ledger.h). */
#include "ledger.h"

#include "cong/module.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES (1024 * 1024)

int ps_code_valid(const char *code)
{
    size_t n = 0;
    for (; code[n] != '\0'; n++) {
        char c = code[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return n > 0 && n <= PS_CODE_MAX;
}

static void now_rfc3339(char out[32])
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", base, (int)(tv.tv_usec / 1000));
}

const ps_record_t *ps_ledger_find(const ps_ledger_t *l, const char *code, int version)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->records[i].version == version && strcmp(l->records[i].code, code) == 0)
            return &l->records[i];
    return NULL;
}

/* The counters of a code, created on first use; NULL when out of memory. */
static ps_code_stats_t *stats_of(ps_ledger_t *l, const char *code, int create)
{
    for (size_t i = 0; i < l->stats_count; i++)
        if (strcmp(l->stats[i].code, code) == 0)
            return &l->stats[i];
    if (!create)
        return NULL;
    if (l->stats_count == l->stats_capacity) {
        size_t cap = l->stats_capacity ? l->stats_capacity * 2 : 16;
        ps_code_stats_t *grown = realloc(l->stats, cap * sizeof *grown);
        if (!grown)
            return NULL;
        l->stats = grown;
        l->stats_capacity = cap;
    }
    ps_code_stats_t *s = &l->stats[l->stats_count++];
    *s = (ps_code_stats_t){0};
    snprintf(s->code, sizeof s->code, "%s", code);
    return s;
}

static void count(ps_ledger_t *l, const char *code, ps_outcome_t outcome)
{
    ps_code_stats_t *s = stats_of(l, code, 1);
    if (outcome == PS_DUPLICATE) {
        l->duplicates++;
        if (s)
            s->duplicates++;
    } else if (outcome == PS_OUT_OF_ORDER) {
        l->out_of_order++;
        if (s)
            s->out_of_order++;
    }
}

/* Appends a record in memory; takes a reference on payload. */
static int remember(ps_ledger_t *l, const char *code, int version, const char *received_at, json_t *payload)
{
    if (l->count == l->capacity) {
        size_t cap = l->capacity ? l->capacity * 2 : 64;
        ps_record_t *grown = realloc(l->records, cap * sizeof *grown);
        if (!grown)
            return CONG_ENOMEM;
        l->records = grown;
        l->capacity = cap;
    }
    ps_record_t *r = &l->records[l->count];
    snprintf(r->code, sizeof r->code, "%s", code);
    r->version = version;
    snprintf(r->received_at, sizeof r->received_at, "%s", received_at);
    json_t *status = json_object_get(payload, "status");
    r->status = json_is_string(status) ? json_incref(status) : json_null();
    r->payload = json_incref(payload);
    l->count++;
    return CONG_OK;
}

/* Writes one line and makes it durable. */
static int append_line(ps_ledger_t *l, json_t *line)
{
    if (!l->path)
        return CONG_OK; /* memory only */
    if (!l->file)
        return CONG_EIO; /* a reset could not reopen it */
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    if (!text)
        return CONG_ENOMEM;
    int ok = fprintf(l->file, "%s\n", text) > 0 && fflush(l->file) == 0 && fsync(fileno(l->file)) == 0;
    free(text);
    return ok ? CONG_OK : CONG_EIO;
}

static int log_event(ps_ledger_t *l, const char *kind, const char *code, int version, const char *at,
                     const json_t *payload)
{
    json_t *line = json_pack("{s:s, s:s, s:i, s:s}", "kind", kind, "dossier_code", code, "version", version,
                             "received_at", at);
    if (line && payload) {
        json_t *status = json_object_get(payload, "status");
        json_object_set_new(line, "status", json_is_string(status) ? json_incref(status) : json_null());
        json_object_set(line, "payload", (json_t *)payload);
    }
    int rc = append_line(l, line);
    json_decref(line);
    return rc;
}

int ps_ledger_put(ps_ledger_t *l, const char *code, int version, const json_t *payload, ps_outcome_t *outcome)
{
    char at[32];
    now_rfc3339(at);
    if (ps_ledger_find(l, code, version)) {
        *outcome = PS_DUPLICATE;
        count(l, code, PS_DUPLICATE);
        return log_event(l, "duplicate", code, version, at, NULL);
    }
    if (version != 1 && !ps_ledger_find(l, code, version - 1)) {
        *outcome = PS_OUT_OF_ORDER;
        count(l, code, PS_OUT_OF_ORDER);
        return log_event(l, "out_of_order", code, version, at, NULL);
    }
    json_t *copy = json_deep_copy(payload);
    if (!copy)
        return CONG_ENOMEM;
    int rc = log_event(l, "record", code, version, at, copy); /* durable before it counts as received */
    if (rc == CONG_OK)
        rc = remember(l, code, version, at, copy);
    json_decref(copy);
    if (rc == CONG_OK)
        *outcome = PS_RECORDED;
    return rc;
}

/* Replays one state-file line; lines that do not parse are skipped. */
static void replay(ps_ledger_t *l, const char *text)
{
    json_t *line = json_loads(text, 0, NULL);
    const char *kind = json_string_value(json_object_get(line, "kind"));
    const char *code = json_string_value(json_object_get(line, "dossier_code"));
    const char *at = json_string_value(json_object_get(line, "received_at"));
    json_int_t version = json_integer_value(json_object_get(line, "version"));
    json_t *payload = json_object_get(line, "payload");
    if (kind && code && ps_code_valid(code) && at && version > 0 && version <= 0x7fffffff) {
        if (strcmp(kind, "duplicate") == 0)
            count(l, code, PS_DUPLICATE);
        else if (strcmp(kind, "out_of_order") == 0)
            count(l, code, PS_OUT_OF_ORDER);
        else if (strcmp(kind, "record") == 0 && json_is_object(payload) && !ps_ledger_find(l, code, (int)version))
            remember(l, code, (int)version, at, payload);
    }
    json_decref(line);
}

static int load(ps_ledger_t *l, FILE *f)
{
    char *buf = malloc(LINE_MAX_BYTES);
    if (!buf)
        return CONG_ENOMEM;
    while (fgets(buf, LINE_MAX_BYTES, f))
        replay(l, buf);
    free(buf);
    return CONG_OK;
}

int ps_ledger_open(ps_ledger_t *l, const char *path)
{
    *l = (ps_ledger_t){0};
    if (!path)
        return CONG_OK;
    l->path = strdup(path);
    if (!l->path)
        return CONG_ENOMEM;
    FILE *existing = fopen(path, "r");
    if (existing) {
        int rc = load(l, existing);
        fclose(existing);
        if (rc != CONG_OK) {
            ps_ledger_close(l);
            return rc;
        }
    }
    l->file = fopen(path, "a");
    if (!l->file) {
        ps_ledger_close(l);
        return CONG_EIO;
    }
    return CONG_OK;
}

static void forget(ps_ledger_t *l)
{
    for (size_t i = 0; i < l->count; i++) {
        json_decref(l->records[i].status);
        json_decref(l->records[i].payload);
    }
    l->count = 0;
    l->duplicates = l->out_of_order = 0;
    l->stats_count = 0;
}

void ps_ledger_close(ps_ledger_t *l)
{
    forget(l);
    free(l->records);
    free(l->stats);
    if (l->file)
        fclose(l->file);
    free(l->path);
    *l = (ps_ledger_t){0};
}

int ps_ledger_reset(ps_ledger_t *l)
{
    forget(l);
    if (!l->file)
        return CONG_OK;
    FILE *f = freopen(l->path, "w", l->file); /* truncates; appends from here on */
    l->file = f;
    return f ? CONG_OK : CONG_EIO;
}

json_t *ps_ledger_json(const ps_ledger_t *l, const char *code)
{
    json_t *records = json_array();
    for (size_t i = 0; records && i < l->count; i++) {
        const ps_record_t *r = &l->records[i];
        if (code && strcmp(r->code, code) != 0)
            continue;
        json_t *item = json_pack("{s:s, s:i, s:O, s:s}", "dossier_code", r->code, "version", r->version, "status",
                                 r->status, "received_at", r->received_at);
        if (item && code)
            json_object_set(item, "payload", r->payload);
        if (!item || json_array_append_new(records, item) != 0) {
            json_decref(records);
            return NULL;
        }
    }
    if (!records)
        return NULL;
    if (code) {
        const ps_code_stats_t *s = stats_of((ps_ledger_t *)l, code, 0);
        return json_pack("{s:s, s:o, s:I, s:I}", "dossier_code", code, "records", records, "duplicates",
                         (json_int_t)(s ? s->duplicates : 0), "out_of_order", (json_int_t)(s ? s->out_of_order : 0));
    }
    return json_pack("{s:o, s:I, s:I}", "records", records, "duplicates", (json_int_t)l->duplicates, "out_of_order",
                     (json_int_t)l->out_of_order);
}
