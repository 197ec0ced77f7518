/*
 * auth/session_scripts.h — the Lua scripts that change sessions atomically in Redis (one script = one transaction).
 *
 * Keys:  cong:session:<sid>      msgpack session record (auth/session.h), expires with the refresh lifetime
 *        cong:sessions:<subject> set of the subject's session ids
 *        cong:refresh:<hash>     "<sid> <generation>" for every refresh token issued, current or rotated, until its
 *                                lifetime ends — so a rotated token is recognised when it comes back (reuse)
 * Scripts compute key names from their arguments: cong runs against one Redis (not a cluster).
 */
#ifndef CONG_AUTH_SESSION_SCRIPTS_H
#define CONG_AUTH_SESSION_SCRIPTS_H

/* ARGV: sid, record, subject, refresh hash, ttl → 1 */
#define CONG_LUA_SESSION_CREATE                                                                                      \
    "redis.call('SET', 'cong:session:'..ARGV[1], ARGV[2], 'EX', ARGV[5]) "                                           \
    "redis.call('SADD', 'cong:sessions:'..ARGV[3], ARGV[1]) "                                                        \
    "redis.call('EXPIRE', 'cong:sessions:'..ARGV[3], ARGV[5]) "                                                      \
    "redis.call('SET', 'cong:refresh:'..ARGV[4], ARGV[1]..' 1', 'EX', ARGV[5]) "                                     \
    "return 1"

/* ARGV: presented hash, new hash, ttl, now → {"ok", sid, subject, loa} | {"reused", sid} | {"unknown"} */
#define CONG_LUA_SESSION_REFRESH                                                                                     \
    "local v = redis.call('GET', 'cong:refresh:'..ARGV[1]) "                                                         \
    "if not v then return {'unknown'} end "                                                                          \
    "local sid, gen = string.match(v, '^(%S+) (%d+)$') "                                                             \
    "local raw = sid and redis.call('GET', 'cong:session:'..sid) "                                                   \
    "if not raw then return {'unknown'} end "                                                                        \
    "local s = cmsgpack.unpack(raw) "                                                                                \
    "if tonumber(gen) ~= s.gen then "                                                                                \
    "  redis.call('DEL', 'cong:session:'..sid) "                                                                     \
    "  redis.call('SREM', 'cong:sessions:'..s.sub, sid) "                                                            \
    "  return {'reused', sid} "                                                                                      \
    "end "                                                                                                           \
    "s.gen = s.gen + 1 s.last_seen = tonumber(ARGV[4]) s.rt = ARGV[2] "                                              \
    "redis.call('SET', 'cong:session:'..sid, cmsgpack.pack(s), 'EX', ARGV[3]) "                                      \
    "redis.call('SET', 'cong:refresh:'..ARGV[2], sid..' '..s.gen, 'EX', ARGV[3]) "                                   \
    "return {'ok', sid, s.sub, tostring(s.loa)}"

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
