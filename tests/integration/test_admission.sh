#!/usr/bin/env bash
# Per-address admission (issue 19, gateway/http/admission.h), with its limits set here, against a real gateway;
# connections from chosen loopback addresses (admission_client.py):
#   1. concurrent: an address holding its 3 connections has a 4th closed at once (on the TLS port too, before the
#      handshake) while other addresses connect; a trusted proxy's address is not limited; closing the held ones gives
#      the slots back;
#   2. rate: a burst of 4 new connections, then shed, then a refill (1 a second) lets it connect again;
#   both counted in cong_connections_shed_total{reason}, and one log line per address, however many are shed;
#   3. behind a PROXY-protocol load balancer (127.0.0.1, trusted): the limit applies to the PROXY line's address at the
#      first request (429, Retry-After, Connection: close; over HTTP/2 every request of that connection gets the 429),
#      never to the balancer's own.
source "$(dirname "$0")/lib.sh"

CLIENT=$SRC/tests/integration/admission_client.py
client() { python3 "$CLIENT" "$@"; }
shed_total() {
  curl -s "$(admin_url /metrics)" | awk -v k="cong_connections_shed_total{reason=\"$1\"}" '$1 == k { print $2 }'
}
log_lines() { grep -c "shedding connections from $1:" "$GW_DIR/stderr"; }
probe_open() { [ "$(client probe "$1" "$H2C_PORT")" = open ]; }
held() { grep -q "^held $2\$" "$1"; }

start_gateway CONG_ADMISSION_MAX_CONNECTIONS_PER_ADDRESS=3 CONG_ADMISSION_NEW_CONNECTIONS_PER_SECOND=1 \
  CONG_ADMISSION_NEW_CONNECTIONS_BURST=4 CONG_SERVER_TRUSTED_PROXIES=127.0.0.5/32 CONG_SERVER_IDLE_TIMEOUT_MS=60000 ||
  { finish; exit 1; }

# ---- 1. concurrent connections ------------------------------------------------------------------------------------
python3 "$CLIENT" hold 127.0.0.2 "$H2C_PORT" 3 >"$GW_DIR/hold2" & # not a function: $! is python
hold_pid=$!
EXTRA_PIDS+=("$hold_pid")
wait_until 20 held "$GW_DIR/hold2" 3 && ok || bad "127.0.0.2 could not open its 3 connections: $(cat "$GW_DIR/hold2")"
expect_eq "a 4th connection from 127.0.0.2 is closed at once" shed "$(client probe 127.0.0.2 "$H2C_PORT")"
expect_eq "and a 5th" shed "$(client probe 127.0.0.2 "$H2C_PORT")"
expect_eq "127.0.0.4 still connects" open "$(client probe 127.0.0.4 "$H2C_PORT")"
expect_eq "127.0.0.1 is still served" 200 "$(h2c -o /dev/null -w '%{http_code}' "$(url /healthz)")"
# The count is per address over every listener; on the TLS port the shed connection is reset before any handshake
# (curl: 35 SSL connect error, or 7 when the reset beats connect's return), while 127.0.0.1 is served there.
tls_out=$(curl -skv --max-time 10 --interface 127.0.0.2 -o /dev/null "https://127.0.0.1:$TLS_PORT/healthz" 2>&1)
expect_match "TLS from 127.0.0.2: reset" '^(7|35|56)$' "$?"
expect_no_match "TLS from 127.0.0.2: no ServerHello" 'Server hello' "$tls_out"
expect_eq "TLS from 127.0.0.1: served" 200 \
  "$(curl -sk --max-time 10 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$TLS_PORT/healthz")"
