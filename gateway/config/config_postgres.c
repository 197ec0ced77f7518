/* Configuration of PostgreSQL (gateway/stores/postgres.c, migrate.c). The conninfo may hold a password: no error line
 * ever quotes a value. */
#include "config_keys.h"

static const cong_config_key_t keys[] = {
    CONG_STRING_KEY("postgres.conninfo", postgres.conninfo, "host=127.0.0.1 port=5432 dbname=cong user=cong", NULL),
    /* 0: sized to the machine when the workers start (cong_pg_pool_size_for_machine, gateway/stores/postgres.h) */
    CONG_INT_KEY("postgres.pool_size", postgres.pool_size, 0, 64, "0"),
    CONG_INT_KEY("postgres.timeout_ms", postgres.timeout_ms, 100, 600000, "5000"),
    /* a query that waited this long for a connection is shed: 503 database-busy (postgres.h, shedding); 0: never */
    CONG_INT_KEY("postgres.queue_wait_ms", postgres.queue_wait_ms, 0, 600000, "250"),
    CONG_STRING_KEY("postgres.migrations_dir", postgres.migrations_dir, "gateway/migrations", NULL),
};

const cong_config_feature_t cong_config_postgres_feature = CONG_CONFIG_FEATURE("postgres", "postgres", keys, NULL);
