/*
 * tools/vneid_standin/codes.h — authorization codes: what a person granted on the login page, waiting for the client
 * to redeem it at the token endpoint.
 *
 * A code is 256 random bits in base64url, single-use and short-lived. Only its SHA-256 is kept, so the table holds
 * nothing that could be replayed. The table is fixed-size; expired entries are reclaimed as new codes are issued.
 */
#ifndef VS_CODES_H
#define VS_CODES_H

#include <stddef.h>
#include <stdint.h>

#define VS_CODE_CHARS 43 /* base64url of 32 bytes */
#define VS_CLIENT_ID_MAX 128
#define VS_REDIRECT_URI_MAX 1024
#define VS_NONCE_MAX 256

/** What a code is bound to. */
typedef struct vs_grant {
    char client_id[VS_CLIENT_ID_MAX];
    char redirect_uri[VS_REDIRECT_URI_MAX];
    char code_challenge[VS_CODE_CHARS + 1]; /* S256 */
    char nonce[VS_NONCE_MAX];               /* "" when the request had none */
    char citizen_id[16];
    char org_code[16];                      /* "" for a citizen's own account, else the organization's tax code */
    int level;                              /* 1 or 2 */
    int64_t auth_time;
} vs_grant_t;

typedef struct vs_code_slot vs_code_slot_t;

typedef struct vs_codes {
    vs_code_slot_t *slots;
    size_t capacity;
    int ttl_s;
} vs_codes_t;

typedef enum vs_code_status {
    VS_CODE_OK = 0,
    VS_CODE_UNKNOWN, /* never issued, or long gone */
    VS_CODE_EXPIRED,
    VS_CODE_USED,
} vs_code_status_t;

int vs_codes_init(vs_codes_t *codes, size_t capacity, int ttl_s);
void vs_codes_free(vs_codes_t *codes);
/** Stores the grant under a fresh code written to code (VS_CODE_CHARS + NUL). Returns 0, CONG_EBUSY when the table
 *  is full of live codes, or CONG_EIO when the random generator fails. */
int vs_codes_issue(vs_codes_t *codes, const vs_grant_t *grant, int64_t now, char code[VS_CODE_CHARS + 1]);
/** Looks the code up and, whatever the outcome of the exchange, burns it: a code gets one attempt. */
vs_code_status_t vs_codes_redeem(vs_codes_t *codes, const char *code, int64_t now, vs_grant_t *out);

/** nbytes of randomness as base64url in out (which holds cong_b64url_encoded_len(nbytes) + 1). 0 or CONG_EIO. */
int vs_random_b64url(size_t nbytes, char *out);

#endif
