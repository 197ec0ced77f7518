/*
 * tests/unit/config/test_config.c — gateway/config/ (config.h): defaults, the YAML file, the environment, error lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cong/module.h"
#include "gateway/config/config.h"

#define SECRET "hunter2-s3cr3t"

/* Defaults, then `text` parsed as "t.yaml". */
static int parse(cong_config_t *cfg, cong_config_errors_t *errs, const char *text)
{
    assert_int_equal(cong_config_defaults(cfg), 0);
    return cong_config_parse(cfg, "t.yaml", text, strlen(text), errs);
}

static void print_errors(const cong_config_errors_t *errs)
{
    for (size_t i = 0; i < errs->count; i++)
        print_message("  error: %s\n", errs->lines[i]);
}

/* The file must give exactly one error line, `expected`. */
static void assert_one_error(const char *text, const char *expected)
{
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    int r = parse(&cfg, &errs, text);
    if (errs.count != 1 || strcmp(errs.lines[0], expected) != 0) {
        print_message("expected only: %s\n", expected);
        print_errors(&errs);
        fail();
    }
    assert_int_equal(r, CONG_EPARSE);
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);
}

/* The file must fail, and its first error line must start with `prefix`. */
static void assert_first_error_starts(const char *text, const char *prefix)
{
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    assert_int_equal(parse(&cfg, &errs, text), CONG_EPARSE);
    assert_true(errs.count >= 1);
    if (strncmp(errs.lines[0], prefix, strlen(prefix)) != 0) {
        print_message("expected a first error starting with: %s\n", prefix);
        print_errors(&errs);
        fail();
    }
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);
}

static void assert_list(const cong_strlist_t *list, size_t count, ...)
{
    assert_int_equal(list->count, count);
    va_list ap;
    va_start(ap, count);
    for (size_t i = 0; i < count; i++)
        assert_string_equal(list->items[i], va_arg(ap, const char *));
    va_end(ap);
}

static void assert_same_list(const cong_strlist_t *a, const cong_strlist_t *b)
{
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++)
        assert_string_equal(a->items[i], b->items[i]);
}

static void assert_same_config(const cong_config_t *a, const cong_config_t *b)
{
    assert_string_equal(a->server.bind, b->server.bind);
    assert_int_equal(a->server.tls_port, b->server.tls_port);
    assert_int_equal(a->server.h2c_port, b->server.h2c_port);
    assert_int_equal(a->server.workers, b->server.workers);
    assert_string_equal(a->server.tls_certificate, b->server.tls_certificate);
    assert_string_equal(a->server.tls_private_key, b->server.tls_private_key);
    assert_int_equal(a->server.shutdown_timeout_ms, b->server.shutdown_timeout_ms);
    assert_int_equal(a->server.idle_timeout_ms, b->server.idle_timeout_ms);
    assert_int_equal(a->server.max_concurrent_streams, b->server.max_concurrent_streams);
    assert_int_equal(a->server.http2_reset_burst, b->server.http2_reset_burst);
    assert_int_equal(a->server.http2_reset_per_second, b->server.http2_reset_per_second);
    assert_string_equal(a->auth.signing_key_file, b->auth.signing_key_file);
    assert_string_equal(a->vneid.jwks, b->vneid.jwks);
    assert_int_equal(a->vneid.cooldown_s, b->vneid.cooldown_s);
    assert_int_equal(a->rate_limits.enabled, b->rate_limits.enabled);
    assert_int_equal(a->rate_limits.default_per_minute, b->rate_limits.default_per_minute);
    assert_int_equal(a->rate_limits.auth_burst, b->rate_limits.auth_burst);
    assert_string_equal(a->server.problem_base_uri, b->server.problem_base_uri);
    assert_string_equal(a->server.openapi_file, b->server.openapi_file);
    assert_int_equal(a->server.docs_enabled, b->server.docs_enabled);
    assert_string_equal(a->server.docs_bundle_file, b->server.docs_bundle_file);
    assert_int_equal(a->limits.max_header_bytes, b->limits.max_header_bytes);
    assert_int_equal(a->limits.max_header_count, b->limits.max_header_count);
    assert_int_equal(a->limits.max_body_bytes, b->limits.max_body_bytes);
    assert_same_list(&a->limits.allowed_methods, &b->limits.allowed_methods);
    assert_same_list(&a->cors.allowed_origins, &b->cors.allowed_origins);
    assert_same_list(&a->cors.allowed_headers, &b->cors.allowed_headers);
    assert_int_equal(a->cors.max_age_s, b->cors.max_age_s);
    assert_string_equal(a->auth.issuer, b->auth.issuer);
    assert_string_equal(a->auth.audience, b->auth.audience);
    assert_string_equal(a->auth.public_key_file, b->auth.public_key_file);
    assert_int_equal(a->auth.clock_skew_s, b->auth.clock_skew_s);
    assert_string_equal(a->redis.host, b->redis.host);
    assert_int_equal(a->redis.port, b->redis.port);
    assert_string_equal(a->redis.password, b->redis.password);
    assert_int_equal(a->redis.timeout_ms, b->redis.timeout_ms);
    assert_string_equal(a->postgres.conninfo, b->postgres.conninfo);
    assert_int_equal(a->postgres.pool_size, b->postgres.pool_size);
    assert_int_equal(a->postgres.timeout_ms, b->postgres.timeout_ms);
    assert_int_equal(a->postgres.queue_wait_ms, b->postgres.queue_wait_ms);
    assert_string_equal(a->postgres.migrations_dir, b->postgres.migrations_dir);
    assert_string_equal(a->log.access_log, b->log.access_log);
    assert_string_equal(a->log.level, b->log.level);
    assert_same_list(&a->modules.load, &b->modules.load);
    assert_int_equal(a->module_value_count, b->module_value_count);
}

