/* Configuration of partners' upstream services: the `upstreams:` list, each item read by the table below, given its
 * defaults first and checked as a whole once read (contract in upstreams_config.h). The routes to them are read in
 * config_partner_routes.c, the checks across both in config_upstreams_check.c. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config_fields.h"
#include "config_keys.h"
#include "config_values.h"
#include "config_upstreams_internal.h"
#include "cong/module.h"

/* ---------------------------------------------------------------------------------------------------------------- */
/* Values                                                                                                           */

const char *cong_config_check_name(const char *text, size_t max, int underscore)
{
    size_t n = strlen(text);
    if (n == 0 || n > max)
        return underscore ? "expected 1 to 64 of [a-z0-9_-]" : "expected 1 to 32 of [a-z0-9-]";
    for (const char *s = text; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || (underscore && *s == '_')))
            return underscore ? "expected 1 to 64 of [a-z0-9_-]" : "expected 1 to 32 of [a-z0-9-]";
    return NULL;
}

static const char *check_upstream_name(const char *text)
{
    return cong_config_check_name(text, 64, 1);
}

static const char *check_partner_name(const char *text)
{
    return cong_config_check_name(text, 32, 0);
}

/* RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E. */
const char *cong_config_check_scope(const char *text)
{
    for (const char *s = text; *s; s++)
        if (*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\')
            return "expected a scope token (printable ASCII, no space, quote or backslash)";
    return NULL;
}

/* An absolute path of printable ASCII without spaces, query or fragment. */
static const char *check_health_path(const char *text)
{
    if (!*text)
        return NULL;
    if (text[0] != '/')
        return "expected an absolute path (\"/healthz\") or \"\"";
    for (const char *s = text; *s; s++)
        if (*s <= 0x20 || *s > 0x7e || *s == '#')
            return "expected an absolute path without spaces or fragment";
    return NULL;
}

static const char *check_server_name(const char *text)
{
    for (const char *s = text; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-')
            return "expected a DNS name";
    return NULL;
}

/* A DNS name of letters, digits and hyphens, labels of 1..63, at most 253 characters; or an IPv4 address. */
static int is_host_name(const char *host, size_t len)
{
    if (len == 0 || len > 253)
        return 0;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        char c = host[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if (isalnum((unsigned char)c) || (c == '-' && label > 0)) {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0 && host[len - 1] != '-';
}

/* "host:port" or "[v6]:port" → a target. NULL when fine, else why not. */
static const char *parse_address(const char *text, cong_upstream_target_config_t *t)
{
    static const char *const message = "expected host:port or [IPv6]:port, port 1..65535";
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text)
        return message;
    const char *host = text, *host_end = colon;
    if (text[0] == '[') {
        if (colon[-1] != ']')
            return message;
        host++, host_end--;
    }
    char buf[256];
    size_t len = (size_t)(host_end - host);
    if (len == 0 || len >= sizeof buf)
        return message;
    memcpy(buf, host, len);
    buf[len] = '\0';
    unsigned char addr[16];
    int ok = text[0] == '[' ? inet_pton(AF_INET6, buf, addr) == 1 : is_host_name(buf, len);
    if (!ok || !cong_config_parse_int(colon + 1, strlen(colon + 1), 1, 65535, &t->port))
        return message;
    free(t->host);
    t->host = strdup(buf);
    return t->host ? NULL : "out of memory";
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Targets                                                                                                          */

static int read_address(cong_config_reader_t *r, const char *path, int line, void *base)
{
    cong_upstream_target_config_t *t = base;
    int nomem = 0;
    char *text = cong_config_read_string(r, &nomem);
    if (nomem)
        return cong_config_read_nomem(r);
    if (!text)
        return cong_config_read_refuse(r, line, path, "expected host:port");
    const char *problem = parse_address(text, t);
    free(text);
    if (problem)
        cong_config_read_report(r, line, path, "%s", problem);
    return 0;
}

#define TARGET(f) offsetof(cong_upstream_target_config_t, f)
static const cong_config_field_t target_fields[] = {
    {.name = "address", .type = CONG_FIELD_CUSTOM, .read = read_address, .required = 1, CONG_FIELD_NO_LINE},
    {.name = "weight", .type = CONG_FIELD_INT, .offset = TARGET(weight), .min = 1, .max = 1000, CONG_FIELD_NO_LINE},
};

static int on_target(cong_config_reader_t *r, const char *path, size_t index, int line, void *arg)
{
    (void)index;
    cong_upstream_config_t *u = arg;
    cong_upstream_target_config_t *grown = realloc(u->targets, (u->target_count + 1) * sizeof *grown);
    if (!grown)
        return cong_config_read_nomem(r);
    u->targets = grown;
    cong_upstream_target_config_t *t = &grown[u->target_count++];
    *t = (cong_upstream_target_config_t){.weight = 1, .line = line};
    return cong_config_read_fields(r, path, line, target_fields, sizeof target_fields / sizeof target_fields[0], t);
}

static int read_targets(cong_config_reader_t *r, const char *path, int line, void *base)
{
    if (!cong_config_read_is_sequence(r))
        return cong_config_read_refuse(r, line, path, "expected a list of {address, weight}");
    return cong_config_read_items(r, path, on_target, base);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* balance.key: subject | header:<name>                                                                             */

static int read_hash_key(cong_config_reader_t *r, const char *path, int line, void *base)
{
    cong_upstream_config_t *u = base;
    int nomem = 0;
    char *text = cong_config_read_string(r, &nomem);
    if (nomem)
        return cong_config_read_nomem(r);
    if (!text)
        return cong_config_read_refuse(r, line, path, "expected subject or header:<name>");
    int ok = strcmp(text, "subject") == 0;
    if (ok) {
        u->balance.hash_key = CONG_HASH_KEY_SUBJECT;
    } else if (strncmp(text, "header:", 7) == 0 && text[7]) {
        ok = 1;
        for (char *s = text + 7; *s; s++) {
            ok &= isalnum((unsigned char)*s) || *s == '-' || *s == '_';
            *s = (char)tolower((unsigned char)*s);
        }
        if (ok) {
            free(u->balance.hash_header);
            u->balance.hash_header = strdup(text + 7);
            u->balance.hash_key = CONG_HASH_KEY_HEADER;
            if (!u->balance.hash_header)
                ok = 0, nomem = 1;
        }
    }
    free(text);
    if (nomem)
        return cong_config_read_nomem(r);
    if (!ok)
        cong_config_read_report(r, line, path, "expected subject or header:<name> (a header name of [A-Za-z0-9_-])");
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* The item                                                                                                         */

#define U(f) offsetof(cong_upstream_config_t, f)
#define FIELDS(table) .fields = table, .field_count = sizeof table / sizeof table[0]

static const char *const protocols[] = {"http1", "h2", "h2c", NULL};
static const char *const policies[] = {"round_robin", "least_outstanding", "consistent_hash", NULL};

static const cong_config_field_t tls_fields[] = {
    {.name = "ca_file", .type = CONG_FIELD_STRING, .offset = U(tls.ca_file), .line_offset = U(tls.ca_line)},
    {.name = "client_cert_file", .type = CONG_FIELD_STRING, .offset = U(tls.client_cert_file),
     .line_offset = U(tls.cert_line)},
    {.name = "client_key_file", .type = CONG_FIELD_STRING, .offset = U(tls.client_key_file),
     .line_offset = U(tls.key_line)},
    {.name = "server_name", .type = CONG_FIELD_STRING, .offset = U(tls.server_name), .check = check_server_name,
     CONG_FIELD_NO_LINE},
};

#define INT_FIELD(n, f, lo, hi) \
    {.name = n, .type = CONG_FIELD_INT, .offset = U(f), .min = lo, .max = hi, CONG_FIELD_NO_LINE}
static const cong_config_field_t limits_fields[] = {
    INT_FIELD("max_concurrent", limits.max_concurrent, 1, 100000),
    INT_FIELD("max_queued", limits.max_queued, 0, 100000),
    INT_FIELD("queue_timeout_ms", limits.queue_timeout_ms, 1, 600000),
    INT_FIELD("connect_timeout_ms", limits.connect_timeout_ms, 10, 60000),
    INT_FIELD("first_byte_timeout_ms", limits.first_byte_timeout_ms, 10, 600000),
    INT_FIELD("total_timeout_ms", limits.total_timeout_ms, 10, CONG_UPSTREAM_TOTAL_TIMEOUT_MAX_MS),
    {.name = "max_request_body_bytes", .type = CONG_FIELD_LLONG, .offset = U(limits.max_request_body_bytes),
     .min = 0, .max = 1LL << 40, CONG_FIELD_NO_LINE},
    {.name = "max_response_body_bytes", .type = CONG_FIELD_LLONG, .offset = U(limits.max_response_body_bytes),
     .min = 0, .max = 1LL << 40, CONG_FIELD_NO_LINE},
};

static const cong_config_field_t retries_fields[] = {
    {.name = "budget_ratio", .type = CONG_FIELD_PERMILLE, .offset = U(retries.budget_permille), CONG_FIELD_NO_LINE},
    INT_FIELD("min_per_s", retries.min_per_s, 0, 10000),
};

static const cong_config_field_t balance_fields[] = {
    {.name = "policy", .type = CONG_FIELD_ENUM, .offset = U(balance.policy), .names = policies, CONG_FIELD_NO_LINE},
    {.name = "key", .type = CONG_FIELD_CUSTOM, .read = read_hash_key, CONG_FIELD_NO_LINE},
};

static const cong_config_field_t health_fields[] = {
    {.name = "path", .type = CONG_FIELD_STRING, .offset = U(health.path), .check = check_health_path,
     CONG_FIELD_NO_LINE},
    INT_FIELD("interval_ms", health.interval_ms, 100, 3600000),
    INT_FIELD("timeout_ms", health.timeout_ms, 10, 60000),
    INT_FIELD("healthy_threshold", health.healthy_threshold, 1, 100),
    INT_FIELD("unhealthy_threshold", health.unhealthy_threshold, 1, 100),
};

static const cong_config_field_t outlier_fields[] = {
    INT_FIELD("consecutive_failures", outlier.consecutive_failures, 0, 1000),
    INT_FIELD("base_ejection_ms", outlier.base_ejection_ms, 100, 3600000),
    INT_FIELD("max_ejection_percent", outlier.max_ejection_percent, 0, 100),
};

static const cong_config_field_t quota_fields[] = {
    INT_FIELD("per_minute", partner.quota_per_minute, 0, 1000000),
    INT_FIELD("burst", partner.quota_burst, 0, 1000000),
    INT_FIELD("daily", partner.quota_daily, 0, 1000000000),
};

static const cong_config_field_t partner_fields[] = {
    {.name = "name", .type = CONG_FIELD_STRING, .offset = U(partner.name), .check = check_partner_name, .required = 1,
     CONG_FIELD_NO_LINE},
    {.name = "scopes", .type = CONG_FIELD_STRLIST, .offset = U(partner.scopes), .check = cong_config_check_scope,
     CONG_FIELD_NO_LINE},
    {.name = "quota", .type = CONG_FIELD_MAPPING, FIELDS(quota_fields), CONG_FIELD_NO_LINE},
};

static const cong_config_field_t upstream_fields[] = {
    {.name = "name", .type = CONG_FIELD_STRING, .offset = U(name), .check = check_upstream_name, .required = 1,
     CONG_FIELD_NO_LINE},
    {.name = "targets", .type = CONG_FIELD_CUSTOM, .read = read_targets, .required = 1, CONG_FIELD_NO_LINE},
    {.name = "protocol", .type = CONG_FIELD_ENUM, .offset = U(protocol), .names = protocols,
     .line_offset = U(protocol_line)},
    {.name = "tls", .type = CONG_FIELD_MAPPING, FIELDS(tls_fields), .line_offset = U(tls.line)},
    {.name = "limits", .type = CONG_FIELD_MAPPING, FIELDS(limits_fields), .line_offset = U(limits_line)},
    {.name = "retries", .type = CONG_FIELD_MAPPING, FIELDS(retries_fields), CONG_FIELD_NO_LINE},
    {.name = "balance", .type = CONG_FIELD_MAPPING, FIELDS(balance_fields), .line_offset = U(balance_line)},
    {.name = "health", .type = CONG_FIELD_MAPPING, FIELDS(health_fields), .line_offset = U(health_line)},
    {.name = "outlier", .type = CONG_FIELD_MAPPING, FIELDS(outlier_fields), CONG_FIELD_NO_LINE},
    {.name = "partner", .type = CONG_FIELD_MAPPING, FIELDS(partner_fields), .required = 1, CONG_FIELD_NO_LINE},
    {.name = "openapi", .type = CONG_FIELD_STRING, .offset = U(openapi_file), .line_offset = U(openapi_line)},
};

/* The defaults cong.example.yaml documents (tests/unit/config/test_upstreams_config.c checks they agree). */
static int upstream_defaults(cong_upstream_config_t *u, int line)
{
    *u = (cong_upstream_config_t){
        .line = line,
        .limits = {.max_concurrent = 256, .max_queued = 128, .queue_timeout_ms = 1000, .connect_timeout_ms = 1000,
                   .first_byte_timeout_ms = 10000, .total_timeout_ms = 30000,
                   .max_request_body_bytes = 1048576, .max_response_body_bytes = 10485760},
        .retries = {.budget_permille = 200, .min_per_s = 3},
        .health = {.interval_ms = 5000, .timeout_ms = 1000, .healthy_threshold = 2, .unhealthy_threshold = 3},
        .outlier = {.consecutive_failures = 5, .base_ejection_ms = 30000, .max_ejection_percent = 50},
    };
    u->name = strdup("");
    u->tls.ca_file = strdup("");
    u->tls.client_cert_file = strdup("");
    u->tls.client_key_file = strdup("");
    u->tls.server_name = strdup("");
    u->health.path = strdup("");
    u->partner.name = strdup("");
    u->openapi_file = strdup("");
    return u->openapi_file && u->name && u->tls.ca_file && u->tls.client_cert_file && u->tls.client_key_file && u->tls.server_name &&
                   u->health.path && u->partner.name
               ? 0
               : CONG_ENOMEM;
}

static void upstream_free(cong_upstream_config_t *u)
{
    free(u->name);
    for (size_t i = 0; i < u->target_count; i++)
        free(u->targets[i].host);
    free(u->targets);
    free(u->tls.ca_file);
    free(u->tls.client_cert_file);
    free(u->tls.client_key_file);
    free(u->tls.server_name);
    free(u->balance.hash_header);
    free(u->health.path);
    free(u->partner.name);
    free(u->openapi_file);
    cong_strlist_free(&u->partner.scopes);
}

static int on_upstream(cong_config_reader_t *r, const char *path, size_t index, int line, void *arg)
{
    (void)index;
    cong_upstreams_config_t *all = arg;
    cong_upstream_config_t *grown = realloc(all->items, (all->count + 1) * sizeof *grown);
    if (!grown)
        return cong_config_read_nomem(r);
    all->items = grown;
    cong_upstream_config_t *u = &grown[all->count++];
    if (upstream_defaults(u, line) != 0)
        return cong_config_read_nomem(r);
    if (!cong_config_read_is_mapping(r))
        return cong_config_read_refuse(r, line, path, "expected a mapping (name, targets, ...)");
    if (cong_config_read_fields(r, path, line, upstream_fields, sizeof upstream_fields / sizeof upstream_fields[0],
                                u) < 0)
        return -1;
    cong_config_check_upstream(r, path, u);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* The section                                                                                                      */

cong_upstreams_config_t *cong_config_upstreams_of(cong_config_t *cfg)
{
    if (!cfg->upstreams)
        cfg->upstreams = calloc(1, sizeof *cfg->upstreams);
    return cfg->upstreams;
}

static void upstreams_list_free(cong_upstreams_config_t *u)
{
    for (size_t i = 0; i < u->count; i++)
        upstream_free(&u->items[i]);
    free(u->items);
    u->items = NULL;
    u->count = 0;
}

void cong_upstreams_config_free(cong_upstreams_config_t *u)
{
    if (!u)
        return;
    upstreams_list_free(u);
    cong_partner_routes_free(u);
    free(u->file);
    free(u->routes_file);
    u->file = u->routes_file = NULL;
}

const cong_upstream_config_t *cong_upstream_config_find(const cong_upstreams_config_t *u, const char *name)
{
    for (size_t i = 0; u && name && i < u->count; i++)
        if (strcmp(u->items[i].name, name) == 0)
            return &u->items[i];
    return NULL;
}

/* Remembers the file the lists came from, for the checks that open files after the parse. */
int cong_config_upstreams_note_file(cong_config_reader_t *r, char **file)
{
    char *copy = strdup(cong_config_read_file_name(r));
    if (!copy)
        return cong_config_read_nomem(r);
    free(*file);
    *file = copy;
    return 0;
}

static int read_upstreams_section(cong_config_reader_t *r, const char *path)
{
    cong_upstreams_config_t *u = cong_config_upstreams_of(cong_config_read_target(r));
    if (!u || cong_config_upstreams_note_file(r, &u->file) < 0)
        return cong_config_read_nomem(r);
    upstreams_list_free(u); /* the section replaces what an earlier parse gave */
    return cong_config_read_items(r, path, on_upstream, u);
}

const cong_config_feature_t cong_config_upstreams_feature =
    CONG_CONFIG_LIST_FEATURE("upstreams", "upstreams", read_upstreams_section, cong_config_check_upstreams_document);