expect_eq "shed connections counted (concurrent)" 3 "$(shed_total concurrent)"
wait_until 5 test "$(log_lines 127.0.0.2)" -ge 1 && ok || bad "no log line for 127.0.0.2"
expect_eq "one log line for 127.0.0.2, not one per connection" 1 "$(log_lines 127.0.0.2)"
expect_match "the line says why" "127.0.0.2: too many open connections" "$(grep 'from 127.0.0.2:' "$GW_DIR/stderr")"
python3 "$CLIENT" hold 127.0.0.5 "$H2C_PORT" 4 >"$GW_DIR/hold5" &
hold5_pid=$!
EXTRA_PIDS+=("$hold5_pid")
wait_until 20 held "$GW_DIR/hold5" 4 && ok || bad "the trusted proxy 127.0.0.5 was limited: $(cat "$GW_DIR/hold5")"
kill "$hold_pid" "$hold5_pid"
wait "$hold_pid" "$hold5_pid" 2>/dev/null
wait_until 10 probe_open 127.0.0.2 && ok || bad "127.0.0.2's slots were not given back when its connections closed"
concurrent_before=$(shed_total concurrent) # the probes of the wait were shed until the server saw the closes

# ---- 2. the rate of new connections -------------------------------------------------------------------------------
expect_match "127.0.0.3: the bucket's 4 connections, then shed" '^(open ){4,}shed$' "$(client burst 127.0.0.3 "$H2C_PORT" 12)"
expect_eq "shed connections counted (rate)" 1 "$(shed_total rate)"
wait_until 10 probe_open 127.0.0.3 && ok || bad "127.0.0.3's bucket did not refill"
rate_before=$(shed_total rate) # the probes of the wait were shed until the refill
expect_match "shed again once the refill is spent" 'shed$' "$(client burst 127.0.0.3 "$H2C_PORT" 12)"
expect_eq "counted again" $((rate_before + 1)) "$(shed_total rate)"
expect_eq "still one log line for 127.0.0.3" 1 "$(log_lines 127.0.0.3)"
expect_match "the line says why" "127.0.0.3: new connections too fast" "$(grep 'from 127.0.0.3:' "$GW_DIR/stderr")"
expect_eq "no concurrent shed meanwhile" "$concurrent_before" "$(shed_total concurrent)"
stop_gateway
expect_eq "no other address was logged" 2 "$(grep -c 'shedding connections from' "$GW_DIR/stderr")"

# ---- 3. behind a PROXY-protocol load balancer ---------------------------------------------------------------------
start_gateway CONG_SERVER_PROXY_PROTOCOL=1 CONG_SERVER_TRUSTED_PROXIES=127.0.0.1/32 \
  CONG_ADMISSION_MAX_CONNECTIONS_PER_ADDRESS=2 CONG_ADMISSION_NEW_CONNECTIONS_PER_SECOND=0 \
  CONG_SERVER_IDLE_TIMEOUT_MS=60000 || { finish; exit 1; }
python3 "$CLIENT" proxied "$H2C_PORT" 198.51.100.7 2 >"$GW_DIR/hold7" &
hold7_pid=$!
EXTRA_PIDS+=("$hold7_pid")
wait_until 20 held "$GW_DIR/hold7" 2 && ok || bad "198.51.100.7 could not open its 2 connections: $(cat "$GW_DIR/hold7")"
expect_eq "a 3rd connection for 198.51.100.7: 429, Retry-After, closed" "429 connection=close retry-after=1 closed=1" \
  "$(client proxied "$H2C_PORT" 198.51.100.7)"
expect_eq "another client through the same balancer is served" "200 connection=keep-alive retry-after=- closed=0" \
  "$(client proxied "$H2C_PORT" 198.51.100.8)"
expect_eq "over HTTP/2, every request of such a connection is refused" "limited limited" \
  "$(client proxied-h2 "$H2C_PORT" 198.51.100.7)"
expect_eq "and another client's are served" "served served" "$(client proxied-h2 "$H2C_PORT" 198.51.100.9)"
expect_eq "counted, once per connection" 2 "$(shed_total concurrent)"
wait_until 5 test "$(log_lines 198.51.100.7)" -ge 1 && ok || bad "no log line for 198.51.100.7"
expect_eq "the balancer itself is never shed" 0 "$(log_lines 127.0.0.1)"
kill "$hold7_pid" # before the gateway stops: its graceful shutdown would wait for these connections
wait "$hold7_pid" 2>/dev/null
finish