/* ---------------------------------------------------------------------------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    cong_config_t cfg;
    assert_int_equal(cong_config_defaults(&cfg), 0);
    assert_string_equal(cfg.server.bind, "127.0.0.1");
    assert_int_equal(cfg.server.tls_port, 8443);
    assert_int_equal(cfg.server.h2c_port, 8080);
    assert_int_equal(cfg.server.workers, 0);
    assert_string_equal(cfg.server.tls_certificate, ".run/tls/cert.pem");
    assert_string_equal(cfg.server.tls_private_key, ".run/tls/key.pem");
    assert_int_equal(cfg.server.shutdown_timeout_ms, 10000);
    assert_int_equal(cfg.server.idle_timeout_ms, 30000);
    assert_int_equal(cfg.server.max_concurrent_streams, 100);
    assert_int_equal(cfg.server.http2_reset_burst, 50);
    assert_int_equal(cfg.server.http2_reset_per_second, 50);
    assert_int_equal(cfg.auth.access_token_ttl_s, 600);
    assert_int_equal(cfg.rate_limits.default_per_minute, 600);
    assert_string_equal(cfg.vneid.client_id, "cong");
    assert_string_equal(cfg.server.problem_base_uri, "https://cong.hanoi.gov.vn/problems/");
    assert_string_equal(cfg.server.openapi_file, "openapi/cong.yaml");
    assert_int_equal(cfg.limits.max_header_bytes, 8192);
    assert_int_equal(cfg.limits.max_header_count, 64);
    assert_int_equal(cfg.limits.max_body_bytes, 1048576);
    assert_list(&cfg.limits.allowed_methods, 7, "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    assert_list(&cfg.cors.allowed_origins, 0);
    assert_list(&cfg.cors.allowed_headers, 5, "authorization", "content-type", "idempotency-key", "x-request-id",
                "accept-language");
    assert_int_equal(cfg.cors.max_age_s, 600);
    assert_string_equal(cfg.auth.issuer, "");
    assert_string_equal(cfg.auth.audience, "");
    assert_string_equal(cfg.auth.public_key_file, "");
    assert_int_equal(cfg.auth.clock_skew_s, 60);
    assert_string_equal(cfg.redis.host, "127.0.0.1");
    assert_int_equal(cfg.redis.port, 6379);
    assert_string_equal(cfg.redis.password, "");
    assert_int_equal(cfg.redis.timeout_ms, 1000);
    assert_string_equal(cfg.postgres.conninfo, "host=127.0.0.1 port=5432 dbname=cong user=cong");
    assert_int_equal(cfg.postgres.pool_size, 0);
    assert_int_equal(cfg.postgres.timeout_ms, 5000);
    assert_int_equal(cfg.postgres.queue_wait_ms, 250);
    assert_string_equal(cfg.postgres.migrations_dir, "gateway/migrations");
    assert_string_equal(cfg.log.access_log, "-");
    assert_string_equal(cfg.log.level, "info");
    assert_list(&cfg.modules.load, 0);
    assert_int_equal(cfg.module_value_count, 0);
    cong_config_free(&cfg);
    cong_config_free(&cfg); /* freeing twice is harmless: free zeroes */
}

