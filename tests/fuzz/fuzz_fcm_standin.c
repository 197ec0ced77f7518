/*
 * tests/fuzz/fuzz_fcm_standin.c — libFuzzer target for the stand-in FCM's checks of untrusted bytes
 * (tools/fcm_standin): the token request's form body (grant_form.c), the JWT assertion in it (assertion.c, over
 * auth/'s verifier) and the messages:send body (message.c). Anyone who can reach the stand-in sends these.
 *
 * Input: the whole input is given to each: as a form body (its grant_type and assertion read), as an assertion, the
 * form's decoded assertion as one too, and as a message body. Oracles beyond "no crash, no leak, no read past the
 * input":
 *   - no assertion is ever accepted: the account's key is made here at random, so nothing in the input can be signed
 *     with it (an accepted one means a check was skipped);
 *   - a form value found is NUL-terminated and no longer than the input; a repeated name is never FOUND;
 *   - an accepted message has exactly one target of a known kind, borrowed from the message object, and a payload of
 *     at most FCM_MAX_PAYLOAD_BYTES; a refused one says why, in printable ASCII, and holds no message;
 *   - the same input gives the same answers twice.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "assertion.h"
#include "grant_form.h"
#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fcm_account_t account;

static void make_account(void)
{
    EVP_PKEY *pkey = EVP_RSA_gen(2048);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
    char *pem;
    long n = BIO_get_mem_data(bio, &pem);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s#, s:s, s:s}", "type", "service_account", "project_id", "cong-test",
                            "private_key_id", "fuzzkey", "private_key", pem, (int)n, "client_email",
                            "fcm@cong-test.iam.gserviceaccount.com", "token_uri", "http://127.0.0.1:9/token");
    char *text = json_dumps(doc, 0);
    const char *problem;
    if (!text || fcm_account_parse(text, strlen(text), &account, &problem) != 0)
        abort();
    free(text);
    json_decref(doc);
    BIO_free(bio);
    EVP_PKEY_free(pkey);
}

static fcm_form_result_t form_value(const uint8_t *data, size_t size, const char *name, char **value)
{
    fcm_form_result_t r = fcm_form_get((const char *)data, size, name, value);
    if (r == FCM_FORM_FOUND && (!*value || strlen(*value) > size))
        abort();
    if (r != FCM_FORM_FOUND && *value)
        abort();
    char *again = NULL;
    if (fcm_form_get((const char *)data, size, name, &again) != r || (again && strcmp(again, *value) != 0))
        abort();
    free(again);
    return r;
}

static void check_assertion(const char *jwt, size_t len)
{
    fcm_grant_result_t r = fcm_assertion_check(&account, jwt, len, 1800000000);
    if (r == FCM_GRANT_OK || r != fcm_assertion_check(&account, jwt, len, 1800000000))
        abort();
    if (!fcm_grant_result_name(r) || !fcm_grant_error(r) || !fcm_grant_description(r)[0])
        abort();
}

static void check_message(const uint8_t *data, size_t size)
{
    fcm_message_t m, again;
    int rc = fcm_message_check((const char *)data, size, &m);
    if (rc != fcm_message_check((const char *)data, size, &again))
        abort();
    if (rc == 0) {
        json_t *target = json_object_get(m.message, fcm_target_name(m.target_kind));
        if (m.target_kind < FCM_TARGET_TOKEN || m.target_kind > FCM_TARGET_CONDITION || !target ||
            json_string_value(target) != m.target || m.payload_bytes > FCM_MAX_PAYLOAD_BYTES ||
            strcmp(m.target, again.target) != 0 || m.payload_bytes != again.payload_bytes)
            abort();
    } else if (m.message || !m.error[0] || strcmp(m.error, again.error) != 0) {
        abort();
    } else {
        for (const char *c = m.error; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
                abort(); /* it goes into the JSON answer as is */
    }
    fcm_message_free(&m);
    fcm_message_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!account.key)
        make_account();
    char *grant_type = NULL, *assertion = NULL;
    form_value(data, size, "grant_type", &grant_type);
    if (form_value(data, size, "assertion", &assertion) == FCM_FORM_FOUND)
        check_assertion(assertion, strlen(assertion));
    free(grant_type);
    free(assertion);
    check_assertion((const char *)data, size);
    check_message(data, size);
    return 0;
}
