/* Helpers the audit module's files share (see audit.h): stored nodes over SQL, replies, parameters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "b64.h"

int audit_missing_params(const audit_node_set_t *s, char **levels, char **indexes)
{
    size_t room = 3 + s->missing_count * 24;
    char *l = malloc(room), *x = malloc(room);
    if (l == NULL || x == NULL) {
        free(l);
        free(x);
        return -1;
    }
    size_t ln = 0, xn = 0;
    l[ln++] = '{';
    x[xn++] = '{';
    for (size_t i = 0; i < s->missing_count; i++) {
        int level;
        uint64_t index;
        audit_node_key_split(s->missing[i], &level, &index);
        ln += (size_t)snprintf(l + ln, room - ln, "%s%d", i ? "," : "", level);
        xn += (size_t)snprintf(x + xn, room - xn, "%s%llu", i ? "," : "", (unsigned long long)index);
    }
    snprintf(l + ln, room - ln, "}");
    snprintf(x + xn, room - xn, "}");
    *levels = l;
    *indexes = x;
    return 0;
}

int audit_node_set_put_text(audit_node_set_t *s, const cong_pg_result_t *res, int row)
{
    const cong_api_t *api = audit_api;
    uint8_t hash[AUDIT_HASH_SIZE];
    if (audit_hex_decode(api->pg_value(res, row, 2), hash, sizeof hash) != 0)
        return -1;
    return audit_node_set_put(s, atoi(api->pg_value(res, row, 0)), strtoull(api->pg_value(res, row, 1), NULL, 10),
                              hash);
}

int audit_node_set_load(audit_node_set_t *s, const cong_pg_result_t *res)
{
    for (int i = 0; i < audit_api->pg_ntuples(res); i++)
        if (audit_node_set_put_text(s, res, i) != 0)
            return -1;
    return 0;
}

void audit_reply_store_error(cong_req_t *req, int err)
{
    const cong_api_t *api = audit_api;
    if (err == CONG_EUNAVAILABLE || err == CONG_ETIMEDOUT || err == CONG_EBUSY) {
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return;
    }
    api->log(CONG_LOG_ERROR, AUDIT_MODULE, "store error %s (request %s)", api->strerror(err), api->req_id(req));
    api->reply_problem(req, 500, "internal-error", NULL, NULL);
}

void audit_reply_bad_request(cong_req_t *req, const char *vi, const char *en)
{
    audit_api->reply_problem(req, 400, "bad-request", vi, en);
}

json_t *audit_hash_json(const uint8_t hash[AUDIT_HASH_SIZE])
{
    char b64[AUDIT_B64_ROOM(AUDIT_HASH_SIZE)];
    audit_b64_encode(hash, AUDIT_HASH_SIZE, b64, 0);
    return json_string(b64);
}

json_t *audit_hash_array(const uint8_t path[][AUDIT_HASH_SIZE], size_t len)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < len; i++)
        json_array_append_new(a, audit_hash_json(path[i]));
    return a;
}

int audit_param_u64(const char *text, unsigned long long max, unsigned long long *out)
{
    if (text == NULL || text[0] < '0' || text[0] > '9' || strlen(text) > 19)
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno != 0 || v > max)
        return -1;
    *out = v;
    return 0;
}
