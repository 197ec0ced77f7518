/*
 * gateway/stores/stores.h — the stores room's contract: Redis and PostgreSQL as the host's workers use them.
 *
 * Owns: each worker's Redis connection and PostgreSQL pool (with query cancel and the reading of results), the
 * revocation subscriber's connection, the request body store, and the migrations.
 * Offers: postgres.h, redis.h, redis_subscriber.h, body_store.h, migrate.h. postgres_cancel.h, postgres_conninfo.h,
 * postgres_internal.h and postgres_result.h are internal.
 * Threading and ownership: a connection or pool belongs to one worker's loop and is used on its thread only; every
 * callback runs on that thread. A store that is down answers its callers with an error (the request path makes it a
 * 503), never a crash. Migrations run on the main thread before the workers start.
 * May use: http/ (the body store reads a request's body), auth/ and common/. Not the process, host/, authn/, limits/,
 * outbound/ nor config/: stores sit under them.
 */
#ifndef CONG_GATEWAY_STORES_H
#define CONG_GATEWAY_STORES_H

#include "body_store.h"
#include "migrate.h"
#include "postgres.h"
#include "redis.h"
#include "redis_subscriber.h"

#endif
