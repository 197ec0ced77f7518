#!/usr/bin/env bash
# HTTP/2 abuse (issue 5): the gateway sheds abusive connections and keeps serving. tools/h2_attack.c (loopback only,
# bounded in time) against a real gateway, with the idle timeout at 2 s (it drives the HTTP/2 idle/stall timer and
# HTTP/1.1's header timeout, see server.c):
#   1. Rapid Reset (CVE-2023-44487) from 4 connections, reconnecting for 4 s, while h2load (-c 4 -m 8) asks /healthz:
#      every attacking connection gets GOAWAY ENHANCE_YOUR_CALM and is closed, h2load has 0 failures and thousands of
#      successes, VmRSS grows by less than 32 MB;
#   2. MadeYouReset, CONTINUATION flood, HPACK bomb, PING flood, SETTINGS flood: GOAWAY ENHANCE_YOUR_CALM, closed;
#   3. zero window (SETTINGS_INITIAL_WINDOW_SIZE 0, 32 × GET /openapi.json, never reads), and a peer that never reads
#      its socket: closed by the stall timer within two idle timeouts, memory bounded;
#   4. HTTP/1.1 slowloris (one header byte a second): closed at the header timeout;
# and the gateway still answers afterwards. About 20 s.
source "$(dirname "$0")/lib.sh"

ATTACK=$BUILD/h2-attack
if [ ! -x "$ATTACK" ]; then
  ATTACK=$GW_DIR/h2-attack
  cc -std=c17 -O2 -Wall -Wextra -o "$ATTACK" "$SRC/tools/h2_attack.c" || { bad "cannot build tools/h2_attack.c"; finish; exit 1; }
fi
command -v h2load >/dev/null || { bad "h2load is not installed (nghttp2-client)"; finish; exit 1; }

# A smaller ASan quarantine than the default 256 MB, so that VmRSS reflects what the gateway holds.
start_gateway CONG_SERVER_IDLE_TIMEOUT_MS=2000 ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:quarantine_size_mb=16 ||
  { finish; exit 1; }

rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$GW_PID/status"; }
attack() { "$ATTACK" --host 127.0.0.1 --port "$H2C_PORT" "$@" 2>&1; }
# field KEY LINE
field() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p; s/^$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }
h2load_field() { # WORD OUTPUT: the number before WORD on h2load's "requests:" line
  awk -v w="$1" '/^requests:/{ for (i = 2; i <= NF; i++) if ($i ~ "^" w) { v = $(i - 1); gsub(/,/, "", v); print v } }' <<<"$2"
}
h2load_rps() { awk '/^finished in/{ for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^req\/s/) { v = $i; sub(/,$/, "", v); print int(v) } }' <<<"$1"; }

# expect_all_calm NAME OUTPUT COUNT: COUNT connection lines, each ended with GOAWAY ENHANCE_YOUR_CALM and a close
expect_all_calm() {
  local name=$1 out=$2 n=$3 lines calm closed
  lines=$(grep -c '^conn=' <<<"$out")
  calm=$(grep '^conn=' <<<"$out" | grep -c ' goaway=ENHANCE_YOUR_CALM ')
  closed=$(grep '^conn=' <<<"$out" | grep -c ' closed=1 ')
  expect_eq "$name: connections reported" "$n" "$lines"
  expect_eq "$name: GOAWAY ENHANCE_YOUR_CALM on every connection" "$n" "$calm"
  expect_eq "$name: every connection closed" "$n" "$closed"
  if [ "$calm" != "$n" ] || [ "$closed" != "$n" ]; then echo "$out"; fi
}

# ---- 1. Rapid Reset while a good client works ---------------------------------------------------------------------
# The good client alone first: its rate, and the allocator warmed up before the memory baseline.
alone=$(h2load -c 4 -m 8 -t 1 -D 2 "$(url /healthz)" 2>&1)
rps_alone=$(h2load_rps "$alone")
rss0=$(rss_kib)

