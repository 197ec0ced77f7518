/* The production policy over a parsed configuration (contract in config_policy.h). Each rule is one function that
 * adds findings; a finding names the key, where it was set, and what an attacker could do with it — never the value,
 * which may be a secret. */
#include "config_policy.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "common/common.h"

int cong_config_is_development(const cong_config_t *cfg)
{
    return cfg->server.environment != NULL && strcmp(cfg->server.environment, "development") == 0;
}

static int parse_address(const char *host, unsigned char bytes[16], int *family)
{
    if (inet_pton(AF_INET, host, bytes) == 1)
        return *family = AF_INET, 1;
    if (inet_pton(AF_INET6, host, bytes) == 1)
        return *family = AF_INET6, 1;
    return 0;
}

int cong_host_is_loopback(const char *host)
{
    static const unsigned char v6_loopback[16] = {[15] = 1};
    unsigned char b[16];
    int family;
    if (strcmp(host, "localhost") == 0)
        return 1;
    if (!parse_address(host, b, &family))
        return 0;
    return family == AF_INET ? b[0] == 127 : memcmp(b, v6_loopback, 16) == 0;
}

int cong_host_is_private(const char *host)
{
    unsigned char b[16];
    int family;
    if (cong_host_is_loopback(host))
        return 1;
    if (!parse_address(host, b, &family))
        return 0;
    if (family == AF_INET6)
        return (b[0] & 0xfe) == 0xfc; /* unique local addresses */
    return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168);
}

typedef struct policy_ctx {
    const cong_config_t *cfg;
    cong_config_errors_t *findings;
    int count;
    int nomem;
} policy_ctx_t;

__attribute__((format(printf, 3, 4))) static void finding(policy_ctx_t *p, const char *key, const char *fmt, ...)
{
    const char *file;
    int line;
    cong_config_origin(p->cfg, key, &file, &line);
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (cong_config_error(p->findings, file, line, key, "%s", message) != 0)
        p->nomem = 1;
    p->count++;
}

static void rule_keys_over_https(policy_ctx_t *p)
{
    if (strncmp(p->cfg->vneid.jwks, "http://", 7) == 0)
        finding(p, "vneid.jwks", "VNeID's keys over plain http: anyone on the path could serve keys and mint a "
                                 "level-2 citizen; use an https:// URI or a file");
}

/* 1 when `dir` holds a PEM private key whose public half is `public_key`. */
static int private_half_in(const char *dir, EVP_PKEY *public_key)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int found = 0;
    for (struct dirent *e; !found && (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 4, ".pem") != 0)
            continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
            continue;
        FILE *f = fopen(path, "r");
        EVP_PKEY *candidate = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
        if (f)
            fclose(f);
        found = candidate != NULL && EVP_PKEY_eq(candidate, public_key) == 1;
        EVP_PKEY_free(candidate);
    }
    closedir(d);
    return found;
}

/* The kid-less service key is trusted with any subject: the gateway's host must never also hold its private half
 * (that is the demo set-up, where scripts/make-keys.sh writes both into .run/). */
static void rule_service_key_not_demo(policy_ctx_t *p)
{
    const char *path = p->cfg->auth.public_key_file;
    if (path[0] == '\0')
        return;
    if (strncmp(path, ".run/", 5) == 0 || strstr(path, "/.run/") != NULL) {
        finding(p, "auth.public_key_file", "the demo service-token key (under .run/) lets anyone with the demo's "
                                           "files mint tokens; configure the real issuer's public key");
        return;
    }
    FILE *f = fopen(path, "r");
    EVP_PKEY *key = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (key != NULL && private_half_in(dir, key))
        finding(p, "auth.public_key_file", "its private key lies next to it: whoever reads that folder can mint "
                                           "service tokens; keep only the public half on the gateway");
    EVP_PKEY_free(key);
}

static void rule_browser_origins(policy_ctx_t *p)
{
    const cong_strlist_t *origins = &p->cfg->cors.allowed_origins;
    for (size_t i = 0; i < origins->count; i++)
        if (strncmp(origins->items[i], "http://", 7) == 0) {
            finding(p, "cors.allowed_origins", "item %zu: an http:// origin lets any page injected on the path call "
                                               "the API with the citizen's browser; use https:// origins", i + 1);
            return;
        }
}

static void rule_listeners(policy_ctx_t *p)
{
    const cong_config_t *c = p->cfg;
    if (c->server.admin_port > 0 && !cong_host_is_private(c->server.admin_bind))
        finding(p, "server.admin_bind", "the admin listener (/metrics) on a public address; bind it to loopback or "
                                        "a private network");
    if (c->server.h2c_port > 0 && !cong_host_is_private(c->server.bind))
        finding(p, "server.h2c_port", "the cleartext listener on a public address sends tokens unencrypted; set it "
                                      "to 0 or bind to loopback or a private network behind the TLS proxy");
}

static void rule_redis_password(policy_ctx_t *p)
{
    const cong_config_t *c = p->cfg;
    if (c->redis.password[0] == '\0' && !cong_host_is_loopback(c->redis.host))
        finding(p, "redis.password", "Redis off loopback without a password: anyone who reaches it can read "
                                     "sessions and forge revocations; set redis.password (CONG_REDIS_PASSWORD)");
}

/* HSTS keeps a browser that once reached the API over TLS from being led to a cleartext copy (SSL stripping);
 * 180 days is the least that survives between two visits of most citizens. */
static void rule_hsts(policy_ctx_t *p)
{
    if (p->cfg->server.tls_port > 0 && p->cfg->server.tls_hsts_max_age_s < 15552000)
        finding(p, "server.tls_hsts_max_age_s", "Strict-Transport-Security off or under 180 days: a browser can be "
                                                "led to a cleartext look-alike on the path; keep 15552000 or more");
}

int cong_config_policy_findings(const cong_config_t *cfg, cong_config_errors_t *findings)
{
    policy_ctx_t p = {.cfg = cfg, .findings = findings};
    rule_keys_over_https(&p);
    rule_service_key_not_demo(&p);
    rule_browser_origins(&p);
    rule_listeners(&p);
    rule_redis_password(&p);
    rule_hsts(&p);
    return p.nomem ? CONG_ENOMEM : p.count;
}

int cong_config_enforce_policy(const cong_config_t *cfg, cong_config_errors_t *errs)
{
    cong_config_errors_t findings = {0};
    int n = cong_config_policy_findings(cfg, &findings);
    int rc = n < 0 ? n : 0;
    int development = cong_config_is_development(cfg);
    for (size_t i = 0; i < findings.count && rc == 0; i++) {
        if (development)
            cong_log(CONG_LOG_WARN, "config", "development: allowed: %s", findings.lines[i]);
        else
            rc = cong_config_error_line(errs, "%s (refused in production; server.environment: development allows it "
                                              "on a developer machine)", findings.lines[i]);
    }
    cong_config_errors_free(&findings);
    if (rc == 0 && n > 0 && !development)
        rc = CONG_EINVAL;
    return rc;
}