static void test_empty_and_null_inputs_keep_defaults(void **state)
{
    (void)state;
    static const char *const texts[] = {"", "\n# only a comment\n", "---\n", "~\n", "server:\nlimits: ~\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        cong_config_t cfg, defaults;
        cong_config_errors_t errs = {0};
        assert_int_equal(parse(&cfg, &errs, texts[i]), 0);
        assert_int_equal(errs.count, 0);
        assert_int_equal(cong_config_defaults(&defaults), 0);
        assert_same_config(&cfg, &defaults);
        cong_config_free(&defaults);
        cong_config_free(&cfg);
    }
}

static const char full_file[] =
    "server:\n"
    "  bind: \"0.0.0.0\"\n"
    "  tls_port: 443\n"
    "  h2c_port: 0\n"
    "  workers: 8\n"
    "  tls_certificate: /etc/cong/cert.pem\n"
    "  tls_private_key: '/etc/cong/key.pem'\n"
    "  shutdown_timeout_ms: 0\n"
    "  idle_timeout_ms: 60000\n"
    "  max_concurrent_streams: 256\n"
    "  problem_base_uri: https://example.gov.vn/p/\n"
    "  openapi_file: api.yaml\n"
    "limits: {max_header_bytes: 512, max_header_count: 1, max_body_bytes: 1073741824,\n"
    "         allowed_methods: [GET, M-SEARCH]}\n"
    "cors:\n"
    "  allowed_origins:\n"
    "    - https://dichvucong.hanoi.gov.vn\n"
    "    - http://localhost:3000\n"
    "  allowed_headers: [Authorization]\n"
    "  max_age_s: 86400\n"
    "auth:\n"
    "  issuer: https://id.hanoi.gov.vn\n"
    "  audience: cong\n"
    "  public_key_file: keys/es256.pem\n"
    "  clock_skew_s: 300\n"
    "redis: {host: redis.local, port: 6380, password: \"" SECRET "\", timeout_ms: 10}\n"
    "postgres:\n"
    "  conninfo: host=db password=" SECRET "\n"
    "  pool_size: 64\n"
    "  timeout_ms: 600000\n"
    "  migrations_dir: db/migrations\n"
    "log:\n"
    "  access_log: /var/log/cong/access.log\n"
    "  level: debug\n"
    "modules:\n"
    "  load: [/opt/cong/partner.so]\n"
    "  partner_hello:\n"
    "    greeting: xin chào\n"
    "    max_items: 20\n"
    "  dossier: {}\n";

