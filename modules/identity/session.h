/*
 * modules/identity/session.h — cong's sessions and what they are made of: refresh tokens, session ids, and the
 * session record kept in Redis as msgpack. (A session's subject is the gateway's pseudonym of the citizen,
 * cong_idp_identity_t.subject: the citizen number is never here.)
 *
 * Refresh tokens. 256 random bits, base64url (43 chars), shown once to the client; only SHA-256(token) in hex is
 * stored. Each use rotates them: the session's generation grows by one, and presenting a token of an older generation
 * (reuse) revokes the whole session — except the immediately previous one within auth.refresh_reuse_grace_s of its
 * rotation (a client retrying after a lost answer), which gets the same answer again (refresh_retry.h).
 *
 * Lifetimes. A session ends auth.session_lifetime_s after its login, or auth.session_idle_timeout_s after its last
 * refresh, whichever comes first; its access tokens never outlive it.
 *
 * Records (Redis, session_scripts.h): a flat msgpack map
 *   {"v":1, "sub", "dev_id", "dev_name", "dev_platform", "created", "last_seen", "loa", "auth_time", "gen", "rt"}
 * where rt is the hash of the refresh token of generation gen, and auth_time the VNeID login's "auth_time" (a record
 * written before it existed reads as 0: its level 2 is never recent enough). Members are strings and integers only;
 * unknown members (from a newer version) are skipped when they are scalars.
 *
 * Ownership: everything here writes into caller-provided buffers or malloc'd buffers the caller frees.
 */
#ifndef CONG_MODULES_IDENTITY_SESSION_H
#define CONG_MODULES_IDENTITY_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define CONG_REFRESH_TOKEN_LEN 43  /* base64url of 32 bytes */
#define CONG_REFRESH_HASH_LEN 64   /* hex SHA-256 */
#define CONG_SESSION_ID_LEN 22     /* base64url of 16 bytes */

/** A new random session id (CONG_SESSION_ID_LEN + 1 bytes). 0 or CONG_EIO. */
int cong_session_id_new(char *out);
/** A new refresh token (CONG_REFRESH_TOKEN_LEN + 1 bytes). 0 or CONG_EIO. */
int cong_refresh_token_new(char *out);
/** hex SHA-256 of a refresh token (CONG_REFRESH_HASH_LEN + 1 bytes). */
void cong_refresh_token_hash(const char *token, size_t len, char *out);
/** Constant-time equality of two equal-length strings (0 if lengths differ). */
int cong_secure_equal(const char *a, size_t alen, const char *b, size_t blen);

typedef struct cong_session {
    char sub[64];
    char dev_id[128], dev_name[128], dev_platform[32];
    int64_t created, last_seen;
    int loa;
    int64_t auth_time;
    int64_t gen;
    char rt[CONG_REFRESH_HASH_LEN + 1];
} cong_session_t;

/** msgpack-encodes a session into a malloc'd buffer (caller frees). 0, CONG_ENOMEM. */
int cong_session_encode(const cong_session_t *s, char **out, size_t *out_len);
/** Decodes a record (untrusted bytes: read in place, nothing allocated); 0 or CONG_EPARSE (not a flat v1 session
 *  record, or a field too long). */
int cong_session_decode(const char *buf, size_t len, cong_session_t *out);

#endif
