/*
 * push/delivery/fcm_options.h — the FCM adapter's options (provider.h: "key=value", errors name the key only).
 *
 *   service_account_file  required: Google's JSON key file (client_email, private_key, private_key_id, token_uri,
 *                         project_id); the secret stays in the file, never in an option
 *   endpoint              default https://fcm.googleapis.com; http:// only to 127.0.0.1 / [::1] / localhost
 *   project_id            default the service account's
 *   ca_file               a PEM bundle to verify FCM's (or the stand-in's) certificate with; default the system's
 *   h2_prior_knowledge    0/1 (default 0): cleartext HTTP/2 (h2c) to the stand-in; refused for a non-loopback endpoint
 *                         (with libcurl < 8.0 h2c is reached by Upgrade: see fcm.c's h2c_version)
 *   connect_timeout_ms    1..60000 (default 5000)
 */
#ifndef CONG_PUSH_DELIVERY_FCM_OPTIONS_H
#define CONG_PUSH_DELIVERY_FCM_OPTIONS_H

#include <stddef.h>

typedef struct fcm_options {
    const char *service_account_file, *endpoint, *project_id, *ca_file; /* borrowed from the options array */
    int h2_prior_knowledge;
    long connect_timeout_ms;
} fcm_options_t;

/** 0, or CONG_EINVAL with the key at fault in err. */
int fcm_options_parse(const char *const *options, fcm_options_t *out, char *err, size_t err_size);

#endif
