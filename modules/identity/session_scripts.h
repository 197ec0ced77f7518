/*
 * modules/identity/session_scripts.h — the Lua scripts that change sessions atomically in Redis (one script = one
 * transaction).
 *
 * Keys:  cong:session:<sid>      msgpack session record (session.h); expires at the session's end: the first of
 *                                its absolute lifetime, its idle timeout and the refresh token's lifetime
 *        cong:sessions:<subject> set of the subject's session ids
 *        cong:refresh:<hash>     "<sid> <generation>" for every refresh token issued, current or rotated, until its
 *                                lifetime ends — so a rotated token is recognised when it comes back (reuse)
 *        cong:refresh-retry:<hash> the answer that rotated this token, sealed under it (refresh_retry.h), kept
 *                                for auth.refresh_reuse_grace_s: its key's life IS the grace window
 * Scripts compute key names from their arguments: cong runs against one Redis (not a cluster).
 *
 * A refresh is two scripts, so that the answer can be signed and sealed between them: PEEK reads the session behind
 * the presented token, ROTATE then rotates it if that token is still the current one — a compare-and-set on the
 * generation, so two concurrent uses of one token rotate once and both get the one answer.
 */
#ifndef CONG_MODULES_IDENTITY_SESSION_SCRIPTS_H
#define CONG_MODULES_IDENTITY_SESSION_SCRIPTS_H

/* ARGV: sid, record, subject, refresh hash, ttl, lifetime (the subject's set outlives every session in it) → 1 */
#define CONG_LUA_SESSION_CREATE                                                                                      \
    "redis.call('SET', 'cong:session:'..ARGV[1], ARGV[2], 'EX', ARGV[5]) "                                           \
    "redis.call('SADD', 'cong:sessions:'..ARGV[3], ARGV[1]) "                                                        \
    "redis.call('EXPIRE', 'cong:sessions:'..ARGV[3], ARGV[6]) "                                                      \
    "redis.call('SET', 'cong:refresh:'..ARGV[4], ARGV[1]..' 1', 'EX', ARGV[5]) "                                     \
    "return 1"

/* The common start of PEEK and ROTATE (ARGV[1] = presented hash): the session `s` of token generation `gen`, or an
 * answer: {"unknown"}; for a rotated token, {"retry", sid, sealed answer} while the grace key lives, else the
 * session is deleted and {"reused", sid, subject} (the caller revokes it and records that). */
#define CONG_LUA_SESSION_OF_TOKEN                                                                                    \
    "local v = redis.call('GET', 'cong:refresh:'..ARGV[1]) "                                                         \
    "if not v then return {'unknown'} end "                                                                          \
    "local sid, gen = string.match(v, '^(%S+) (%d+)$') "                                                             \
    "local raw = sid and redis.call('GET', 'cong:session:'..sid) "                                                   \
    "if not raw then return {'unknown'} end "                                                                        \
    "local s = cmsgpack.unpack(raw) "                                                                                \
    "gen = tonumber(gen) "                                                                                           \
    "if gen ~= s.gen then "                                                                                          \
    "  local sealed = gen == s.gen - 1 and redis.call('GET', 'cong:refresh-retry:'..ARGV[1]) "                      \
    "  if sealed then return {'retry', sid, sealed} end "                                                            \
    "  redis.call('DEL', 'cong:session:'..sid) "                                                                     \
    "  redis.call('SREM', 'cong:sessions:'..s.sub, sid) "                                                            \
    "  return {'reused', sid, s.sub} "                                                                               \
    "end "

/* ARGV: presented hash, now, lifetime, idle timeout →
 *   {"current", sid, subject, loa, auth_time, created} | {"ended", sid} (deleted: past its lifetime or idle timeout)
 *   | what CONG_LUA_SESSION_OF_TOKEN answers */
#define CONG_LUA_SESSION_PEEK                                                                                        \
    CONG_LUA_SESSION_OF_TOKEN                                                                                        \
    "local now = tonumber(ARGV[2]) "                                                                                 \
    "if now - s.created >= tonumber(ARGV[3]) or now - s.last_seen >= tonumber(ARGV[4]) then "                        \
    "  redis.call('DEL', 'cong:session:'..sid) "                                                                     \
    "  redis.call('SREM', 'cong:sessions:'..s.sub, sid) "                                                            \
    "  return {'ended', sid} "                                                                                       \
    "end "                                                                                                           \
    "return {'current', sid, s.sub, tostring(s.loa), tostring(s.auth_time or 0), tostring(s.created)}"

/* ARGV: presented hash, new hash, ttl, now, grace seconds (0: none), sealed answer →
 *   {"ok"} rotated (the sealed answer kept under the presented hash for the grace) | what CONG_LUA_SESSION_OF_TOKEN
 *   answers (a concurrent use of the same token rotated first: {"retry", ...} with its answer) */
#define CONG_LUA_SESSION_ROTATE                                                                                      \
    CONG_LUA_SESSION_OF_TOKEN                                                                                        \
    "s.gen = s.gen + 1 s.last_seen = tonumber(ARGV[4]) s.rt = ARGV[2] "                                              \
    "redis.call('SET', 'cong:session:'..sid, cmsgpack.pack(s), 'EX', ARGV[3]) "                                      \
    "redis.call('SET', 'cong:refresh:'..ARGV[2], sid..' '..s.gen, 'EX', ARGV[3]) "                                   \
    "if tonumber(ARGV[5]) > 0 then "                                                                                 \
    "  redis.call('SET', 'cong:refresh-retry:'..ARGV[1], ARGV[6], 'EX', ARGV[5]) "                                   \
    "end "                                                                                                           \
    "return {'ok'}"

/* ARGV: sid, subject → 1 deleted | 0 not found or not the subject's */
#define CONG_LUA_SESSION_DELETE                                                                                      \
    "local raw = redis.call('GET', 'cong:session:'..ARGV[1]) "                                                       \
    "if not raw then return 0 end "                                                                                  \
    "if cmsgpack.unpack(raw).sub ~= ARGV[2] then return 0 end "                                                      \
    "redis.call('DEL', 'cong:session:'..ARGV[1]) "                                                                   \
    "redis.call('SREM', 'cong:sessions:'..ARGV[2], ARGV[1]) "                                                        \
    "return 1"

/* ARGV: subject → {sid1, record1, sid2, record2, ...}; forgets ids whose record has expired */
#define CONG_LUA_SESSION_LIST                                                                                        \
    "local out = {} "                                                                                                \
    "for _, sid in ipairs(redis.call('SMEMBERS', 'cong:sessions:'..ARGV[1])) do "                                    \
    "  local raw = redis.call('GET', 'cong:session:'..sid) "                                                         \
    "  if raw then table.insert(out, sid) table.insert(out, raw) "                                                   \
    "  else redis.call('SREM', 'cong:sessions:'..ARGV[1], sid) end "                                                 \
    "end "                                                                                                           \
    "return out"

#endif
