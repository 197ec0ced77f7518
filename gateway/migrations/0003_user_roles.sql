-- 0003: once the roles of cong users (user_roles). The table is the procedures module's now (its officials' desk):
-- modules/procedures/migrations/0008_user_roles.sql creates it IF NOT EXISTS, so a database that applied this file
-- before keeps its grants and one that did not gets the table there. A recorded migration is never renumbered or
-- removed (gateway/migrate.c skips a version it has recorded, whatever the file holds now), so this file stays, and
-- does nothing: a migration must hold a statement.
SELECT 1;
