/*
 * tests/fuzz/fuzz_mandate_request.c — libFuzzer target for modules/mandates/request.c: mandates_request_errors, which
 * judges the shape of POST /v1/mandates (a citizen's untrusted JSON), and the acceptance-code hash a grantee's typed
 * code goes through.
 *
 * Input: JSON text, parsed as the gateway parses a body (duplicate keys rejected; any JSON value kept). Oracles beyond
 * "no crash, no leak":
 *   - the result is an array of {"field": string, "code": string} objects, the same for the same body (checked
 *     twice), and empty only for a body with a 12-digit grantee, some procedures or domains, and known actions;
 *   - the input as a typed acceptance code hashes without crashing, to 64 lower-case hex digits or an error.
 */
#include "modules/mandates/mandates.h"

#include <jansson.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_errors(const json_t *errors)
{
    if (!json_is_array(errors))
        abort();
    size_t i;
    const json_t *e;
    json_array_foreach(errors, i, e) {
        if (!json_is_object(e) || !json_is_string(json_object_get(e, "field")) ||
            !json_is_string(json_object_get(e, "code")) || json_object_size(e) != 2)
            abort();
    }
}

static int well_formed_enough(const json_t *body)
{
    const char *grantee = json_string_value(json_object_get(body, "grantee_citizen_number"));
    const json_t *p = json_object_get(body, "procedures"), *d = json_object_get(body, "domains");
    return grantee != NULL && strlen(grantee) == 12 && strspn(grantee, "0123456789") == 12 &&
           (json_array_size(p) + json_array_size(d) > 0) && json_array_size(json_object_get(body, "actions")) > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    if (body != NULL) {
        json_t *a = mandates_request_errors(body), *b = mandates_request_errors(body);
        check_errors(a);
        if (!json_equal(a, b))
            abort();
        if (json_array_size(a) == 0 && !well_formed_enough(body))
            abort();
        json_decref(a);
        json_decref(b);
        json_decref(body);
    }
    if (size < 256 && memchr(data, '\0', size) == NULL) {
        char typed[256], hex[65];
        memcpy(typed, data, size);
        typed[size] = '\0';
        if (mandates_code_hash(typed, hex) == 0 && (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64))
            abort();
    }
    return 0;
}
