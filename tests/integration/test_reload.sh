#!/usr/bin/env bash
# SIGHUP: the configuration is read again and what may change without a restart (rate limits, CORS, log level,
# trusted proxies; log level too, not shown here: the tests set it from the environment, which wins) is applied to every worker, with no failed request under load; a bad file is refused with its
# FILE:LINE and the running configuration stays; a key that needs a restart is reported and left as it was.
source "$(dirname "$0")/lib.sh"
command -v h2load >/dev/null || { bad "h2load is not installed (nghttp2-client)"; finish; exit 1; }

write_config() { # BURST ORIGIN EXTRA-YAML
  cat >"$GW_DIR/cong.yaml.new" <<YAML
rate_limits:
  default_per_minute: 60000000
  default_burst: $1
cors:
  allowed_origins: [$2]
$3
YAML
  mv "$GW_DIR/cong.yaml.new" "$GW_DIR/cong.yaml"
}
# wait_log COUNT PATTERN — until the gateway's stderr holds COUNT lines matching PATTERN (at most 20 s)
wait_log() {
  for _ in $(seq 1 200); do
    [ "$(grep -c -E "$2" "$GW_DIR/stderr")" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
limit_header() { h2c -D - -o /dev/null -H "authorization: Bearer $T" "$(url /v1/ping)" | tr -d '\r' | awk -F': ' 'tolower($1) == "ratelimit-limit" { print $2 }'; }
allow_origin() { h2c -D - -o /dev/null -H "origin: $1" -H "authorization: Bearer $T" "$(url /v1/ping)" | tr -d '\r' | awk -F': ' 'tolower($1) == "access-control-allow-origin" { print $2 }'; }

write_config 1000 https://a.example ""
start_gateway || exit 1
T=$(token --sub citizen-reload --scope ping)
expect_eq "limit before" "1000" "$(limit_header)"
expect_eq "origin a allowed" "https://a.example" "$(allow_origin https://a.example)"
expect_eq "origin b not yet" "" "$(allow_origin https://b.example)"

# Under load: h2load runs while the configuration changes; not one request may fail.
h2load -n 40000 -c 4 -m 8 -H "authorization: Bearer $T" "$(url /v1/ping)" >"$GW_DIR/h2load.out" 2>&1 &
LOAD=$!
for _ in $(seq 1 100); do [ "$(wc -l <"$GW_DIR/access.log")" -ge 500 ] && break; sleep 0.1; done
write_config 2000 https://b.example ""
kill -HUP "$GW_PID"
wait_log 1 "reloaded \(generation 1\)" || bad "no reload logged: $(tail -5 "$GW_DIR/stderr")"
expect_eq "the load was still running at the reload" "running" "$(kill -0 "$LOAD" 2>/dev/null && echo running)"
wait "$LOAD"
out=$(cat "$GW_DIR/h2load.out")
expect_match "no failed request under reload" "40000 succeeded, 0 failed, 0 errored" "$out"
expect_match "all 2xx" "status codes: 40000 2xx, 0 3xx, 0 4xx, 0 5xx" "$out"
expect_eq "limit after" "2000" "$(limit_header)"
expect_eq "origin b now allowed" "https://b.example" "$(allow_origin https://b.example)"
expect_eq "origin a no longer" "" "$(allow_origin https://a.example)"
expect_match "each change logged" "reload: rate_limits.default_burst changed" "$(cat "$GW_DIR/stderr")"

# Trusted proxies: before, X-Forwarded-For from the loopback peer is ignored; after, it names the client.
rc() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
CLIENT=198.51.100.$((RANDOM % 200 + 1))
h2c -o /dev/null -H "x-forwarded-for: $CLIENT" "$(url /v1/procedures?q=khai+sinh)"
expect_eq "untrusted: keyed on the peer" "0" "$(rc exists "cong:rl:default:ip:$CLIENT")"
write_config 2000 https://b.example "server:
  trusted_proxies: [127.0.0.1]"
kill -HUP "$GW_PID"
wait_log 2 "reloaded \(generation" || bad "second reload not logged"
sleep_until_adopted() { for _ in $(seq 1 50); do h2c -o /dev/null -H "x-forwarded-for: $CLIENT" "$(url /v1/procedures?q=khai+sinh)"; [ "$(rc exists "cong:rl:default:ip:$CLIENT")" = 1 ] && return 0; sleep 0.1; done; return 1; }
sleep_until_adopted; expect_eq "trusted: keyed on the forwarded client" "1" "$(rc exists "cong:rl:default:ip:$CLIENT")"

# A bad file: refused with its line, and the running configuration stays.
printf 'rate_limits:\n  default_burst: 5\n  bogus: 1\n' >"$GW_DIR/cong.yaml"
kill -HUP "$GW_PID"
wait_log 1 "reload refused: .*cong.yaml:3: rate_limits.bogus: unknown key" || bad "bad file not refused with its line"
expect_eq "limit kept" "2000" "$(limit_header)"

# A key that needs a restart: reported, not applied.
write_config 2000 https://b.example "server:
  idle_timeout_ms: 20000"
kill -HUP "$GW_PID"
wait_log 1 "reload: server.idle_timeout_ms changed, which needs a restart" || bad "restart-only key not reported"
expect_eq "still serving" "2000" "$(limit_header)"
finish
