/*
 * gateway/stores/body_store.h — writing a request body to a content-addressed file off the event loop.
 *
 * h2o 2.2 has buffered the body before the handler runs (large bodies in a file-backed mapping: see server.c's
 * temp-buffer settings). From there it goes to disk in 256 KiB chunks: the loop thread copies one chunk out of h2o's
 * buffer, while the request is alive, and libuv's thread pool hashes it (SHA-256) and appends it to a temporary file
 * in `dir`; the last step fsyncs and renames the file to dir/<2 hex>/<64 hex> — or drops it when that name exists
 * already (same content), refreshing that file's modification time (an upload sweep goes by it). So cong holds at most
 * one chunk of a body at a time. The request holds a reference meanwhile; the callback runs on the request's worker,
 * and only if the client is still there (otherwise the temporary file is removed).
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
