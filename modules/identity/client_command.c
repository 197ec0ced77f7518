/*
 * `cong client create|list|revoke` — API clients for businesses and partners, the identity module's administrative
 * command (module ABI 1.4 register_command), built on include/cong/module.h and OpenSSL alone.
 *
 * create prints the client id and its secret once; only SHA-256 of the secret (hex) is stored, the hash
 * POST /v1/auth/token compares against. --org CODE makes it a client of that organization (modules/orgs): its tokens
 * act for the organization. rotate-secret prints a new secret once and keeps the old one valid for the overlap
 * (previous_secret_hash, migrations/0001_client_secret_rotation.sql) until it expires or finish-rotation ends it.
 * set-key registers the public key of the client's private_key_jwt assertions (migrations/0002_client_keys.sql).
 * revoke marks the client revoked (its token requests are refused from then on) and refuses its live tokens on every
 * instance (api->job_revoke_session: a client's tokens carry the session "client:<client_id>").
 *
 * Each change writes its audit record ('client.create', 'client.revoke', 'client.rotate_secret',
 * 'client.finish_rotation', 'client.set_key': actor 'admin', object 'client:<id>', never the secret or its hash) in
 * the statement that makes it; revoking a client revoked already records nothing.
 *
 * Exit status: 0 when done; revoking a client revoked already changes nothing in PostgreSQL, says so, publishes the
 * revocation again (so a retry after Redis was unreachable completes it) and exits 0; so does finishing a rotation
 * that is not under way. 3 for an unknown client id or organization code, 2 for bad usage, 1 when PostgreSQL or Redis
 * cannot be reached or refuses, or when rotate-secret finds a rotation under way (finish it first).
 *
 * The identity module's entry point registers it (identity_client_command_register, identity.c).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_assertion.h"
#include "cong/module.h"
#include "identity.h"

static const cong_api_t *api;

static const char usage[] =
    "cong client create NAME [--scopes \"a b\"] [--quota N] [--org CODE]\n"
    "                                         an API client (of the organization CODE); its secret is printed once\n"
    "cong client list                         the clients, their organization, how they authenticate (no secret)\n"
    "cong client revoke CLIENT_ID             refuse its tokens from now on, on every instance\n"
    "cong client rotate-secret CLIENT_ID [--overlap-hours N]\n"
    "                                         a new secret, printed once; the old one stays valid N hours (default "
    "168)\n"
    "                                         or until finish-rotation\n"
    "cong client finish-rotation CLIENT_ID    only the new secret is valid from now on\n"
    "cong client set-key CLIENT_ID --public-key-file PEM\n"
    "                                         private_key_jwt: the client signs assertions with this key's private\n"
    "                                         half (EC P-256); replaces the key registered before\n";

#define DEFAULT_OVERLAP_HOURS "168"

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
    const char *name = NULL, *scopes = "", *quota = "100000", *org = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--scopes") == 0 && i + 1 < argc)
            scopes = argv[++i];
        else if (strcmp(argv[i], "--org") == 0 && i + 1 < argc)
            org = argv[++i];
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
    /* --org names an organization by its code (modules/orgs: table organizations, column api_clients.organization_id);
       none of that code: nothing inserted */
    const char *params[] = {client_id, name, hash, scopes, quota, org};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "WITH o AS (SELECT (SELECT id FROM organizations WHERE code = $6) AS id), "
                              "c AS (INSERT INTO api_clients (client_id, name, secret_hash, scopes, daily_quota, "
                              "      organization_id) SELECT $1, $2, $3, $4, $5::int, o.id FROM o "
                              "      WHERE $6::text IS NULL OR o.id IS NOT NULL "
                              "      RETURNING client_id, name, scopes, daily_quota, organization_id) "
                              "SELECT cong_audit('identity', 'admin', 'admin', NULL, 'client.create', "
                              "'client:' || client_id, NULL, jsonb_strip_nulls(jsonb_build_object('name', name, "
                              "'scopes', scopes, 'daily_quota', daily_quota, 'organization', organization_id))) FROM c",
                              6, params, &res);
    int created = rc == 0 && api->pg_ntuples(res) == 1;
    if (created)
        printf("client_id: %s\nclient_secret: %s\n(the secret is shown once; keep it safe)\n", client_id, secret);
    else if (rc == 0)
        fprintf(stderr, "cong client: no organization %s\n", org);
    else
        say_store_error(rc, "could not create the client (check --quota)");
    if (rc == 0)
        api->job_pg_clear(res);
    OPENSSL_cleanse(secret, sizeof secret);
    return created ? CONG_COMMAND_OK : rc == 0 ? CONG_COMMAND_NOT_FOUND : CONG_COMMAND_FAILURE;
}

