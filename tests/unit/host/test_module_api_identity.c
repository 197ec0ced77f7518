/*
 * tests/unit/gateway/test_module_api_identity.c — the identity members of the module ABI (1.4) as a module calls
 * them (cong_module_api), on a request state made here: a gateway with an identity (a signing key, a subject secret,
 * a VNeID JWKS file), one worker loop, one request.
 *
 *   idp_verify      a good ID token gives the citizen's pseudonym and never the number; a forged, expired or
 *                   foreign one is refused; no VNeID keys is "unavailable"; a kid VNeID has just published is waited
 *                   for, one it never publishes is refused after the wait; the callback never runs inside the call,
 *                   nor after the client left
 *   token_issue     the token verifies with the gateway's own keys and says what the grant said; bad grants refused
 *   session_revoke  this worker refuses the session at once, Redis holds it (TEST_REDIS_PORT); bad ids refused;
 *                   Redis down refused synchronously
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/auth/auth_test_helpers.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <time.h>
#include <unistd.h>

#include "auth/identity.h"
#include "auth/subject.h"
#include "cong/module.h"
#include "gateway/host/module_loader.h"
#include "gateway/stores/redis.h"
#include "gateway/http/request.h"
#include "gateway/authn/token_cache.h"

#define ISS "https://id.cong.test"
#define AUD "cong"
#define VNEID_ISS "https://sso.vneid.test"
#define VNEID_AUD "cong-app"
#define CITIZEN "001099012345"
#define SECRET "0123456789abcdef0123456789abcdef!!"

static const cong_api_t *api = &cong_module_api;

typedef struct fixture {
    cong_config_t config;
    cong_gateway_t gw;
    cong_worker_t worker;
    h2o_req_t h2o;
    cong_req_t *req;
    cong_jwt_key_t *vneid_key, *new_vneid_key; /* kid "v1" (published at start), "v2" (published by a test) */
    char *key_file, *secret_file, *jwks_file;
} fixture_t;

