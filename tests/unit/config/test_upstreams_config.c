/*
 * tests/unit/config/test_upstreams_config.c — gateway/config/ upstreams: and partner_routes: (upstreams_config.h):
 * the values read, the defaults (and that cong.example.yaml documents them), every mistake as its FILE:LINE error, all
 * of them in one run, the files opened at load, and no value quoted.
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

#include "auth/auth.h"
#include "cong/module.h"
#include "gateway/config/config.h"

static void print_errors(const cong_config_errors_t *errs)
{
    for (size_t i = 0; i < errs->count; i++)
        print_message("  error: %s\n", errs->lines[i]);
}

static int parse(cong_config_t *cfg, cong_config_errors_t *errs, const char *text)
{
    assert_int_equal(cong_config_defaults(cfg), 0);
    return cong_config_parse(cfg, "t.yaml", text, strlen(text), errs);
}

static void parse_ok(cong_config_t *cfg, const char *text)
{
    cong_config_errors_t errs = {0};
    int r = parse(cfg, &errs, text);
    print_errors(&errs);
    assert_int_equal(r, 0);
    assert_int_equal(errs.count, 0);
}

/* `text` must give exactly the error lines given (in any order), NULL-terminated. */
static void assert_errors(const char *text, ...)
{
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    int r = parse(&cfg, &errs, text);
    va_list ap;
    va_start(ap, text);
    size_t expected = 0;
    for (const char *line; (line = va_arg(ap, const char *)) != NULL; expected++) {
        int found = 0;
        for (size_t i = 0; i < errs.count && !found; i++)
            found = strcmp(errs.lines[i], line) == 0;
        if (!found) {
            print_message("missing: %s\n", line);
            print_errors(&errs);
            fail();
        }
    }
    va_end(ap);
    if (errs.count != expected) {
        print_errors(&errs);
        fail_msg("expected %zu error lines, got %zu", expected, errs.count);
    }
    assert_int_equal(r, CONG_EPARSE);
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);
}

#define UPSTREAM "upstreams:\n  - name: evn-billing\n    targets: [{address: \"billing.evn.example:443\"}]\n" \
                 "    partner: {name: evn}\n"
#define ROUTE "partner_routes:\n  - {method: GET, path: \"/v1/partners/evn/bills/{id}\", upstream: evn-billing}\n"

static const char full[] =
    "upstreams:\n"
    "  - name: evn-billing\n"
    "    targets:\n"
    "      - {address: \"10.0.0.1:8443\", weight: 3}\n"
    "      - address: \"[fd00::7]:9000\"\n"
    "      - address: \"billing.evn.example:443\"\n"
    "    protocol: h2\n"
    "    tls: {server_name: billing.evn.example}\n"
    "    limits: {max_concurrent: 100, max_queued: 0, total_timeout_ms: 15000, max_request_body_bytes: 104857600}\n"
    "    retries: {budget_ratio: 0.25, min_per_s: 5}\n"
    "    balance: {policy: consistent_hash, key: \"header:X-Account\"}\n"
    "    health: {path: /healthz, interval_ms: 2000, timeout_ms: 500}\n"
    "    outlier: {consecutive_failures: 0}\n"
    "    partner:\n"
    "      name: evn\n"
    "      scopes: [bills.read, bills.pay]\n"
    "      quota: {per_minute: 600, daily: 100000}\n"
    "  - name: hanoi-water\n"
    "    targets: [{address: \"127.0.0.1:9100\"}]\n"
    "    protocol: h2c\n"
    "    partner: {name: nuoc-sach}\n"
    "partner_routes:\n"
    "  - method: POST\n"
    "    path: \"/v1/partners/evn/bills/{id}/pay\"\n"
    "    upstream: evn-billing\n"
    "    rewrite: \"/api/v2/bills/{id}/payments\"\n"
    "    auth: session\n"
    "    scopes: [bills.pay]\n"
    "    min_level: 2\n"
    "    mandate_action: pay\n"
    "    rate_class: upload\n"
    "  - {method: GET, path: \"/v1/partners/nuoc-sach/status\", upstream: hanoi-water, auth: none}\n";