/* One line per client: its organization's code, and how it may authenticate ("secret", "+old" while a rotation lasts,
 * "+key" with a registered public key). */
static int list_clients(cong_job_t *job)
{
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "SELECT c.client_id, c.name, c.scopes, c.daily_quota, c.created_at::date, "
                              "coalesce(o.code, '-'), 'secret' || "
                              "CASE WHEN c.previous_secret_expires_at > now() THEN '+old' ELSE '' END || "
                              "CASE WHEN c.public_key_pem IS NOT NULL THEN '+key' ELSE '' END, "
                              "coalesce(c.revoked_at::text, '') "
                              "FROM api_clients c LEFT JOIN organizations o ON o.id = c.organization_id "
                              "ORDER BY c.created_at",
                              0, NULL, &res);
    if (rc != 0) {
        say_store_error(rc, "could not list the clients");
        return CONG_COMMAND_FAILURE;
    }
    static const char row[] = "%-26s %-24s %-28s %10s %-10s %-14s %-15s %s\n";
    printf(row, "client_id", "name", "scopes", "quota/day", "created", "organization", "auth", "revoked");
    for (int i = 0; i < api->pg_ntuples(res); i++)
        printf(row, api->pg_value(res, i, 0), api->pg_value(res, i, 1), api->pg_value(res, i, 2),
               api->pg_value(res, i, 3), api->pg_value(res, i, 4), api->pg_value(res, i, 5), api->pg_value(res, i, 6),
               api->pg_value(res, i, 7));
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

/* A new secret for the client: the current one moves to previous_secret_hash, valid `hours` more or until
 * finish-rotation. Refused while a rotation is under way (finishing it first says which secret is dropped). */
static int rotate_secret(cong_job_t *job, int argc, char **argv)
{
    const char *client_id = NULL, *hours = DEFAULT_OVERLAP_HOURS;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--overlap-hours") == 0 && i + 1 < argc)
            hours = argv[++i];
        else if (client_id == NULL && argv[i][0] != '-')
            client_id = argv[i];
        else
            return CONG_COMMAND_USAGE;
    }
    long h = client_id != NULL ? strtol(hours, NULL, 10) : 0;
    if (h < 1 || h > 24 * 90)
        return CONG_COMMAND_USAGE; /* 1 hour .. 90 days */
    char secret[48], hash[65];
    if (random_b64url(32, secret) != 0)
        return CONG_COMMAND_FAILURE;
    sha256_hex(secret, hash);
    const char *params[] = {client_id, hash, hours};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "WITH r AS (UPDATE api_clients SET previous_secret_hash = secret_hash, secret_hash = $2, "
                              "           previous_secret_expires_at = now() + make_interval(hours => $3::int) "
                              "           WHERE client_id = $1 AND revoked_at IS NULL "
                              "           AND (previous_secret_hash IS NULL OR previous_secret_expires_at <= now()) "
                              "           RETURNING client_id, previous_secret_expires_at), "
                              "a AS (SELECT cong_audit('identity', 'admin', 'admin', NULL, 'client.rotate_secret', "
                              "      'client:' || client_id, NULL, jsonb_build_object('old_secret_until', "
                              "      previous_secret_expires_at)) FROM r) "
                              "SELECT (SELECT previous_secret_expires_at::text FROM r), "
                              "       EXISTS (SELECT 1 FROM api_clients WHERE client_id = $1 AND revoked_at IS NULL) "
                              "FROM (SELECT count(*) FROM a) recorded",
                              3, params, &res);
    int status = CONG_COMMAND_FAILURE;
    if (rc != 0)
        say_store_error(rc, "could not rotate the secret");
    else if (!api->pg_is_null(res, 0, 0)) {
        printf("client_id: %s\nclient_secret: %s\n(the new secret is shown once; the old one stays valid until %s "
               "or `cong client finish-rotation`)\n", client_id, secret, api->pg_value(res, 0, 0));
        status = CONG_COMMAND_OK;
    } else if (strcmp(api->pg_value(res, 0, 1), "t") != 0) {
        fprintf(stderr, "cong client: no active client %s\n", client_id);
        status = CONG_COMMAND_NOT_FOUND;
    } else
        fprintf(stderr, "cong client: a rotation of %s is under way; `cong client finish-rotation` first\n",
                client_id);
    if (rc == 0)
        api->job_pg_clear(res);
    OPENSSL_cleanse(secret, sizeof secret);
    return status;
}

