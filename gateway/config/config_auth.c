/* Configuration of authentication: the tokens cong verifies and issues (auth) and the identity provider whose ID
 * tokens it exchanges (vneid). Key files are read when the gateway starts; none is ever printed. */
#include "config_keys.h"

static const cong_config_key_t auth_keys[] = {
    CONG_STRING_KEY("auth.issuer", auth.issuer, "", NULL),
    CONG_STRING_KEY("auth.audience", auth.audience, "", NULL),
    CONG_STRING_KEY("auth.public_key_file", auth.public_key_file, "", NULL),
    CONG_INT_KEY("auth.clock_skew_s", auth.clock_skew_s, 0, 300, "60"),
    CONG_STRING_KEY("auth.signing_key_file", auth.signing_key_file, "", NULL),
    CONG_STRING_KEY("auth.previous_signing_key_file", auth.previous_signing_key_file, "", NULL),
    CONG_STRING_KEY("auth.subject_secret_file", auth.subject_secret_file, "", NULL),
    CONG_INT_KEY("auth.access_token_ttl_s", auth.access_token_ttl_s, 60, 900, "600"),
    CONG_INT_KEY("auth.refresh_token_ttl_s", auth.refresh_token_ttl_s, 3600, 7776000, "2592000"),
    CONG_INT_KEY("auth.step_up_max_age_s", auth.step_up_max_age_s, 60, 86400, "900"),
    CONG_INT_KEY("auth.session_lifetime_s", auth.session_lifetime_s, 3600, 31536000, "2592000"),
    CONG_INT_KEY("auth.session_idle_timeout_s", auth.session_idle_timeout_s, 300, 7776000, "604800"),
    CONG_INT_KEY("auth.refresh_reuse_grace_s", auth.refresh_reuse_grace_s, 0, 300, "30"),
    CONG_INT_KEY("auth.public_key_privileged", auth.public_key_privileged, 0, 1, "0"),
    CONG_STRING_KEY("auth.document_signing_key_file", auth.document_signing_key_file, "", NULL),
};

static const cong_config_key_t vneid_keys[] = {
    CONG_STRING_KEY("vneid.issuer", vneid.issuer, "", NULL),
    CONG_STRING_KEY("vneid.client_id", vneid.client_id, "cong", NULL),
    CONG_STRING_KEY("vneid.jwks", vneid.jwks, "", NULL),
    CONG_INT_KEY("vneid.clock_skew_s", vneid.clock_skew_s, 0, 300, "60"),
    CONG_INT_KEY("vneid.refresh_interval_s", vneid.refresh_interval_s, 10, 86400, "600"),
    CONG_INT_KEY("vneid.cooldown_s", vneid.cooldown_s, 1, 3600, "30"),
};

const cong_config_feature_t cong_config_auth_feature = CONG_CONFIG_FEATURE("auth", "auth", auth_keys, NULL);
const cong_config_feature_t cong_config_vneid_feature = CONG_CONFIG_FEATURE("vneid", "vneid", vneid_keys, NULL);
