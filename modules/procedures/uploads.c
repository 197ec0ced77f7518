/*
 * Uploads and the document wallet.
 *
 *   POST /v1/uploads            raw file as the body (PDF, JPEG or PNG, at most upload_max_bytes); rate class "upload"
 *   GET  /v1/me/documents       the wallet: electronic results, receipts and verified documents — the citizen's, or
 *                               an organization's (its results and receipts; issue 18)
 *
 * The type is sniffed from the bytes with libmagic (the client's Content-Type is not trusted) against an allow-list.
 * Then one file of that size is taken from the owner's daily quota (upload_daily_files, upload_daily_bytes; SQL
 * upload_quota_take), before anything is written: past it, 429 upload-quota-exceeded with Retry-After until the day
 * ends in Hanoi. The file is stored off the event loop under data_dir by its SHA-256 (api->req_body_store), then
 * recorded in `uploads` (owner, sha256, size, type); the same owner uploading the same bytes again gets the same
 * upload back (and restarts its clock: uploads no dossier uses are removed by upload_sweep.c).
 *
 * Who may call them is applicant.c's (procedures_party_allowed: citizens at level 1 and organizations; a plain API
 * client is refused). An organization's uploads are its own (owner "org:<id>", one quota for all its clients).
 *
 * Acting for someone (ABI 1.5), an upload is the grantee's (owner and quota: who acts) until a dossier of the grantor
 * uses it; the wallet shows the results of the dossiers the mandate covers, recorded in the audit log.
 *
 * Memory: h2o 2.2 buffers a request body before the handler runs, so an upload is held in memory once while it is
 * written (bounded by upload_max_bytes per request); see the README on what streaming would need.
 */
#include <jansson.h>
#include <magic.h>
#include <stdio.h>
#include <string.h>

#include "procedures.h"

#define SNIFF_BYTES 65536

static const char *const allowed_types[] = {"application/pdf", "image/jpeg", "image/png"};

/* libmagic handles are not thread-safe: one per worker thread, loaded on its first upload. */
static __thread magic_t sniffer;

/* The media type of the bytes if it is on the allow-list, else NULL. */
static const char *sniff(const char *body, size_t len)
{
    if (sniffer == NULL) {
        sniffer = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
        if (sniffer != NULL && magic_load(sniffer, NULL) != 0) {
            magic_close(sniffer);
            sniffer = NULL;
        }
        if (sniffer == NULL)
            return NULL;
    }
    const char *type = magic_buffer(sniffer, body, len < SNIFF_BYTES ? len : SNIFF_BYTES);
    for (size_t i = 0; type != NULL && i < sizeof allowed_types / sizeof allowed_types[0]; i++)
        if (strcmp(type, allowed_types[i]) == 0)
            return allowed_types[i];
    return NULL;
}

typedef struct upload {
    const char *media_type;
    char sha256[65];
    char size[24];
} upload_t;

static void on_recorded(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    if (!procedures_one_row(req, err, res))
        return;
    procedures_reply_json_text(req, 201, api->pg_value(res, 0, 0));
}

static void on_stored(cong_req_t *req, int err, const char *sha256_hex, long long size, void *udata)
{
    const cong_api_t *api = procedures_api;
    upload_t *u = udata;
    if (err != 0) {
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return;
    }
    memcpy(u->sha256, sha256_hex, 65);
    snprintf(u->size, sizeof u->size, "%lld", size);
    const char *params[] = {procedures_actor(req), u->sha256, u->size, u->media_type};
    procedures_query(req,
                     "INSERT INTO uploads (id, owner, sha256, size_bytes, media_type) "
                     "VALUES (gen_random_uuid(), $1, $2, $3::bigint, $4) "
                     "ON CONFLICT (owner, sha256) DO UPDATE SET media_type = EXCLUDED.media_type, "
                     "last_uploaded_at = now() "
                     "RETURNING json_build_object('id', id, 'sha256', sha256, 'size_bytes', size_bytes, "
                     "'media_type', media_type, 'created_at', created_at)",
                     4, params, on_recorded, NULL);
}