/* Ends the rotation: the old secret stops being valid. Finishing when none is under way changes nothing (exit 0). */
static int finish_rotation(cong_job_t *job, const char *client_id)
{
    const char *params[] = {client_id};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "WITH f AS (UPDATE api_clients SET previous_secret_hash = NULL, "
                              "           previous_secret_expires_at = NULL "
                              "           WHERE client_id = $1 AND previous_secret_hash IS NOT NULL "
                              "           RETURNING client_id), "
                              "a AS (SELECT cong_audit('identity', 'admin', 'admin', NULL, 'client.finish_rotation', "
                              "      'client:' || client_id, NULL) FROM f) "
                              "SELECT EXISTS (SELECT 1 FROM f), "
                              "       EXISTS (SELECT 1 FROM api_clients WHERE client_id = $1) "
                              "FROM (SELECT count(*) FROM a) recorded",
                              1, params, &res);
    if (rc != 0) {
        say_store_error(rc, "could not finish the rotation");
        return CONG_COMMAND_FAILURE;
    }
    int finished = strcmp(api->pg_value(res, 0, 0), "t") == 0, known = strcmp(api->pg_value(res, 0, 1), "t") == 0;
    api->job_pg_clear(res);
    if (!known) {
        fprintf(stderr, "cong client: no client %s\n", client_id);
        return CONG_COMMAND_NOT_FOUND;
    }
    printf(finished ? "rotation of %s finished: only the new secret is valid\n"
                    : "no rotation of %s was under way; nothing changed\n",
           client_id);
    return CONG_COMMAND_OK;
}

/* Registers the public key the client's assertions verify under (private_key_jwt, client_assertion.h). */
static int set_key(cong_job_t *job, int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--public-key-file") != 0)
        return CONG_COMMAND_USAGE;
    char pem[4096];
    FILE *f = fopen(argv[2], "r");
    size_t n = f != NULL ? fread(pem, 1, sizeof pem - 1, f) : 0;
    int whole = f != NULL && feof(f);
    if (f != NULL)
        fclose(f);
    pem[n] = '\0';
    if (!whole || !cong_idm_assertion_key_usable(pem)) {
        fprintf(stderr, "cong client: %s is not a PEM public key on P-256 (under 4 KiB)\n", argv[2]);
        return CONG_COMMAND_USAGE;
    }
    const char *params[] = {argv[0], pem};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "WITH k AS (UPDATE api_clients SET public_key_pem = $2 "
                              "           WHERE client_id = $1 AND revoked_at IS NULL RETURNING client_id), "
                              "a AS (SELECT cong_audit('identity', 'admin', 'admin', NULL, 'client.set_key', "
                              "      'client:' || client_id, NULL) FROM k) "
                              "SELECT count(*) FROM a",
                              2, params, &res);
    if (rc != 0) {
        say_store_error(rc, "could not register the key");
        return CONG_COMMAND_FAILURE;
    }
    int set = strcmp(api->pg_value(res, 0, 0), "1") == 0;
    api->job_pg_clear(res);
    if (!set) {
        fprintf(stderr, "cong client: no active client %s\n", argv[0]);
        return CONG_COMMAND_NOT_FOUND;
    }
    printf("key registered for %s: it may authenticate with private_key_jwt (ES256)\n", argv[0]);
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
    if (argc >= 2 && strcmp(argv[0], "rotate-secret") == 0)
        return rotate_secret(job, argc - 1, argv + 1);
    if (argc == 2 && strcmp(argv[0], "finish-rotation") == 0)
        return finish_rotation(job, argv[1]);
    if (argc >= 2 && strcmp(argv[0], "set-key") == 0)
        return set_key(job, argc - 1, argv + 1);
    return CONG_COMMAND_USAGE;
}

int identity_client_command_register(cong_module_ctx_t *ctx, const cong_api_t *a)
{
    api = a;
    return api->register_command(ctx, "client", usage, client, NULL);
}
