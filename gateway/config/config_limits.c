/* Configuration of what a request may be (limits: methods, headers, body) and who may call from a browser (cors). */
#include <ctype.h>
#include <string.h>

#include "config_keys.h"

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

static const cong_config_key_t limits_keys[] = {
    CONG_INT_KEY("limits.max_header_bytes", limits.max_header_bytes, 512, 65536, "8192"),
    CONG_INT_KEY("limits.max_header_count", limits.max_header_count, 1, 256, "64"),
    CONG_INT_KEY("limits.max_body_bytes", limits.max_body_bytes, 0, 1073741824, "1048576"),
    CONG_INT_KEY("limits.outbound_http_in_flight", limits.outbound_http_in_flight, 1, 65536, "256"),
    CONG_LIST_KEY("limits.allowed_methods", limits.allowed_methods, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
                  check_method),
    CONG_INT_KEY("limits.min_transfer_rate_window_ms", limits.min_transfer_rate_window_ms, 0, 600000, "30000"),
    CONG_INT_KEY("limits.min_response_rate_bytes", limits.min_response_rate_bytes, 0, 1073741824, "8192"),
    CONG_INT_KEY("limits.min_request_body_rate_bytes", limits.min_request_body_rate_bytes, 0, 1073741824, "8192"),
};

static const cong_config_key_t cors_keys[] = {
    CONG_LIST_KEY("cors.allowed_origins", cors.allowed_origins, "", check_origin),
    CONG_LIST_KEY("cors.allowed_headers", cors.allowed_headers,
                  "authorization, content-type, idempotency-key, x-request-id, accept-language", check_header_name),
    CONG_INT_KEY("cors.max_age_s", cors.max_age_s, 0, 86400, "600"),
};

const cong_config_feature_t cong_config_limits_feature = CONG_CONFIG_FEATURE("limits", "limits", limits_keys, NULL);
const cong_config_feature_t cong_config_cors_feature = CONG_CONFIG_FEATURE("cors", "cors", cors_keys, NULL);