static void test_full_file(void **state)
{
    (void)state;
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    int r = parse(&cfg, &errs, full_file);
    print_errors(&errs);
    assert_int_equal(r, 0);
    assert_int_equal(errs.count, 0);
    assert_string_equal(cfg.server.bind, "0.0.0.0");
    assert_int_equal(cfg.server.tls_port, 443);
    assert_int_equal(cfg.server.h2c_port, 0);
    assert_int_equal(cfg.server.workers, 8);
    assert_string_equal(cfg.server.tls_certificate, "/etc/cong/cert.pem");
    assert_string_equal(cfg.server.tls_private_key, "/etc/cong/key.pem");
    assert_int_equal(cfg.server.shutdown_timeout_ms, 0);
    assert_int_equal(cfg.server.idle_timeout_ms, 60000);
    assert_int_equal(cfg.server.max_concurrent_streams, 256);
    assert_string_equal(cfg.server.problem_base_uri, "https://example.gov.vn/p/");
    assert_string_equal(cfg.server.openapi_file, "api.yaml");
    assert_int_equal(cfg.limits.max_header_bytes, 512);
    assert_int_equal(cfg.limits.max_header_count, 1);
    assert_int_equal(cfg.limits.max_body_bytes, 1073741824);
    assert_list(&cfg.limits.allowed_methods, 2, "GET", "M-SEARCH");
    assert_list(&cfg.cors.allowed_origins, 2, "https://dichvucong.hanoi.gov.vn", "http://localhost:3000");
    assert_list(&cfg.cors.allowed_headers, 1, "Authorization");
    assert_int_equal(cfg.cors.max_age_s, 86400);
    assert_string_equal(cfg.auth.issuer, "https://id.hanoi.gov.vn");
    assert_string_equal(cfg.auth.audience, "cong");
    assert_string_equal(cfg.auth.public_key_file, "keys/es256.pem");
    assert_int_equal(cfg.auth.clock_skew_s, 300);
    assert_string_equal(cfg.redis.host, "redis.local");
    assert_int_equal(cfg.redis.port, 6380);
    assert_string_equal(cfg.redis.password, SECRET);
    assert_int_equal(cfg.redis.timeout_ms, 10);
    assert_string_equal(cfg.postgres.conninfo, "host=db password=" SECRET);
    assert_int_equal(cfg.postgres.pool_size, 64);
    assert_int_equal(cfg.postgres.timeout_ms, 600000);
    assert_string_equal(cfg.postgres.migrations_dir, "db/migrations");
    assert_string_equal(cfg.log.access_log, "/var/log/cong/access.log");
    assert_string_equal(cfg.log.level, "debug");
    assert_list(&cfg.modules.load, 1, "/opt/cong/partner.so");
    assert_int_equal(cfg.module_value_count, 2);
    cong_config_free(&cfg);
}

static void test_example_file_parses_to_the_defaults(void **state)
{
    (void)state;
    const char *source_dir = getenv("CONG_SOURCE_DIR");
    if (!source_dir)
        fail_msg("CONG_SOURCE_DIR is not set: run through ctest, or set it to the source tree");
    char path[4096];
    snprintf(path, sizeof path, "%s/cong.example.yaml", source_dir);
    if (access(path, R_OK) != 0)
        fail_msg("cannot read %s", path);
    cong_config_t cfg, defaults;
    cong_config_errors_t errs = {0};
    char *const no_env[] = {NULL};
    int r = cong_config_load(&cfg, path, no_env, &errs);
    print_errors(&errs);
    assert_int_equal(r, 0);
    assert_int_equal(errs.count, 0);
    /* The example documents every default: when a default changes, change cong.example.yaml too. */
    assert_int_equal(cong_config_defaults(&defaults), 0);
    assert_same_config(&cfg, &defaults);
    cong_config_free(&defaults);
    cong_config_free(&cfg);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    assert_one_error("server:\n  bind: 0.0.0.0\n  bogus: 1\n", "t.yaml:3: server.bogus: unknown key");
    assert_one_error("\n\nservre:\n  bind: x\n", "t.yaml:3: servre: unknown key");
    assert_one_error("modules:\n  BadName: {a: 1}\n", "t.yaml:2: modules.BadName: module names must match [a-z0-9_]+");
    assert_one_error("modules:\n  m:\n    Bad-Key: 1\n",
                     "t.yaml:3: modules.m.Bad-Key: setting names must match [a-z0-9_]+");
    assert_one_error("log:\n  \"lev\\tel\": x\n", "t.yaml:2: log.lev?el: unknown key"); /* unprintable bytes hidden */
}

