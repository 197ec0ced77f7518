/*
 * gateway/config.c — the YAML configuration file and its CONG_* environment overrides (contract in config.h).
 *
 * Every key is one row of `keys` below: path, type, bounds, place in cong_config_t and default. Defaults are written
 * as text, exactly as they would be in the environment, and go through the same code as an override.
 *
 * The file is read with libyaml's event API, so anchors and aliases are refused before anything is expanded and
 * nesting costs no C stack. Each function that reads a node starts with the node's first event current and returns
 * with its last event current. Errors in the content are reported and reading goes on, so one run lists them all;
 * a YAML syntax error, running out of memory or too many errors stop it. No error ever quotes a value, so secrets
 * (redis.password, postgres.conninfo) cannot leak through one; keys are quoted after replacing unprintable bytes.
 */
#include "config.h"

#include "cong/module.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_ERRORS 100               /* per call; then one "too many errors" line */
#define MAX_FILE_BYTES (4 << 20)     /* a configuration file larger than this is refused */
#define KEY_MAX 64                   /* longer keys are shown truncated (and are unknown) */
#define PATH_LEN (2 * KEY_MAX + 32)  /* "modules.<name>.<key>" and friends */

/* ---------------------------------------------------------------------------------------------------------------- */
/* The table of keys                                                                                                 */

enum key_type { KEY_STRING, KEY_INT, KEY_LIST };

/* Checks a string value or a list item: NULL when fine, else a message (which never quotes the value). */
typedef const char *(*text_check_fn)(const char *text);

typedef struct key_def {
    const char *path;
    enum key_type type;
    size_t offset;             /* of the field in cong_config_t */
    long min, max;             /* KEY_INT */
    const char *default_text;  /* as in the environment: lists are comma-separated */
    text_check_fn check;       /* KEY_STRING and KEY_LIST items: NULL or a check */
} key_def_t;

static const char *check_method(const char *text);
static const char *check_header_name(const char *text);
static const char *check_origin(const char *text);
static const char *check_log_level(const char *text);
static const char *check_environment(const char *text);
static const char *check_address_range(const char *text);

#define FIELD(member) offsetof(cong_config_t, member)
#define STRING_KEY(p, member, def, chk) \
    {.path = p, .type = KEY_STRING, .offset = FIELD(member), .default_text = def, .check = chk}
#define INT_KEY(p, member, lo, hi, def) \
    {.path = p, .type = KEY_INT, .offset = FIELD(member), .min = lo, .max = hi, .default_text = def}
#define LIST_KEY(p, member, def, chk) \
    {.path = p, .type = KEY_LIST, .offset = FIELD(member), .default_text = def, .check = chk}