static void reply_quota_exceeded(cong_req_t *req, const char *which, const char *retry_after_s)
{
    const cong_api_t *api = procedures_api;
    int files = strcmp(which, "files") == 0;
    api->reply_header(req, "retry-after", retry_after_s);
    json_t *ext = json_pack("{s:s, s:I}", "quota", which,
                            "limit", files ? (json_int_t)procedures_config.upload_daily_files
                                           : (json_int_t)procedures_config.upload_daily_bytes);
    api->reply_problem_ext(req, 429, "upload-quota-exceeded",
                           files ? "Bạn đã tải lên đủ số tệp cho phép trong hôm nay." :
                                   "Bạn đã tải lên đủ dung lượng cho phép trong hôm nay.",
                           files ? "You have uploaded as many files as allowed today." :
                                   "You have uploaded as many bytes as allowed today.", ext);
}

/* The quota answered: store the body, or refuse it. */
static void on_quota(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = procedures_api;
    if (!procedures_one_row(req, err, res))
        return;
    if (!api->pg_is_null(res, 0, 0)) {
        reply_quota_exceeded(req, api->pg_value(res, 0, 0), api->pg_value(res, 0, 1));
        return;
    }
    int rc = api->req_body_store(req, procedures_config.data_dir, on_stored, udata);
    if (rc != 0)
        procedures_reply_store_error(req, rc);
}

static void upload(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    if (!procedures_party_allowed(req))
        return;
    size_t len = 0;
    const char *body = api->req_body(req, &len);
    if (body == NULL || len == 0) {
        api->reply_problem(req, 422, "validation-failed", "Tệp tải lên đang trống.", "The uploaded file is empty.");
        return;
    }
    const char *type = sniff(body, len);
    if (type == NULL) {
        api->reply_problem(req, 415, "unsupported-media-type", "Chỉ nhận tệp PDF, JPEG hoặc PNG.",
                           "Only PDF, JPEG or PNG files are accepted.");
        return;
    }
    upload_t *u = api->req_alloc(req, sizeof *u);
    if (u == NULL) {
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    u->media_type = type;
    char files[16], bytes[24];
    snprintf(u->size, sizeof u->size, "%zu", len);
    snprintf(files, sizeof files, "%d", procedures_config.upload_daily_files);
    snprintf(bytes, sizeof bytes, "%lld", procedures_config.upload_daily_bytes);
    const char *params[] = {procedures_actor(req), u->size, files, bytes};
    procedures_query(req, "SELECT exceeded, retry_after_s FROM upload_quota_take($1, $2::bigint, $3::int, $4::bigint)",
                     4, params, on_quota, u);
}

static void documents(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    if (!procedures_party_allowed(req))
        return;
    /* acting for someone: the results of dossiers the mandate covers, and one audit record naming them */
    const char *params[] = {procedures_applicant(req), procedures_mandate(req), procedures_actor(req),
                            api->req_id(req)};
    procedures_query(req,
                     "WITH docs AS (SELECT w.* FROM wallet_documents w WHERE w.owner = $1 AND ($2::uuid IS NULL OR "
                     "EXISTS (SELECT 1 FROM dossiers d JOIN procedures p ON p.code = d.procedure_code "
                     "WHERE d.code = w.dossier_code AND dossier_mandate_scope($2::uuid, d.procedure_code, p.domain)))), "
                     "audited AS (SELECT cong_audit('procedures', $3, 'citizen', $1, 'wallet.list', NULL, $4, "
                     "jsonb_build_object('documents', (SELECT coalesce(jsonb_agg(id), '[]') FROM docs)), $2::uuid) "
                     "WHERE $2::uuid IS NOT NULL) "
                     "SELECT json_build_object('documents', coalesce(json_agg(json_build_object("
                     "'id', id, 'kind', kind, 'title_vi', title_vi, 'title_en', title_en, 'sha256', sha256, "
                     "'media_type', media_type, 'dossier_code', dossier_code, 'issued_at', issued_at) "
                     "ORDER BY issued_at DESC), '[]'::json)) FROM docs, (SELECT count(*) FROM audited) a",
                     4, params, procedures_pg_json, NULL);
}

/* min_loa 0: an organization's client has no level; each handler checks the applicant first (applicant.c). */
int procedures_uploads_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/uploads", .handler = upload,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .rate_limit_class = "upload", .operation_id = "createUpload", .mandate_action = "submit",
         .max_body_bytes = procedures_config.upload_max_bytes},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/me/documents", .handler = documents,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .rate_limit_class = "default", .operation_id = "listMyDocuments",
         .mandate_action = "receive_result"},
    };
    return procedures_register_routes(ctx, routes, sizeof routes / sizeof routes[0]);
}
