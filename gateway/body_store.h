/*
 * gateway/body_store.h — writing a request body to a content-addressed file off the event loop.
 *
 * The body is copied (h2o 2.2 has already buffered it) and handed to libuv's thread pool, which hashes it (SHA-256),
 * writes it to a temporary file in `dir`, fsyncs it, and renames it to dir/<2 hex>/<64 hex> — or drops the temporary
 * file when that name exists already (same content). The request holds a reference meanwhile; the callback runs on
 * the request's worker, and only if the client is still there.
 */
#ifndef CONG_GATEWAY_BODY_STORE_H
#define CONG_GATEWAY_BODY_STORE_H

#include <stddef.h>

#include "cong/module.h"

/** Module ABI 1.2 req_body_store. 0, or CONG_EINVAL (empty body, bad dir), CONG_EGONE, CONG_ENOMEM; if it fails the
 *  callback is never called. */
int cong_body_store(cong_req_t *r, const char *dir, cong_body_store_cb cb, void *udata);

/** The same work, synchronously (the thread-pool half; exposed for tests): hashes `data`, stores it under `dir`,
 *  writes the hex digest (65 bytes with NUL) to sha256_hex. 0 or CONG_EIO. */
int cong_body_store_write(const char *dir, const unsigned char *data, size_t len, char sha256_hex[65]);

#endif