static void test_wrong_types(void **state)
{
    (void)state;
    static const char *const not_ports[] = {"abc", "\"8443\"", "0x20", "080", "[1]", "{a: 1}", "1.5", "", "+"};
    for (size_t i = 0; i < sizeof not_ports / sizeof not_ports[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "server:\n  tls_port: %s\n", not_ports[i]);
        assert_one_error(text, "t.yaml:2: server.tls_port: expected an integer between 0 and 65535");
    }
    assert_one_error("server:\n  bind: [a, b]\n", "t.yaml:2: server.bind: expected a string");
    assert_one_error("limits:\n  allowed_methods: GET\n",
                     "t.yaml:2: limits.allowed_methods: expected a list of strings");
    assert_one_error("limits:\n  allowed_methods: [GET, [PUT]]\n",
                     "t.yaml:2: limits.allowed_methods[1]: expected a string");
    assert_one_error("limits:\n  allowed_methods: [GET, get]\n",
                     "t.yaml:2: limits.allowed_methods[1]: expected an uppercase method token such as GET");
    assert_one_error("limits:\n  allowed_methods: [\"\"]\n",
                     "t.yaml:2: limits.allowed_methods[0]: list items must not be empty");
    assert_one_error("cors:\n  allowed_origins: [https://a.vn/]\n",
                     "t.yaml:2: cors.allowed_origins[0]: expected an origin: http(s)://host[:port] without a path");
    assert_one_error("cors:\n  allowed_origins: [\"*\"]\n",
                     "t.yaml:2: cors.allowed_origins[0]: expected an origin: http(s)://host[:port] without a path");
    assert_one_error("log:\n  level: verbose\n", "t.yaml:2: log.level: expected one of error, warn, info, debug");
    assert_one_error("server: 1\n", "t.yaml:1: server: expected a mapping");
    assert_one_error("- a\n- b\n", "t.yaml:1: (document): the top level must be a mapping of sections");
    assert_one_error("modules:\n  m: 1\n", "t.yaml:2: modules.m: expected a mapping of module settings");
    assert_one_error("modules:\n  m:\n    k: [1]\n", "t.yaml:3: modules.m.k: expected a scalar");
    assert_one_error("server:\n  ? [a]\n  : 1\n", "t.yaml:2: server: keys must be scalars");
    assert_one_error("server:\n  bind: \"a\\0b\"\n", "t.yaml:2: server.bind: must not contain NUL bytes");
    assert_one_error("server: {}\n---\nlog: {}\n", "t.yaml:2: (document): only one YAML document is allowed");
}

static void test_out_of_range(void **state)
{
    (void)state;
    assert_one_error("server:\n  tls_port: 65536\n",
                     "t.yaml:2: server.tls_port: expected an integer between 0 and 65535");
    assert_one_error("server:\n  workers: -1\n", "t.yaml:2: server.workers: expected an integer between 0 and 256");
    assert_one_error("server:\n  max_concurrent_streams: 0\n",
                     "t.yaml:2: server.max_concurrent_streams: expected an integer between 1 and 256");
    assert_one_error("limits:\n  max_header_bytes: 511\n",
                     "t.yaml:2: limits.max_header_bytes: expected an integer between 512 and 65536");
    assert_one_error("auth:\n  clock_skew_s: 99999999999999999999999\n",
                     "t.yaml:2: auth.clock_skew_s: expected an integer between 0 and 300");
    assert_one_error("redis:\n  port: 0\n", "t.yaml:2: redis.port: expected an integer between 1 and 65535");
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    assert_one_error("server:\n  tls_port: 1\n  tls_port: 2\n", "t.yaml:3: server.tls_port: duplicate key");
    assert_one_error("log: {}\nserver: {}\nlog: {}\n", "t.yaml:3: log: duplicate key");
    assert_one_error("modules:\n  m: {a: 1}\n  m: {b: 2}\n", "t.yaml:3: modules.m: duplicate key");
    assert_one_error("modules:\n  m:\n    a: 1\n    a: 2\n", "t.yaml:4: modules.m.a: duplicate key");
    assert_one_error("modules:\n  load: []\n  load: []\n", "t.yaml:3: modules.load: duplicate key");
}

