/*
 * gateway/migrate.h — numbered SQL migrations, applied at start.
 *
 * Files NNNN_name.sql in a folder, applied in number order. Everything pending is applied in ONE transaction that also
 * records each version in schema_migrations (version, name, applied_at); an advisory lock makes concurrent starts of
 * several gateways safe (one applies, the others then find nothing to do). Blocking: call it before workers start.
 */
#ifndef CONG_GATEWAY_MIGRATE_H
#define CONG_GATEWAY_MIGRATE_H

/** Apply pending migrations from `dir`. Returns 0, CONG_EUNAVAILABLE (cannot connect), CONG_EQUERY (a migration
 *  failed: nothing was applied), CONG_EIO (cannot read the folder). *applied gets the count applied. */
int cong_migrate(const char *conninfo, const char *dir, int *applied);

#endif
