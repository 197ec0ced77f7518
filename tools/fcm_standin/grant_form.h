/*
 * tools/fcm_standin/grant_form.h — reading the token request's form body (application/x-www-form-urlencoded:
 * grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>). Pure: no I/O. The decoding of each name
 * and value is standin_form_decode's.
 */
#ifndef FCM_GRANT_FORM_H
#define FCM_GRANT_FORM_H

#include <stddef.h>

#define FCM_GRANT_TYPE_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"

typedef enum fcm_form_result {
    FCM_FORM_FOUND = 0, /* *value is the decoded value (malloc'd; the caller frees it) */
    FCM_FORM_ABSENT,    /* no parameter of that name */
    FCM_FORM_BAD,       /* a malformed escape, %00, or the name twice (RFC 6749 §3.2: parameters must not repeat) */
    FCM_FORM_NOMEM,
} fcm_form_result_t;

/** The value of parameter `name` in the form body (len bytes). *value is NULL unless FOUND. */
fcm_form_result_t fcm_form_get(const char *body, size_t len, const char *name, char **value);

#endif
