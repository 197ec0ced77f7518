/* Fuzz target: the pipeline's parsers of untrusted request headers — X-Request-Id, traceparent, Accept-Language. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/http/pipeline.h"
#include "gateway/http/problem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char trace[33];
    if (cong_request_id_valid(s, size) && (size == 0 || size > CONG_REQUEST_ID_MAX))
        __builtin_trap();
    if (cong_traceparent_trace_id(s, size, trace) && strlen(trace) != 32)
        __builtin_trap();
    int en = cong_lang_prefers_en(s, size);
    if (en != 0 && en != 1)
        __builtin_trap();
    return 0;
}