h2load -c 4 -m 8 -t 1 -D 5 "$(url /healthz)" >"$GW_DIR/good.txt" 2>&1 &
good_pid=$!
EXTRA_PIDS+=("$good_pid")
sleep 0.5
rr=$(attack --mode rapid-reset --connections 4 --reconnect --seconds 4)
wait "$good_pid"
good=$(cat "$GW_DIR/good.txt")
rss1=$(rss_kib)

slots=$(grep -c '^conn=' <<<"$rr")
expect_eq "rapid reset: 4 attacking slots reported" 4 "$slots"
while read -r line; do
  [ -n "$line" ] || continue
  conns=$(field connections "$line")
  calm=$(field calm_goaways "$line")
  expect_match "rapid reset: slot $(field conn "$line") was shed at least once" '^[1-9][0-9]*$' "$calm"
  expect_eq "rapid reset: slot $(field conn "$line"): every connection got GOAWAY ENHANCE_YOUR_CALM" "$conns" "$calm"
  expect_eq "rapid reset: slot $(field conn "$line"): its last connection was closed" 1 "$(field closed "$line")"
done < <(grep '^conn=' <<<"$rr")
succeeded=$(h2load_field succeeded "$good")
expect_eq "good client: no failed request" 0 "$(h2load_field failed "$good")"
expect_eq "good client: no errored request" 0 "$(h2load_field errored "$good")"
# Not starved: at least a tenth of what it did alone, in the same 5 s (an unpatched h2o keeps ~1 %). Relative to this
# machine's own figure, not an absolute count: a slow or busy machine does fewer of both. Its exact rate under attack is
# reported, not asserted: on a sanitizer build sharing 2 cores with the attacker it says more about the machine than
# about the gateway. bench/h2_abuse.sh measures it on a release build.
floor=$((${rps_alone:-0} * 5 / 10))
if [ "${succeeded:-0}" -ge 1 ] && [ "${succeeded:-0}" -ge "$floor" ]; then ok; else
  bad "good client: only ${succeeded:-0} requests succeeded under attack (alone: ${rps_alone:-?} req/s; floor $floor)"
  echo "$good"
fi
rps_attacked=$(h2load_rps "$good")
growth=$((rss1 - rss0))
if [ "$growth" -lt 32768 ]; then ok; else bad "rapid reset: VmRSS grew by $growth KiB ($rss0 → $rss1)"; fi
echo "rapid reset: $(grep -c '^conn=' <<<"$rr") slots, $(awk '/^summary/{print $3}' <<<"$rr"); good client ${rps_alone:-?} req/s alone," \
  "${rps_attacked:-?} req/s under attack, ${succeeded:-0} succeeded; VmRSS $rss0 → $rss1 KiB"

# ---- 2. other floods: GOAWAY ENHANCE_YOUR_CALM and close --------------------------------------------------------
expect_all_calm "MadeYouReset (WINDOW_UPDATE 0 after each request)" "$(attack --mode made-you-reset --seconds 3)" 1
expect_all_calm "CONTINUATION flood" "$(attack --mode continuation --connections 2 --seconds 3)" 2
expect_all_calm "CONTINUATION flood, 16 KB frames" "$(attack --mode continuation --payload 16384 --seconds 3)" 1
rss_before_bomb=$(rss_kib)
expect_all_calm "HPACK bomb" "$(attack --mode hpack-bomb --connections 4 --seconds 3)" 4
growth=$(($(rss_kib) - rss_before_bomb))
if [ "$growth" -lt 16384 ]; then ok; else bad "HPACK bomb: VmRSS grew by $growth KiB"; fi
expect_all_calm "PING flood" "$(attack --mode ping-flood --connections 2 --seconds 3)" 2
expect_all_calm "SETTINGS flood" "$(attack --mode settings-flood --connections 2 --seconds 3)" 2

