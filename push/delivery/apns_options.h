/*
 * push/delivery/apns_options.h — the APNs adapter's "key=value" options (provider.h), read and checked at open:
 *
 *   auth_key_file       required: the team's .p8 (EC P-256 private key, PKCS#8 PEM), read once at open
 *   key_id, team_id     required: the token's kid and iss (1..128 of A-Za-z0-9._-; Apple's are 10 characters)
 *   topic               required: the app's bundle id (1..255 printable ASCII, no spaces)
 *   endpoint            https://api.push.apple.com (default; the sandbox: https://api.sandbox.push.apple.com)
 *   ca_file             a PEM of CAs to verify the endpoint with instead of the system's (the stand-in's test CA)
 *   h2_prior_knowledge  0 (default) or 1: cleartext HTTP/2 (h2c), for a loopback endpoint only (the stand-in)
 *   token_refresh_s     3000 (default), 1200..3600: how long one provider token is reused
 *   connect_timeout_ms  5000 (default), 100..60000
 * An unknown key, a missing required one or a bad value is an error naming the key, never the value.
 */
#ifndef CONG_PUSH_DELIVERY_APNS_OPTIONS_H
#define CONG_PUSH_DELIVERY_APNS_OPTIONS_H

#include <stddef.h>

#define APNS_ENDPOINT_MAX 256

typedef struct apns_options {
    const char *auth_key_file, *key_id, *team_id, *topic, *ca_file; /* point into the options array */
    char endpoint[APNS_ENDPOINT_MAX];                                /* without a trailing '/' */
    int h2_prior_knowledge, token_refresh_s, connect_timeout_ms;
} apns_options_t;

/** Parses options (NULL-terminated "key=value"s). 0, or CONG_EINVAL with a reason naming the key in err. */
int apns_options_parse(const char *const *options, apns_options_t *o, char *err, size_t err_size);

#endif