static const key_def_t keys[] = {
    STRING_KEY("server.bind", server.bind, "127.0.0.1", NULL),
    INT_KEY("server.tls_port", server.tls_port, 0, 65535, "8443"),
    INT_KEY("server.h2c_port", server.h2c_port, 0, 65535, "8080"),
    INT_KEY("server.workers", server.workers, 0, 256, "0"),
    STRING_KEY("server.tls_certificate", server.tls_certificate, ".run/tls/cert.pem", NULL),
    STRING_KEY("server.tls_private_key", server.tls_private_key, ".run/tls/key.pem", NULL),
    INT_KEY("server.shutdown_timeout_ms", server.shutdown_timeout_ms, 0, 600000, "10000"),
    INT_KEY("server.idle_timeout_ms", server.idle_timeout_ms, 1000, 3600000, "30000"),
    INT_KEY("server.max_concurrent_streams", server.max_concurrent_streams, 1, 256, "100"),
    INT_KEY("server.http2_reset_burst", server.http2_reset_burst, 0, 100000, "50"),
    INT_KEY("server.http2_reset_per_second", server.http2_reset_per_second, 0, 100000, "50"),
    STRING_KEY("server.problem_base_uri", server.problem_base_uri, "https://cong.hanoi.gov.vn/problems/", NULL),
    STRING_KEY("server.openapi_file", server.openapi_file, "openapi/cong.yaml", NULL),
    STRING_KEY("server.environment", server.environment, "production", check_environment),
    STRING_KEY("server.admin_bind", server.admin_bind, "127.0.0.1", NULL),
    INT_KEY("server.admin_port", server.admin_port, 0, 65535, "9090"),
    LIST_KEY("server.trusted_proxies", server.trusted_proxies, "", check_address_range),
    INT_KEY("server.proxy_protocol", server.proxy_protocol, 0, 1, "0"),
    INT_KEY("limits.max_header_bytes", limits.max_header_bytes, 512, 65536, "8192"),
    INT_KEY("limits.max_header_count", limits.max_header_count, 1, 256, "64"),
    INT_KEY("limits.max_body_bytes", limits.max_body_bytes, 0, 1073741824, "1048576"),
    INT_KEY("limits.outbound_http_in_flight", limits.outbound_http_in_flight, 1, 65536, "256"),
    LIST_KEY("limits.allowed_methods", limits.allowed_methods, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
             check_method),
    LIST_KEY("cors.allowed_origins", cors.allowed_origins, "", check_origin),
    LIST_KEY("cors.allowed_headers", cors.allowed_headers,
             "authorization, content-type, idempotency-key, x-request-id, accept-language", check_header_name),
    INT_KEY("cors.max_age_s", cors.max_age_s, 0, 86400, "600"),
    STRING_KEY("auth.issuer", auth.issuer, "", NULL),
    STRING_KEY("auth.audience", auth.audience, "", NULL),
    STRING_KEY("auth.public_key_file", auth.public_key_file, "", NULL),
    INT_KEY("auth.clock_skew_s", auth.clock_skew_s, 0, 300, "60"),
    STRING_KEY("auth.signing_key_file", auth.signing_key_file, "", NULL),
    STRING_KEY("auth.previous_signing_key_file", auth.previous_signing_key_file, "", NULL),
    STRING_KEY("auth.subject_secret_file", auth.subject_secret_file, "", NULL),
    INT_KEY("auth.access_token_ttl_s", auth.access_token_ttl_s, 60, 900, "600"),
    INT_KEY("auth.refresh_token_ttl_s", auth.refresh_token_ttl_s, 3600, 7776000, "2592000"),
    INT_KEY("auth.step_up_max_age_s", auth.step_up_max_age_s, 60, 86400, "900"),
    INT_KEY("auth.session_lifetime_s", auth.session_lifetime_s, 3600, 31536000, "2592000"),
    INT_KEY("auth.session_idle_timeout_s", auth.session_idle_timeout_s, 300, 7776000, "604800"),
    INT_KEY("auth.refresh_reuse_grace_s", auth.refresh_reuse_grace_s, 0, 300, "30"),
    INT_KEY("auth.public_key_privileged", auth.public_key_privileged, 0, 1, "0"),
    STRING_KEY("auth.document_signing_key_file", auth.document_signing_key_file, "", NULL),
    STRING_KEY("vneid.issuer", vneid.issuer, "", NULL),
    STRING_KEY("vneid.client_id", vneid.client_id, "cong", NULL),
    STRING_KEY("vneid.jwks", vneid.jwks, "", NULL),
    INT_KEY("vneid.clock_skew_s", vneid.clock_skew_s, 0, 300, "60"),
    INT_KEY("vneid.refresh_interval_s", vneid.refresh_interval_s, 10, 86400, "600"),
    INT_KEY("vneid.cooldown_s", vneid.cooldown_s, 1, 3600, "30"),
    INT_KEY("rate_limits.enabled", rate_limits.enabled, 0, 1, "1"),
    INT_KEY("rate_limits.default_per_minute", rate_limits.default_per_minute, 1, 1000000000, "600"),
    INT_KEY("rate_limits.default_burst", rate_limits.default_burst, 1, 10000000, "100"),
    INT_KEY("rate_limits.auth_per_minute", rate_limits.auth_per_minute, 1, 1000000, "30"),
    INT_KEY("rate_limits.auth_burst", rate_limits.auth_burst, 1, 100000, "10"),
    INT_KEY("rate_limits.auth_failure_per_minute", rate_limits.auth_failure_per_minute, 1, 1000000, "60"),
    INT_KEY("rate_limits.auth_failure_burst", rate_limits.auth_failure_burst, 1, 100000, "20"),
    INT_KEY("rate_limits.upload_per_minute", rate_limits.upload_per_minute, 1, 1000000, "30"),
    INT_KEY("rate_limits.upload_burst", rate_limits.upload_burst, 1, 100000, "10"),
    INT_KEY("rate_limits.max_lease", rate_limits.max_lease, 1, 65536, "256"),
    INT_KEY("rate_limits.lease_ttl_ms", rate_limits.lease_ttl_ms, 10, 60000, "1000"),
    STRING_KEY("redis.host", redis.host, "127.0.0.1", NULL),
    INT_KEY("redis.port", redis.port, 1, 65535, "6379"),
    STRING_KEY("redis.password", redis.password, "", NULL),
    INT_KEY("redis.timeout_ms", redis.timeout_ms, 10, 60000, "1000"),
    STRING_KEY("postgres.conninfo", postgres.conninfo, "host=127.0.0.1 port=5432 dbname=cong user=cong", NULL),
    INT_KEY("postgres.pool_size", postgres.pool_size, 1, 64, "4"),
    INT_KEY("postgres.timeout_ms", postgres.timeout_ms, 100, 600000, "5000"),
    STRING_KEY("postgres.migrations_dir", postgres.migrations_dir, "gateway/migrations", NULL),
    STRING_KEY("log.access_log", log.access_log, "-", NULL),
    STRING_KEY("log.level", log.level, "info", check_log_level),
    LIST_KEY("modules.load", modules.load, "", NULL),
};

#define KEY_COUNT (sizeof keys / sizeof keys[0])

static const char *const sections[] = {"server", "limits", "cors", "auth", "vneid", "rate_limits", "redis",
                                       "postgres", "log", "modules"};

#define SECTION_COUNT (sizeof sections / sizeof sections[0])
#define MODULES_SECTION (SECTION_COUNT - 1)

/* Environment variables that start with CONG_ but are not settings. */
static const char *const env_ignored[] = {"CONG_CONFIG", "CONG_SOURCE_DIR", "CONG_BUILD_DIR"};

static char **string_field(cong_config_t *cfg, const key_def_t *def)
{
    return (char **)((char *)cfg + def->offset);
}

static int *int_field(cong_config_t *cfg, const key_def_t *def)
{
    return (int *)((char *)cfg + def->offset);
}

static cong_strlist_t *list_field(cong_config_t *cfg, const key_def_t *def)
{
    return (cong_strlist_t *)((char *)cfg + def->offset);
}

/* Remembers where a key was set (replacing an earlier origin). Out of memory only loses the origin. */
static void note_origin(cong_config_t *cfg, const key_def_t *def, const char *file, int line)
{
    if (!cfg->origins && !(cfg->origins = calloc(KEY_COUNT, sizeof *cfg->origins)))
        return;
    cong_config_origin_t *o = &cfg->origins[def - keys];
    free(o->file);
    o->file = strdup(file ? file : "(config)");
    o->line = line;
}

