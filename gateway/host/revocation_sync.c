/* job_revoke_session (module ABI 1.4): a session revocation published from a blocking context — a command, or the
 * job thread — into the same set and channel the workers follow (revocation.h), on a short-lived connection of its
 * own. Used by `cong client revoke` (modules/identity/client_command.c). */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jobs.h"
#include "module_loader.h"
#include "gateway/authn/authn.h"

static redisContext *connect_redis(const cong_config_t *cfg)
{
    struct timeval tv = {cfg->redis.timeout_ms / 1000, (cfg->redis.timeout_ms % 1000) * 1000};
    redisContext *r = redisConnectWithTimeout(cfg->redis.host, cfg->redis.port, tv);
    if (r == NULL || r->err || redisSetTimeout(r, tv) != REDIS_OK) {
        if (r != NULL)
            redisFree(r);
        return NULL;
    }
    if (cfg->redis.password[0] != '\0') {
        redisReply *auth = redisCommand(r, "AUTH %s", cfg->redis.password);
        int ok = auth != NULL && auth->type != REDIS_REPLY_ERROR;
        freeReplyObject(auth);
        if (!ok) {
            redisFree(r);
            return NULL;
        }
    }
    return r;
}

int cong_api_job_revoke_session(cong_job_t *job, const char *session_id)
{
    if (job == NULL || session_id == NULL || session_id[0] == '\0' || strlen(session_id) > 80 ||
        strchr(session_id, ' ') != NULL)
        return CONG_EINVAL;
    const cong_config_t *cfg = cong_job_gateway(job)->config;
    redisContext *r = connect_redis(cfg);
    if (r == NULL)
        return CONG_EUNAVAILABLE;
    char until[24], message[120];
    snprintf(until, sizeof until, "%lld", (long long)time(NULL) + cfg->auth.access_token_ttl_s + 120);
    snprintf(message, sizeof message, "%s %s", session_id, until);
    redisReply *a = redisCommand(r, "ZADD %s %s %s", CONG_REVOCATION_SET, until, session_id);
    redisReply *b = a != NULL ? redisCommand(r, "PUBLISH %s %s", CONG_REVOCATION_CHANNEL, message) : NULL;
    int rc = a == NULL || b == NULL                                           ? CONG_EUNAVAILABLE
             : a->type == REDIS_REPLY_ERROR || b->type == REDIS_REPLY_ERROR ? CONG_EQUERY
                                                                            : 0;
    freeReplyObject(a);
    freeReplyObject(b);
    redisFree(r);
    return rc;
}
