/* Fuzz target: decoding msgpack read back from Redis — events (push workers read what the stream holds) and session
 * records (modules/identity/session.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "modules/identity/session.h"
#include "push/push.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char topic[80];
    json_t *payload = cong_event_decode((const char *)data, size, topic, sizeof topic);
    if (payload != NULL) {
        /* whatever decodes must encode again */
        char *buf = NULL;
        size_t len = 0;
        if (cong_event_topic_valid(topic) && cong_event_encode(topic, 0, "fuzz", payload, &buf, &len) == 0)
            free(buf);
        json_decref(payload);
    }
    cong_session_t session;
    if (cong_session_decode((const char *)data, size, &session) == 0 && session.sub[0] == '\0')
        __builtin_trap(); /* a decoded session always has a subject */
    return 0;
}