static char *temp_file(const char *text)
{
    char *path = strdup("/tmp/cong-test-identity-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static cong_jwt_key_t *new_key(char **pem_out)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    size_t len = 0;
    char *pem = pem_of(pkey, 1, &len);
    EVP_PKEY_free(pkey);
    cong_jwt_key_t *key = NULL;
    assert_int_equal(cong_jwt_key_load_private_pem(pem, len, &key), 0);
    if (pem_out != NULL)
        *pem_out = pem;
    else
        free(pem);
    return key;
}

/* Writes VNeID's JWKS with kid v1, and v2 too when `both`. */
static void publish_vneid_keys(fixture_t *f, int both)
{
    const cong_jwt_key_t *keys[] = {f->vneid_key, f->new_vneid_key};
    const char *kids[] = {"v1", "v2"};
    char *json = NULL;
    assert_int_equal(cong_jwks_public_json(keys, both ? 2 : 1, kids, NULL, &json), 0);
    FILE *out = fopen(f->jwks_file, "w");
    assert_non_null(out);
    fputs(json, out);
    fclose(out);
    free(json);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    char *pem = NULL;
    cong_jwt_key_free(new_key(&pem));
    f->key_file = temp_file(pem);
    free(pem);
    f->secret_file = temp_file(SECRET);
    f->jwks_file = temp_file("");
    f->vneid_key = new_key(NULL);
    f->new_vneid_key = new_key(NULL);
    publish_vneid_keys(f, 0);
    cong_identity_settings_t s = {.issuer = ISS, .audience = AUD, .signing_key_file = f->key_file,
                                  .subject_secret_file = f->secret_file, .access_ttl_s = 600,
                                  .vneid_issuer = VNEID_ISS, .vneid_client_id = VNEID_AUD, .vneid_jwks = f->jwks_file,
                                  .vneid_clock_skew_s = 30, .vneid_refresh_ms = 3600000, .vneid_cooldown_ms = 20};
    char err[256];
    assert_int_equal(cong_identity_init(&f->gw.identity, &s, err, sizeof err), 0);
    f->gw.has_identity = 1;
    f->config.auth.access_token_ttl_s = 600;
    f->gw.config = &f->config;
    f->worker.gateway = &f->gw;
    uv_loop_init(&f->worker.loop);
    h2o_mem_init_pool(&f->h2o.pool);
    f->req = calloc(1, sizeof *f->req);
    *f->req = (cong_req_t){.h2o = &f->h2o, .worker = &f->worker, .refs = 1, .id = "test-request"};
    *state = f;
    return 0;
}

static void run_loop_until(uv_loop_t *loop, const int *flag, int ms)
{
    for (int i = 0; i < ms / 2 && (flag == NULL || !*flag); i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(2000);
    }
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    run_loop_until(&f->worker.loop, NULL, 20); /* timers closed by the calls under test */
    assert_int_equal(uv_loop_close(&f->worker.loop), 0);
    cong_req_release(f->req);
    h2o_mem_clear_pool(&f->h2o.pool);
    cong_identity_free(&f->gw.identity);
    cong_jwt_key_free(f->vneid_key);
    cong_jwt_key_free(f->new_vneid_key);
    unlink(f->key_file);
    unlink(f->secret_file);
    unlink(f->jwks_file);
    free(f->key_file);
    free(f->secret_file);
    free(f->jwks_file);
    free(f);
    return 0;
}

/* ---- idp_verify ---- */

typedef struct verified {
    int calls, err, loa;
    char subject[64];
    long long auth_time, expires_at;
} verified_t;

static void on_verified(cong_req_t *req, int err, const cong_idp_identity_t *who, void *udata)
{
    (void)req;
    verified_t *v = udata;
    v->calls++;
    v->err = err;
    if (who != NULL) {
        assert_true(who->size >= sizeof *who);
        snprintf(v->subject, sizeof v->subject, "%s", who->subject);
        v->loa = who->loa;
        v->auth_time = who->auth_time;
        v->expires_at = who->expires_at;
    } else {
        assert_int_not_equal(err, 0);
    }
}

static char *id_token(const cong_jwt_key_t *key, const char *kid, const char *aud, long long exp)
{
    long long now = (long long)time(NULL);
    char *claims = xprintf("{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"%s\",\"iat\":%lld,\"exp\":%lld,\"acr\":\"2\","
                           "\"auth_time\":%lld}", VNEID_ISS, aud, CITIZEN, now - 5, exp, now - 30);
    char *token = NULL;
    assert_int_equal(cong_jwt_sign(key, CONG_JWT_ALG_ES256, kid, claims, &token), 0);
    free(claims);
    return token;
}

/* Calls idp_verify and runs the loop until its callback (at most ms). */
static verified_t verify(fixture_t *f, const char *token, int ms)
{
    verified_t v = {0};
    assert_int_equal(api->idp_verify(f->req, token, strlen(token), on_verified, &v), 0);
    assert_int_equal(v.calls, 0); /* never inside the call */
    run_loop_until(&f->worker.loop, &v.calls, ms);
    assert_int_equal(v.calls, 1);
    return v;
}

static void idp_verify_gives_the_pseudonym(void **state)
{
    fixture_t *f = *state;
    long long exp = (long long)time(NULL) + 300;
    char *token = id_token(f->vneid_key, "v1", VNEID_AUD, exp);
    verified_t v = verify(f, token, 2000);
    char expected[CONG_SUBJECT_LEN + 1];
    assert_int_equal(cong_subject_from_citizen((const unsigned char *)SECRET, strlen(SECRET), CITIZEN, expected), 0);
    assert_int_equal(v.err, 0);
    assert_string_equal(v.subject, expected);
    assert_null(strstr(v.subject, CITIZEN));
    assert_int_equal(v.loa, 2);
    assert_true(v.auth_time > 0 && v.auth_time <= (long long)time(NULL));
    assert_int_equal(v.expires_at, exp);
    free(token);
}

static void idp_verify_refuses_bad_tokens(void **state)
{
    fixture_t *f = *state;
    long long now = (long long)time(NULL);
    char *forged = id_token(f->new_vneid_key, "v1", VNEID_AUD, now + 300); /* kid v1, another key */
    char *expired = id_token(f->vneid_key, "v1", VNEID_AUD, now - 300);
    char *foreign = id_token(f->vneid_key, "v1", "another-app", now + 300);
    assert_int_equal(verify(f, forged, 2000).err, CONG_EINVAL);
    assert_int_equal(verify(f, expired, 2000).err, CONG_EINVAL);
    assert_int_equal(verify(f, foreign, 2000).err, CONG_EINVAL);
    assert_int_equal(verify(f, "not.a.token", 2000).err, CONG_EINVAL);
    /* refused at once, callback never called */
    verified_t v = {0};
    static char big[8194];
    memset(big, 'a', sizeof big - 1);
    assert_int_equal(api->idp_verify(f->req, NULL, 0, on_verified, &v), CONG_EINVAL);
    assert_int_equal(api->idp_verify(f->req, forged, strlen(forged), NULL, &v), CONG_EINVAL);
    assert_int_equal(api->idp_verify(f->req, big, strlen(big), on_verified, &v), CONG_ETOOBIG);
    f->gw.has_identity = 0;
    assert_int_equal(api->idp_verify(f->req, forged, strlen(forged), on_verified, &v), CONG_ENOTFOUND);
    f->gw.has_identity = 1;
    run_loop_until(&f->worker.loop, NULL, 20);
    assert_int_equal(v.calls, 0);
    free(forged);
    free(expired);
    free(foreign);
}

static void idp_verify_without_keys_is_unavailable(void **state)
{
    fixture_t *f = *state;
    char *token = id_token(f->vneid_key, "v1", VNEID_AUD, (long long)time(NULL) + 300);
    cong_jwks_source_t *source = f->gw.identity.vneid;
    f->gw.identity.vneid = NULL; /* as with no vneid.jwks configured */
    assert_int_equal(verify(f, token, 2000).err, CONG_EUNAVAILABLE);
    f->gw.identity.vneid = source;
    free(token);
}

/* VNeID rotated: the first token with the new kid waits for the refetch instead of being refused. */
static void idp_verify_waits_for_a_new_key(void **state)
{
    fixture_t *f = *state;
    char *token = id_token(f->new_vneid_key, "v2", VNEID_AUD, (long long)time(NULL) + 300);
    usleep(30 * 1000); /* past the source's 20 ms cooldown since its first load: the refetch starts at once */
    publish_vneid_keys(f, 1);
    verified_t v = verify(f, token, 3000);
    assert_int_equal(v.err, 0);
    assert_int_equal(v.loa, 2);
    free(token);
}

/* A kid VNeID never publishes: refused once the wait (at most 2 s) is over. */
static void idp_verify_refuses_an_unknown_key_after_waiting(void **state)
{
    fixture_t *f = *state;
    char *token = id_token(f->new_vneid_key, "v2", VNEID_AUD, (long long)time(NULL) + 300);
    assert_int_equal(verify(f, token, 5000).err, CONG_EINVAL);
    free(token);
}

static void idp_verify_never_calls_back_a_gone_client(void **state)
{
    fixture_t *f = *state;
    char *token = id_token(f->vneid_key, "v1", VNEID_AUD, (long long)time(NULL) + 300);
    verified_t v = {0};
    assert_int_equal(api->idp_verify(f->req, token, strlen(token), on_verified, &v), 0);
    f->req->h2o = NULL; /* the client left */
    run_loop_until(&f->worker.loop, NULL, 50);
    assert_int_equal(v.calls, 0);
    assert_int_equal(f->req->refs, 1); /* the call let the request go */
    assert_int_equal(api->idp_verify(f->req, token, strlen(token), on_verified, &v), CONG_EGONE);
    f->req->h2o = &f->h2o;
    free(token);
}

/* ---- token_issue ---- */

static void token_issue_signs_with_the_gateway_key(void **state)
{
    fixture_t *f = *state;
    long long now = (long long)time(NULL), exp = 0;
    cong_token_grant_t grant = {.size = sizeof grant, .subject = "pseudonym", .session_id = "sid-1", .scope = "citizen",
                                .loa = 2, .auth_time = now - 60, .not_after = now + 120};
    char *token = NULL;
    assert_int_equal(api->token_issue(f->req, &grant, &token, &exp), 0);
    assert_int_equal(exp, now + 120); /* never past not_after */
    cong_jwt_policy_t policy = {.issuer = ISS, .audience = AUD, .require_at_jwt = 1};
    cong_jwt_claims_t c;
    assert_int_equal(cong_jwt_verify_keyset(&policy, f->gw.identity.own_keys, token, strlen(token), now, &c),
                     CONG_JWT_OK);
    assert_string_equal(c.sub, "pseudonym");
    assert_string_equal(c.sid, "sid-1");
    assert_string_equal(c.scope, "citizen");
    assert_int_equal(c.loa, 2);
    assert_int_equal(c.auth_time, now - 60);
    assert_int_equal(c.exp, now + 120);
    /* an API client's token: the access lifetime */
    cong_token_grant_t client = {.size = sizeof client, .subject = "c_1", .session_id = "client:c_1", .scope = "ping",
                                 .client_id = "c_1"};
    assert_int_equal(api->token_issue(f->req, &client, &token, NULL), 0);
    assert_int_equal(cong_jwt_verify_keyset(&policy, f->gw.identity.own_keys, token, strlen(token), now, &c),
                     CONG_JWT_OK);
    assert_string_equal(c.client_id, "c_1");
    assert_true(c.exp >= now + 600 && c.exp <= now + 602);
}

static void token_issue_refuses_bad_grants(void **state)
{
    fixture_t *f = *state;
    long long now = (long long)time(NULL);
    char *token = NULL;
    cong_token_grant_t g = {.size = sizeof g, .subject = "pseudonym", .loa = 1};
    g.not_after = now; /* already over */
    assert_int_equal(api->token_issue(f->req, &g, &token, NULL), CONG_EINVAL);
    g.not_after = 0;
    g.loa = 3;
    assert_int_equal(api->token_issue(f->req, &g, &token, NULL), CONG_EINVAL);
    g.loa = 1;
    g.subject = "";
    assert_int_equal(api->token_issue(f->req, &g, &token, NULL), CONG_EINVAL);
    g.subject = "pseudonym";
    g.size = offsetof(cong_token_grant_t, not_after); /* built against an older, smaller struct */
    assert_int_equal(api->token_issue(f->req, &g, &token, NULL), CONG_EINVAL);
    g.size = sizeof g;
    assert_int_equal(api->token_issue(f->req, NULL, &token, NULL), CONG_EINVAL);
    assert_null(token);
    f->gw.has_identity = 0;
    assert_int_equal(api->token_issue(f->req, &g, &token, NULL), CONG_ENOTFOUND);
    f->gw.has_identity = 1;
    f->req->h2o = NULL;
    assert_int_equal(api->token_issue(f->req, &g, &token, NULL), CONG_EGONE);
    f->req->h2o = &f->h2o;
    assert_null(token);
}

/* ---- session_revoke ---- */

typedef struct revoked {
    int calls, err;
} revoked_t;

static void on_revoked(cong_req_t *req, int err, void *udata)
{
    (void)req;
    revoked_t *r = udata;
    r->calls++;
    r->err = err;
}

static int redis_port(void)
{
    const char *v = getenv("TEST_REDIS_PORT");
    if (v == NULL)
        fail_msg("TEST_REDIS_PORT is not set: run through `make test` (scripts/test.sh starts the stores)");
    return atoi(v);
}

/* The worker's token cache, and its Redis connection to `port`, up (or trying, for a port nothing listens on). */
static void open_stores(fixture_t *f, int port)
{
    f->worker.tokens = cong_token_cache_new(64);
    f->worker.redis = cong_redis_new(&f->worker.loop, "127.0.0.1", port, "", 2000);
    for (int i = 0; i < 1000 && port != 1 && !cong_redis_is_up(f->worker.redis); i++) {
        uv_run(&f->worker.loop, UV_RUN_NOWAIT);
        usleep(2000);
    }
    assert_true(port == 1 || cong_redis_is_up(f->worker.redis));
}

static void close_stores(fixture_t *f)
{
    cong_redis_close(f->worker.redis);
    f->worker.redis = NULL;
    run_loop_until(&f->worker.loop, NULL, 50);
    cong_token_cache_free(f->worker.tokens);
    f->worker.tokens = NULL;
}

/* The revocation Redis holds for `sid` ("until", seconds), waiting up to 3 s for it; removed once read. -1: none. */
static long long stored_revocation(const char *sid)
{
    redisContext *c = redisConnect("127.0.0.1", redis_port());
    assert_true(c != NULL && c->err == 0);
    long long until = -1;
    for (int i = 0; i < 300 && until < 0; i++) {
        redisReply *score = redisCommand(c, "ZSCORE cong:revoked %s", sid);
        if (score != NULL && score->type == REDIS_REPLY_STRING)
            until = strtoll(score->str, NULL, 10);
        else
            usleep(10000);
        freeReplyObject(score);
    }
    freeReplyObject(redisCommand(c, "ZREM cong:revoked %s", sid));
    redisFree(c);
    return until;
}

static void session_revoke_reaches_this_worker_and_redis(void **state)
{
    fixture_t *f = *state;
    open_stores(f, redis_port());
    char sid[64], gone_sid[64];
    snprintf(sid, sizeof sid, "test-revoke-%d", (int)getpid());
    snprintf(gone_sid, sizeof gone_sid, "test-revoke-gone-%d", (int)getpid());
    int64_t now = (int64_t)time(NULL);
    revoked_t r = {0};
    assert_int_equal(api->session_revoke(f->req, sid, on_revoked, &r), 0);
    assert_true(cong_token_cache_session_revoked(f->worker.tokens, sid, now)); /* before the call returned */
    assert_int_equal(r.calls, 0);
    run_loop_until(&f->worker.loop, &r.calls, 3000);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.err, 0);
    /* stored for every instance, until the longest access token life plus skew */
    long long until = stored_revocation(sid);
    assert_true(until >= now + 600 + 120 && until <= now + 600 + 120 + 5);

    /* a client that left is not called back; the revocation still happens */
    revoked_t gone = {0};
    assert_int_equal(api->session_revoke(f->req, gone_sid, on_revoked, &gone), 0);
    f->req->h2o = NULL;
    run_loop_until(&f->worker.loop, NULL, 200);
    f->req->h2o = &f->h2o;
    assert_int_equal(gone.calls, 0);
    assert_int_equal(f->req->refs, 1);
    assert_true(stored_revocation(gone_sid) > now);
    close_stores(f);
}

