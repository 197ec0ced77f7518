/*
 * push/push.h — events that leave cong for notification workers, encoded as msgpack.
 *
 * An event is a msgpack map {"v":1, "topic":str, "at_ms":int, "request_id":str, "data":<payload>} where the payload
 * is any JSON value turned into the msgpack equivalent (objects → maps, arrays → arrays, integers, reals, strings,
 * booleans, nil). It is appended to the Redis stream "cong:events:<topic>" (field "m"), capped near
 * CONG_EVENT_STREAM_MAXLEN entries. Topics are [a-z0-9._-]{1,64}.
 */
#ifndef CONG_PUSH_H
#define CONG_PUSH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CONG_EVENT_STREAM_MAXLEN "100000"

/** 1 if `topic` is a valid topic name. */
int cong_event_topic_valid(const char *topic);

/** Encodes an event into a malloc'd buffer (*out, *out_len; caller frees). 0, CONG_EINVAL, CONG_ENOMEM. */
int cong_event_encode(const char *topic, int64_t at_ms, const char *request_id, const json_t *payload, char **out,
                      size_t *out_len);

/** Decodes an event's payload back to JSON (for tests and workers). NULL if the buffer is not a valid event. */
json_t *cong_event_decode(const char *buf, size_t len, char *topic, size_t topic_cap);

#endif
