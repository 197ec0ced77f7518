/*
 * gateway/official_admin.h — `cong official add|remove|list`: which cong users serve which units as officials.
 *
 * An official is a person who logs in with VNeID like everyone else; the grant names them by citizen number (the
 * administrator knows their staff) or by their cong subject. The citizen number is turned into the pseudonymous
 * subject with auth.subject_secret_file at once and never stored or printed. Grants are rows of user_roles
 * (role 'official', resource = unit code); the procedures module reads them on every desk request, so a grant or a
 * removal takes effect on the next request. Blocking: a command-line tool.
 *
 * Exit status (gateway/exit_status.h): 0 when done or when nothing needed doing (the grant exists already, the grant
 * to remove is not there: both reported on stdout), 3 for a unit that does not exist, 2 for bad usage, 1 when
 * PostgreSQL cannot be reached or refuses.
 */
#ifndef CONG_GATEWAY_OFFICIAL_ADMIN_H
#define CONG_GATEWAY_OFFICIAL_ADMIN_H

#include "gateway/config/config.h"

/** The command's usage lines (also printed by `cong --help`). */
extern const char cong_official_usage[];

/** Runs `cong official ARGS...` (argv starts after "official"). Returns the process exit status. */
int cong_official_admin(const cong_config_t *cfg, int argc, char **argv);

#endif