static void session_revoke_refuses_bad_ids_and_a_down_redis(void **state)
{
    fixture_t *f = *state;
    open_stores(f, redis_port());
    revoked_t r = {0};
    char long_sid[65];
    memset(long_sid, 's', 64);
    long_sid[64] = '\0';
    const char *bad[] = {"", "with space", "new\nline", long_sid, NULL};
    for (size_t i = 0; bad[i] != NULL; i++)
        assert_int_equal(api->session_revoke(f->req, bad[i], on_revoked, &r), CONG_EINVAL);
    assert_int_equal(api->session_revoke(f->req, NULL, on_revoked, &r), CONG_EINVAL);
    assert_false(cong_token_cache_session_revoked(f->worker.tokens, "with space", (int64_t)time(NULL)));
    close_stores(f);
    /* nothing listens on port 1: the connection is down, the call refused at once, nothing revoked here */
    open_stores(f, 1);
    assert_int_equal(api->session_revoke(f->req, "test-revoke-down", on_revoked, &r), CONG_EUNAVAILABLE);
    assert_false(cong_token_cache_session_revoked(f->worker.tokens, "test-revoke-down", (int64_t)time(NULL)));
    run_loop_until(&f->worker.loop, NULL, 20);
    assert_int_equal(r.calls, 0);
    close_stores(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(idp_verify_gives_the_pseudonym, setup, teardown),
        cmocka_unit_test_setup_teardown(idp_verify_refuses_bad_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(idp_verify_without_keys_is_unavailable, setup, teardown),
        cmocka_unit_test_setup_teardown(idp_verify_waits_for_a_new_key, setup, teardown),
        cmocka_unit_test_setup_teardown(idp_verify_refuses_an_unknown_key_after_waiting, setup, teardown),
        cmocka_unit_test_setup_teardown(idp_verify_never_calls_back_a_gone_client, setup, teardown),
        cmocka_unit_test_setup_teardown(token_issue_signs_with_the_gateway_key, setup, teardown),
        cmocka_unit_test_setup_teardown(token_issue_refuses_bad_grants, setup, teardown),
        cmocka_unit_test_setup_teardown(session_revoke_reaches_this_worker_and_redis, setup, teardown),
        cmocka_unit_test_setup_teardown(session_revoke_refuses_bad_ids_and_a_down_redis, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
