/*
 * gateway/host/docs_page.h — the API documentation page: GET /docs renders /openapi.json in the browser with Redoc.
 *
 *   GET /docs                          getDocs        a small HTML page, built at start, no inline script
 *   GET /docs/redoc.standalone.js      getDocsScript  Redoc's standalone bundle (tools/docs-renderer, pinned in its
 *                                                     package-lock.json, installed by scripts/deps.sh), read at start
 *
 * Nothing is fetched at run time: the page loads the bundle and /openapi.json from this gateway, and its
 * Content-Security-Policy allows no other origin. The page names the bundle with its content hash
 * (/docs/redoc.standalone.js?v=<16 hex>), so the bundle is cached for a year as immutable while the page is
 * revalidated each time (ETag, 304); a new bundle is a new URL. The bundle's one reference to another site (Redocly's
 * logo on a CDN, drawn unconditionally) is pointed at an empty data: image when it is read (docs_page.c).
 *
 * server.docs_enabled 0: both routes answer 404, as if there were no page. A bundle that cannot be read at start is
 * an error line in the log, not a refusal to serve: the documentation is a convenience, and the city's services must
 * not stop for it; both routes then answer 503 until a restart finds the file. No API document (server.openapi_file
 * "") answers 404 like /openapi.json. The settings are read at start only (restart to change).
 */
#ifndef CONG_GATEWAY_DOCS_PAGE_H
#define CONG_GATEWAY_DOCS_PAGE_H

#include "cong/module.h"
#include "gateway/gateway.h"

typedef struct cong_docs cong_docs_t;

/** At start, before serving: reads the bundle named by server.docs_bundle_file and builds the page (nothing when
 *  server.docs_enabled is 0). Never fails the start: an unreadable bundle is logged and leaves the page unavailable.
 *  CONG_ENOMEM only. */
int cong_docs_load(cong_gateway_t *gw);
/** NULL-safe. */
void cong_docs_free(cong_gateway_t *gw);

/** Registers GET /docs and GET /docs/redoc.standalone.js (called by the "system" module while it loads). */
int cong_docs_routes(cong_module_ctx_t *ctx, const cong_api_t *api);

#endif