static void test_values_are_read(void **state)
{
    (void)state;
    cong_config_t cfg;
    parse_ok(&cfg, full);
    const cong_upstreams_config_t *u = cfg.upstreams;
    assert_non_null(u);
    assert_int_equal(u->count, 2);
    assert_string_equal(u->file, "t.yaml");
    const cong_upstream_config_t *a = cong_upstream_config_find(u, "evn-billing");
    assert_ptr_equal(a, &u->items[0]);
    assert_int_equal(a->line, 2);
    assert_int_equal(a->target_count, 3);
    assert_string_equal(a->targets[0].host, "10.0.0.1");
    assert_int_equal(a->targets[0].port, 8443);
    assert_int_equal(a->targets[0].weight, 3);
    assert_string_equal(a->targets[1].host, "fd00::7");
    assert_int_equal(a->targets[1].port, 9000);
    assert_int_equal(a->targets[1].weight, 1);
    assert_string_equal(a->targets[2].host, "billing.evn.example");
    assert_int_equal(a->protocol, CONG_UPSTREAM_H2);
    assert_int_equal(a->tls.line, 8);
    assert_string_equal(a->tls.server_name, "billing.evn.example");
    assert_int_equal(a->limits.max_concurrent, 100);
    assert_int_equal(a->limits.max_queued, 0);
    assert_int_equal(a->limits.total_timeout_ms, 15000);
    assert_true(a->limits.max_request_body_bytes == 104857600LL);
    assert_int_equal(a->retries.budget_permille, 250);
    assert_int_equal(a->retries.min_per_s, 5);
    assert_int_equal(a->balance.policy, CONG_BALANCE_CONSISTENT_HASH);
    assert_int_equal(a->balance.hash_key, CONG_HASH_KEY_HEADER);
    assert_string_equal(a->balance.hash_header, "x-account");
    assert_string_equal(a->health.path, "/healthz");
    assert_int_equal(a->health.interval_ms, 2000);
    assert_int_equal(a->outlier.consecutive_failures, 0);
    assert_string_equal(a->partner.name, "evn");
    assert_int_equal(a->partner.scopes.count, 2);
    assert_string_equal(a->partner.scopes.items[1], "bills.pay");
    assert_int_equal(a->partner.quota_per_minute, 600);
    assert_int_equal(a->partner.quota_daily, 100000);
    assert_int_equal(u->items[1].protocol, CONG_UPSTREAM_H2C);
    assert_null(cong_upstream_config_find(u, "nope"));

    assert_int_equal(u->route_count, 2);
    const cong_partner_route_config_t *r = &u->routes[0];
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/v1/partners/evn/bills/{id}/pay");
    assert_string_equal(r->upstream, "evn-billing");
    assert_string_equal(r->rewrite, "/api/v2/bills/{id}/payments");
    assert_int_equal(r->auth, CONG_PARTNER_AUTH_SESSION);
    assert_int_equal(r->scopes.count, 1);
    assert_int_equal(r->min_level, 2);
    assert_int_equal(r->mandate_action, CONG_MANDATE_PAY);
    assert_string_equal(r->rate_class, "upload");
    assert_int_equal(u->routes[1].auth, CONG_PARTNER_AUTH_NONE);
    assert_int_equal(u->routes[1].min_level, 0); /* a public route's level defaults to 0 */
    cong_config_free(&cfg);
}

static void test_defaults(void **state)
{
    (void)state;
    cong_config_t cfg;
    assert_int_equal(cong_config_defaults(&cfg), 0);
    assert_null(cfg.upstreams); /* none unless configured */
    cong_config_free(&cfg);
    parse_ok(&cfg, UPSTREAM ROUTE);
    const cong_upstream_config_t *u = &cfg.upstreams->items[0];
    assert_int_equal(u->protocol, CONG_UPSTREAM_HTTP1);
    assert_int_equal(u->tls.line, 0);
    assert_int_equal(u->limits.max_concurrent, 256);
    assert_int_equal(u->limits.max_queued, 128);
    assert_int_equal(u->limits.queue_timeout_ms, 1000);
    assert_int_equal(u->limits.connect_timeout_ms, 1000);
    assert_int_equal(u->limits.first_byte_timeout_ms, 10000);
    assert_int_equal(u->limits.total_timeout_ms, 30000);
    assert_int_equal(u->retries.budget_permille, 200);
    assert_int_equal(u->balance.policy, CONG_BALANCE_ROUND_ROBIN);
    assert_string_equal(u->health.path, "");
    assert_int_equal(u->outlier.consecutive_failures, 5);
    assert_int_equal(u->outlier.base_ejection_ms, 30000);
    assert_int_equal(u->outlier.max_ejection_percent, 50);
    const cong_partner_route_config_t *r = &cfg.upstreams->routes[0];
    assert_int_equal(r->auth, CONG_PARTNER_AUTH_TOKEN);
    assert_int_equal(r->min_level, 1);
    assert_int_equal(r->mandate_action, 0);
    assert_string_equal(r->rate_class, "default");
    assert_string_equal(r->rewrite, "");
    cong_config_free(&cfg);
}