static void test_anchors_aliases_and_tags_refused(void **state)
{
    (void)state;
    assert_one_error("server:\n  bind: &b 0.0.0.0\n", "t.yaml:2: server.bind: anchors are not allowed");
    assert_one_error("server:\n  bind: *b\n", "t.yaml:2: server.bind: aliases are not allowed");
    assert_one_error("server:\n  bind: !!str x\n", "t.yaml:2: server.bind: tags are not allowed");
    assert_one_error("limits:\n  allowed_methods: [GET, *m]\n",
                     "t.yaml:2: limits.allowed_methods[1]: aliases are not allowed");
    assert_one_error("server: &s\n  bind: x\n", "t.yaml:1: server: anchors are not allowed");
    assert_one_error("&root\nserver: {}\n", "t.yaml:1: (document): anchors are not allowed");
    assert_one_error("modules:\n  m:\n    &k key: 1\n", "t.yaml:3: modules.m: anchors are not allowed");

    /* "Billion laughs": refused at the first anchor, nothing is expanded. */
    const char *laughs = "modules:\n  m:\n    a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                         "    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                         "    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                         "    d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
    assert_first_error_starts(laughs, "t.yaml:3: modules.m.a: anchors are not allowed");
}

static void test_syntax_errors_name_the_line(void **state)
{
    (void)state;
    assert_first_error_starts("server:\n  bind: x\n  tls_port: [1, 2\n", "t.yaml:4: (yaml): ");
    assert_first_error_starts("server:\n  bind: \"unterminated\n", "t.yaml:3: (yaml): ");
    assert_first_error_starts("server:\n  bind: x\n bad indent: 1\n", "t.yaml:3: (yaml): ");
    assert_first_error_starts("log:\n  level: \"\\q\"\n", "t.yaml:2: (yaml): found unknown escape character");
    assert_first_error_starts("server:\n  bind: a\n\xff\xfe: 1\n", "t.yaml:3: (yaml): ");

    /* Errors before a syntax error are kept; each run lists them all. */
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    assert_int_equal(parse(&cfg, &errs, "server:\n  a: 1\n  b: 2\nlog:\n  level: [\n"), CONG_EPARSE);
    assert_int_equal(errs.count, 3);
    assert_string_equal(errs.lines[0], "t.yaml:2: server.a: unknown key");
    assert_string_equal(errs.lines[1], "t.yaml:3: server.b: unknown key");
    assert_true(strncmp(errs.lines[2], "t.yaml:6: (yaml): ", 18) == 0);
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);
}

static void test_error_count_is_capped(void **state)
{
    (void)state;
    size_t size = 1000 * 16 + 16;
    char *text = malloc(size);
    assert_non_null(text);
    size_t used = (size_t)snprintf(text, size, "server:\n");
    for (int i = 0; i < 1000; i++)
        used += (size_t)snprintf(text + used, size - used, "  k%d: 1\n", i);
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    assert_int_equal(parse(&cfg, &errs, text), CONG_EPARSE);
    assert_true(errs.count <= 101);
    assert_non_null(strstr(errs.lines[errs.count - 1], "too many errors"));
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);
    free(text);
}

static void test_env_overrides(void **state)
{
    (void)state;
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    char *env[] = {"PATH=/usr/bin",
                   "CONG_SERVER_TLS_PORT= 9443 ",
                   "CONG_SERVER_BIND=::",
                   "CONG_LIMITS_ALLOWED_METHODS= GET ,POST,  DELETE",
                   "CONG_CORS_ALLOWED_HEADERS=",
                   "CONG_CORS_ALLOWED_ORIGINS=https://a.gov.vn, http://localhost:8000",
                   "CONG_REDIS_PASSWORD=" SECRET,
                   "CONG_MODULES_LOAD=a.so,b.so",
                   "CONG_MODULES_PARTNER_HELLO_GREETING=chào", /* the module loader's */
                   "CONG_CONFIG=/etc/cong.yaml",
                   "CONG_SOURCE_DIR=/src",
                   "CONG_BUILD_DIR=/build",
                   NULL};
    assert_int_equal(parse(&cfg, &errs, "server:\n  tls_port: 1\n  h2c_port: 2\n"), 0);
    int r = cong_config_apply_env(&cfg, env, &errs);
    print_errors(&errs);
    assert_int_equal(r, 0);
    assert_int_equal(cfg.server.tls_port, 9443);
    assert_int_equal(cfg.server.h2c_port, 2);
    assert_string_equal(cfg.server.bind, "::");
    assert_list(&cfg.limits.allowed_methods, 3, "GET", "POST", "DELETE");
    assert_list(&cfg.cors.allowed_headers, 0);
    assert_list(&cfg.cors.allowed_origins, 2, "https://a.gov.vn", "http://localhost:8000");
    assert_string_equal(cfg.redis.password, SECRET);
    assert_list(&cfg.modules.load, 2, "a.so", "b.so");
    cong_config_free(&cfg);
}

