/*
 * push/delivery/fcm_message.h — the body of FCM HTTP v1 messages:send for one push_message_t (provider.h). Pure.
 */
#ifndef CONG_PUSH_DELIVERY_FCM_MESSAGE_H
#define CONG_PUSH_DELIVERY_FCM_MESSAGE_H

#include "provider.h"

/** {"message": {"token", "notification": {"title", "body"} (only those given), "data" (msg->data_json: an object of
 *  string values), "android": {"priority": "HIGH"|"NORMAL", "ttl": "Ns" when ttl_s > 0, "collapse_key" when
 *  collapse_id}, "apns": {"headers": {"apns-priority": "10"|"5", "apns-collapse-id" when collapse_id}}}} as compact
 *  JSON, malloc'd (caller frees). NULL when the message cannot be sent as given (no device token, data_json not a
 *  JSON object of strings, text that is not UTF-8) or out of memory. */
char *fcm_message_json(const push_message_t *msg);

#endif
