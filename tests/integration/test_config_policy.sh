#!/usr/bin/env bash
# server.environment: production (the default) refuses insecure settings with FILE:LINE errors, at --check-config and
# at start; development accepts them with one warning line per relaxed rule.
source "$(dirname "$0")/lib.sh"

cp "$RUN/keys/issuer.pub.pem" "$GW_DIR/service.pub.pem"
cp "$RUN/keys/issuer.key.pem" "$GW_DIR/service.key.pem"
cat >"$GW_DIR/unsafe.yaml" <<YAML
server:
  bind: "0.0.0.0"
  admin_bind: "0.0.0.0"
cors:
  allowed_origins: [https://dichvucong.hanoi.gov.vn, http://evil.example]
auth:
  public_key_file: "$GW_DIR/service.pub.pem"
vneid:
  jwks: "http://vneid.example/jwks.json"
redis:
  host: "10.20.30.40"
YAML

out=$(cd "$SRC" && "$BUILD/cong" --check-config "$GW_DIR/unsafe.yaml" 2>&1); status=$?
expect_eq "production refuses" "1" "$status"
expect_match "http JWKS, with its line" "unsafe.yaml:9: vneid.jwks: VNeID's keys over plain http" "$out"
expect_match "private half next to the service key" "unsafe.yaml:7: auth.public_key_file: its private key lies next" "$out"
expect_match "http origin" "unsafe.yaml:5: cors.allowed_origins: item 2: an http:// origin" "$out"
expect_match "admin listener on a public address" "unsafe.yaml:3: server.admin_bind: " "$out"
expect_match "cleartext listener on a public address" "default:0: server.h2c_port: the cleartext listener" "$out"
expect_match "Redis without password off loopback" "default:0: redis.password: Redis off loopback" "$out"
expect_match "says how to relax it" "refused in production; server.environment: development allows it" "$out"
expect_no_match "never quotes a value" "10.20.30.40|vneid.example" "$out"

out=$(cd "$SRC" && CONG_VNEID_JWKS=https://vneid.example/jwks.json "$BUILD/cong" --check-config "$GW_DIR/unsafe.yaml" 2>&1)
expect_no_match "an environment override replaces the file's value" "vneid.jwks" "$out"

out=$(cd "$SRC" && CONG_AUTH_PUBLIC_KEY_FILE="$RUN/keys/issuer.pub.pem" CONG_REDIS_HOST=127.0.0.1 \
  CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_ADMIN_BIND=127.0.0.1 CONG_VNEID_JWKS= \
  CONG_CORS_ALLOWED_ORIGINS=https://dichvucong.hanoi.gov.vn "$BUILD/cong" --check-config "$GW_DIR/unsafe.yaml" 2>&1)
expect_match "the demo key under .run/ is refused" "env:0: auth.public_key_file: the demo service-token key" "$out"

rm "$GW_DIR/service.key.pem"
out=$(cd "$SRC" && CONG_REDIS_HOST=127.0.0.1 CONG_SERVER_BIND=127.0.0.1 CONG_SERVER_ADMIN_BIND=127.0.0.1 \
  CONG_VNEID_JWKS= CONG_CORS_ALLOWED_ORIGINS=https://dichvucong.hanoi.gov.vn \
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem" \
  "$BUILD/cong" --check-config "$GW_DIR/unsafe.yaml" 2>&1); status=$?
expect_eq "the same file made safe passes in production" "0" "$status"

out=$(cd "$SRC" && CONG_SERVER_ENVIRONMENT=development CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem" \
  "$BUILD/cong" --check-config "$GW_DIR/unsafe.yaml" 2>&1); status=$?
expect_eq "development accepts" "0" "$status"
expect_eq "one warning per relaxed rule" "5" "$(grep -c 'development: allowed: ' <<<"$out")"

# A module's development-only key (ABI 1.9 development_only): refused in production, named with where it was set.
out=$(cd "$SRC" && CONG_MODULES_ORGS_WEBHOOK_ALLOW_HTTP_LOOPBACK=true CONG_REDIS_HOST=127.0.0.1 CONG_SERVER_BIND=127.0.0.1 \
  CONG_SERVER_ADMIN_BIND=127.0.0.1 CONG_VNEID_JWKS= CONG_CORS_ALLOWED_ORIGINS=https://dichvucong.hanoi.gov.vn \
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem" \
  "$BUILD/cong" --check-config "$GW_DIR/unsafe.yaml" 2>&1); status=$?
expect_eq "a module's development-only key: production refuses" "1" "$status"
expect_match "...naming it and where it came from" \
  "env:0: modules.orgs.webhook_allow_http_loopback: development only \(refused in production" "$out"
out=$(cd "$SRC" && CONG_MODULES_ORGS_WEBHOOK_ALLOW_HTTP_LOOPBACK=true CONG_SERVER_ENVIRONMENT=development \
  CONG_MODULES_AUDIT_SIGNING_KEY_FILE="$RUN/keys/cong-audit.pem" "$BUILD/cong" --check-config "$GW_DIR/unsafe.yaml" 2>&1)
status=$?
expect_eq "...development accepts it" "0" "$status"
expect_match "...with a warning" "development: allowed: modules.orgs.webhook_allow_http_loopback" "$out"

# At start: production refuses to serve what --check-config refuses.
cp "$RUN/keys/issuer.key.pem" "$GW_DIR/service.key.pem"
start_gateway CONG_SERVER_ENVIRONMENT=production CONG_AUTH_PUBLIC_KEY_FILE="$GW_DIR/service.pub.pem" >/dev/null 2>&1
expect_eq "production start refused" "" "$(kill -0 "$GW_PID" 2>/dev/null && echo running)"
wait "$GW_PID" 2>/dev/null; GW_PID=
expect_match "start-up names the finding" "auth.public_key_file: its private key lies next" "$(cat "$GW_DIR/stderr")"

start_gateway || exit 1
expect_match "development start warns" "development: allowed: env:0: auth.public_key_file: the demo service-token" \
  "$(cat "$GW_DIR/stderr")"
finish