static const key_def_t *find_key(const char *path)
{
    for (size_t i = 0; i < KEY_COUNT; i++)
        if (strcmp(keys[i].path, path) == 0)
            return &keys[i];
    return NULL;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Value checks                                                                                                     */

static int is_http_token_char(int c)
{
    return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static const char *check_method(const char *text)
{
    static const char *const message = "expected an uppercase method token such as GET";
    if (!is_upper(text[0]))
        return message;
    for (const char *s = text + 1; *s; s++)
        if (!is_upper(*s) && !(*s >= '0' && *s <= '9') && *s != '-' && *s != '_')
            return message;
    return NULL;
}

static const char *check_header_name(const char *text)
{
    for (const char *s = text; *s; s++)
        if (!is_http_token_char((unsigned char)*s))
            return "expected a header name (an HTTP token)";
    return NULL;
}

static const char *check_origin(const char *text)
{
    static const char *const message = "expected an origin: http(s)://host[:port] without a path";
    const char *host = NULL;
    if (strncmp(text, "https://", 8) == 0)
        host = text + 8;
    else if (strncmp(text, "http://", 7) == 0)
        host = text + 7;
    if (!host || !*host)
        return message;
    for (const char *s = host; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(".-:[]", *s))
            return message;
    return NULL;
}

static const char *check_log_level(const char *text)
{
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(text, levels[i]) == 0)
            return NULL;
    return "expected one of error, warn, info, debug";
}

static const char *check_environment(const char *text)
{
    if (strcmp(text, "production") == 0 || strcmp(text, "development") == 0)
        return NULL;
    return "expected production or development";
}

/* An IPv4 or IPv6 address, optionally with a /prefix length that fits it. */
static const char *check_address_range(const char *text)
{
    static const char *const message = "expected an IP address or CIDR range such as 10.0.0.0/8";
    char address[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    if (len == 0 || len >= sizeof address)
        return message;
    memcpy(address, text, len);
    address[len] = 0;
    unsigned char bytes[16];
    int bits = inet_pton(AF_INET, address, bytes) == 1 ? 32 : inet_pton(AF_INET6, address, bytes) == 1 ? 128 : 0;
    if (bits == 0)
        return message;
    if (!slash)
        return NULL;
    int prefix = 0;
    const char *s = slash + 1;
    if (!*s || strlen(s) > 3)
        return message;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return message;
        prefix = prefix * 10 + (*s - '0');
    }
    return prefix <= bits ? NULL : message;
}

/* Checks every string value and list item has to pass, then the key's own check. */
static const char *check_text(const key_def_t *def, const char *text, size_t len)
{
    if (memchr(text, 0, len))
        return "must not contain NUL bytes";
    if (def->type == KEY_LIST && len == 0)
        return "list items must not be empty";
    return def->check ? def->check(text) : NULL;
}

/* A decimal integer within [min, max], with an optional sign and no leading zeros (YAML 1.1 reads them as octal). */
static int parse_int(const char *s, size_t len, long min, long max, int *out)
{
    size_t i = 0;
    int negative = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        negative = s[i++] == '-';
    if (i == len || (s[i] == '0' && len - i > 1))
        return 0;
    long long value = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        value = value * 10 + (s[i] - '0');
        if (value > 1LL << 40)
            return 0;
    }
    value = negative ? -value : value;
    if (value < min || value > max)
        return 0;
    *out = (int)value;
    return 1;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* String lists                                                                                                     */

static void strlist_free(cong_strlist_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

static int strlist_push(cong_strlist_t *list, const char *text, size_t len)
{
    char *copy = strndup(text, len);
    char **grown = copy ? realloc(list->items, (list->count + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(copy);
        return CONG_ENOMEM;
    }
    list->items = grown;
    list->items[list->count++] = copy;
    return 0;
}

static int strlist_contains(const cong_strlist_t *list, const char *text)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i], text) == 0)
            return 1;
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* "a, b,c" → [a, b, c]; blank text → []. CONG_EINVAL for an empty item ("a,,b"). */
static int split_list(const char *text, cong_strlist_t *out)
{
    *out = (cong_strlist_t){0};
    while (is_blank(*text))
        text++;
    if (!*text)
        return 0;
    for (;;) {
        const char *end = strchrnul(text, ',');
        const char *start = text;
        while (start < end && is_blank(*start))
            start++;
        const char *stop = end;
        while (stop > start && is_blank(stop[-1]))
            stop--;
        int r = stop == start ? CONG_EINVAL : strlist_push(out, start, (size_t)(stop - start));
        if (r != 0) {
            strlist_free(out);
            return r;
        }
        if (!*end)
            return 0;
        text = end + 1;
    }
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Errors                                                                                                           */

/* The errors of one call: where they go, how many, and whether to stop. */
typedef struct report {
    cong_config_errors_t *errs; /* may be NULL: errors are then only counted */
    const char *file;
    size_t count;
    int nomem;
    int stop;
} report_t;

static int append_line(cong_config_errors_t *errs, char *text)
{
    char **grown = realloc(errs->lines, (errs->count + 1) * sizeof *grown);
    if (!grown) {
        free(text);
        return CONG_ENOMEM;
    }
    errs->lines = grown;
    errs->lines[errs->count++] = text;
    return 0;
}

static int append_errorv(cong_config_errors_t *errs, const char *file, int line, const char *key, const char *fmt,
                         va_list ap)
{
    if (!errs)
        return 0;
    char *message = NULL, *text = NULL;
    if (vasprintf(&message, fmt, ap) < 0)
        return CONG_ENOMEM;
    int n = asprintf(&text, "%s:%d: %s: %s", file ? file : "(config)", line, key ? key : "(config)", message);
    free(message);
    return n < 0 ? CONG_ENOMEM : append_line(errs, text);
}

int cong_config_error_line(cong_config_errors_t *errs, const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    return n < 0 ? CONG_ENOMEM : append_line(errs, text);
}

int cong_config_error(cong_config_errors_t *errs, const char *file, int line, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = append_errorv(errs, file, line, key, fmt, ap);
    va_end(ap);
    return r;
}

static void reportv(report_t *rep, int line, const char *key, const char *fmt, va_list ap)
{
    if (rep->stop)
        return;
    if (append_errorv(rep->errs, rep->file, line, key, fmt, ap) != 0) {
        rep->nomem = rep->stop = 1;
        return;
    }
    if (++rep->count < MAX_ERRORS)
        return;
    if (cong_config_error(rep->errs, rep->file, line, "(config)", "too many errors, giving up") != 0)
        rep->nomem = 1;
    rep->stop = 1;
}

__attribute__((format(printf, 4, 5))) static void report(report_t *rep, int line, const char *key, const char *fmt,
                                                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    reportv(rep, line, key, fmt, ap);
    va_end(ap);
}

static int report_result(const report_t *rep)
{
    return rep->nomem ? CONG_ENOMEM : rep->count ? CONG_EPARSE : 0;
}

/* Copies a key or variable name for an error line: unprintable bytes become '?', long names end with "...". */
static void printable_name(char *out, const char *name, size_t len)
{
    size_t shown = len <= KEY_MAX ? len : KEY_MAX;
    for (size_t i = 0; i < shown; i++)
        out[i] = name[i] >= 0x20 && name[i] <= 0x7e ? name[i] : '?';
    strcpy(out + shown, len > shown ? "..." : "");
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Setting a value from text (defaults and the environment)                                                         */

static void replace_string(char **field, char *copy)
{
    free(*field);
    *field = copy;
}

static void set_string_text(cong_config_t *cfg, const key_def_t *def, const char *text, report_t *rep,
                            const char *name)
{
    const char *problem = check_text(def, text, strlen(text));
    if (problem) {
        report(rep, 0, name, "%s", problem);
        return;
    }
    char *copy = strdup(text);
    if (!copy)
        rep->nomem = rep->stop = 1;
    else
        replace_string(string_field(cfg, def), copy);
}

static void set_int_text(cong_config_t *cfg, const key_def_t *def, const char *text, report_t *rep,
                         const char *name)
{
    size_t len = strlen(text);
    while (len && is_blank(text[len - 1]))
        len--;
    while (len && is_blank(*text))
        text++, len--;
    if (!parse_int(text, len, def->min, def->max, int_field(cfg, def)))
        report(rep, 0, name, "expected an integer between %ld and %ld", def->min, def->max);
}

static void set_list_text(cong_config_t *cfg, const key_def_t *def, const char *text, report_t *rep,
                          const char *name)
{
    cong_strlist_t list;
    int r = split_list(text, &list);
    if (r == CONG_ENOMEM)
        rep->nomem = rep->stop = 1;
    if (r == CONG_EINVAL)
        report(rep, 0, name, "list items must not be empty");
    if (r != 0)
        return;
    size_t errors_before = rep->count;
    for (size_t i = 0; i < list.count; i++) {
        const char *problem = check_text(def, list.items[i], strlen(list.items[i]));
        if (problem)
            report(rep, 0, name, "item %zu: %s", i + 1, problem);
    }
    if (rep->count != errors_before || rep->nomem) {
        strlist_free(&list);
        return;
    }
    strlist_free(list_field(cfg, def));
    *list_field(cfg, def) = list;
}

static void set_from_text(cong_config_t *cfg, const key_def_t *def, const char *text, report_t *rep,
                          const char *name)
{
    switch (def->type) {
    case KEY_STRING: set_string_text(cfg, def, text, rep, name); break;
    case KEY_INT: set_int_text(cfg, def, text, rep, name); break;
    case KEY_LIST: set_list_text(cfg, def, text, rep, name); break;
    }
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Defaults and freeing                                                                                             */

int cong_config_defaults(cong_config_t *cfg)
{
    if (!cfg)
        return CONG_EINVAL;
    *cfg = (cong_config_t){0};
    report_t rep = {.file = "default"};
    for (size_t i = 0; i < KEY_COUNT && !rep.stop; i++)
        set_from_text(cfg, &keys[i], keys[i].default_text, &rep, keys[i].path);
    if (rep.nomem || rep.count) {
        cong_config_free(cfg);
        return rep.nomem ? CONG_ENOMEM : CONG_EINVAL; /* CONG_EINVAL: a default does not fit its own key */
    }
    return 0;
}

static void module_value_free(cong_config_module_value_t *value)
{
    free(value->module);
    free(value->key);
    free(value->value);
    free(value->file);
}

void cong_config_free(cong_config_t *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < KEY_COUNT; i++) {
        if (keys[i].type == KEY_STRING)
            free(*string_field(cfg, &keys[i]));
        if (keys[i].type == KEY_LIST)
            strlist_free(list_field(cfg, &keys[i]));
    }
    for (size_t i = 0; i < cfg->module_value_count; i++)
        module_value_free(&cfg->module_values[i]);
    free(cfg->module_values);
    for (size_t i = 0; cfg->origins && i < KEY_COUNT; i++)
        free(cfg->origins[i].file);
    free(cfg->origins);
    *cfg = (cong_config_t){0};
}

void cong_config_errors_free(cong_config_errors_t *errs)
{
    if (!errs)
        return;
    for (size_t i = 0; i < errs->count; i++)
        free(errs->lines[i]);
    free(errs->lines);
    *errs = (cong_config_errors_t){0};
}

int cong_config_origin(const cong_config_t *cfg, const char *path, const char **file, int *line)
{
    const key_def_t *def = cfg && path ? find_key(path) : NULL;
    const cong_config_origin_t *o = def && cfg->origins ? &cfg->origins[def - keys] : NULL;
    *file = o && o->file ? o->file : "default";
    *line = o && o->file ? o->line : 0;
    return o && o->file;
}

static int lists_equal(const cong_strlist_t *a, const cong_strlist_t *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->items[i], b->items[i]) != 0)
            return 0;
    return 1;
}

