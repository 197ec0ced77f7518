/* Configuration of the server: listeners, workers, HTTP/2 budgets, the admin listener, trusted proxies, the
 * environment (production or development) and what the server publishes (problem type URIs, the OpenAPI file). */
#include <arpa/inet.h>
#include <string.h>

#include "config_keys.h"

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

static const cong_config_key_t keys[] = {
    CONG_STRING_KEY("server.bind", server.bind, "127.0.0.1", NULL),
    CONG_INT_KEY("server.tls_port", server.tls_port, 0, 65535, "8443"),
    CONG_INT_KEY("server.h2c_port", server.h2c_port, 0, 65535, "8080"),
    CONG_INT_KEY("server.workers", server.workers, 0, 256, "0"),
    CONG_INT_KEY("server.shutdown_timeout_ms", server.shutdown_timeout_ms, 0, 600000, "10000"),
    CONG_INT_KEY("server.idle_timeout_ms", server.idle_timeout_ms, 1000, 3600000, "30000"),
    CONG_INT_KEY("server.max_concurrent_streams", server.max_concurrent_streams, 1, 256, "100"),
    CONG_INT_KEY("server.http2_reset_burst", server.http2_reset_burst, 0, 100000, "50"),
    CONG_INT_KEY("server.http2_reset_per_second", server.http2_reset_per_second, 0, 100000, "50"),
    CONG_STRING_KEY("server.problem_base_uri", server.problem_base_uri, "https://cong.hanoi.gov.vn/problems/", NULL),
    CONG_STRING_KEY("server.openapi_file", server.openapi_file, "openapi/cong.yaml", NULL),
    CONG_INT_KEY("server.docs_enabled", server.docs_enabled, 0, 1, "1"),
    CONG_STRING_KEY("server.docs_bundle_file", server.docs_bundle_file,
                    "tools/docs-renderer/node_modules/redoc/bundles/redoc.standalone.js", NULL),
    CONG_STRING_KEY("server.environment", server.environment, "production", check_environment),
    CONG_STRING_KEY("server.admin_bind", server.admin_bind, "127.0.0.1", NULL),
    CONG_INT_KEY("server.admin_port", server.admin_port, 0, 65535, "9090"),
    CONG_LIST_KEY("server.trusted_proxies", server.trusted_proxies, "", check_address_range),
    CONG_INT_KEY("server.proxy_protocol", server.proxy_protocol, 0, 1, "0"),
};

const cong_config_feature_t cong_config_server_feature = CONG_CONFIG_FEATURE("server", "server", keys, NULL);
