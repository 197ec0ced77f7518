/* Fuzz target: decoding msgpack events read back from Redis (push workers read what the stream holds). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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
    return 0;
}