void cong_config_each_change(const cong_config_t *a, const cong_config_t *b, void (*fn)(const char *path, void *arg),
                             void *arg)
{
    for (size_t i = 0; i < KEY_COUNT; i++) {
        const key_def_t *def = &keys[i];
        int same = 1;
        switch (def->type) {
        case KEY_STRING:
            same = strcmp(*string_field((cong_config_t *)a, def), *string_field((cong_config_t *)b, def)) == 0;
            break;
        case KEY_INT: same = *int_field((cong_config_t *)a, def) == *int_field((cong_config_t *)b, def); break;
        case KEY_LIST: same = lists_equal(list_field((cong_config_t *)a, def), list_field((cong_config_t *)b, def)); break;
        }
        if (!same)
            fn(def->path, arg);
    }
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Module values                                                                                                    */

static cong_config_module_value_t *find_module_value(const cong_config_t *cfg, const char *module, const char *key)
{
    for (size_t i = 0; i < cfg->module_value_count; i++) {
        cong_config_module_value_t *value = &cfg->module_values[i];
        if (strcmp(value->module, module) == 0 && strcmp(value->key, key) == 0)
            return value;
    }
    return NULL;
}

const cong_config_module_value_t *cong_config_module_value(const cong_config_t *cfg, const char *module,
                                                           const char *key)
{
    return cfg && module && key ? find_module_value(cfg, module, key) : NULL;
}

static cong_config_module_value_t *append_module_slot(cong_config_t *cfg)
{
    cong_config_module_value_t *grown = realloc(cfg->module_values, (cfg->module_value_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    cfg->module_values = grown;
    grown[cfg->module_value_count] = (cong_config_module_value_t){0};
    return &grown[cfg->module_value_count++];
}

/* Stores module.key = text, replacing a value from an earlier parse. Returns 0 or CONG_ENOMEM. */
static int store_module_value(cong_config_t *cfg, const char *module, const char *key, const char *text,
                              size_t len, const char *file, int line)
{
    cong_config_module_value_t value = {.module = strdup(module), .key = strdup(key), .value = strndup(text, len),
                                        .file = strdup(file), .line = line};
    int complete = value.module && value.key && value.value && value.file;
    cong_config_module_value_t *slot = complete ? find_module_value(cfg, module, key) : NULL;
    if (complete && !slot)
        slot = append_module_slot(cfg);
    if (!slot) {
        module_value_free(&value);
        return CONG_ENOMEM;
    }
    module_value_free(slot);
    *slot = value;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Reading YAML events                                                                                              */

typedef struct parse_ctx {
    yaml_parser_t parser;
    yaml_event_t event; /* the current event */
    cong_config_t *cfg;
    const char *text;
    size_t len;
    report_t rep;
    unsigned char seen_key[KEY_COUNT];
    unsigned char seen_section[SECTION_COUNT];
    cong_strlist_t seen_modules;
    size_t first_module_value; /* module values from index this on were read by this parse */
} parse_ctx_t;

typedef struct yaml_key {
    char text[KEY_MAX + 4]; /* printable: see printable_name */
    int line;
} yaml_key_t;

static int event_line(const parse_ctx_t *p)
{
    return (int)p->event.start_mark.line + 1;
}

static const char *scalar_text(const parse_ctx_t *p)
{
    return (const char *)p->event.data.scalar.value;
}

static size_t scalar_len(const parse_ctx_t *p)
{
    return p->event.data.scalar.length;
}

/* 1-based line of a libyaml error; reader errors (bad encoding) only know a byte offset. */
static int yaml_error_line(const parse_ctx_t *p)
{
    if (p->parser.error != YAML_READER_ERROR)
        return (int)p->parser.problem_mark.line + 1;
    size_t end = p->parser.problem_offset < p->len ? p->parser.problem_offset : p->len;
    int line = 1;
    for (size_t i = 0; i < end; i++)
        line += p->text[i] == '\n';
    return line;
}

static int next_event(parse_ctx_t *p)
{
    yaml_event_delete(&p->event);
    if (p->rep.stop)
        return -1;
    if (yaml_parser_parse(&p->parser, &p->event))
        return 0;
    if (p->parser.error == YAML_MEMORY_ERROR)
        p->rep.nomem = 1;
    else
        report(&p->rep, yaml_error_line(p), "(yaml)", "%s", p->parser.problem ? p->parser.problem : "syntax error");
    p->rep.stop = 1;
    return -1;
}

/* Consumes the current node whatever it holds. */
static int skip_node(parse_ctx_t *p)
{
    size_t depth = 0;
    for (;;) {
        yaml_event_type_t type = p->event.type;
        if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT)
            depth++;
        if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT)
            depth--;
        if (depth == 0)
            return 0;
        if (next_event(p) < 0)
            return -1;
    }
}

/* Skips the current node and reports an error about it, unless the node turns out to be broken YAML. */
__attribute__((format(printf, 4, 5))) static int refuse(parse_ctx_t *p, int line, const char *path, const char *fmt,
                                                        ...)
{
    if (skip_node(p) < 0)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    reportv(&p->rep, line, path, fmt, ap);
    va_end(ap);
    return 0;
}

static const char *unwanted_node_feature(const yaml_event_t *e)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    switch (e->type) {
    case YAML_ALIAS_EVENT: return "aliases are not allowed";
    case YAML_SCALAR_EVENT: anchor = e->data.scalar.anchor; tag = e->data.scalar.tag; break;
    case YAML_SEQUENCE_START_EVENT: anchor = e->data.sequence_start.anchor; tag = e->data.sequence_start.tag; break;
    case YAML_MAPPING_START_EVENT: anchor = e->data.mapping_start.anchor; tag = e->data.mapping_start.tag; break;
    default: break;
    }
    if (anchor)
        return "anchors are not allowed";
    return tag ? "tags are not allowed" : NULL;
}

/* Refuses an anchor, alias or tag on the current node: 1 = fine, 0 = refused and skipped, -1 = stop. */
static int check_node(parse_ctx_t *p, const char *path)
{
    const char *unwanted = unwanted_node_feature(&p->event);
    if (!unwanted)
        return 1;
    return refuse(p, event_line(p), path, "%s", unwanted);
}

/* A plain null: empty, ~, null, Null or NULL. */
static int is_null(const parse_ctx_t *p)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (p->event.type != YAML_SCALAR_EVENT || p->event.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (scalar_len(p) == strlen(nulls[i]) && memcmp(scalar_text(p), nulls[i], scalar_len(p)) == 0)
            return 1;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Mappings                                                                                                         */

/* Called with an entry's value node current; `path` is "prefix.key". */
typedef int (*entry_fn)(parse_ctx_t *p, const char *path, const yaml_key_t *key, const void *arg);

/* The current event is a mapping key: 1 = a scalar key now in *key, 0 = refused and skipped, -1 = stop. */
static int read_key(parse_ctx_t *p, const char *prefix, yaml_key_t *key)
{
    const char *where = prefix ? prefix : "(document)";
    int usable = check_node(p, where);
    if (usable <= 0)
        return usable;
    if (p->event.type != YAML_SCALAR_EVENT)
        return refuse(p, event_line(p), where, "keys must be scalars");
    printable_name(key->text, scalar_text(p), scalar_len(p));
    key->line = event_line(p);
    return 1;
}

static int handle_entry(parse_ctx_t *p, const char *prefix, const yaml_key_t *key, entry_fn fn, const void *arg)
{
    char path[PATH_LEN];
    int n = snprintf(path, sizeof path, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", key->text);
    if (n < 0 || (size_t)n >= sizeof path)
        return refuse(p, key->line, prefix ? prefix : "", "key path too long");
    int usable = check_node(p, path);
    return usable <= 0 ? usable : fn(p, path, key, arg);
}

/* The current event starts a mapping: calls `fn` for each entry. */
static int for_each_entry(parse_ctx_t *p, const char *prefix, entry_fn fn, const void *arg)
{
    for (;;) {
        if (next_event(p) < 0)
            return -1;
        if (p->event.type == YAML_MAPPING_END_EVENT)
            return 0;
        yaml_key_t key;
        int usable = read_key(p, prefix, &key);
        if (usable < 0 || next_event(p) < 0)
            return -1;
        if ((usable ? handle_entry(p, prefix, &key, fn, arg) : skip_node(p)) < 0)
            return -1;
    }
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Settings                                                                                                         */

static int set_string_node(parse_ctx_t *p, const key_def_t *def, const char *path, int line)
{
    if (p->event.type != YAML_SCALAR_EVENT)
        return refuse(p, line, path, "expected a string");
    const char *text = is_null(p) ? "" : scalar_text(p);
    size_t len = is_null(p) ? 0 : scalar_len(p);
    const char *problem = check_text(def, text, len);
    if (problem) {
        report(&p->rep, line, path, "%s", problem);
        return 0;
    }
    char *copy = strndup(text, len);
    if (!copy) {
        p->rep.nomem = p->rep.stop = 1;
        return -1;
    }
    replace_string(string_field(p->cfg, def), copy);
    return 0;
}

static int set_int_node(parse_ctx_t *p, const key_def_t *def, const char *path, int line)
{
    int plain = p->event.type == YAML_SCALAR_EVENT && p->event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (plain && parse_int(scalar_text(p), scalar_len(p), def->min, def->max, int_field(p->cfg, def)))
        return 0;
    return refuse(p, line, path, "expected an integer between %ld and %ld", def->min, def->max);
}

/* One list item: 0 = added, 1 = refused, -1 = stop. */
static int read_list_item(parse_ctx_t *p, const key_def_t *def, const char *item_path, cong_strlist_t *list)
{
    int usable = check_node(p, item_path);
    if (usable <= 0)
        return usable < 0 ? -1 : 1;
    if (p->event.type != YAML_SCALAR_EVENT)
        return refuse(p, event_line(p), item_path, "expected a string") < 0 ? -1 : 1;
    const char *problem = check_text(def, scalar_text(p), scalar_len(p));
    if (problem) {
        report(&p->rep, event_line(p), item_path, "%s", problem);
        return 1;
    }
    if (strlist_push(list, scalar_text(p), scalar_len(p)) != 0) {
        p->rep.nomem = p->rep.stop = 1;
        return -1;
    }
    return 0;
}

/* The current event starts a sequence: its items go to *list; *bad is set when one was refused. */
static int read_list_items(parse_ctx_t *p, const key_def_t *def, const char *path, cong_strlist_t *list, int *bad)
{
    for (size_t index = 0;; index++) {
        if (next_event(p) < 0)
            return -1;
        if (p->event.type == YAML_SEQUENCE_END_EVENT)
            return 0;
        char item_path[PATH_LEN + 24];
        snprintf(item_path, sizeof item_path, "%s[%zu]", path, index);
        int r = read_list_item(p, def, item_path, list);
        if (r < 0)
            return -1;
        *bad |= r;
    }
}

static int set_list_node(parse_ctx_t *p, const key_def_t *def, const char *path, int line)
{
    cong_strlist_t list = {0};
    int bad = 0;
    if (!is_null(p) && p->event.type != YAML_SEQUENCE_START_EVENT)
        return refuse(p, line, path, "expected a list of strings");
    int r = is_null(p) ? 0 : read_list_items(p, def, path, &list, &bad);
    if (r == 0 && !bad) {
        strlist_free(list_field(p->cfg, def));
        *list_field(p->cfg, def) = list;
    } else {
        strlist_free(&list);
    }
    return r;
}

static int on_setting(parse_ctx_t *p, const char *path, const yaml_key_t *key, const void *arg)
{
    (void)arg;
    const key_def_t *def = find_key(path);
    if (!def)
        return refuse(p, key->line, path, "unknown key");
    if (p->seen_key[def - keys])
        return refuse(p, key->line, path, "duplicate key");
    p->seen_key[def - keys] = 1;
    note_origin(p->cfg, def, p->rep.file, key->line);
    switch (def->type) {
    case KEY_STRING: return set_string_node(p, def, path, key->line);
    case KEY_INT: return set_int_node(p, def, path, key->line);
    case KEY_LIST: return set_list_node(p, def, path, key->line);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* modules: load, and modules.<name>.<key> values                                                                   */

/* Module and module key names: [a-z0-9_]+ (they also name CONG_MODULES_<NAME>_<KEY>). */
static int is_name(const char *text)
{
    if (!*text)
        return 0;
    for (const char *s = text; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static int on_module_value(parse_ctx_t *p, const char *path, const yaml_key_t *key, const void *arg)
{
    const char *module = arg;
    if (!is_name(key->text))
        return refuse(p, key->line, path, "setting names must match [a-z0-9_]+");
    if (p->event.type != YAML_SCALAR_EVENT)
        return refuse(p, key->line, path, "expected a scalar");
    if (memchr(scalar_text(p), 0, scalar_len(p))) {
        report(&p->rep, key->line, path, "must not contain NUL bytes");
        return 0;
    }
    const cong_config_module_value_t *earlier = find_module_value(p->cfg, module, key->text);
    if (earlier && (size_t)(earlier - p->cfg->module_values) >= p->first_module_value) {
        report(&p->rep, key->line, path, "duplicate key");
        return 0;
    }
    if (store_module_value(p->cfg, module, key->text, scalar_text(p), scalar_len(p), p->rep.file, key->line) != 0) {
        p->rep.nomem = p->rep.stop = 1;
        return -1;
    }
    return 0;
}

static int on_module_entry(parse_ctx_t *p, const char *path, const yaml_key_t *key, const void *arg)
{
    if (strcmp(key->text, "load") == 0)
        return on_setting(p, path, key, arg);
    if (!is_name(key->text))
        return refuse(p, key->line, path, "module names must match [a-z0-9_]+");
    if (strlist_contains(&p->seen_modules, key->text))
        return refuse(p, key->line, path, "duplicate key");
    if (strlist_push(&p->seen_modules, key->text, strlen(key->text)) != 0) {
        p->rep.nomem = p->rep.stop = 1;
        return -1;
    }
    if (is_null(p))
        return 0;
    if (p->event.type != YAML_MAPPING_START_EVENT)
        return refuse(p, key->line, path, "expected a mapping of module settings");
    return for_each_entry(p, path, on_module_value, key->text);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Sections and the document                                                                                        */

static int on_section(parse_ctx_t *p, const char *path, const yaml_key_t *key, const void *arg)
{
    (void)arg;
    size_t section = 0;
    while (section < SECTION_COUNT && strcmp(sections[section], key->text) != 0)
        section++;
    if (section == SECTION_COUNT)
        return refuse(p, key->line, path, "unknown key");
    if (p->seen_section[section])
        return refuse(p, key->line, path, "duplicate key");
    p->seen_section[section] = 1;
    if (is_null(p))
        return 0;
    if (p->event.type != YAML_MAPPING_START_EVENT)
        return refuse(p, key->line, path, "expected a mapping");
    return for_each_entry(p, path, section == MODULES_SECTION ? on_module_entry : on_setting, NULL);
}

static int read_root(parse_ctx_t *p)
{
    int usable = check_node(p, "(document)");
    if (usable <= 0 || is_null(p))
        return usable < 0 ? -1 : 0;
    if (p->event.type != YAML_MAPPING_START_EVENT)
        return refuse(p, event_line(p), "(document)", "the top level must be a mapping of sections");
    return for_each_entry(p, NULL, on_section, NULL);
}

/* STREAM-START [DOCUMENT-START root DOCUMENT-END] STREAM-END: an empty stream is an empty configuration. */
static void read_stream(parse_ctx_t *p)
{
    if (next_event(p) < 0 || next_event(p) < 0 || p->event.type == YAML_STREAM_END_EVENT)
        return;
    if (next_event(p) < 0 || read_root(p) < 0 || next_event(p) < 0 || next_event(p) < 0)
        return;
    if (p->event.type != YAML_STREAM_END_EVENT)
        report(&p->rep, event_line(p), "(document)", "only one YAML document is allowed");
}

int cong_config_parse(cong_config_t *cfg, const char *name, const char *text, size_t len, cong_config_errors_t *errs)
{
    if (!cfg || (!text && len))
        return CONG_EINVAL;
    parse_ctx_t *p = calloc(1, sizeof *p);
    if (!p || !yaml_parser_initialize(&p->parser)) {
        free(p);
        return CONG_ENOMEM;
    }
    p->cfg = cfg;
    p->text = text ? text : "";
    p->len = len;
    p->rep = (report_t){.errs = errs, .file = name ? name : "(config)"};
    p->first_module_value = cfg->module_value_count;
    yaml_parser_set_input_string(&p->parser, (const unsigned char *)p->text, len);
    read_stream(p);
    int result = report_result(&p->rep);
    yaml_event_delete(&p->event);
    yaml_parser_delete(&p->parser);
    strlist_free(&p->seen_modules);
    free(p);
    return result;
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* The environment                                                                                                  */

/* server.tls_port → CONG_SERVER_TLS_PORT */
static void env_name(const key_def_t *def, char *out, size_t size)
{
    int n = snprintf(out, size, "CONG_%s", def->path);
    for (int i = 5; i < n && (size_t)i < size; i++)
        out[i] = out[i] == '.' ? '_' : (char)toupper((unsigned char)out[i]);
}

static const key_def_t *find_env_key(const char *name, size_t len)
{
    char candidate[PATH_LEN];
    for (size_t i = 0; i < KEY_COUNT; i++) {
        env_name(&keys[i], candidate, sizeof candidate);
        if (strlen(candidate) == len && memcmp(candidate, name, len) == 0)
            return &keys[i];
    }
    return NULL;
}

static int is_ignored_env(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof env_ignored / sizeof env_ignored[0]; i++)
        if (strlen(env_ignored[i]) == len && memcmp(env_ignored[i], name, len) == 0)
            return 1;
    return len >= 13 && memcmp(name, "CONG_MODULES_", 13) == 0;
}

static void apply_env_entry(cong_config_t *cfg, const char *entry, report_t *rep)
{
    const char *equals = strchr(entry, '=');
    if (strncmp(entry, "CONG_", 5) != 0 || !equals)
        return;
    size_t len = (size_t)(equals - entry);
    char name[KEY_MAX + 4];
    printable_name(name, entry, len);
    const key_def_t *def = find_env_key(entry, len);
    if (def) {
        set_from_text(cfg, def, equals + 1, rep, name);
        note_origin(cfg, def, "env", 0);
    }
    else if (!is_ignored_env(entry, len))
        report(rep, 0, name, "unknown setting");
}

int cong_config_apply_env(cong_config_t *cfg, char *const *envp, cong_config_errors_t *errs)
{
    if (!cfg)
        return CONG_EINVAL;
    report_t rep = {.errs = errs, .file = "env"};
    for (size_t i = 0; envp && envp[i] && !rep.stop; i++)
        apply_env_entry(cfg, envp[i], &rep);
    return report_result(&rep);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Loading                                                                                                          */

/* Reads a whole file of at most MAX_FILE_BYTES. Returns 0, or an errno value (EFBIG when too large). */
static int read_file(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno;
    char *buffer = malloc(MAX_FILE_BYTES + 1);
    size_t n = buffer ? fread(buffer, 1, MAX_FILE_BYTES + 1, f) : 0;
    int error = !buffer ? ENOMEM : ferror(f) ? EIO : n > MAX_FILE_BYTES ? EFBIG : 0;
    fclose(f);
    if (error) {
        free(buffer);
        return error;
    }
    *text = buffer;
    *len = n;
    return 0;
}

static int file_error(cong_config_errors_t *errs, const char *path, const char *problem)
{
    return cong_config_error(errs, path, 0, "(file)", "%s", problem) == 0 ? CONG_EPARSE : CONG_ENOMEM;
}

static int parse_file(cong_config_t *cfg, const char *path, cong_config_errors_t *errs)
{
    char *text = NULL;
    size_t len = 0;
    int error = read_file(path, &text, &len);
    if (error == ENOMEM)
        return CONG_ENOMEM;
    if (error == EFBIG)
        return file_error(errs, path, "larger than 4 MiB");
    if (error)
        return file_error(errs, path, strerror(error)); /* "No such file or directory" */
    int r = cong_config_parse(cfg, path, text, len, errs);
    free(text);
    return r;
}

int cong_config_load(cong_config_t *cfg, const char *path, char *const *envp, cong_config_errors_t *errs)
{
    int r = cong_config_defaults(cfg);
    if (r != 0)
        return r;
    int file_result = path ? parse_file(cfg, path, errs) : 0;
    if (file_result == CONG_ENOMEM)
        return file_result;
    int env_result = cong_config_apply_env(cfg, envp, errs);
    if (env_result == CONG_ENOMEM)
        return env_result;
    return file_result ? file_result : env_result;
}
