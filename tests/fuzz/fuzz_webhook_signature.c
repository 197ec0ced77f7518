/*
 * tests/fuzz/fuzz_webhook_signature.c — libFuzzer target for push/webhook/signature.h: what a webhook receiver (the
 * stand-in, and cong's own tests of its deliveries) reads from the network before anything else looks at it.
 *
 * Input: the same bytes go to each part.
 *   1. whole, as a webhook-signature header value → webhook_parse_signatures;
 *   2. whole, as a secret's text → webhook_secret_parse;
 *   3. split at the first three '\n' into webhook-id, webhook-timestamp, webhook-signature and the body (a line that is
 *      exactly "-" is an absent header) → webhook_verify with the specification's test-vector secret and a second
 *      one (a rotation) at a fixed time (the test vector's), so the seed corpus reaches the MAC comparison.
 *
 * Oracles beyond "no crash, no leak, no read outside the input": each answers one of its contract's verdicts, the same
 * twice; a parsed header has 1..WEBHOOK_MAX_SIGNATURES v1 MACs and its entries within the bound; an accepted secret
 * has WEBHOOK_SECRET_MIN_BYTES..MAX_BYTES bytes and encodes back to the input; a verified delivery's header contains
 * "v1,<the MAC webhook_sign makes>" for one of the two secrets, with a timestamp within the tolerance.
 */
#include "push/webhook/base64.h"
#include "push/webhook/signature.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1614265330LL
static const char *const SECRETS[] = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                      "whsec_c2Vjb25kIHNlY3JldCBvZiB0aGUgZnV6emVyISE="};

static void check_parse(const char *data, size_t size)
{
    webhook_signatures_t a, b;
    webhook_verdict_t v = webhook_parse_signatures(data, size, &a);
    if (v != webhook_parse_signatures(data, size, &b))
        abort();
    if (v != WEBHOOK_OK && v != WEBHOOK_MALFORMED_SIGNATURE && v != WEBHOOK_NO_V1_SIGNATURE)
        abort();
    if (v == WEBHOOK_OK && (a.n_v1 < 1 || a.n_v1 + a.n_other > WEBHOOK_MAX_SIGNATURES || memcmp(&a, &b, sizeof a)))
        abort();
    if (v == WEBHOOK_NO_V1_SIGNATURE && (a.n_v1 != 0 || a.n_other < 1))
        abort();
}

static void check_secret(const char *data, size_t size)
{
    webhook_secret_t s;
    if (webhook_secret_parse(data, size, &s) != 0) {
        if (s.len != 0)
            abort();
        return;
    }
    char again[6 + WEBHOOK_B64_MAX_TEXT + 1];
    if (s.len < WEBHOOK_SECRET_MIN_BYTES || s.len > WEBHOOK_SECRET_MAX_BYTES)
        abort();
    memcpy(again, "whsec_", 6);
    size_t n = 6 + webhook_b64_encode(s.key, s.len, again + 6);
    if (n != size || memcmp(again, data, size) != 0)
        abort();
}

/* The next line of [*at, end) as a header (exactly "-": absent). */
static webhook_header_t next_line(const char **at, const char *end)
{
    const char *nl = memchr(*at, '\n', (size_t)(end - *at));
    const char *stop = nl ? nl : end;
    webhook_header_t h = {*at, (size_t)(stop - *at)};
    *at = nl ? nl + 1 : end;
    if (h.len == 1 && h.base[0] == '-')
        h.base = NULL, h.len = 0;
    return h;
}

static void check_verify(const char *data, size_t size)
{
    webhook_secret_t secrets[2];
    for (int i = 0; i < 2; i++)
        if (webhook_secret_parse(SECRETS[i], strlen(SECRETS[i]), &secrets[i]) != 0)
            abort();
    const char *at = data, *end = data + size;
    webhook_headers_t h;
    h.id = next_line(&at, end);
    h.timestamp = next_line(&at, end);
    h.signature = next_line(&at, end);
    int64_t ts = -1;
    webhook_verdict_t v = webhook_verify(&h, at, (size_t)(end - at), secrets, 2, NOW, WEBHOOK_TOLERANCE_S, &ts);
    if ((unsigned)v >= WEBHOOK_VERDICT_COUNT || v == WEBHOOK_NO_SECRET || v == WEBHOOK_CRYPTO_FAILED)
        abort();
    if (v != webhook_verify(&h, at, (size_t)(end - at), secrets, 2, NOW, WEBHOOK_TOLERANCE_S, NULL))
        abort();
    if (v != WEBHOOK_OK)
        return;
    if (ts < NOW - WEBHOOK_TOLERANCE_S || ts > NOW + WEBHOOK_TOLERANCE_S)
        abort();
    int found = 0;
    for (int i = 0; i < 2 && !found; i++) {
        char mine[WEBHOOK_SIGNATURE_LEN + 1];
        /* the sender prints the timestamp without leading zeros: compare only when the received text is that */
        if (webhook_sign(h.id.base, h.id.len, ts, at, (size_t)(end - at), &secrets[i], 1, mine, sizeof mine) < 0)
            abort();
        found = memmem(h.signature.base, h.signature.len, mine, WEBHOOK_SIGNATURE_LEN) != NULL;
    }
    if (!found && !(h.timestamp.len > 1 && h.timestamp.base[0] == '0'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_parse((const char *)data, size);
    check_secret((const char *)data, size);
    check_verify((const char *)data, size);
    return 0;
}