static void assert_same_strlist(const cong_strlist_t *a, const cong_strlist_t *b)
{
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++)
        assert_string_equal(a->items[i], b->items[i]);
}

/* Everything but lines and the required fields' example values. */
static void assert_same_upstream(const cong_upstream_config_t *a, const cong_upstream_config_t *b)
{
    assert_int_equal(a->target_count, b->target_count);
    assert_int_equal(a->targets[0].weight, b->targets[0].weight);
    assert_int_equal(a->protocol, b->protocol);
    assert_string_equal(a->tls.ca_file, b->tls.ca_file);
    assert_string_equal(a->tls.client_cert_file, b->tls.client_cert_file);
    assert_string_equal(a->tls.client_key_file, b->tls.client_key_file);
    assert_string_equal(a->tls.server_name, b->tls.server_name);
    assert_memory_equal(&a->limits, &b->limits, sizeof a->limits);
    assert_memory_equal(&a->retries, &b->retries, sizeof a->retries);
    assert_int_equal(a->balance.policy, b->balance.policy);
    assert_int_equal(a->balance.hash_key, b->balance.hash_key);
    assert_ptr_equal(a->balance.hash_header, b->balance.hash_header); /* both NULL */
    assert_string_equal(a->health.path, b->health.path);
    assert_memory_equal(&a->health.interval_ms, &b->health.interval_ms, 4 * sizeof(int));
    assert_memory_equal(&a->outlier, &b->outlier, sizeof a->outlier);
    assert_same_strlist(&a->partner.scopes, &b->partner.scopes);
    assert_int_equal(a->partner.quota_per_minute, b->partner.quota_per_minute);
    assert_int_equal(a->partner.quota_burst, b->partner.quota_burst);
    assert_int_equal(a->partner.quota_daily, b->partner.quota_daily);
    assert_string_equal(a->openapi_file, b->openapi_file);
}

/* What a reload compares: the same declarations (lines aside) are the same; any value changed is not. */
static void test_same_declarations(void **state)
{
    (void)state;
    cong_config_t a, b, c, d;
    parse_ok(&a, UPSTREAM ROUTE);
    parse_ok(&b, "\n\n" UPSTREAM ROUTE); /* the same, two lines down */
    parse_ok(&c, UPSTREAM "    health: {path: /healthz}\n" ROUTE);
    parse_ok(&d, UPSTREAM "partner_routes:\n  - {method: GET, path: \"/v1/partners/evn/bills/{id}\", "
                          "upstream: evn-billing, auth: none, min_level: 0}\n");
    assert_true(cong_upstreams_config_same(a.upstreams, b.upstreams));
    assert_false(cong_upstreams_config_same(a.upstreams, c.upstreams));
    assert_false(cong_upstreams_config_same(a.upstreams, d.upstreams));
    assert_false(cong_upstreams_config_same(a.upstreams, NULL));
    assert_true(cong_upstreams_config_same(NULL, NULL));
    cong_config_free(&a);
    cong_config_free(&b);
    cong_config_free(&c);
    cong_config_free(&d);
}

/* cong.example.yaml shows one upstream and one route with every key at its default, commented out: uncommented,
 * they must read as the defaults do. */
