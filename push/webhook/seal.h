/*
 * push/webhook/seal.h — an endpoint's secret as stored (modules/orgs, webhook_endpoints.secret_sealed): opened by the
 * delivery worker with the key the module sealed it with (modules.orgs.webhook_key_file, 64 hex digits; the worker's
 * --key-file names the same file). The layout, owned by modules/orgs/orgs.h ("Webhooks"): a 12-byte random nonce,
 * the AES-256-GCM ciphertext of the "whsec_..." text, its 16-byte tag; the endpoint's id (UUID text) is the additional
 * data. tests/unit/orgs checks that what the module seals opens here. Pure; any thread; the caller wipes what it got.
 */
#ifndef CONG_PUSH_WEBHOOK_SEAL_H
#define CONG_PUSH_WEBHOOK_SEAL_H

#include <stddef.h>

#include "signature.h"

#define WEBHOOK_SEAL_KEY_BYTES 32

/** 64 hex digits (a line end may follow) into key. 0, or -1. */
int webhook_seal_key_parse(const char *text, unsigned char key[WEBHOOK_SEAL_KEY_BYTES]);
/** Opens sealed (len bytes) for endpoint_id and parses the secret into *out. 0, or -1 (wrong key or endpoint, altered
 *  bytes, not a secret: *out wiped). */
int webhook_seal_open(const unsigned char key[WEBHOOK_SEAL_KEY_BYTES], const char *endpoint_id,
                      const unsigned char *sealed, size_t len, webhook_secret_t *out);

#endif
