/*
 * `cong client create|list|revoke` — API clients for businesses and partners, the identity module's administrative
 * command (module ABI 1.4 register_command), built on include/cong/module.h and OpenSSL alone.
 *
 * create prints the client id and its secret once; only SHA-256 of the secret (hex) is stored, the hash
 * POST /v1/auth/token compares against. revoke marks the client revoked (its token requests are refused from then on)
 * and refuses its live tokens on every instance (api->job_revoke_session: a client's tokens carry the session
 * "client:<client_id>").
 *
 * Each change writes its audit record ('client.create', 'client.revoke': actor 'admin', object 'client:<id>', never
 * the secret or its hash) in the statement that makes it; revoking a client revoked already records nothing.
 *
 * Exit status: 0 when done; revoking a client revoked already changes nothing in PostgreSQL, says so, publishes the
 * revocation again (so a retry after Redis was unreachable completes it) and exits 0. 3 for an unknown client id, 2
 * for bad usage, 1 when PostgreSQL or Redis cannot be reached or refuses.
 *
 * The identity module's entry point registers it (identity_client_command_register, identity.c).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "cong/module.h"
#include "identity.h"

static const cong_api_t *api;

static const char usage[] =
    "cong client create NAME [--scopes \"a b\"] [--quota N]   an API client; its secret is printed once\n"
    "cong client list                                        the clients (never their secrets)\n"
    "cong client revoke CLIENT_ID                            refuse its tokens from now on, on every instance\n";

/* base64url without padding of `n` random bytes (n ≤ 32) into out (at least 48 bytes: EVP_EncodeBlock pads). */
static int random_b64url(size_t n, char *out)
{
    unsigned char bytes[32];
    if (n > sizeof bytes || RAND_bytes(bytes, (int)n) != 1)
        return -1;
    int len = EVP_EncodeBlock((unsigned char *)out, bytes, (int)n);
    OPENSSL_cleanse(bytes, sizeof bytes);
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    return 0;
}

static void sha256_hex(const char *text, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)text, strlen(text), digest);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[64] = '\0';
}

static void say_store_error(int rc, const char *what)
{
    if (rc == CONG_EUNAVAILABLE)
        fprintf(stderr, "cong client: cannot connect to PostgreSQL\n");
    else
        fprintf(stderr, "cong client: %s (%s)\n", what, api->strerror(rc));
}

static int create_client(cong_job_t *job, int argc, char **argv)
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
            return CONG_COMMAND_USAGE;
    }
    if (name == NULL)
        return CONG_COMMAND_USAGE;
    char id[48], client_id[56], secret[48], hash[65];
    if (random_b64url(16, id) != 0 || random_b64url(32, secret) != 0)
        return CONG_COMMAND_FAILURE;
    snprintf(client_id, sizeof client_id, "c_%s", id);
    sha256_hex(secret, hash);
    const char *params[] = {client_id, name, hash, scopes, quota};
    int rc = api->job_pg_exec(job,
                              "WITH c AS (INSERT INTO api_clients (client_id, name, secret_hash, scopes, daily_quota) "
                              "VALUES ($1, $2, $3, $4, $5::int) RETURNING client_id, name, scopes, daily_quota) "
                              "SELECT cong_audit('identity', 'admin', 'admin', NULL, 'client.create', "
                              "'client:' || client_id, NULL, jsonb_build_object('name', name, 'scopes', scopes, "
                              "'daily_quota', daily_quota)) FROM c",
                              5, params, NULL);
    if (rc == 0)
        printf("client_id: %s\nclient_secret: %s\n(the secret is shown once; keep it safe)\n", client_id, secret);
    else
        say_store_error(rc, "could not create the client (check --quota)");
    OPENSSL_cleanse(secret, sizeof secret);
    return rc == 0 ? CONG_COMMAND_OK : CONG_COMMAND_FAILURE;
}

static int list_clients(cong_job_t *job)
{
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "SELECT client_id, name, scopes, daily_quota, created_at::date, "
                              "coalesce(revoked_at::text, '') FROM api_clients ORDER BY created_at",
                              0, NULL, &res);
    if (rc != 0) {
        say_store_error(rc, "could not list the clients");
        return CONG_COMMAND_FAILURE;
    }
    printf("%-26s %-24s %-28s %10s %-10s %s\n", "client_id", "name", "scopes", "quota/day", "created", "revoked");
    for (int i = 0; i < api->pg_ntuples(res); i++)
        printf("%-26s %-24s %-28s %10s %-10s %s\n", api->pg_value(res, i, 0), api->pg_value(res, i, 1),
               api->pg_value(res, i, 2), api->pg_value(res, i, 3), api->pg_value(res, i, 4), api->pg_value(res, i, 5));
    api->job_pg_clear(res);
    return CONG_COMMAND_OK;
}

/* Marks the client revoked unless it is already; *was_active tells which. */
static int mark_revoked(cong_job_t *job, const char *client_id, int *was_active)
{
    const char *params[] = {client_id};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "WITH r AS (UPDATE api_clients SET revoked_at = now() "
                              "           WHERE client_id = $1 AND revoked_at IS NULL RETURNING client_id), "
                              "a AS (SELECT cong_audit('identity', 'admin', 'admin', NULL, 'client.revoke', "
                              "      'client:' || client_id, NULL) FROM r) "
                              "SELECT EXISTS (SELECT 1 FROM r), "
                              "       EXISTS (SELECT 1 FROM api_clients WHERE client_id = $1) "
                              "FROM (SELECT count(*) FROM a) recorded",
                              1, params, &res);
    if (rc != 0) {
        say_store_error(rc, "could not revoke the client");
        return CONG_COMMAND_FAILURE;
    }
    *was_active = strcmp(api->pg_value(res, 0, 0), "t") == 0;
    int known = strcmp(api->pg_value(res, 0, 1), "t") == 0;
    api->job_pg_clear(res);
    if (!known) {
        fprintf(stderr, "cong client: no client %s\n", client_id);
        return CONG_COMMAND_NOT_FOUND;
    }
    return CONG_COMMAND_OK;
}

static int revoke_client(cong_job_t *job, const char *client_id)
{
    int was_active = 0;
    int status = mark_revoked(job, client_id, &was_active);
    if (status != CONG_COMMAND_OK)
        return status;
    char session[96];
    snprintf(session, sizeof session, "client:%s", client_id);
    if (api->job_revoke_session(job, session) != 0) {
        fprintf(stderr, "cong client: revoked in PostgreSQL, but Redis could not be told: its tokens stay valid "
                        "until they expire; run the command again once Redis is back\n");
        return CONG_COMMAND_FAILURE;
    }
    if (was_active)
        printf("revoked %s\n", client_id);
    else
        printf("%s was revoked already; nothing changed (its revocation was published again)\n", client_id);
    return CONG_COMMAND_OK;
}

static int client(cong_job_t *job, int argc, char **argv, void *udata)
{
    (void)udata;
    if (argc >= 2 && strcmp(argv[0], "create") == 0)
        return create_client(job, argc - 1, argv + 1);
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return list_clients(job);
    if (argc == 2 && strcmp(argv[0], "revoke") == 0)
        return revoke_client(job, argv[1]);
    return CONG_COMMAND_USAGE;
}

int identity_client_command_register(cong_module_ctx_t *ctx, const cong_api_t *a)
{
    api = a;
    return api->register_command(ctx, "client", usage, client, NULL);
}
