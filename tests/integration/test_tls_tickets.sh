#!/usr/bin/env bash
# Session tickets sealed with the keys of server.tls_session_ticket_key_file: a session got from one instance resumes
# on another given the same file (TLS 1.2 and 1.3), never on one with its own random keys; after a rotation (a new key
# first, the old one after it) old tickets still resume; once the old key is dropped they no longer do; a bad key file
# at SIGHUP is refused and the running keys stay.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"

KEYS=$GW_DIR/ticket.keys
head -c 80 /dev/urandom >"$GW_DIR/k1"
head -c 80 /dev/urandom >"$GW_DIR/k2"
(umask 077 && cp "$GW_DIR/k1" "$KEYS")

GW_NAME=a start_gateway CONG_SERVER_TLS_SESSION_TICKET_KEY_FILE="$KEYS" || exit 1
A_PID=$GW_PID A_TLS=$TLS_PORT
GW_PID=
GW_NAME=b start_gateway CONG_SERVER_TLS_SESSION_TICKET_KEY_FILE="$KEYS" || exit 1
B_PID=$GW_PID B_TLS=$TLS_PORT
GW_PID=
GW_NAME=c start_gateway || exit 1 # random keys of its own
C_PID=$GW_PID C_TLS=$TLS_PORT
EXTRA_PIDS+=("$A_PID" "$B_PID")
expect_match "keys from the file" "1 session ticket key\(s\) from the key file" "$(cat "$GW_DIR/a.stderr")"

# new_session PORT PROTO FILE — a full handshake that saves its session (with its ticket) in FILE. TLS 1.3 sends
# tickets after the handshake: an HTTP/1.1 request that closes the connection makes s_client read them.
new_session() {
  printf 'GET /healthz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n' |
    timeout 10 openssl s_client -connect "127.0.0.1:$1" "$2" -alpn http/1.1 -ign_eof -sess_out "$3" >/dev/null 2>&1
  [ -s "$3" ] || bad "no session saved from port $1 ($2)"
}
# resumed PORT PROTO FILE — "Reused" when the session in FILE resumes on PORT, else "New".
resumed() { tls_hello "$1" "$2" -sess_in "$3" | sed -n 's/^\(New\|Reused\), TLSv.*/\1/p'; }

for proto in -tls1_2 -tls1_3; do
  new_session "$A_TLS" "$proto" "$GW_DIR/a$proto.sess"
  expect_eq "$proto: A's session resumes on B (same key file)" "Reused" "$(resumed "$B_TLS" "$proto" "$GW_DIR/a$proto.sess")"
  expect_eq "$proto: not on C (keys of its own)" "New" "$(resumed "$C_TLS" "$proto" "$GW_DIR/a$proto.sess")"
  new_session "$C_TLS" "$proto" "$GW_DIR/c$proto.sess"
  expect_eq "$proto: C's own session resumes on C" "Reused" "$(resumed "$C_TLS" "$proto" "$GW_DIR/c$proto.sess")"
done
GW_NAME=c stop_gateway

# reload_b — SIGHUP to B, and wait for its TLS reload (or its refusal) to be logged.
b_reloads=0
reload_b() {
  b_reloads=$((b_reloads + 1))
  kill -HUP "$B_PID"
  GW_NAME=b wait_log "$b_reloads" "TLS reloaded: |tls: reload refused" || bad "B logged no TLS reload"
}
# Rotation: k2 seals from now on, k1 still opens.
cat "$GW_DIR/k2" "$GW_DIR/k1" >"$KEYS"
reload_b
expect_match "two keys after the rotation" "2 session ticket key\(s\) from the key file" "$(tail -1 "$GW_DIR/b.stderr")"
for proto in -tls1_2 -tls1_3; do
  expect_eq "$proto: the old key's ticket still resumes" "Reused" "$(resumed "$B_TLS" "$proto" "$GW_DIR/a$proto.sess")"
  new_session "$B_TLS" "$proto" "$GW_DIR/b$proto.sess"
  expect_eq "$proto: k2's ticket not opened by A (k1 only, not reloaded yet)" "New" \
    "$(resumed "$A_TLS" "$proto" "$GW_DIR/b$proto.sess")"
done

# k1 dropped: its tickets no longer resume; k2's do.
cp "$GW_DIR/k2" "$KEYS"
reload_b
for proto in -tls1_2 -tls1_3; do
  expect_eq "$proto: the dropped key's ticket no longer resumes" "New" "$(resumed "$B_TLS" "$proto" "$GW_DIR/a$proto.sess")"
  expect_eq "$proto: k2's ticket resumes" "Reused" "$(resumed "$B_TLS" "$proto" "$GW_DIR/b$proto.sess")"
done

# A bad file (not a multiple of 80 bytes): refused, and k2 stays in force.
head -c 79 /dev/urandom >"$KEYS"
reload_b
expect_match "bad key file refused" "session ticket key file .*: its size is not a positive multiple of 80 bytes" \
  "$(cat "$GW_DIR/b.stderr")"
expect_match "the running keys stay" "tls: reload refused: the running certificate, key and ticket keys stay" \
  "$(tail -1 "$GW_DIR/b.stderr")"
expect_eq "k2's ticket still resumes" "Reused" "$(resumed "$B_TLS" -tls1_3 "$GW_DIR/b-tls1_3.sess")"
expect_no_match "no key bytes in the log" "$(od -An -tx1 "$GW_DIR/k2" | tr -d ' \n' | head -c 16)" \
  "$(cat "$GW_DIR"/*.stderr | tr -d ' ')"

GW_PID=$B_PID GW_NAME=b stop_gateway
GW_PID=$A_PID GW_NAME=a stop_gateway
finish
