#include "client_admin.h"

#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exit_status.h"
#include "modules/identity/session.h" /* ids and secrets; until this file moves to modules/identity/ */
#include "gateway/authn/revocation.h"

const char cong_client_usage[] =
    "cong client create NAME [--scopes \"a b\"] [--quota N]   an API client; its secret is printed once\n"
    "cong client list                                        the clients (never their secrets)\n"
    "cong client revoke CLIENT_ID                            refuse its tokens from now on, on every instance\n";

static int usage(void)
{
    fprintf(stderr, "usage:\n%s", cong_client_usage);
    return CONG_EXIT_USAGE;
}

static PGconn *connect_db(const cong_config_t *cfg)
{
    PGconn *c = PQconnectdb(cfg->postgres.conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "cong client: cannot connect to PostgreSQL\n");
        PQfinish(c);
        return NULL;
    }
    return c;
}

static int create_client(PGconn *db, int argc, char **argv)
{
    const char *name = NULL, *scopes = "", *quota = "100000";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--scopes") == 0 && i + 1 < argc)
            scopes = argv[++i];
        else if (strcmp(argv[i], "--quota") == 0 && i + 1 < argc)
            quota = argv[++i];
        else if (name == NULL && argv[i][0] != '-')
            name = argv[i];
        else
            return usage();
    }
    if (name == NULL)
        return usage();
    char id[CONG_SESSION_ID_LEN + 1], secret[CONG_REFRESH_TOKEN_LEN + 1], hash[CONG_REFRESH_HASH_LEN + 1];
    if (cong_session_id_new(id) != 0 || cong_refresh_token_new(secret) != 0)
        return CONG_EXIT_FAILURE;
    cong_refresh_token_hash(secret, strlen(secret), hash);
    char client_id[40];
    snprintf(client_id, sizeof client_id, "c_%s", id);
    const char *params[] = {client_id, name, hash, scopes, quota};
    PGresult *res = PQexecParams(db,
                                 "INSERT INTO api_clients (client_id, name, secret_hash, scopes, daily_quota) "
                                 "VALUES ($1, $2, $3, $4, $5::int)",
                                 5, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        fprintf(stderr, "cong client: could not create the client (check --quota)\n");
        return CONG_EXIT_FAILURE;
    }
    printf("client_id: %s\nclient_secret: %s\n(the secret is shown once; keep it safe)\n", client_id, secret);
    return CONG_EXIT_OK;
}

static int list_clients(PGconn *db)
{
    PGresult *res = PQexec(db, "SELECT client_id, name, scopes, daily_quota, created_at::date, "
                               "coalesce(revoked_at::text, '') FROM api_clients ORDER BY created_at");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "cong client: %s", PQresultErrorMessage(res));
        PQclear(res);
        return CONG_EXIT_FAILURE;
    }
    printf("%-26s %-24s %-28s %10s %-10s %s\n", "client_id", "name", "scopes", "quota/day", "created", "revoked");
    for (int i = 0; i < PQntuples(res); i++)
        printf("%-26s %-24s %-28s %10s %-10s %s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
               PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), PQgetvalue(res, i, 4), PQgetvalue(res, i, 5));
    PQclear(res);
    return CONG_EXIT_OK;
}

/* Revokes the client's live tokens on every instance (see gateway/authn/revocation.h). */
static int publish_revocation(const cong_config_t *cfg, const char *client_id)
{
    struct timeval tv = {2, 0};
    redisContext *r = redisConnectWithTimeout(cfg->redis.host, cfg->redis.port, tv);
    if (r == NULL || r->err) {
        if (r != NULL)
            redisFree(r);
        return -1;
    }
    if (cfg->redis.password[0] != '\0')
        freeReplyObject(redisCommand(r, "AUTH %s", cfg->redis.password));
    char sid[80], until[24], message[120];
    snprintf(sid, sizeof sid, "client:%s", client_id);
    snprintf(until, sizeof until, "%lld", (long long)time(NULL) + cfg->auth.access_token_ttl_s + 120);
    snprintf(message, sizeof message, "%s %s", sid, until);
    redisReply *a = redisCommand(r, "ZADD %s %s %s", CONG_REVOCATION_SET, until, sid);
    redisReply *b = redisCommand(r, "PUBLISH %s %s", CONG_REVOCATION_CHANNEL, message);
    int ok = a != NULL && b != NULL && a->type != REDIS_REPLY_ERROR && b->type != REDIS_REPLY_ERROR;
    freeReplyObject(a);
    freeReplyObject(b);
    redisFree(r);
    return ok ? 0 : -1;
}

/* Marks the client revoked unless it is already; *was_active tells which. */
static int mark_revoked(PGconn *db, const char *client_id, int *was_active)
{
    const char *params[] = {client_id};
    PGresult *res = PQexecParams(db,
                                 "WITH r AS (UPDATE api_clients SET revoked_at = now() "
                                 "           WHERE client_id = $1 AND revoked_at IS NULL RETURNING 1) "
                                 "SELECT EXISTS (SELECT 1 FROM r), "
                                 "       EXISTS (SELECT 1 FROM api_clients WHERE client_id = $1)",
                                 1, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    int known = ok && PQgetvalue(res, 0, 1)[0] == 't';
    *was_active = ok && PQgetvalue(res, 0, 0)[0] == 't';
    if (!ok)
        fprintf(stderr, "cong client: %s", PQresultErrorMessage(res));
    PQclear(res);
    if (!ok)
        return CONG_EXIT_FAILURE;
    if (!known) {
        fprintf(stderr, "cong client: no client %s\n", client_id);
        return CONG_EXIT_NOT_FOUND;
    }
    return CONG_EXIT_OK;
}

static int revoke_client(const cong_config_t *cfg, PGconn *db, const char *client_id)
{
    int was_active = 0;
    int rc = mark_revoked(db, client_id, &was_active);
    if (rc != CONG_EXIT_OK)
        return rc;
    if (publish_revocation(cfg, client_id) != 0) {
        fprintf(stderr, "cong client: revoked in PostgreSQL, but Redis could not be told: its tokens stay valid "
                        "until they expire (at most %d s); run the command again once Redis is back\n",
                cfg->auth.access_token_ttl_s);
        return CONG_EXIT_FAILURE;
    }
    if (was_active)
        printf("revoked %s\n", client_id);
    else
        printf("%s was revoked already; nothing changed (its revocation was published again)\n", client_id);
    return CONG_EXIT_OK;
}

int cong_client_admin(const cong_config_t *cfg, int argc, char **argv)
{
    int create = argc >= 2 && strcmp(argv[0], "create") == 0;
    int list = argc == 1 && strcmp(argv[0], "list") == 0;
    int revoke = argc == 2 && strcmp(argv[0], "revoke") == 0;
    if (!create && !list && !revoke)
        return usage();
    PGconn *db = connect_db(cfg);
    if (db == NULL)
        return CONG_EXIT_FAILURE;
    int rc = create ? create_client(db, argc - 1, argv + 1) : list ? list_clients(db) : revoke_client(cfg, db, argv[1]);
    PQfinish(db);
    return rc;
}
