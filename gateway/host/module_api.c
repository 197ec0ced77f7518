/* The request-side members of the module ABI v1 table (accessors, replies, documents), and the table itself; the store
 * members are in module_api_stores.c, identity in module_api_identity.c. Every asynchronous helper holds a
 * request reference and calls the module back only while the request is alive (see request.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/stores/stores.h"
#include "document_keys.h"
#include "common/common.h"
#include "gateway/outbound/outbound.h"
#include "jobs.h"
#include "module_api_identity.h"
#include "module_channels.h"
#include "module_sessions.h"
#include "module_api_stores.h"
#include "module_commands.h"
#include "module_loader.h"
#include "gateway/http/http.h"
#include "push/push.h"
#include "gateway/authn/authn.h"
#include "subject_secret.h"
#include "worker_hooks.h"

static void api_log(int level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cong_logv(level, module ? module : "module", fmt, ap);
    va_end(ap);
}

static const char *api_req_method(cong_req_t *r, size_t *len)
{
    *len = r->h2o->input.method.len;
    return r->h2o->input.method.base;
}

static const char *api_req_path(cong_req_t *r, size_t *len)
{
    h2o_iovec_t p = cong_req_path(r);
    *len = p.len;
    return p.base;
}

static const char *api_req_query(cong_req_t *r, size_t *len)
{
    h2o_iovec_t p = r->h2o->path;
    size_t at = r->h2o->query_at;
    size_t n = at != SIZE_MAX && at < p.len ? p.len - at - 1 : 0;
    char *out = h2o_mem_alloc_pool(&r->h2o->pool, n + 1);
    if (n > 0)
        memcpy(out, p.base + at + 1, n);
    out[n] = '\0';
    if (len != NULL)
        *len = n;
    return out;
}

static const char *api_req_path_param(cong_req_t *r, const char *name, size_t *len)
{
    size_t n = 0;
    const char *v = cong_route_param(&r->lookup->match, name, &n);
    if (len != NULL)
        *len = n;
    return v;
}

/* Decodes a query component ('+' is a space here) into the pool; NULL if malformed or holding NUL. */
static char *decode_component(h2o_mem_pool_t *pool, const char *s, size_t len, size_t *out_len)
{
    char *out = h2o_mem_alloc_pool(pool, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            if (i + 2 >= len)
                return NULL;
            int hi = cong_hex_digit(s[i + 1]), lo = cong_hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return NULL;
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[n++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

/* The value of `name` in an application/x-www-form-urlencoded string (a query, or a form body), decoded into the
 * request pool; NULL when absent or malformed. */
static const char *find_urlencoded(h2o_mem_pool_t *pool, const char *q, const char *end, const char *name, size_t *len)
{
    size_t name_len = strlen(name);
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *item_end = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(item_end - q));
        const char *key_end = eq ? eq : item_end;
        size_t key_len = 0;
        char *key = decode_component(pool, q, (size_t)(key_end - q), &key_len);
        if (key != NULL && key_len == name_len && memcmp(key, name, name_len) == 0) {
            size_t n = 0;
            char *v = eq ? decode_component(pool, eq + 1, (size_t)(item_end - eq - 1), &n) : "";
            if (len != NULL)
                *len = n;
            return v;
        }
        q = item_end + 1;
    }
    return NULL;
}

static const char *api_req_query_param(cong_req_t *r, const char *name, size_t *len)
{
    h2o_req_t *req = r->h2o;
    if (req->query_at == SIZE_MAX)
        return NULL;
    return find_urlencoded(&req->pool, req->path.base + req->query_at + 1, req->path.base + req->path.len, name, len);
}

static const char *api_req_form_param(cong_req_t *r, const char *name, size_t *len)
{
    h2o_req_t *req = r->h2o;
    h2o_iovec_t type = cong_req_header(r, H2O_STRLIT("content-type"));
    if (req->entity.base == NULL || type.base == NULL ||
        !h2o_memis(type.base, type.len < 33 ? type.len : 33, H2O_STRLIT("application/x-www-form-urlencoded")))
        return NULL;
    return find_urlencoded(&req->pool, req->entity.base, req->entity.base + req->entity.len, name, len);
}

static const char *api_req_header(cong_req_t *r, const char *name, size_t *len)
{
    h2o_iovec_t v = cong_req_header(r, name, strlen(name));
    if (len != NULL)
        *len = v.len;
    return v.base;
}

static const char *api_req_body(cong_req_t *r, size_t *len)
{
    *len = r->h2o->entity.len;
    return r->h2o->entity.base;
}

static json_t *api_req_json(cong_req_t *r)
{
    if (!r->json_parsed) {
        r->json_parsed = 1;
        if (r->h2o->entity.base != NULL && r->h2o->entity.len > 0)
            r->json = json_loadb(r->h2o->entity.base, r->h2o->entity.len, JSON_REJECT_DUPLICATES, NULL);
    }
    return r->json;
}

static const cong_principal_t *api_req_principal(cong_req_t *r)
{
    return &r->principal;
}

static const char *api_req_id(cong_req_t *r)
{
    return r->id;
}

static int api_req_lang_en(cong_req_t *r)
{
    return r->lang_en;
}

static void *api_req_alloc(cong_req_t *r, size_t size)
{
    if (r->h2o == NULL)
        return NULL;
    void *p = h2o_mem_alloc_pool(&r->h2o->pool, size);
    memset(p, 0, size);
    return p;
}

static int api_reply_header(cong_req_t *r, const char *name, const char *value)
{
    if (name == NULL || value == NULL)
        return CONG_EINVAL;
    return cong_reply_add_header(r, name, strlen(name), value, strlen(value));
}

/* Takes `body` on every path, refusals included: a module never frees what it handed over. */
static int api_reply_json(cong_req_t *r, int status, json_t *body)
{
    if (body == NULL || status < 200 || status > 599) {
        json_decref(body); /* the body is the caller's gift on every path, refusals included */
        return CONG_EINVAL;
    }
    return cong_reply_json(r, status, body);
}

static int api_reply_text(cong_req_t *r, int status, const char *content_type, const char *body, size_t len)
{
    if (status < 200 || status > 599 || (len > 0 && body == NULL))
        return CONG_EINVAL;
    return cong_reply(r, status, content_type, body, len);
}

static int api_reply_problem(cong_req_t *r, int status, const char *problem, const char *detail_vi,
                             const char *detail_en)
{
    if (problem == NULL || status < 400 || status > 599)
        return CONG_EINVAL;
    return cong_reply_problem(r, status, problem, detail_vi, detail_en, CONG_RETRY_AFTER_UNLESS_SET);
}

static int api_reply_problem_ext(cong_req_t *r, int status, const char *problem, const char *detail_vi,
                                 const char *detail_en, json_t *extensions)
{
    if (problem == NULL || status < 400 || status > 599) {
        json_decref(extensions);
        return CONG_EINVAL;
    }
    return cong_reply_problem_ext(r, status, problem, detail_vi, detail_en, CONG_RETRY_AFTER_UNLESS_SET, extensions);
}

/* ---- documents signed by cong (1.2), with the document keys (document_keys.h) ---- */

static const char *api_jws_sign(cong_req_t *r, const char *payload, size_t len)
{
    if (r->h2o == NULL || payload == NULL)
        return NULL;
    char *json = strndup(payload, len), *token = NULL;
    int rc = json != NULL ? cong_document_keys_sign(r->worker->gateway, json, &token) : CONG_ENOMEM;
    free(json);
    if (rc != 0)
        return NULL;
    size_t n = strlen(token);
    char *out = h2o_mem_alloc_pool(&r->h2o->pool, n + 1);
    memcpy(out, token, n + 1);
    free(token);
    return out;
}

/* 1.6: the job thread's (and a command's) form; the signer is shared by every thread (document_keys.h). */
static int api_job_jws_sign(cong_job_t *job, const char *payload, size_t len, char **jws)
{
    if (job == NULL || payload == NULL || jws == NULL)
        return CONG_EINVAL;
    *jws = NULL;
    char *json = strndup(payload, len);
    if (json == NULL)
        return CONG_ENOMEM;
    int rc = cong_document_keys_sign(cong_job_gateway(job), json, jws);
    free(json);
    return rc;
}

static int api_jws_verify(cong_req_t *r, const char *jws, size_t len, const char **payload, size_t *payload_len)
{
    if (r->h2o == NULL)
        return CONG_EGONE;
    char *decoded = NULL;
    size_t n = 0;
    int rc = cong_document_keys_verify(r->worker->gateway, jws, len, &decoded, &n);
    if (rc != 0)
        return rc;
    char *out = h2o_mem_alloc_pool(&r->h2o->pool, n + 1);
    memcpy(out, decoded, n + 1);
    free(decoded);
    *payload = out;
    if (payload_len != NULL)
        *payload_len = n;
    return 0;
}

const cong_api_t cong_module_api = {
    .abi_major = CONG_MODULE_ABI_MAJOR,
    .abi_minor = CONG_MODULE_ABI_MINOR,
    .size = sizeof(cong_api_t),
    .register_route = cong_loader_register_route,
    .register_config = cong_loader_register_config,
    .config_get = cong_loader_config_get,
    .strerror = cong_error_name,
    .log = api_log,
    .req_method = api_req_method,
    .req_path = api_req_path,
    .req_path_param = api_req_path_param,
    .req_query_param = api_req_query_param,
    .req_header = api_req_header,
    .req_body = api_req_body,
    .req_json = api_req_json,
    .req_principal = api_req_principal,
    .req_id = api_req_id,
    .req_lang_en = api_req_lang_en,
    .req_alloc = api_req_alloc,
    .reply_header = api_reply_header,
    .reply_json = api_reply_json,
    .reply_text = api_reply_text,
    .reply_problem = api_reply_problem,
    .pg_query = cong_api_pg_query,
    .pg_ntuples = cong_api_pg_ntuples,
    .pg_nfields = cong_api_pg_nfields,
    .pg_value = cong_api_pg_value,
    .pg_is_null = cong_api_pg_is_null,
    .pg_field_name = cong_api_pg_field_name,
    .redis_command = cong_api_redis_command,
    .redis_type = cong_api_redis_type,
    .redis_string = cong_api_redis_string,
    .redis_integer = cong_api_redis_integer,
    .redis_elements = cong_api_redis_elements,
    .redis_element = cong_api_redis_element,
    .event_publish = cong_api_event_publish,
    .req_form_param = api_req_form_param,
    .register_migrations = cong_loader_register_migrations,
    .req_body_store = cong_body_store,
    .jws_sign = api_jws_sign,
    .jws_verify = api_jws_verify,
    .reply_problem_ext = api_reply_problem_ext,
    .reply_file = cong_reply_file,
    .register_job = cong_loader_register_job,
    .job_pg_exec = cong_job_pg_exec,
    .job_pg_clear = cong_job_pg_clear,
    .job_stopping = cong_job_stopping,
    /* ---- added in 1.4 (modules' lifecycle and commands) ---- */
    .declare_module = cong_loader_declare_module,
    .load_purpose = cong_loader_load_purpose,
    .register_worker_hooks = cong_loader_register_worker_hooks,
    .req_worker = cong_api_req_worker,
    .timer_start = cong_api_timer_start,
    .timer_stop = cong_api_timer_stop,
    .register_command = cong_loader_register_command,
    .citizen_subject = cong_api_citizen_subject,
    .job_revoke_session = cong_api_job_revoke_session,
    /* ---- added in 1.4 (identity) ---- */
    .auth_settings = cong_api_auth_settings,
    .idp_verify = cong_api_idp_verify,
    .token_issue = cong_api_token_issue,
    .session_revoke = cong_api_session_revoke,
    /* ---- added in 1.4 (streaming, outbound HTTP) ---- */
    .stream_begin = cong_stream_begin,
    .stream_write = cong_stream_write,
    .stream_end = cong_stream_end,
    .http_request = cong_http_request,
    .http_response_status = cong_http_response_status,
    .http_response_version = cong_http_response_version,
    .http_response_header = cong_http_response_header,
    .http_response_body = cong_http_response_body,
    .job_http_request = cong_job_http_request,
    .job_http_response_free = cong_job_http_response_free,
    /* ---- added in 1.5 (mandates) ---- */
    .mandate_covers = cong_api_mandate_covers,
    /* ---- added in 1.6 (payments) ---- */
    .req_client_address = cong_req_client_address,
    .job_jws_sign = api_job_jws_sign,
    .req_query = api_req_query,
    /* ---- added in 1.7 (live channels) ---- */
    .register_channel = cong_loader_register_channel,
    /* ---- added in 1.8 (ended sessions) ---- */
    .register_session_listener = cong_loader_register_session_listener,
    .register_config_development_only = cong_loader_register_config_development_only,
};
