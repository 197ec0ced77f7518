/* Unit tests for the production policy (gateway/config/config_policy.h) and the configuration helpers it relies on: where a
 * key was set (cong_config_origin) and which keys differ between two configurations (cong_config_each_change). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cong/module.h"
#include "gateway/config/config.h"
#include "gateway/config/config_policy.h"
#include "gateway/config/live_config.h"

static void parse(cong_config_t *cfg, const char *yaml, char *const *env)
{
    cong_config_errors_t errs = {0};
    assert_int_equal(cong_config_defaults(cfg), 0);
    assert_int_equal(cong_config_parse(cfg, "t.yaml", yaml, strlen(yaml), &errs), 0);
    if (env)
        assert_int_equal(cong_config_apply_env(cfg, env, &errs), 0);
    cong_config_errors_free(&errs);
}

static void hosts(void **state)
{
    (void)state;
    assert_true(cong_host_is_loopback("127.0.0.1"));
    assert_true(cong_host_is_loopback("127.8.9.10"));
    assert_true(cong_host_is_loopback("::1"));
    assert_true(cong_host_is_loopback("localhost"));
    assert_false(cong_host_is_loopback("10.0.0.1"));
    assert_false(cong_host_is_loopback("redis.internal"));
    assert_true(cong_host_is_private("10.1.2.3"));
    assert_true(cong_host_is_private("172.31.0.1"));
    assert_false(cong_host_is_private("172.32.0.1"));
    assert_true(cong_host_is_private("192.168.0.1"));
    assert_true(cong_host_is_private("fd12::1"));
    assert_false(cong_host_is_private("0.0.0.0"));
    assert_false(cong_host_is_private("::"));
    assert_false(cong_host_is_private("8.8.8.8"));
}

static void origins_name_file_line_or_env(void **state)
{
    (void)state;
    cong_config_t cfg;
    char *env[] = {"CONG_REDIS_HOST=10.0.0.9", NULL};
    parse(&cfg, "server:\n  workers: 2\nvneid:\n  jwks: \"http://x.example/jwks\"\n", env);
    const char *file;
    int line;
    assert_int_equal(cong_config_origin(&cfg, "vneid.jwks", &file, &line), 1);
    assert_string_equal(file, "t.yaml");
    assert_int_equal(line, 4);
    assert_int_equal(cong_config_origin(&cfg, "redis.host", &file, &line), 1);
    assert_string_equal(file, "env");
    assert_int_equal(line, 0);
    assert_int_equal(cong_config_origin(&cfg, "redis.port", &file, &line), 0);
    assert_string_equal(file, "default");
    cong_config_free(&cfg);
}

static void findings_in_production(void **state)
{
    (void)state;
    cong_config_t cfg;
    parse(&cfg, "vneid:\n  jwks: \"http://x.example/jwks\"\nredis:\n  host: \"10.0.0.9\"\n", NULL);
    cong_config_errors_t findings = {0}, errs = {0};
    assert_int_equal(cong_config_policy_findings(&cfg, &findings), 2);
    assert_non_null(strstr(findings.lines[0], "t.yaml:2: vneid.jwks: "));
    assert_non_null(strstr(findings.lines[1], "default:0: redis.password: ")); /* the key to set, never set */
    assert_null(strstr(findings.lines[0], "x.example")); /* never the value */
    assert_int_equal(cong_config_enforce_policy(&cfg, &errs), CONG_EINVAL);
    assert_int_equal(errs.count, 2);
    cong_config_errors_free(&findings);
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);

    parse(&cfg, "server:\n  environment: development\nvneid:\n  jwks: \"http://x.example/jwks\"\n", NULL);
    assert_int_equal(cong_config_enforce_policy(&cfg, &errs), 0);
    assert_int_equal(errs.count, 0);
    cong_config_free(&cfg);

    parse(&cfg, "vneid:\n  jwks: \"https://x.example/jwks\"\nredis:\n  host: \"10.0.0.9\"\n  password: s3cret\n", NULL);
    assert_int_equal(cong_config_policy_findings(&cfg, &findings), 0);
    cong_config_free(&cfg);
}

typedef struct seen {
    char paths[16][64];
    int count;
} seen_t;

static void note(const char *path, void *arg)
{
    seen_t *s = arg;
    if (s->count < 16)
        strncpy(s->paths[s->count++], path, 63);
}

static void changes_and_reloadable_keys(void **state)
{
    (void)state;
    cong_config_t a, b;
    parse(&a, "rate_limits:\n  default_burst: 100\ncors:\n  allowed_origins: [https://a.example]\n", NULL);
    parse(&b, "rate_limits:\n  default_burst: 200\ncors:\n  allowed_origins: [https://a.example, https://b.example]\n"
              "server:\n  workers: 3\n", NULL);
    seen_t s = {0};
    cong_config_each_change(&a, &b, note, &s);
    assert_int_equal(s.count, 3);
    assert_string_equal(s.paths[0], "server.workers");
    assert_string_equal(s.paths[1], "cors.allowed_origins");
    assert_string_equal(s.paths[2], "rate_limits.default_burst");
    assert_false(cong_live_config_key_is_reloadable("server.workers"));
    assert_true(cong_live_config_key_is_reloadable("cors.allowed_origins"));
    assert_true(cong_live_config_key_is_reloadable("rate_limits.default_burst"));
    assert_true(cong_live_config_key_is_reloadable("server.trusted_proxies"));
    assert_false(cong_live_config_key_is_reloadable("auth.issuer"));
    seen_t none = {0};
    cong_config_each_change(&a, &a, note, &none);
    assert_int_equal(none.count, 0);
    cong_config_free(&a);
    cong_config_free(&b);
}

/* Strict-Transport-Security on the TLS listener: production refuses it off or under 180 days; no TLS listener, no
 * finding. */
static void hsts_under_180_days(void **state)
{
    (void)state;
    cong_config_t cfg;
    cong_config_errors_t findings = {0};
    parse(&cfg, "server:\n  workers: 1\n  tls_hsts_max_age_s: 0\n", NULL);
    assert_int_equal(cong_config_policy_findings(&cfg, &findings), 1);
    assert_non_null(strstr(findings.lines[0], "t.yaml:3: server.tls_hsts_max_age_s: "));
    cong_config_errors_free(&findings);
    cong_config_free(&cfg);
    parse(&cfg, "server:\n  tls_hsts_max_age_s: 15551999\n", NULL);
    assert_int_equal(cong_config_policy_findings(&cfg, &findings), 1);
    cong_config_errors_free(&findings);
    cong_config_free(&cfg);
    parse(&cfg, "server:\n  tls_hsts_max_age_s: 15552000\n", NULL);
    assert_int_equal(cong_config_policy_findings(&cfg, &findings), 0);
    cong_config_free(&cfg);
    parse(&cfg, "server:\n  tls_port: 0\n  tls_hsts_max_age_s: 0\n", NULL);
    assert_int_equal(cong_config_policy_findings(&cfg, &findings), 0);
    cong_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hosts),
        cmocka_unit_test(origins_name_file_line_or_env),
        cmocka_unit_test(findings_in_production),
        cmocka_unit_test(changes_and_reloadable_keys),
        cmocka_unit_test(hsts_under_180_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