static void test_env_errors(void **state)
{
    (void)state;
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    char *env[] = {"CONG_FOO=1",
                   "CONG_SERVER_TLS_PORT=99999",
                   "CONG_SERVER_WORKERS=four",
                   "CONG_LIMITS_ALLOWED_METHODS=GET,,POST",
                   "CONG_LIMITS_ALLOWED_METHODS=GET,post",
                   "CONG_LOG_LEVEL=loud",
                   "CONG_REDIS_PASWORD=" SECRET,
                   NULL};
    assert_int_equal(cong_config_defaults(&cfg), 0);
    assert_int_equal(cong_config_apply_env(&cfg, env, &errs), CONG_EPARSE);
    if (errs.count != 7)
        print_errors(&errs);
    assert_int_equal(errs.count, 7);
    assert_string_equal(errs.lines[0], "env:0: CONG_FOO: unknown setting");
    assert_string_equal(errs.lines[1], "env:0: CONG_SERVER_TLS_PORT: expected an integer between 0 and 65535");
    assert_string_equal(errs.lines[2], "env:0: CONG_SERVER_WORKERS: expected an integer between 0 and 256");
    assert_string_equal(errs.lines[3], "env:0: CONG_LIMITS_ALLOWED_METHODS: list items must not be empty");
    assert_string_equal(errs.lines[4],
                        "env:0: CONG_LIMITS_ALLOWED_METHODS: item 2: expected an uppercase method token such as GET");
    assert_string_equal(errs.lines[5], "env:0: CONG_LOG_LEVEL: expected one of error, warn, info, debug");
    assert_string_equal(errs.lines[6], "env:0: CONG_REDIS_PASWORD: unknown setting");
    /* Refused values leave the previous ones. */
    assert_int_equal(cfg.server.tls_port, 8443);
    assert_int_equal(cfg.limits.allowed_methods.count, 7);
    assert_string_equal(cfg.log.level, "info");
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);
}

static void test_module_values(void **state)
{
    (void)state;
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    assert_int_equal(parse(&cfg, &errs, full_file), 0);
    const cong_config_module_value_t *greeting = cong_config_module_value(&cfg, "partner_hello", "greeting");
    assert_non_null(greeting);
    assert_string_equal(greeting->module, "partner_hello");
    assert_string_equal(greeting->key, "greeting");
    assert_string_equal(greeting->value, "xin chào");
    assert_string_equal(greeting->file, "t.yaml");
    assert_int_equal(greeting->line, 38);
    const cong_config_module_value_t *max_items = cong_config_module_value(&cfg, "partner_hello", "max_items");
    assert_non_null(max_items);
    assert_string_equal(max_items->value, "20");
    assert_int_equal(max_items->line, 39);
    assert_null(cong_config_module_value(&cfg, "partner_hello", "missing"));
    assert_null(cong_config_module_value(&cfg, "dossier", "greeting"));

    /* A second file overrides the first one's values. */
    const char *second = "\nmodules:\n  partner_hello:\n    greeting: \"hello\"\n";
    assert_int_equal(cong_config_parse(&cfg, "second.yaml", second, strlen(second), &errs), 0);
    greeting = cong_config_module_value(&cfg, "partner_hello", "greeting");
    assert_string_equal(greeting->value, "hello");
    assert_string_equal(greeting->file, "second.yaml");
    assert_int_equal(greeting->line, 4);
    assert_int_equal(cfg.module_value_count, 2);
    assert_int_equal(errs.count, 0);
    cong_config_free(&cfg);
}

