/* Configuration of TLS: the certificate chain and private key of the TLS listener (server.tls_port). The files are
 * read when the server starts (server.c); the production policy judges them (config_policy.c). */
#include "config_keys.h"

static const cong_config_key_t keys[] = {
    CONG_STRING_KEY("server.tls_certificate", server.tls_certificate, ".run/tls/cert.pem", NULL),
    CONG_STRING_KEY("server.tls_private_key", server.tls_private_key, ".run/tls/key.pem", NULL),
};

const cong_config_feature_t cong_config_tls_feature = CONG_CONFIG_FEATURE("tls", "server", keys, NULL);
