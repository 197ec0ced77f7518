/*
 * gateway/stores/migrate.h — numbered SQL migrations, applied at start.
 *
 * Files NNNN_name.sql in a folder, applied in number order. Everything pending is applied in ONE transaction that also
 * records each version in schema_migrations (version, name, applied_at); an advisory lock makes concurrent starts of
 * several gateways safe (one applies, the others then find nothing to do). Blocking: call it before workers start.
 */
#ifndef CONG_GATEWAY_MIGRATE_H
#define CONG_GATEWAY_MIGRATE_H

#include <stddef.h>

/** A module's migrations (declared with the ABI's register_migrations): recorded in module_migrations (module,
 *  version, name, applied_at), applied after the gateway's own, in the order given. Borrowed strings. */
typedef struct cong_migration_set {
    const char *module;
    const char *dir;
} cong_migration_set_t;

/** Apply pending migrations from `dir` (the gateway's), then from each module set. Returns 0, CONG_EUNAVAILABLE
 *  (cannot connect), CONG_EQUERY (a migration failed: nothing was applied), CONG_EIO (cannot read a folder).
 *  *applied gets the count applied. */
int cong_migrate(const char *conninfo, const char *dir, const cong_migration_set_t *modules, size_t module_count,
                 int *applied);

#endif