# ---- 3 and 4. zero window, no reading, slowloris, side by side -----------------------------------------------------
established() { ss -Htn state established "( sport = :$H2C_PORT )" | wc -l; }
rss_before_zw=$(rss_kib)
attack --mode zero-window --connections 4 --streams 32 --seconds 8 >"$GW_DIR/zw.out" &
zw_pid=$!
attack --mode no-read --connections 2 --streams 64 --seconds 7 >"$GW_DIR/nr.out" &
nr_pid=$!
attack --mode slowloris --connections 2 --interval-ms 1000 --seconds 6 >"$GW_DIR/sl.out" &
sl_pid=$!
EXTRA_PIDS+=("$zw_pid" "$nr_pid" "$sl_pid")
all_connected() { [ "$(established)" -ge 8 ]; }
wait_until 2 all_connected   # the first closes come at the 2 s timeouts
rss_zw_peak=$(rss_kib)
established_during=$(established)
# Then every one of them is closed on the server's side within two idle timeouts (and a little): watched, not slept.
# A peer that does not read cannot see the FIN, which waits behind the data it does not read: the server's socket is
# in FIN-WAIT-1, no longer ESTABLISHED.
none_established() { [ "$(established)" = 0 ]; }
wait_until 5 none_established
established_after=$(established)
wait "$zw_pid" "$nr_pid" "$sl_pid"
zw=$(cat "$GW_DIR/zw.out")
sl=$(cat "$GW_DIR/sl.out")
expect_eq "zero window, no reading, slowloris: 8 connections established at first" 8 "$established_during"
expect_eq "no reading: closed on the server's side within two idle timeouts" 0 "$established_after"
if [ "$established_after" != 0 ]; then ss -tn "( sport = :$H2C_PORT )"; cat "$GW_DIR/nr.out"; fi

expect_eq "zero window: 4 connections reported" 4 "$(grep -c '^conn=' <<<"$zw")"
expect_eq "zero window: every connection closed by the server" 4 "$(grep '^conn=' <<<"$zw" | grep -c ' closed=1 ')"
while read -r line; do
  [ -n "$line" ] || continue
  ms=$(field closed_after_ms "$line")
  # stall timer: closes after one to two idle timeouts (2 s) without progress
  if [ "${ms:-0}" -ge 1900 ] && [ "${ms:-0}" -le 5500 ]; then ok; else bad "zero window: closed after ${ms} ms, expected 2000..4000: $line"; fi
done < <(grep '^conn=' <<<"$zw")
growth=$((rss_zw_peak - rss_before_zw))
if [ "$growth" -lt 32768 ]; then ok; else bad "zero window: VmRSS grew by $growth KiB"; fi

expect_eq "slowloris: 2 connections reported" 2 "$(grep -c '^conn=' <<<"$sl")"
while read -r line; do
  [ -n "$line" ] || continue
  ms=$(field closed_after_ms "$line")
  if [ "$(field closed "$line")" = 1 ] && [ "${ms:-0}" -ge 1500 ] && [ "${ms:-0}" -le 3500 ]; then ok; else
    bad "slowloris: expected a close at the 2 s header timeout: $line"
  fi
done < <(grep '^conn=' <<<"$sl")

# ---- the gateway is fine ----------------------------------------------------------------------------------------
expect_eq "gateway alive after the floods" "200" "$(h2c -o /dev/null -w '%{http_code}' "$(url /healthz)")"
out=$(h2load -n 200 -c 2 -m 10 "$(url /healthz)" 2>&1)
expect_match "a well-behaved client is served normally" "200 succeeded, 0 failed" "$out"
m=$(h2c "$(admin_url /metrics)")
expect_match "shed connections counted" 'cong_http2_connections_shed_total\{reason="enhance_your_calm"\} [1-9]' "$m"
expect_match "stalled connections counted" 'cong_http2_connections_shed_total\{reason="stalled"\} [1-9]' "$m"
expect_match "logged once per connection, with the peer address" \
  "http2: closing the connection from 127\.0\.0\.1" "$(cat "$GW_DIR/stderr")"
finish