/* Every error this file can produce about a secret's key, and none may quote the secret. */
static void test_secrets_never_in_errors(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "redis:\n  password: [" SECRET "]\n",
        "redis:\n  password: {" SECRET ": 1}\n",
        "redis:\n  password: &a " SECRET "\n",
        "redis:\n  password: !!str " SECRET "\n",
        "redis:\n  password: " SECRET "\n  password: " SECRET "\n",
        "redis:\n  password: \"" SECRET "\\q\"\n",
        "redis:\n  password: \"" SECRET "\n",
        "redis:\n  password: '" SECRET "' x\n",
        "redis:\n  password: \"" SECRET "\\0\"\n",
        "postgres:\n  conninfo: [password=" SECRET "]\n",
        "postgres:\n  conninfo: \"password=" SECRET "\n  pool_size: -1\n",
        "redis:\n  password: " SECRET "\n  port: " SECRET "\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        cong_config_t cfg;
        cong_config_errors_t errs = {0};
        assert_int_equal(parse(&cfg, &errs, texts[i]), CONG_EPARSE);
        assert_true(errs.count > 0);
        for (size_t e = 0; e < errs.count; e++)
            if (strstr(errs.lines[e], "s3cr3t"))
                fail_msg("text %zu leaks the secret: %s", i, errs.lines[e]);
        cong_config_errors_free(&errs);
        cong_config_free(&cfg);
    }
    char *env[] = {"CONG_REDIS_PASSWORD=" SECRET "\001", "CONG_POSTGRES_CONNINFO=" SECRET, "CONG_REDIS_PORT=" SECRET,
                   NULL};
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    assert_int_equal(cong_config_defaults(&cfg), 0);
    assert_int_equal(cong_config_apply_env(&cfg, env, &errs), CONG_EPARSE);
    for (size_t e = 0; e < errs.count; e++)
        assert_null(strstr(errs.lines[e], "s3cr3t"));
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);
}

static void test_load_from_file(void **state)
{
    (void)state;
    char path[] = "/tmp/cong_test_config_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "server:\n  tls_port: 1\n  h2c_port: 2\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char *env[] = {"CONG_SERVER_H2C_PORT=3", NULL};
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    assert_int_equal(cong_config_load(&cfg, path, env, &errs), 0);
    assert_int_equal(cfg.server.tls_port, 1);
    assert_int_equal(cfg.server.h2c_port, 3);
    cong_config_free(&cfg);
    unlink(path);

    assert_int_equal(cong_config_load(&cfg, path, env, &errs), CONG_EPARSE);
    assert_int_equal(errs.count, 1);
    assert_non_null(strstr(errs.lines[0], ":0: (file): No such file or directory"));
    assert_int_equal(cfg.server.h2c_port, 3); /* the environment still applies */
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);

    assert_int_equal(cong_config_load(&cfg, NULL, NULL, &errs), 0);
    assert_int_equal(cfg.server.h2c_port, 8080);
    cong_config_free(&cfg);
}

static void test_error_function(void **state)
{
    (void)state;
    cong_config_errors_t errs = {0};
    assert_int_equal(cong_config_error(&errs, "f.yaml", 7, "a.b", "bad %s %d", "thing", 3), 0);
    assert_int_equal(cong_config_error(&errs, "env", 0, "CONG_X", "unknown setting"), 0);
    assert_int_equal(errs.count, 2);
    assert_string_equal(errs.lines[0], "f.yaml:7: a.b: bad thing 3");
    assert_string_equal(errs.lines[1], "env:0: CONG_X: unknown setting");
    cong_config_errors_free(&errs);
    assert_int_equal(errs.count, 0);
    assert_int_equal(cong_config_parse(NULL, "x", "", 0, &errs), CONG_EINVAL);
    assert_int_equal(cong_config_defaults(NULL), CONG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_and_null_inputs_keep_defaults),
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_example_file_parses_to_the_defaults),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_anchors_aliases_and_tags_refused),
        cmocka_unit_test(test_syntax_errors_name_the_line),
        cmocka_unit_test(test_error_count_is_capped),
        cmocka_unit_test(test_env_overrides),
        cmocka_unit_test(test_env_errors),
        cmocka_unit_test(test_module_values),
        cmocka_unit_test(test_secrets_never_in_errors),
        cmocka_unit_test(test_load_from_file),
        cmocka_unit_test(test_error_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
