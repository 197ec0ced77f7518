/*
 * gateway/host/document_keys.h — cong's document keys at run time: the current one signs (module ABI jws_sign), every one
 * cong ever signed with verifies (jws_verify) and is published at GET /.well-known/cong-document-keys.json.
 *
 * The history is the PostgreSQL table document_keys (gateway/migrations/0004, append-only): at start the current
 * key's public JWK is recorded there (once: its first use is kept), then the whole table is read into a ring
 * (auth/signed_document.h). The job thread reads the table again every minute, and soon after a document names a kid
 * the ring lacks (at most once per 5 s), so a key another instance started with becomes known here without a restart.
 * Workers take a reference to the current ring under a mutex held for a pointer copy.
 *
 * Without auth.document_signing_key_file: in development cong makes a key for this process only and says so (it is
 * not recorded, so what it signs stops verifying when the process ends); in production cong refuses to serve, since
 * the procedures module, built in, signs results. The document key must not be an access-token key.
 */
#ifndef CONG_GATEWAY_DOCUMENT_KEYS_H
#define CONG_GATEWAY_DOCUMENT_KEYS_H

#include <stddef.h>

#include "cong/module.h"
#include "gateway/gateway.h"

#define CONG_DOCUMENT_KEYS_REFRESH_MS 60000
#define CONG_DOCUMENT_KEYS_WAKE_GAP_MS 5000

typedef struct cong_document_keys cong_document_keys_t;

/** Blocking, after the migrations and before serving: loads (or, in development, makes) the document key, records it,
 *  reads the history, adds the refresh job. 0, or CONG_E* after an error line in the log (cong must not serve). */
int cong_document_keys_start(cong_gateway_t *gw);
/** After the job thread has stopped. NULL-safe. */
void cong_document_keys_free(cong_gateway_t *gw);

/** Module ABI jws_sign / jws_verify (any worker). Output malloc'd, caller frees. As cong_document_sign /
 *  cong_document_verify; CONG_ENOTFOUND before start. */
int cong_document_keys_sign(cong_gateway_t *gw, const char *payload_json, char **out);
int cong_document_keys_verify(cong_gateway_t *gw, const char *jws, size_t len, char **payload, size_t *payload_len);

/** Registers GET /.well-known/cong-document-keys.json (called by the "system" module while it loads). */
int cong_document_keys_routes(cong_module_ctx_t *ctx, const cong_api_t *api);

#endif
