/*
 * gateway/outbound/outbound.h — the outbound room's contract: HTTP calls out of cong.
 *
 * Owns: each worker's HTTP client (libcurl's multi interface on the worker's loop: TLS and client certificates,
 * deadlines, size limits) and the blocking call for jobs.
 * Offers: http_client.h (the worker's client, made at the first call, freed with the worker) and http_call.h (one
 * call: its options, its result).
 * Threading and ownership: a worker's client is used on its thread only and its callbacks run there; a call owns what
 * it copied of the options until its callback has run.
 * May use: the process (gateway/gateway.h), http/, auth/ and common/. Not host/, authn/, limits/, stores/ nor config/.
 */
#ifndef CONG_GATEWAY_OUTBOUND_H
#define CONG_GATEWAY_OUTBOUND_H

#include "http_call.h"
#include "http_client.h"

#endif
