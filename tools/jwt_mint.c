/*
 * tools/jwt_mint.c — cong-jwt-mint: make an ES256 access token for tests and benchmarks.
 *
 *   cong-jwt-mint --key PRIVATE.pem [--kid K] --iss ISS --aud AUD --sub SUB [--scope "a b"] [--acr 2] [--sid S]
 *                 [--client-id C] [--ttl 600] [--nbf-offset N] [--iat-offset N] [--auth-time-offset N]
 *                 [--typ at+jwt] [--claims-json '{...}']
 *
 * Header: alg ES256, typ at+jwt (RFC 9068: what cong requires of a bearer token; --typ to make another), kid when
 * given. Claims: iss, aud, sub, iat = now + iat-offset (default 0), auth_time = now + auth-time-offset (default 0: a
 * login just now, so a level-2 token is recent), exp = now + ttl, nbf = now + nbf-offset (only when given), and
 * scope/acr/sid/client_id when given; --claims-json is merged last and wins (a member set to null is removed).
 * The token goes to stdout. Exit status: 0, 1 on a key or signing failure, 2 on bad arguments.
 */
#include "auth/auth.h"
#include "cong/module.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(void)
{
    fputs("usage: cong-jwt-mint --key PRIVATE.pem [--kid K] --iss ISS --aud AUD --sub SUB [--scope \"a b\"]\n"
          "                     [--acr 2] [--sid S] [--client-id C] [--ttl 600] [--nbf-offset N]\n"
          "                     [--iat-offset N] [--auth-time-offset N] [--typ at+jwt] [--claims-json '{...}']\n",
          stderr);
    exit(2);
}

static int64_t parse_int(const char *s, const char *what)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) {
        fprintf(stderr, "cong-jwt-mint: %s must be an integer\n", what);
        usage();
    }
    return v;
}

static void set_string(json_t *obj, const char *name, const char *value)
{
    if (value && json_object_set_new(obj, name, json_string(value)) != 0) {
        fprintf(stderr, "cong-jwt-mint: %s is not valid UTF-8\n", name);
        usage();
    }
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"key", required_argument, NULL, 'k'},        {"kid", required_argument, NULL, 'K'},
        {"iss", required_argument, NULL, 'i'},        {"aud", required_argument, NULL, 'a'},
        {"sub", required_argument, NULL, 's'},        {"scope", required_argument, NULL, 'S'},
        {"acr", required_argument, NULL, 'A'},        {"sid", required_argument, NULL, 'd'},
        {"client-id", required_argument, NULL, 'c'},  {"ttl", required_argument, NULL, 't'},
        {"nbf-offset", required_argument, NULL, 'n'}, {"iat-offset", required_argument, NULL, 'I'},
        {"claims-json", required_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
        {"auth-time-offset", required_argument, NULL, 'T'}, {"typ", required_argument, NULL, 'y'},
        {NULL, 0, NULL, 0},
    };
    const char *key_path = NULL, *kid = NULL, *iss = NULL, *aud = NULL, *sub = NULL, *scope = NULL, *acr = NULL;
    const char *sid = NULL, *client_id = NULL, *extra = NULL, *typ = "at+jwt";
    int64_t ttl = 600, nbf_offset = 0, iat_offset = 0, auth_time_offset = 0;
    int has_nbf = 0, opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'k': key_path = optarg; break;
        case 'K': kid = optarg; break;
        case 'i': iss = optarg; break;
        case 'a': aud = optarg; break;
        case 's': sub = optarg; break;
        case 'S': scope = optarg; break;
        case 'A': acr = optarg; break;
        case 'd': sid = optarg; break;
        case 'c': client_id = optarg; break;
        case 't': ttl = parse_int(optarg, "--ttl"); break;
        case 'n': nbf_offset = parse_int(optarg, "--nbf-offset"), has_nbf = 1; break;
        case 'I': iat_offset = parse_int(optarg, "--iat-offset"); break;
        case 'j': extra = optarg; break;
        case 'T': auth_time_offset = parse_int(optarg, "--auth-time-offset"); break;
        case 'y': typ = optarg; break;
        default: usage();
        }
    }
    if (optind != argc || !key_path || !iss || !aud || !sub)
        usage();

    int64_t now = (int64_t)time(NULL);
    json_t *claims = json_object();
    if (!claims)
        return 1;
    set_string(claims, "iss", iss);
    set_string(claims, "aud", aud);
    set_string(claims, "sub", sub);
    json_object_set_new(claims, "iat", json_integer(now + iat_offset));
    json_object_set_new(claims, "auth_time", json_integer(now + auth_time_offset));
    json_object_set_new(claims, "exp", json_integer(now + ttl));
    if (has_nbf)
        json_object_set_new(claims, "nbf", json_integer(now + nbf_offset));
    set_string(claims, "scope", scope);
    set_string(claims, "acr", acr);
    set_string(claims, "sid", sid);
    set_string(claims, "client_id", client_id);
    if (extra) {
        json_t *more = json_loads(extra, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(more)) {
            fputs("cong-jwt-mint: --claims-json must be a JSON object\n", stderr);
            usage();
        }
        const char *name;
        json_t *value;
        json_object_foreach(more, name, value) {
            if (json_is_null(value))
                json_object_del(claims, name);
            else
                json_object_set(claims, name, value);
        }
        json_decref(more);
    }
    char *text = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    if (!text)
        return 1;

    cong_jwt_key_t *key = NULL;
    int rc = cong_jwt_key_load_private_file(key_path, &key);
    if (rc != CONG_OK) {
        fprintf(stderr, "cong-jwt-mint: %s: not a readable EC P-256 private key (%d)\n", key_path, rc);
        free(text);
        return 1;
    }
    char *token = NULL;
    rc = cong_jwt_sign_typed(key, CONG_JWT_ALG_ES256, typ, kid, text, &token);
    cong_jwt_key_free(key);
    free(text);
    if (rc != CONG_OK) {
        fprintf(stderr, "cong-jwt-mint: signing failed (%d)\n", rc);
        return 1;
    }
    int ok = printf("%s\n", token) > 0 && fflush(stdout) == 0;
    free(token);
    return ok ? 0 : 1;
}