static void test_example_documents_the_defaults(void **state)
{
    (void)state;
    const char *source_dir = getenv("CONG_SOURCE_DIR");
    if (!source_dir)
        fail_msg("CONG_SOURCE_DIR is not set: run through ctest, or set it to the source tree");
    char path[4096], line[1024];
    snprintf(path, sizeof path, "%s/cong.example.yaml", source_dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *text = calloc(1, 1 << 16);
    int in_block = 0;
    while (fgets(line, sizeof line, f))
        if ((in_block |= strcmp(line, "# upstreams:\n") == 0) && line[0] == '#')
            strncat(text, line[1] == ' ' ? line + 2 : line + 1, (1 << 16) - strlen(text) - 1);
    fclose(f);
    assert_true(in_block);
    cong_config_t documented, defaults;
    parse_ok(&documented, text);
    parse_ok(&defaults, UPSTREAM ROUTE);
    assert_int_equal(documented.upstreams->count, 1);
    assert_same_upstream(&documented.upstreams->items[0], &defaults.upstreams->items[0]);
    const cong_partner_route_config_t *a = &documented.upstreams->routes[0], *b = &defaults.upstreams->routes[0];
    assert_int_equal(documented.upstreams->route_count, 1);
    assert_string_equal(a->rewrite, b->rewrite);
    assert_int_equal(a->auth, b->auth);
    assert_same_strlist(&a->scopes, &b->scopes);
    assert_int_equal(a->min_level, b->min_level);
    assert_int_equal(a->mandate_action, b->mandate_action);
    assert_string_equal(a->rate_class, b->rate_class);
    free(text);
    cong_config_free(&documented);
    cong_config_free(&defaults);
}

static void test_upstream_mistakes(void **state)
{
    (void)state;
    assert_errors("upstreams:\n  - name: a\n    targets: [{address: \"x:1\"}]\n    partner: {name: p}\n    bogus: 1\n",
                  "t.yaml:5: upstreams[0].bogus: unknown key", NULL);
    assert_errors("upstreams:\n  - name: a\n    targets:\n      - {address: \"10.0.0.1\"}\n"
                  "      - address: \"a b:80\"\n"
                  "      - address: \"[::1]:0\"\n      - address: \"x:1\"\n        weight: 0\n    partner: {name: p}\n",
                  "t.yaml:4: upstreams[0].targets[0].address: expected host:port or [IPv6]:port, port 1..65535",
                  "t.yaml:5: upstreams[0].targets[1].address: expected host:port or [IPv6]:port, port 1..65535",
                  "t.yaml:6: upstreams[0].targets[2].address: expected host:port or [IPv6]:port, port 1..65535",
                  "t.yaml:8: upstreams[0].targets[3].weight: expected an integer between 1 and 1000", NULL);
    assert_errors("upstreams:\n  - name: a\n    targets: []\n    partner: {name: p}\n",
                  "t.yaml:2: upstreams[0].targets: at least one target is needed", NULL);
    assert_errors("upstreams:\n  - targets: [{address: \"x:1\"}, {address: \"x:1\"}]\n",
                  "t.yaml:2: upstreams[0]: name is required", "t.yaml:2: upstreams[0]: partner is required",
                  "t.yaml:2: upstreams[0].targets[1].address: the same address as targets[0]", NULL);
    assert_errors("upstreams:\n  - name: a\n    targets: [{address: \"x:1\"}]\n    protocol: h2c\n"
                  "    tls: {ca_file: ca.pem}\n    partner: {name: p}\n",
                  "t.yaml:5: upstreams[0].tls: h2c is cleartext HTTP/2 (prior knowledge): it takes no tls; use "
                  "protocol h2 for HTTP/2 over TLS", NULL);
    assert_errors("upstreams:\n  - name: a\n    targets: [{address: \"x:1\"}]\n    protocol: http2\n"
                  "    tls:\n      client_cert_file: c.pem\n    partner: {name: p}\n",
                  "t.yaml:4: upstreams[0].protocol: expected one of: http1, h2, h2c",
                  "t.yaml:6: upstreams[0].tls.client_key_file: a client certificate and its key go together: set "
                  "both or neither", NULL);
    assert_errors("upstreams:\n  - name: Bad Name\n    targets: [{address: \"x:1\"}]\n    partner: {name: p_q}\n"
                  "    limits: {first_byte_timeout_ms: 5000, total_timeout_ms: 4000, max_queued: -1}\n"
                  "    retries: {budget_ratio: 1.5}\n    balance: {key: \"header:\"}\n"
                  "    health: {path: /h, interval_ms: 1000, timeout_ms: 1000}\n",
                  "t.yaml:2: upstreams[0].name: expected 1 to 64 of [a-z0-9_-]",
                  "t.yaml:4: upstreams[0].partner.name: expected 1 to 32 of [a-z0-9-]",
                  "t.yaml:5: upstreams[0].limits.max_queued: expected an integer between 0 and 100000",
                  "t.yaml:5: upstreams[0].limits.total_timeout_ms: must be at least connect_timeout_ms and "
                  "first_byte_timeout_ms",
                  "t.yaml:6: upstreams[0].retries.budget_ratio: expected a ratio between 0 and 1 (at most 3 decimals)",
                  "t.yaml:7: upstreams[0].balance.key: expected subject or header:<name> (a header name of "
                  "[A-Za-z0-9_-])",
                  "t.yaml:8: upstreams[0].health.timeout_ms: must be less than interval_ms", NULL);
    assert_errors("upstreams:\n  - name: a\n    targets: [{address: \"x:1\"}]\n    partner: {name: p}\n"
                  "    limits:\n      queue_timeout_ms: 0\n",
                  "t.yaml:6: upstreams[0].limits.queue_timeout_ms: expected an integer between 1 and 600000", NULL);
    assert_errors(UPSTREAM "  - name: evn-billing\n    targets: [{address: \"y:1\"}]\n    partner: {name: evn}\n",
                  "t.yaml:5: upstreams[1].name: the same name as upstreams[0]", NULL);
    assert_errors("upstreams:\n  - name: a\n    targets: [{address: \"x:1\"}]\n    partner: {name: p}\n"
                  "    balance: {policy: least_outstanding, key: \"header:x\"}\n",
                  "t.yaml:5: upstreams[0].balance.key: a key is for policy consistent_hash only", NULL);
    assert_errors("upstreams:\n  - name: a\n    targets: [~]\n    partner: ~\n",
                  "t.yaml:3: upstreams[0].targets[0]: address is required",
                  "t.yaml:4: upstreams[0].partner: name is required", NULL);
    assert_errors("upstreams: {name: a}\n", "t.yaml:1: upstreams: expected a list", NULL);
    assert_errors("upstreams:\n  - &a {name: a}\n", "t.yaml:2: upstreams[0]: anchors are not allowed", NULL);
}

static void test_route_mistakes(void **state)
{
    (void)state;
    assert_errors(UPSTREAM "partner_routes:\n  - {method: GET, path: \"/v1/partners/evn/x\", upstream: nope}\n",
                  "t.yaml:6: partner_routes[0].upstream: no upstream of that name in upstreams", NULL);
    /* A route before the upstreams it names is fine: names are resolved once the document is read. */
    cong_config_t cfg;
    parse_ok(&cfg, ROUTE UPSTREAM);
    cong_config_free(&cfg);
    assert_errors(UPSTREAM "partner_routes:\n  - {method: GET, path: \"/v1/other/x\", upstream: evn-billing}\n"
                  "  - {method: GET, path: \"/v1/partners/ev/x\", upstream: evn-billing}\n"
                  "  - {method: GET, path: \"/v1/partners/evn\", upstream: evn-billing}\n"
                  "  - {method: GET, path: \"/v1/partners/{p}/x\", upstream: evn-billing}\n"
                  "  - {method: GET, path: \"/v1/partners/evn/../x\", upstream: evn-billing}\n"
                  "  - {method: GET, path: \"/v1/partners/evn/{a}/{a}\", upstream: evn-billing}\n",
                  "t.yaml:6: partner_routes[0].path: must start with /v1/partners/<partner>/",
                  "t.yaml:7: partner_routes[1].path: must be under /v1/partners/<partner>/ with the partner.name of "
                  "its upstream",
                  "t.yaml:8: partner_routes[2].path: expected at least one segment after /v1/partners/<partner>",
                  "t.yaml:9: partner_routes[3].path: the partner's segment must be its name, not a parameter",
                  "t.yaml:10: partner_routes[4].path: expected segments that are not empty, \".\" or \"..\"",
                  "t.yaml:11: partner_routes[5].path: a parameter name appears twice", NULL);
    assert_errors(UPSTREAM ROUTE "  - {method: GET, path: \"/v1/partners/evn/bills/{other}\", upstream: evn-billing}\n"
                  "  - {method: PUT, path: \"/v1/partners/evn/bills/{id}\", upstream: evn-billing,"
                  " rewrite: \"/b/{x}\"}\n",
                  "t.yaml:7: partner_routes[1].path: the same method and path as partner_routes[0]",
                  "t.yaml:8: partner_routes[2].rewrite: each {name} must be a parameter of the path", NULL);
    assert_errors(UPSTREAM "partner_routes:\n  - method: FETCH\n    path: \"/v1/partners/evn/x\"\n"
                  "    upstream: evn-billing\n    auth: none\n    scopes: [a]\n    mandate_action: sign\n"
                  "    min_level: 3\n    rate_class: Bad\n  - {path: \"/v1/partners/evn/y\"}\n",
                  "t.yaml:6: partner_routes[0].method: expected one of: GET, HEAD, POST, PUT, PATCH, DELETE",
                  "t.yaml:11: partner_routes[0].mandate_action: expected a mandate action (view, submit, pay, "
                  "receive_result, rate)",
                  "t.yaml:12: partner_routes[0].min_level: expected an integer between 0 and 2",
                  "t.yaml:13: partner_routes[0].rate_class: expected 1 to 32 of [a-z0-9_]",
                  "t.yaml:9: partner_routes[0].auth: a route with auth none takes no scopes",
                  "t.yaml:14: partner_routes[1]: method is required",
                  "t.yaml:14: partner_routes[1]: upstream is required",
                  NULL);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* At load (not at parse), the files are opened: missing or not PEM, each at its own line. A file's contents, here a
 * would-be secret, never reach an error. */
static void test_files_checked_at_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/cong-upstreams-XXXXXX", yaml[256], ca[256], key[256], text[2048];
    assert_non_null(mkdtemp(dir));
    snprintf(yaml, sizeof yaml, "%s/c.yaml", dir);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    write_file(ca, "hunter2-not-a-certificate\n");
    write_file(key, "hunter2-not-a-key\n");
    snprintf(text, sizeof text,
             "upstreams:\n  - name: a\n    targets: [{address: \"x:1\"}]\n    partner: {name: p}\n    tls:\n"
             "      ca_file: %s\n      client_cert_file: %s/missing.pem\n      client_key_file: %s\n",
             ca, dir, key);
    write_file(yaml, text);
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    char *const no_env[] = {NULL};
    assert_int_equal(cong_config_load(&cfg, yaml, no_env, &errs), CONG_EPARSE);
    char expected[3][512];
    snprintf(expected[0], sizeof expected[0], "%s:6: upstreams[0].tls.ca_file: holds no PEM certificate", yaml);
    snprintf(expected[1], sizeof expected[1],
             "%s:7: upstreams[0].tls.client_cert_file: cannot read it: No such file or directory", yaml);
    snprintf(expected[2], sizeof expected[2], "%s:8: upstreams[0].tls.client_key_file: holds no unencrypted PEM "
                                              "private key", yaml);
    print_errors(&errs);
    assert_int_equal(errs.count, 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(errs.lines[i], expected[i]);
    for (size_t i = 0; i < errs.count; i++)
        assert_null(strstr(errs.lines[i], "hunter2"));
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);
    unlink(yaml), unlink(ca), unlink(key), rmdir(dir);
}

/* A second parse with the section replaces the list; without it, keeps it. */
static void test_sections_replace(void **state)
{
    (void)state;
    cong_config_t cfg;
    parse_ok(&cfg, UPSTREAM ROUTE);
    static const char other[] = "upstreams:\n  - name: b\n    targets: [{address: \"y:2\"}]\n    partner: {name: q}\n";
    cong_config_errors_t errs = {0};
    assert_int_equal(cong_config_parse(&cfg, "u.yaml", "log: {level: warn}\n", 19, &errs), 0);
    assert_int_equal(cfg.upstreams->count, 1);
    /* The route names evn-billing, which the new list lacks. */
    assert_int_equal(cong_config_parse(&cfg, "u.yaml", other, strlen(other), &errs), CONG_EPARSE);
    assert_int_equal(errs.count, 1);
    /* The route was read from t.yaml: its error says so, with its line there. */
    assert_string_equal(errs.lines[0], "t.yaml:6: partner_routes[0].upstream: no upstream of that name in upstreams");
    assert_int_equal(cfg.upstreams->count, 1);
    assert_string_equal(cfg.upstreams->items[0].name, "b");
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_are_read),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_example_documents_the_defaults),
        cmocka_unit_test(test_same_declarations),
        cmocka_unit_test(test_upstream_mistakes),
        cmocka_unit_test(test_route_mistakes),
        cmocka_unit_test(test_files_checked_at_load),
        cmocka_unit_test(test_sections_replace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
