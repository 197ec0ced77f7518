/*
 * gateway/stream_reply.h — streamed replies (module ABI 1.4: stream_begin, stream_write, stream_end).
 *
 * A stream is an h2o generator in push mode. h2o takes one batch of bytes at a time (h2o_send) and holds on to it
 * until it calls the generator's proceed (the peer's flow-control window and the socket took it); meanwhile the
 * module's writes fill a second buffer, which goes out at the next proceed. The two hold at most `buffer_bytes` of
 * data together: a write that does not fit answers CONG_EBUSY and the module is called back once the stream has
 * drained to half. So a reader that stops reading costs its stream at most 2 × buffer_bytes of memory (the buffers'
 * capacity), plus what h2o and the kernel hold for any response. A stream whose writes have all been sent holds no
 * buffer at all until its next write (an event stream is mostly idle).
 *
 * Ownership. The stream lives in the request's pool (so it is freed with the request); its buffers are malloc'd and
 * freed by the pool's disposal, after h2o has let go of them. The module owns the handle from stream_begin until it
 * calls stream_end or receives the CONG_EGONE callback — which h2o's generator `stop` delivers while the request's
 * pool is still intact, so a module may read its request-pool state in it. Everything runs on the request's worker.
 * Each worker thread keeps a list of the streams its modules own, for cong_streams_shutdown.
 */
#ifndef CONG_GATEWAY_STREAM_REPLY_H
#define CONG_GATEWAY_STREAM_REPLY_H

#include "cong/module.h"

#define CONG_STREAM_DEFAULT_BUFFER (64 * 1024)
#define CONG_STREAM_MIN_BUFFER 1024
#define CONG_STREAM_MAX_BUFFER (16 * 1024 * 1024)

int cong_stream_begin(cong_req_t *r, int status, const char *content_type, size_t buffer_bytes, cong_stream_cb cb,
                      void *udata, cong_stream_t **stream);
int cong_stream_write(cong_stream_t *s, const void *data, size_t len);
int cong_stream_end(cong_stream_t *s);
/** Ends the stream as broken after what was written (HTTP/2 RST_STREAM, HTTP/1 connection closed before the end): the
 *  host's proxy when its upstream fails mid-body. Same results as cong_stream_end. */
int cong_stream_abort(cong_stream_t *s);
/** The worker (its own thread) begins to shut down: every stream a module still writes gets its CONG_EGONE callback
 *  now, then the gateway ends the response after what was written, so that graceful shutdown does not wait for the
 *  deadline behind event streams that never end (their clients reconnect elsewhere). */
void cong_streams_shutdown(void);

#endif
