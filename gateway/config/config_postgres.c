/* Configuration of PostgreSQL (gateway/stores/postgres.c, migrate.c). The conninfo may hold a password: no error line
 * ever quotes a value. */
#include "config_keys.h"

static const cong_config_key_t keys[] = {
    CONG_STRING_KEY("postgres.conninfo", postgres.conninfo, "host=127.0.0.1 port=5432 dbname=cong user=cong", NULL),
    CONG_INT_KEY("postgres.pool_size", postgres.pool_size, 1, 64, "4"),
    CONG_INT_KEY("postgres.timeout_ms", postgres.timeout_ms, 100, 600000, "5000"),
    CONG_STRING_KEY("postgres.migrations_dir", postgres.migrations_dir, "gateway/migrations", NULL),
};

const cong_config_feature_t cong_config_postgres_feature = CONG_CONFIG_FEATURE("postgres", "postgres", keys, NULL);
