/*
 * tools/fcm_standin/message.h — what FCM HTTP v1 checks of a messages:send body
 * {"message": {...}, "validate_only": bool}. Pure: no I/O. Every refusal is FCM's 400 INVALID_ARGUMENT.
 *
 * Checked: a JSON object of those two members (an unknown one is refused, as Google's proto parser does); "message"
 * an object of name, data, notification, android, webpush, apns, fcm_options, token, topic, condition only; exactly
 * one target: token (1..4096 of [A-Za-z0-9_:.-]), topic ([A-Za-z0-9-_.~%]+, "/topics/" prefix allowed) or condition
 * (a non-empty string); data an object of string values whose keys are not reserved (from, message_type, and those
 * starting with google or gcm); notification an object of string title, body, image; android, webpush, apns,
 * fcm_options objects (their insides are not checked); the payload — the message's compact JSON without its target and
 * name — at most FCM_MAX_PAYLOAD_BYTES.
 */
#ifndef FCM_MESSAGE_H
#define FCM_MESSAGE_H

#include <jansson.h>
#include <stddef.h>

#define FCM_MAX_PAYLOAD_BYTES 4096
#define FCM_MAX_TOKEN_BYTES 4096

typedef enum fcm_target_kind { FCM_TARGET_TOKEN = 1, FCM_TARGET_TOPIC, FCM_TARGET_CONDITION } fcm_target_kind_t;

typedef struct fcm_message {
    json_t *message;             /* the "message" object (a reference: fcm_message_free), NULL when refused */
    fcm_target_kind_t target_kind;
    const char *target;          /* borrowed from message */
    int validate_only;
    size_t payload_bytes;
    char field[64];              /* refused: the field at fault ("message.data"), "" when none is named */
    char error[256];             /* refused: Google's style of message, printable ASCII (other bytes shown as '?') */
} fcm_message_t;

/** 0 with *out filled, or -1 with out->field and out->error saying why (including running out of memory). */
int fcm_message_check(const char *body, size_t len, fcm_message_t *out);
void fcm_message_free(fcm_message_t *m);
/** "token", "topic", "condition". */
const char *fcm_target_name(fcm_target_kind_t kind);

#endif
