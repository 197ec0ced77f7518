/* Configuration of TLS: the certificate chain and private key of the TLS listener (server.tls_port), the OCSP response
 * it staples, its session-ticket keys and the Strict-Transport-Security it sends. The files are read when the server
 * starts and again at SIGHUP (gateway/http/tls.c); the production policy judges them (config_policy.c). */
#include "config_keys.h"

static const cong_config_key_t keys[] = {
    CONG_STRING_KEY("server.tls_certificate", server.tls_certificate, ".run/tls/cert.pem", NULL),
    CONG_STRING_KEY("server.tls_private_key", server.tls_private_key, ".run/tls/key.pem", NULL),
    CONG_INT_KEY("server.tls_hsts_max_age_s", server.tls_hsts_max_age_s, 0, 315360000, "63072000"),
    CONG_STRING_KEY("server.tls_ocsp_response_file", server.tls_ocsp_response_file, "", NULL),
    CONG_STRING_KEY("server.tls_session_ticket_key_file", server.tls_session_ticket_key_file, "", NULL),
};

const cong_config_feature_t cong_config_tls_feature = CONG_CONFIG_FEATURE("tls", "server", keys, NULL);
